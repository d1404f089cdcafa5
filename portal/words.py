"""The words of the carrier's codes and of money, in the active language: no database, so the catalogue
and the group's models use them too. ``portal.display`` adds the plans' names (from the catalogue) and is
what pages and templates import.

* ``LABELS``: each code list of ``groupsales.codes`` (and the ETSS plan facts) with its words, translated.
  A value the mapping does not know (a carrier status added later) is shown as it is (api.md).
* ``money``: US dollars as ``$3,304.90``. The separators are the active language's number format;
  Spanish uses the US Spanish convention (``portal/formats/es``: decimal point, comma groups), because
  every amount is a US dollar amount on a US carrier's plan and Spain's ``3.304,90`` would read as three
  dollars to a reader in the United States (CLDR ``es_US`` writes ``$3,304.90`` too).
* ``line_phrase``: a phrase built on a line's name ("Medical plan", "I do not want Dental coverage"),
  one text per line and phrase, so that each language has its grammar: Spanish puts the adjective after
  the noun and makes it agree ("Plan médico", "cobertura médica", "Plan de la vista"); a line's name
  standing alone (a heading, a table cell, "Medical: …") is ``LABELS["line"]``, a noun.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from groupsales import codes as c

NONE = "—"

LABELS: dict[str, dict[str, Promise | str]] = {
    "line": {
        c.Line.MEDICAL: pgettext_lazy("line of coverage", "Medical"),
        c.Line.DENTAL: pgettext_lazy("line of coverage", "Dental"),
        c.Line.VISION: pgettext_lazy("line of coverage", "Vision"),
    },
    "tier": {
        c.Tier.EMP: _("Employee only"),
        c.Tier.ESP: _("Employee and spouse or partner"),
        c.Tier.ECH: _("Employee and children"),
        c.Tier.FAM: _("Family"),
        "WAIVE": _("Waives coverage"),
    },
    "relationship": {
        c.Relationship.SUBSCRIBER: _("Employee"),
        c.Relationship.SPOUSE: _("Spouse"),
        c.Relationship.DOMESTIC_PARTNER: _("Domestic partner"),
        c.Relationship.CHILD: _("Child"),
        c.Relationship.STEPCHILD: _("Stepchild"),
        c.Relationship.FOSTER_CHILD: _("Foster child"),
        c.Relationship.WARD: _("Ward"),
    },
    "gender": {c.Gender.FEMALE: _("Female"), c.Gender.MALE: _("Male"), c.Gender.UNKNOWN: _("Unknown")},
    "entity_type": {
        c.EntityType.CORPORATION: _("Corporation"),
        c.EntityType.S_CORPORATION: _("S corporation"),
        c.EntityType.LLC: _("Limited liability company"),
        c.EntityType.PARTNERSHIP: _("Partnership"),
        c.EntityType.SOLE_PROPRIETOR: _("Sole proprietor"),
        c.EntityType.NON_PROFIT: _("Non-profit"),
        c.EntityType.GOVERNMENT: _("Government"),
    },
    "waiting_period": {
        c.WaitingPeriod.FIRST_OF_MONTH_AFTER_HIRE: _("First of the month after hire"),
        c.WaitingPeriod.FIRST_OF_MONTH_AFTER_30_DAYS: _("First of the month after 30 days"),
        c.WaitingPeriod.FIRST_OF_MONTH_AFTER_60_DAYS: _("First of the month after 60 days"),
    },
    # ratingOption of an offering, and ratingMethod of the final rates (TIER: dental and vision)
    "rating": {
        c.RatingOption.AGE: _("Age rated"),
        c.RatingOption.COMPOSITE: _("Composite"),
        "TIER": _("Tier rated"),
    },
    "basis": {
        c.ContributionBasis.PERCENT: _("Percent of premium"),
        c.ContributionBasis.FLAT: _("Dollars a month"),
    },
    "waiver_reason": {
        c.WaiverReason.SPOUSE_GROUP_COVERAGE: _("Covered by a spouse's group plan"),
        c.WaiverReason.OTHER_GROUP_COVERAGE: _("Other group coverage (COBRA included)"),
        c.WaiverReason.MEDICARE: _("Medicare"),
        c.WaiverReason.MEDICAID: _("Medicaid"),
        c.WaiverReason.TRICARE: _("TRICARE"),
        c.WaiverReason.VA: _("VA"),
        c.WaiverReason.INDIVIDUAL_COVERAGE: _("Individual coverage"),
        c.WaiverReason.NO_OTHER_COVERAGE: _("No other coverage"),
        c.WaiverReason.OTHER: _("Other"),
    },
    "group_status": {
        c.GroupStatus.CREATED: _("Created, in open enrollment"),
        c.GroupStatus.FINALIZED: _("Finalized"),
        c.GroupStatus.ENROLLING: _("Enrolling"),
        c.GroupStatus.ENROLLED: _("Enrolled"),
    },
    "file_status": {
        c.FileStatus.RECEIVED: _("Received"),
        c.FileStatus.PROCESSING: _("Processing"),
        c.FileStatus.ACCEPTED: _("Accepted"),
        c.FileStatus.ACCEPTED_WITH_ERRORS: _("Accepted with errors"),
        c.FileStatus.REJECTED: _("Rejected"),
    },
    # api.md *Renewal* decision (groupsales.contract.renewal.RenewalDecisionKind)
    "renewal_decision": {
        "RENEW_AS_OFFERED": _("Renew as offered"),
        "RENEW_WITH_CHANGES": _("Renew with changes"),
        "DO_NOT_RENEW": _("Do not renew"),
    },
    "member_status": {
        c.MemberEnrollmentStatus.NOT_SENT: _("Not sent"),
        c.MemberEnrollmentStatus.ACCEPTED: _("Accepted"),
        c.MemberEnrollmentStatus.REJECTED: _("Rejected"),
    },
    # ETSS PLN METAL_LEVEL (etss-rate-file.md); NA (vision) says nothing worth showing.
    "metal": {
        "BRONZE": _("Bronze"),
        "EXPANDED_BRONZE": _("Expanded bronze"),
        "SILVER": _("Silver"),
        "GOLD": _("Gold"),
        "PLATINUM": _("Platinum"),
        "HIGH": _("High option"),
        "LOW": _("Low option"),
        "NA": "",
    },
}


LINE_PHRASES: dict[str, dict[str, Promise]] = {
    "plan": {
        c.Line.MEDICAL: _("Medical plan"),
        c.Line.DENTAL: _("Dental plan"),
        c.Line.VISION: _("Vision plan"),
    },
    "waive": {
        c.Line.MEDICAL: _("I do not want Medical coverage"),
        c.Line.DENTAL: _("I do not want Dental coverage"),
        c.Line.VISION: _("I do not want Vision coverage"),
    },
    "waiver_reason": {
        c.Line.MEDICAL: _("Reason for not taking Medical coverage"),
        c.Line.DENTAL: _("Reason for not taking Dental coverage"),
        c.Line.VISION: _("Reason for not taking Vision coverage"),
    },
}


def line_phrase(line: Any, phrase: str) -> str:
    """``phrase`` of LINE_PHRASES for ``line`` in the active language; an unknown line by its code."""
    words = LINE_PHRASES[phrase].get(str(getattr(line, "value", line)))
    return str(line) if words is None else str(words)


def code_label(value: Any, kind: str) -> str:
    """The words for ``value`` of code list ``kind`` in the active language; an unknown value as it is."""
    if value in (None, ""):
        return NONE
    words = LABELS.get(kind, {}).get(str(getattr(value, "value", value)))
    return str(value) if words is None else str(words)


def code_choices(kind: str, values: Iterable[str] | None = None) -> list[tuple[str, Promise | str]]:
    """Form choices for a code list, in the mapping's order (or ``values``' order)."""
    mapping = LABELS[kind]
    return [(str(v), mapping[v]) for v in (values if values is not None else mapping)]


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, *, signed: bool = False) -> str:
    """``$3,304.90`` (``-$3.00``; ``+$12.00`` when ``signed``); "—" for nothing, a non-number as it is."""
    amount = _decimal(value)
    if amount is None:
        return NONE if value in (None, "") else str(value)
    cents = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # number_format would truncate
    digits = number_format(cents, decimal_pos=2, force_grouping=True)
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${digits}"


def contribution_words(contribution: Mapping[str, Any] | None) -> str:
    """An offering's contribution (api.md ``{basis, employee, dependents}``) in words."""
    c = contribution or {}
    if not c:
        return NONE
    if c.get("basis") == "FLAT":
        return _("%(employee)s a month toward each employee, %(dependents)s toward dependents") % {
            "employee": money(c.get("employee")),
            "dependents": money(c.get("dependents")),
        }
    return _("%(employee)s%% of each employee's premium, %(dependents)s%% of the dependents'") % {
        "employee": c.get("employee", NONE),
        "dependents": c.get("dependents", NONE),
    }
