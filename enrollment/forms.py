"""The employer forms, one per step. Every field is optional here: a step saves whatever was typed
and the carrier's rules (``services.group_check``) say what is still wrong, beside each field."""

from __future__ import annotations

import re

from django import forms

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
        data = super().clean()
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
        labels = {"legal_name": "Legal name", "fein": "FEIN (federal employer ID)", "phone": "Employer phone"}
        help_texts = {
            "fein": "9 digits, e.g. 12-3456789.",
            "sic_code": "4-digit Standard Industrial Classification.",
        }


class AddressForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = ["address_line1", "address_line2", "city", "state", "zip5", "zip4", "county_fips"]
        labels = {"state": "State (2 letters)", "county_fips": "County"}
        help_texts = {
            "zip5": "The county list comes from the carrier's rate file for this ZIP code.",
            "county_fips": "The county decides the group's rating area.",
        }

    def __init__(self, *args, counties: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose the county (enter the ZIP code and save first)")]
        current = self.initial.get("county_fips") or ""
        for county in counties or []:
            label = county.county_fips
            name = getattr(county, "county_name", "") or getattr(county, "name", "")
            if name:
                label = f"{name} ({county.county_fips})"
            choices.append((county.county_fips, f"{label} · rating area {county.rating_area_id}"))
        if current and current not in {c[0] for c in choices}:
            choices.append((current, f"{current} (not a county of this ZIP code)"))
        self.fields["county_fips"] = forms.ChoiceField(
            label="County", choices=choices, required=False, help_text=self.Meta.help_texts["county_fips"]
        )

    def clean_state(self):
        return (self.cleaned_data.get("state") or "").upper()


class ContactForm(StepForm):
    digit_fields = ("contact_phone",)

    class Meta:
        model = EmployerGroup
        fields = ["contact_first_name", "contact_last_name", "contact_email", "contact_phone"]
        labels = {
            "contact_first_name": "First name",
            "contact_last_name": "Last name",
            "contact_email": "E-mail",
            "contact_phone": "Phone",
        }
        widgets = {
            "contact_email": forms.EmailInput(),
            "contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }


class AgentForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = ["agent_npn", "agent_first_name", "agent_last_name", "agent_email"]
        labels = {
            "agent_npn": "NPN (National Producer Number)",
            "agent_first_name": "First name",
            "agent_last_name": "Last name",
            "agent_email": "E-mail",
        }
        widgets = {"agent_email": forms.EmailInput()}


class CoverageForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = [
            "requested_effective_date",
            "total_employees",
            "eligible_employees",
            "minimum_hours_per_week",
            "waiting_period",
        ]
        widgets = {"requested_effective_date": DATE}
        labels = {"requested_effective_date": "Requested effective date"}
        help_texts = {
            "requested_effective_date": "The first of a month, from next month to 90 days from today.",
            "minimum_hours_per_week": "20 to 40 hours; 30 is usual.",
        }


class AttestationForm(StepForm):
    class Meta:
        model = EmployerGroup
        fields = ["attestation_signed_by", "attestation_title", "attestation_signed_at"]
        labels = {
            "attestation_signed_by": "Signed by",
            "attestation_title": "Title",
            "attestation_signed_at": "Signed on",
        }
        widgets = {"attestation_signed_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}
        help_texts = {
            "attestation_signed_by": "Needed when 5 or fewer employees enroll in medical (GRP-014).",
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
            choices += [(pid, f"{pid} (not sold here on this date)") for pid in current if pid not in known]
            name = f"{line.lower()}_plans"
            self.fields[name] = forms.MultipleChoiceField(
                label=f"{line.title()} plans",
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=current,
            )
            self.lines.append(line)
        if "MEDICAL" in offers:
            self.fields["medical_rating_option"] = forms.ChoiceField(
                label="Medical rating option",
                choices=[
                    ("AGE", "Age rated (each member at their age rate)"),
                    ("COMPOSITE", "Composite (per tier)"),
                ],
                required=False,
                initial=group.offering("MEDICAL").get("ratingOption") or "AGE",
                help_text="Composite only for plans that allow it.",
            )


def _plan_label(plan) -> str:
    parts = [getattr(plan, "marketing_name", "") or plan.plan_id]
    for attr in ("metal_level", "plan_type"):
        value = getattr(plan, attr, "")
        if value:
            parts.append(str(value))
    deductible = getattr(plan, "deductible_individual", None)
    if deductible not in (None, ""):
        parts.append(f"deductible ${deductible}")
    return " · ".join(parts) + f" ({plan.plan_id})"


BASIS = [("PERCENT", "Percent of premium"), ("FLAT", "Dollars a month")]


class ContributionsForm(forms.Form):
    def __init__(self, *args, group: EmployerGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = []
        for line in group.lines:
            c = group.offering(line).get("contribution") or {}
            key = line.lower()
            self.fields[f"{key}_basis"] = forms.ChoiceField(
                label=f"{line.title()}: basis",
                choices=BASIS,
                required=False,
                initial=c.get("basis", "PERCENT"),
            )
            self.fields[f"{key}_employee"] = forms.CharField(
                label=f"{line.title()}: toward each employee",
                required=False,
                initial=c.get("employee", ""),
                help_text="Percent 0.00 to 100.00, or dollars a month.",
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
            self.fields[f"{key}_dependents"] = forms.CharField(
                label=f"{line.title()}: toward dependents",
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
        from decimal import Decimal

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
            "member_ref": "Member ID",
            "subscriber_ref": "Employee's member ID",
            "coverage_tier": "Tier",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriber_ref"].required = False
        # A stored date of birth is never shown again (personal data); blank keeps the one on file.
        self.fields["date_of_birth"].required = False
        self.fields["date_of_birth"].help_text = "Leave blank to keep the date on file."
        for name in ("gender", "zip5", "coverage_tier"):
            self.fields[name].required = False

    def clean_member_ref(self):
        ref = (self.cleaned_data.get("member_ref") or "").strip().upper()
        if not re.fullmatch(r"[A-Z0-9-]{1,30}", ref):
            raise forms.ValidationError("Use 1 to 30 letters, digits or hyphens, e.g. E-001.")
        return ref

    def clean_subscriber_ref(self):
        return (self.cleaned_data.get("subscriber_ref") or "").strip().upper()

    def row(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


CensusFormSet = forms.formset_factory(CensusRowForm, extra=2, can_delete=True, max_num=500)


class CensusUploadForm(forms.Form):
    file = forms.FileField(
        label="Census file (CSV or XLSX)",
        help_text="Columns: memberRef, subscriberRef, relationship, dateOfBirth, tobaccoUse, coverageTier "
        "(and optionally gender, zip5, isOwner, isOwnerSpouse).",
    )
