"""The carrier's rules on the portal side: the RuleContext, and where each violation belongs on the forms.

``group_rule_context()`` combines the catalogue's rate-file facts with what the portal cannot know
(agent appointment: the carrier's, AGT-002, so "appointed" here). ``locate(pointer, code, group)``
maps an api.md JSON Pointer to the form step and field that fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from carrier.rules import carrier_today, rule_settings
from catalogue import selectors as catalogue_selectors
from groupsales.rating import age_on


@dataclass(frozen=True)
class Problem:
    """One thing to fix, with where to fix it."""

    code: str
    message: str
    fix: str
    step: str
    field: str | None  # a form field of ``step``; None when it is about the whole step
    pointer: str = ""
    severity: str = "error"
    source: str = "portal"  # "portal" (our check) or "carrier" (the carrier's 422)

    @property
    def is_error(self) -> bool:
        return self.severity != "warning"


class PortalRuleContext:
    """groupsales.rules.RuleContext for the portal: the catalogue's rate-file facts + 'agent appointed'."""

    def __init__(self, facts: Any, *, today: date | None = None, rule_settings_: Any = None) -> None:
        self._facts = facts
        self._premiums: dict[tuple, Decimal | None] = {}
        self.today = today or carrier_today()
        self.settings = rule_settings_ or rule_settings()

    def counties_for_zip(self, zip5: str, on: date) -> set[str]:
        return set(self._facts.counties_for_zip(zip5, on))

    def rating_area_for(self, zip5: str, county_fips: str, on: date) -> str | None:
        return self._facts.rating_area_for(zip5, county_fips, on)

    def plan_sold(self, plan_id: str, line: str, rating_area_id: str, on: date) -> bool:
        return bool(self._facts.plan_sold(plan_id, line, rating_area_id, on))

    def composite_allowed(self, plan_id: str, on: date) -> bool:
        return bool(self._facts.composite_allowed(plan_id, on))

    def agent_appointed(self, npn: str, state: str) -> bool:
        return True  # the carrier knows (AGT-002 comes back from create group)

    def own_premium(self, plan_id: str, **kwargs: Any) -> Decimal | None:
        """The catalogue's answer, kept for this context's life: the finalize rules over a census ask for
        the same plan and age many times (a rate depends on the age on the effective date, not the day
        of birth), and each answer is two queries."""
        born, on = kwargs.get("date_of_birth"), kwargs.get("effective_date")
        age = age_on(born, on) if isinstance(born, date) and isinstance(on, date) else born
        key = (plan_id, age, *sorted((k, v) for k, v in kwargs.items() if k != "date_of_birth"))
        if key not in self._premiums:
            self._premiums[key] = self._own_premium(plan_id, **kwargs)
        return self._premiums[key]

    def _own_premium(self, plan_id: str, **kwargs: Any) -> Decimal | None:
        # The catalogue names it own_premium or subscriber_own_premium; take whichever it has.
        for name in ("own_premium", "subscriber_own_premium"):
            fn = getattr(self._facts, name, None)
            if fn is not None:
                return fn(plan_id, **kwargs)
        return None


def group_rule_context() -> PortalRuleContext:
    return PortalRuleContext(catalogue_selectors.rule_facts())


# api.md pointer (without array indexes) -> (step, form field)
_FIELDS: dict[str, tuple[str, str | None]] = {
    "/employer": ("employer", None),
    "/employer/legalName": ("employer", "legal_name"),
    "/employer/dbaName": ("employer", "dba_name"),
    "/employer/fein": ("employer", "fein"),
    "/employer/sicCode": ("employer", "sic_code"),
    "/employer/entityType": ("employer", "entity_type"),
    "/employer/establishedDate": ("employer", "established_date"),
    "/employer/phone": ("employer", "phone"),
    "/employer/address": ("address", None),
    "/employer/address/line1": ("address", "address_line1"),
    "/employer/address/line2": ("address", "address_line2"),
    "/employer/address/city": ("address", "city"),
    "/employer/address/state": ("address", "state"),
    "/employer/address/zip5": ("address", "zip5"),
    "/employer/address/zip4": ("address", "zip4"),
    "/employer/address/countyFips": ("address", "county_fips"),
    "/contact": ("contact", None),
    "/contact/firstName": ("contact", "contact_first_name"),
    "/contact/lastName": ("contact", "contact_last_name"),
    "/contact/email": ("contact", "contact_email"),
    "/contact/phone": ("contact", "contact_phone"),
    # The writing agent is chosen, not typed (issue 16 item 7): every part of it is fixed by the choice.
    "/writingAgent": ("agent", "writing_agent"),
    "/writingAgent/npn": ("agent", "writing_agent"),
    "/writingAgent/firstName": ("agent", "writing_agent"),
    "/writingAgent/lastName": ("agent", "writing_agent"),
    "/writingAgent/email": ("agent", "writing_agent"),
    "/requestedEffectiveDate": ("coverage", "requested_effective_date"),
    "/workforce": ("coverage", None),
    "/workforce/totalEmployees": ("coverage", "total_employees"),
    "/workforce/eligibleEmployees": ("coverage", "eligible_employees"),
    "/eligibility": ("coverage", None),
    "/eligibility/minimumHoursPerWeek": ("coverage", "minimum_hours_per_week"),
    "/eligibility/waitingPeriod": ("coverage", "waiting_period"),
    "/offerings": ("plans", None),
    "/smallEmployerAttestation": ("attestation", None),
    "/smallEmployerAttestation/signedBy": ("attestation", "attestation_signed_by"),
    "/smallEmployerAttestation/title": ("attestation", "attestation_title"),
    "/smallEmployerAttestation/signedAt": ("attestation", "attestation_signed_at"),
    "/census": ("census", None),
}
# A rule with no pointer, or with one we do not know: the step its fields live on.
_CODE_STEP = {
    "GRP-001": ("employer", "legal_name"),
    "GRP-002": ("employer", "fein"),
    "GRP-003": ("employer", "sic_code"),
    "GRP-004": ("address", "county_fips"),
    "GRP-005": ("address", "state"),
    "GRP-006": ("employer", "established_date"),
    "GRP-007": ("coverage", "requested_effective_date"),
    "GRP-008": ("coverage", "eligible_employees"),
    "GRP-009": ("coverage", "waiting_period"),
    "GRP-010": ("plans", None),
    "GRP-011": ("contributions", None),
    "GRP-012": ("contact", None),
    "GRP-014": ("attestation", None),
    "AGT-001": ("agent", "writing_agent"),
    "AGT-002": ("agent", "writing_agent"),
    "AGENT": ("agent", "writing_agent"),
}
# Finalize rules (business-rules.md, F) are fixed where the broker types what they count: participation
# against the eligible employees, the attestation on its step, the census' people on the census step.
# GRP-022 (a line's contribution) and GRP-023 (a line's plans) follow their pointer.
_FINALIZE_PLACE = {
    "GRP-013": ("census", None),
    "GRP-014": ("attestation", "attestation_signed_by"),
    "GRP-020": ("coverage", "eligible_employees"),
    "GRP-021": ("coverage", "eligible_employees"),
    "GRP-030": ("census", None),
    "GRP-031": ("census", None),
}
_OFFERING = re.compile(r"^/offerings/(\d+)(/.*)?$")
_CENSUS = re.compile(r"^/census/(\d+)(/.*)?$")


def locate(pointer: str, code: str, offerings: list) -> tuple[str, str | None]:
    """The (step, field) where the broker fixes what ``pointer`` (and ``code``) points at."""
    pointer = pointer or ""
    if code in _FINALIZE_PLACE:
        return _FINALIZE_PLACE[code]
    if pointer in _FIELDS:
        step, field = _FIELDS[pointer]
        if field is None and code in _CODE_STEP and _CODE_STEP[code][0] == step:
            return _CODE_STEP[code]
        return step, field
    m = _OFFERING.match(pointer)
    if m:
        index, rest = int(m.group(1)), m.group(2) or ""
        line = ""
        if 0 <= index < len(offerings) and isinstance(offerings[index], dict):
            line = str(offerings[index].get("line", "")).lower()
        if rest.startswith("/contribution"):
            part = rest.rsplit("/", 1)[-1]
            if part in ("employee", "dependents", "basis") and line:
                return "contributions", f"{line}_{part}"
            return "contributions", None
        if rest.startswith("/ratingOption"):
            return "plans", "medical_rating_option"
        return "plans", f"{line}_plans" if line else None
    if _CENSUS.match(pointer):
        return "census", None
    if code in _CODE_STEP:
        return _CODE_STEP[code]
    for prefix, (step, _field) in sorted(_FIELDS.items(), key=lambda kv: -len(kv[0])):
        if pointer.startswith(prefix + "/"):
            return step, None
    return "review", None


def census_label(pointer: str, census: list) -> str:
    """'E-002' (or 'E-002, dependent 1') for a census pointer, so a row error names its row."""
    m = _CENSUS.match(pointer or "")
    if not m:
        return ""
    index = int(m.group(1))
    ref = (
        census[index].get("memberRef") if 0 <= index < len(census) and isinstance(census[index], dict) else ""
    )
    dep = re.match(r"^/dependents/(\d+)", m.group(2) or "")
    if dep:
        return gettext("%(ref)s, dependent %(n)s") % {"ref": ref, "n": int(dep.group(1)) + 1}
    return str(ref or gettext("row %(n)s") % {"n": index + 1})


def rule_words(code: str, message: str, fix: str = "") -> tuple[str, str]:
    """A rule's message and fix as the reader reads them. English keeps the rule's own, specific message
    (with its values); another language gets the rule's statement and fix from the catalogue
    (``groupsales.rules.catalog`` marks them), since the carrier's specific messages are English only."""
    from groupsales.rules import RULES

    rule = RULES.get(code)
    if rule is None:
        return message, fix
    fix = fix or rule.fix
    if (translation.get_language() or "en").startswith("en"):
        return message, fix
    summary = gettext(rule.summary)
    return (summary if summary != rule.summary else message), gettext(fix)
