"""The employer forms, one per step. Every field is optional here: a step saves whatever was typed
and the carrier's rules (``services.group_check``) say what is still wrong, beside each field."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.display import code_choices, code_label, money
from portal.forms import choice_field

from .models import CensusMember, EmployerGroup

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DIGITS = re.compile(r"\D")


def _digits(value: str) -> str:
    """'(502) 555-0100' -> '5025550100'; leaves anything without digits as typed for the rules."""
    value = (value or "").strip()
    stripped = DIGITS.sub("", value)
    return stripped if stripped and re.fullmatch(r"[\d\s().+-]*", value) else value


class StepForm(forms.ModelForm):
    digit_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for name in self.digit_fields:
            if name in data and isinstance(data[name], str):
                data[name] = _digits(data[name])
        return data

    def saved_fields(self) -> dict:
        """The values that parsed, to save even when other fields did not."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class EmployerForm(StepForm):
    digit_fields = ("fein", "phone")

    class Meta:
        model = EmployerGroup
        fields = ["legal_name", "dba_name", "fein", "sic_code", "entity_type", "established_date", "phone"]
        widgets = {"established_date": DATE}
        labels = {
            "legal_name": _("Legal name"),
            "dba_name": _("DBA name (doing business as)"),
            "fein": _("FEIN (federal employer ID)"),
            "sic_code": _("SIC code"),
            "entity_type": _("Entity type"),
            "established_date": _("Established date"),
            "phone": _("Employer phone"),
        }
        help_texts = {
            "fein": _("9 digits, e.g. 12-3456789."),
            "sic_code": _("4-digit Standard Industrial Classification."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "entity_type").choices = [("", "---------"), *code_choices("entity_type")]


class AddressForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = ["address_line1", "address_line2", "city", "state", "zip5", "zip4", "county_fips"]
        labels = {
            "address_line1": _("Address line 1"),
            "address_line2": _("Address line 2"),
            "city": _("City"),
            "state": _("State (2 letters)"),
            "zip5": _("ZIP code"),
            "zip4": _("ZIP+4"),
            "county_fips": _("County"),
        }
        help_texts = {
            "zip5": _("The county list comes from the carrier's rate file for this ZIP code."),
            "county_fips": _("The county decides the group's rating area."),
        }

    def __init__(self, *args, counties: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str | Promise]] = [
            ("", _("Choose the county (enter the ZIP code and save first)"))
        ]
        current = self.initial.get("county_fips") or ""
        for county in counties or []:
            label = county.county_fips
            name = getattr(county, "county_name", "") or getattr(county, "name", "")
            if name:
                label = f"{name} ({county.county_fips})"
            area = _("rating area %(area)s") % {"area": county.rating_area_id}
            choices.append((county.county_fips, f"{label} · {area}"))
        if current and current not in {c[0] for c in choices}:
            choices.append((current, _("%(county)s (not a county of this ZIP code)") % {"county": current}))
        self.fields["county_fips"] = forms.ChoiceField(
            label=_("County"), choices=choices, required=False, help_text=self.Meta.help_texts["county_fips"]
        )

    def clean_state(self):
        return (self.cleaned_data.get("state") or "").upper()


class ContactForm(StepForm):
    digit_fields = ("contact_phone",)

    class Meta:
        model = EmployerGroup
        fields = ["contact_first_name", "contact_last_name", "contact_email", "contact_phone"]
        labels = {
            "contact_first_name": _("First name"),
            "contact_last_name": _("Last name"),
            "contact_email": _("E-mail"),
            "contact_phone": _("Phone"),
        }
        widgets = {
            "contact_email": forms.EmailInput(),
            "contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }


#: The writing agent's fields, set from the broker chosen on the agent step (never typed).
AGENT_FIELDS = ("agent_npn", "agent_first_name", "agent_last_name", "agent_email")


def agent_label(broker) -> str:
    user = broker.user
    parts = [broker.full_name, _("NPN %(npn)s") % {"npn": broker.npn}, user.email or _("no e-mail on file")]
    return " · ".join(str(p) for p in parts)


class AgentForm(forms.Form):
    """Issue 16 item 7: the writing agent is a broker of the submitting broker's agency, chosen from a
    list (``brokers``: the agency's brokers for a principal, the broker themself otherwise); NPN, name
    and e-mail come from the chosen broker's profile."""

    class Meta:
        fields = AGENT_FIELDS

    def __init__(self, data=None, *, instance: EmployerGroup, brokers=(), **kwargs):
        super().__init__(data, **kwargs)
        self.instance = instance
        self.brokers = {str(b.pk): b for b in brokers}
        current = next((pk for pk, b in self.brokers.items() if b.npn == instance.agent_npn), "")
        self.fields["writing_agent"] = forms.ChoiceField(
            label=_("Writing agent"),
            choices=[("", _("Choose the writing agent"))]
            + [(pk, agent_label(b)) for pk, b in self.brokers.items()],
            required=False,
            initial=current,
            error_messages={"invalid_choice": _("Choose the writing agent from your agency's brokers.")},
            help_text=_("A broker of your agency; the NPN and e-mail come from the broker's profile."),
        )

    def saved_fields(self) -> dict:
        broker = self.brokers.get(str(self.cleaned_data.get("writing_agent") or ""))
        if broker is None:
            return {}
        return {
            "agent_npn": broker.npn,
            "agent_first_name": broker.user.first_name,
            "agent_last_name": broker.user.last_name,
            "agent_email": broker.user.email,
        }


class CoverageForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = [
            "requested_effective_date",
            "total_employees",
            "eligible_employees",
            "minimum_hours_per_week",
            "waiting_period",
            "pay_frequency",
        ]
        widgets = {"requested_effective_date": DATE}
        labels = {
            "requested_effective_date": _("Requested effective date"),
            "total_employees": _("Total employees"),
            "eligible_employees": _("Eligible employees"),
            "minimum_hours_per_week": _("Minimum hours per week"),
            "waiting_period": _("Waiting period"),
            "pay_frequency": _("Pay frequency"),
        }
        help_texts = {
            "requested_effective_date": _("The first of a month, from next month to 90 days from today."),
            "eligible_employees": _(
                "Those who work at least the minimum hours; the carrier's participation minimum is counted "
                "against this number."
            ),
            "minimum_hours_per_week": _("20 to 40 hours; 30 is usual."),
            "pay_frequency": _(
                "How often employees are paid: their cost is shown per pay period and on the payroll "
                "deduction report."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "waiting_period").choices = [("", "---------"), *code_choices("waiting_period")]


class AttestationForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = ["attestation_signed_by", "attestation_title", "attestation_signed_at"]
        labels = {
            "attestation_signed_by": _("Signed by"),
            "attestation_title": _("Title"),
            "attestation_signed_at": _("Signed on"),
        }
        widgets = {
            "attestation_signed_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        }
        help_texts = {
            "attestation_signed_by": _("Needed when 5 or fewer employees enroll in medical (GRP-014)."),
            "attestation_signed_at": _("The date and time the employer signed, e.g. 2026-11-23 10:00."),
        }


class PlansForm(forms.Form):
    """Plans offered per line: only plans sold in the group's rating area on the effective date."""

    def __init__(self, *args, offers: dict[str, list], group: EmployerGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = []
        for line, plans in offers.items():
            current = list(group.offering(line).get("planIds") or [])
            choices = [(p.plan_id, _plan_label(p)) for p in plans]
            known = {c[0] for c in choices}
            choices += [
                (pid, _("%(plan)s (not sold here on this date)") % {"plan": pid})
                for pid in current
                if pid not in known
            ]
            name = f"{line.lower()}_plans"
            self.fields[name] = forms.MultipleChoiceField(
                label=_("%(line)s plans") % {"line": code_label(line, "line")},
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=current,
            )
            self.lines.append(line)
        if "MEDICAL" in offers:
            self.fields["medical_rating_option"] = forms.ChoiceField(
                label=_("Medical rating option"),
                choices=code_choices("rating", ["AGE", "COMPOSITE"]),
                required=False,
                initial=group.offering("MEDICAL").get("ratingOption") or "AGE",
                help_text=_(
                    "Age rated: each member at their age rate. Composite: per tier, only for plans that "
                    "allow it."
                ),
            )


def _plan_label(plan) -> str:
    parts = [getattr(plan, "marketing_name", "") or plan.plan_id]
    metal = code_label(getattr(plan, "metal_level", ""), "metal")
    if metal and metal != "—":
        parts.append(metal)
    if getattr(plan, "plan_type", "") and plan.plan_type != "VIS":
        parts.append(str(plan.plan_type))
    deductible = getattr(plan, "deductible_individual", None)
    if deductible not in (None, ""):
        parts.append(_("deductible %(amount)s") % {"amount": money(deductible)})
    return " · ".join(str(p) for p in parts) + f" ({plan.plan_id})"


class ContributionsForm(forms.Form):
    def __init__(self, *args, group: EmployerGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = []
        for line in group.lines:
            c = group.offering(line).get("contribution") or {}
            key = line.lower()
            words = {"line": code_label(line, "line")}
            self.fields[f"{key}_basis"] = forms.ChoiceField(
                label=_("%(line)s: basis") % words,
                choices=code_choices("basis"),
                required=False,
                initial=c.get("basis", "PERCENT"),
            )
            self.fields[f"{key}_employee"] = forms.CharField(
                label=_("%(line)s: toward each employee") % words,
                required=False,
                initial=c.get("employee", ""),
                help_text=_("Percent 0.00 to 100.00, or dollars a month."),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
            self.fields[f"{key}_dependents"] = forms.CharField(
                label=_("%(line)s: toward dependents") % words,
                required=False,
                initial=c.get("dependents", ""),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
            self.lines.append(line)

    def contributions(self) -> dict[str, dict]:
        out = {}
        for line in self.lines:
            key = line.lower()
            out[line] = {
                "basis": self.cleaned_data.get(f"{key}_basis") or "PERCENT",
                "employee": _money_text(self.cleaned_data.get(f"{key}_employee", "")),
                "dependents": _money_text(self.cleaned_data.get(f"{key}_dependents", "")),
            }
        return out


def _money_text(value: str) -> str:
    value = (value or "").strip().lstrip("$").rstrip("%").strip()
    try:
        return f"{Decimal(value):.2f}" if value else "0.00"
    except Exception:  # noqa: BLE001 - keep what was typed; GRP-011 reports it
        return value


class CensusRowForm(forms.ModelForm):
    class Meta:
        model = CensusMember
        fields = [
            "member_ref",
            "subscriber_ref",
            "relationship",
            "date_of_birth",
            "gender",
            "zip5",
            "tobacco_use",
            "is_owner",
            "is_owner_spouse",
            "coverage_tier",
        ]
        widgets = {"date_of_birth": DATE}
        labels = {
            "member_ref": _("Member ID"),
            "subscriber_ref": _("Employee's member ID"),
            "relationship": _("Relationship"),
            "date_of_birth": _("Date of birth"),
            "gender": _("Gender"),
            "zip5": _("ZIP code"),
            "tobacco_use": _("Uses tobacco"),
            "is_owner": _("Owner"),
            "is_owner_spouse": _("Owner's spouse"),
            "coverage_tier": _("Tier"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriber_ref"].required = False
        # A stored date of birth is never shown again (personal data); blank keeps the one on file.
        self.fields["date_of_birth"].required = False
        self.fields["date_of_birth"].help_text = _("Leave blank to keep the date on file.")
        for name in ("gender", "zip5", "coverage_tier"):
            self.fields[name].required = False
        choice_field(self, "relationship").choices = code_choices("relationship")
        choice_field(self, "gender").choices = [("", "---------"), *code_choices("gender")]
        choice_field(self, "coverage_tier").choices = [("", "---------"), *code_choices("tier")]
        self.fields["gender"].help_text = _("Needed for each employee (the carrier rates by it).")

    def clean_member_ref(self):
        ref = (self.cleaned_data.get("member_ref") or "").strip().upper()
        if not re.fullmatch(r"[A-Z0-9-]{1,30}", ref):
            raise forms.ValidationError(_("Use 1 to 30 letters, digits or hyphens, e.g. E-001."))
        return ref

    def clean_subscriber_ref(self):
        return (self.cleaned_data.get("subscriber_ref") or "").strip().upper()

    def row(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


CensusFormSet = forms.formset_factory(CensusRowForm, extra=2, can_delete=True, max_num=500)


class CensusUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Census file (CSV or XLSX)"),
        help_text=_(
            "Columns: memberRef, subscriberRef, relationship, dateOfBirth, tobaccoUse, coverageTier "
            "(and optionally gender, zip5, isOwner, isOwnerSpouse)."
        ),
    )


def group_field_labels() -> dict[str, Any]:
    """The group's fields a person types, by the labels the steps show them with (the history's words)."""
    labels: dict[str, Any] = {"offerings": _("Plans and contributions"), "agent_npn": _("Writing agent")}
    for form in (EmployerForm, AddressForm, ContactForm, CoverageForm, AttestationForm):
        labels.update(form.Meta.labels)
    return labels
