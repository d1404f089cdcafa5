"""The employer's renewal decision, signed (api.md ``POST /renewal-decisions``; REN-001 to REN-005).

The broker prepares the decision here; the employer signs it from their own login (``signing``: the
document, both signatures, REN-002 at submission). The form builds api.md's body without the signature
and checks it with the carrier's rules (``groupsales.rules.check_decision``) over the offer as last read,
so each broken rule shows beside its field with its ID and fix before the employer is asked to sign;
REN-002 (the signature and the document's hash) is checked when the signed decision is submitted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from carrier.rules import carrier_today, rule_settings
from catalogue.selectors import plans_sold
from groupsales.rules import OfferLine, RenewalFacts, check_decision
from portal.display import plan_label
from portal.words import code_label

from .models import Renewal

KINDS = [
    ("RENEW_AS_OFFERED", _("Renew as offered")),
    ("RENEW_WITH_CHANGES", _("Renew with changes")),
    ("DO_NOT_RENEW", _("Do not renew")),
]
BASES = [("PERCENT", _("Percent of the premium")), ("FLAT", _("Flat dollar amount"))]
_FIELD_OF = {  # api.md pointer → form field
    "/decision": "decision",
    "/renewalDate": "decision",
    "": "decision",
}


def plans_sold_on_renewal(renewal: Renewal) -> dict[str, list[str]]:
    """Line → the plans the catalogue sells in the group's place on the renewal date, with the offer's
    renewal plans (the broker may choose any of them, REN-003, up to the line's maximum)."""
    found: dict[str, list[str]] = {}
    for line in offer_lines(renewal):
        found[line["line"]] = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
    group = renewal.group
    try:
        offers = plans_sold(
            zip5=group.zip5 or "", county_fips=group.county_fips or "", on=renewal.renewal_date
        )
    except Exception:  # noqa: BLE001 - no place or no rates on R in the catalogue: the offer's plans only
        offers = []
    for offer in offers:
        if offer.line in found and offer.plan_id not in found[offer.line]:
            found[offer.line].append(offer.plan_id)
    return found


def offer_lines(renewal: Renewal) -> list[dict[str, Any]]:
    return ((renewal.carrier_renewal or {}).get("offer") or {}).get("lines") or []


class RenewalDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=KINDS, widget=forms.RadioSelect)

    def __init__(self, *args: Any, renewal: Renewal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renewal = renewal
        self.lines = offer_lines(renewal)
        self.sold = plans_sold_on_renewal(renewal)
        self.problems: dict[str | None, list[dict[str, str]]] = {}
        for line in self.lines:
            code, name = line["line"].lower(), code_label(line["line"], "line")
            self.fields[f"{code}_renew"] = forms.BooleanField(
                label=format_lazy("{}: {}", name, _("renew this line")), required=False, initial=True
            )
            self.fields[f"{code}_basis"] = forms.ChoiceField(
                label=format_lazy("{}: {}", name, _("contribution basis")), choices=BASES
            )
            self.fields[f"{code}_employee"] = forms.CharField(
                label=format_lazy("{}: {}", name, _("employer pays for employees")), required=False
            )
            self.fields[f"{code}_dependents"] = forms.CharField(
                label=format_lazy("{}: {}", name, _("employer pays for dependents")), required=False
            )
            kept = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
            most = rule_settings().max_plans.get(line["line"])
            self.fields[f"{code}_plans"] = forms.MultipleChoiceField(
                label=format_lazy("{}: {}", name, _("plans from the renewal date")),
                choices=[(p, plan_label(p)) for p in self.sold.get(line["line"], kept)],
                initial=kept,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=format_lazy(_("Renew with changes: at most {} plans."), most) if most else "",
            )
            for plan in line["plans"]:
                if plan["renewalPlanId"] is None and plan["members"]:
                    self.fields[f"map_{plan['currentPlanId']}"] = forms.ChoiceField(
                        label=_("Move the members of this discontinued plan to"),
                        choices=[("", "—"), *((p, p) for p in kept)],
                        required=False,
                    )
        self.body: dict[str, Any] | None = None

    def _offerings(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for line in self.lines:
            code = line["line"].lower()
            if not data.get(f"{code}_renew"):
                continue
            kept = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
            kept = list(data.get(f"{code}_plans") or kept)
            mappings = [
                {"fromPlanId": p["currentPlanId"], "toPlanId": data[f"map_{p['currentPlanId']}"]}
                for p in line["plans"]
                if data.get(f"map_{p['currentPlanId']}")
            ]
            offering = {
                "line": line["line"],
                "planIds": kept,
                "contribution": {
                    "basis": data.get(f"{code}_basis") or "PERCENT",
                    "employee": (data.get(f"{code}_employee") or "").strip(),
                    "dependents": (data.get(f"{code}_dependents") or "").strip(),
                },
                "planMappings": mappings,
            }
            if line["line"] == "MEDICAL":
                offering["ratingOption"] = line.get("ratingOption") or "AGE"
            out.append(offering)
        return out

    def _body(self, data: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "renewalDate": self.renewal.renewal_date.isoformat(),
            "decision": data["decision"],
        }
        if data["decision"] == "RENEW_WITH_CHANGES":
            body["offerings"] = self._offerings(data)
        return body

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "decision" not in data:
            return data
        body = self._body(data)
        for violation in check_decision(body, facts=portal_facts(self.renewal)):
            if violation.severity != "error" or violation.code == "REN-002":
                continue  # the signature and the document's hash: checked at submission (signing)
            field = _field_for(violation.pointer, body, self.fields)
            self.problems.setdefault(field, []).append(
                {
                    "code": violation.code,
                    "message": violation.message,
                    "fix": violation.fix,
                    "severity": "error",
                }
            )
            self.add_error(field, f"{violation.code}: {violation.message} {violation.fix}")
        self.body = body
        return data


def _field_for(pointer: str, body: dict[str, Any], fields: dict[str, Any]) -> str | None:
    """The form field of an api.md pointer (None: the form as a whole)."""
    if pointer in _FIELD_OF:
        return _FIELD_OF[pointer]
    parts = pointer.split("/")
    if len(parts) < 3 or parts[1] != "offerings" or not parts[2].isdigit():
        return None
    offerings = body.get("offerings") or []
    index = int(parts[2])
    if index >= len(offerings):
        return None
    code = str(offerings[index]["line"]).lower()
    candidates = {"contribution": f"{code}_{parts[4]}" if len(parts) > 4 else f"{code}_employee"}
    if parts[3:4] == ["planIds"] and f"{code}_plans" in fields:
        return f"{code}_plans"
    if parts[3:4] == ["planMappings"]:
        mapped = [f for f in fields if f.startswith("map_")]
        return mapped[0] if mapped else f"{code}_renew"
    name = candidates.get(parts[3] if len(parts) > 3 else "", f"{code}_renew")
    return name if name in fields else f"{code}_renew"


def portal_facts(renewal: Renewal) -> RenewalFacts:
    """The REN rules' facts on the portal's side, from the offer as last read."""
    answer = renewal.carrier_renewal or {}
    lines = {}
    for line in offer_lines(renewal):
        lines[line["line"]] = OfferLine(
            line["line"],
            line.get("ratingOption") or "AGE",
            {},
            {p["currentPlanId"]: p["renewalPlanId"] for p in line["plans"]},
            frozenset(p["currentPlanId"] for p in line["plans"] if p["members"]),
        )
    sold = {p["renewalPlanId"] for line in offer_lines(renewal) for p in line["plans"] if p["renewalPlanId"]}
    sold |= {plan_id for plans in plans_sold_on_renewal(renewal).values() for plan_id in plans}
    decision = answer.get("decision") or {}
    return RenewalFacts(
        today=carrier_today(),
        settings=rule_settings(),
        renewal_date=renewal.renewal_date,
        status=renewal.carrier_status or "UPCOMING",
        lines=lines,
        employer_decided=decision.get("source") == "EMPLOYER",
        plan_sold=lambda plan_id, line: plan_id in sold,
        composite_allowed=lambda plan_id: False,
    )
