"""Forms of the quote screen. Every field carries the carrier rule that governs it and a plain fix,
which the templates show beside each error."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.utils.translation import gettext_lazy as _

from groupsales.codes import ContributionBasis, Relationship, WaiverReason
from groupsales.rating import Contribution

from . import selectors
from .quoting import LINE_LABELS, LINES, TIERS, WAIVE, CensusRow, contributions_to_json

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BASIS_CHOICES = [("PERCENT", _("Percent")), ("FLAT", _("Flat dollars"))]
_PART_LABELS = {
    "employee": _("%(line)s: employer pays for the employee"),
    "dependents": _("%(line)s: employer pays for the dependents"),
}


_F = TypeVar("_F", bound=forms.Field)


def _ruled(field: _F, rule: str, fix: StrOrPromise) -> _F:
    # The templates read these two attributes beside each error; Django's Field does not declare them.
    field.rule_id = rule  # type: ignore[attr-defined]
    field.fix = fix  # type: ignore[attr-defined]
    return field


def contribution_fields(prefix: str = "") -> dict[str, forms.Field]:
    """The basis, employee and dependents fields of every line (``{prefix}{line}_basis`` …)."""
    fields: dict[str, forms.Field] = {}
    for line in LINES:
        name = f"{prefix}{line.lower()}"
        fields[f"{name}_basis"] = _ruled(
            forms.ChoiceField(
                label=_("%(line)s contribution basis") % {"line": LINE_LABELS[line]},
                choices=BASIS_CHOICES,
                initial="PERCENT",
            ),
            "GRP-011",
            _("Choose percent or flat dollars."),
        )
        for part, default in (("employee", "50.00"), ("dependents", "0.00")):
            fields[f"{name}_{part}"] = _ruled(
                forms.DecimalField(
                    label=_PART_LABELS[part] % {"line": LINE_LABELS[line]},
                    min_value=Decimal(0),
                    max_digits=9,
                    decimal_places=2,
                    initial=default,
                ),
                "GRP-011",
                _("Enter 0.00 to 100.00 for a percent, or 0.00 or more dollars."),
            )
    return fields


def check_percents(form: forms.Form, data: dict, prefix: str = "") -> None:
    """GRP-011: a percent is at most 100 (the fields refuse negatives)."""
    for line in LINES:
        name = f"{prefix}{line.lower()}"
        if data.get(f"{name}_basis") == "PERCENT":
            for part in ("employee", "dependents"):
                value = data.get(f"{name}_{part}")
                if value is not None and value > 100:
                    form.add_error(f"{name}_{part}", _("A percent cannot be over 100."))


def contributions_from(data: dict, prefix: str = "") -> dict[str, Contribution]:
    return {
        line: Contribution(
            ContributionBasis(data[f"{prefix}{line.lower()}_basis"]),
            data[f"{prefix}{line.lower()}_employee"],
            data[f"{prefix}{line.lower()}_dependents"],
        )
        for line in LINES
    }


class QuoteForm(forms.Form):
    employer_name = _ruled(
        forms.CharField(label=_("Employer name"), max_length=60),
        "GRP-001",
        _("Enter the employer's legal name."),
    )
    zip5 = _ruled(
        forms.RegexField(label=_("ZIP code"), regex=r"^\d{5}$", max_length=5),
        "GRP-004",
        _("Enter the 5-digit ZIP of the employer's principal business address."),
    )
    county_fips = _ruled(
        forms.CharField(label=_("County (FIPS)"), max_length=5, required=False),
        "GRP-004",
        _("Choose one of the ZIP's counties; leave it empty when the ZIP has only one."),
    )
    effective_date = _ruled(
        forms.DateField(label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"})),
        "GRP-007",
        _("Choose the first day of a month."),
    )
    composite = forms.BooleanField(label=_("Composite rates (where the plan allows)"), required=False)
    census_file = _ruled(
        forms.FileField(label=_("Census file (CSV or XLSX)"), required=False),
        "MBR-001",
        _("Upload the template filled in, or enter the people below."),
    )
    copy_of = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(contribution_fields())

    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        if day.day != 1:
            raise forms.ValidationError(_("The effective date must be the first of a month."))
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check_percents(self, data)
        zip5, county = data.get("zip5"), data.get("county_fips")
        day = data.get("effective_date")
        if zip5 and day:
            counties = [c.county_fips for c in selectors.counties_for_zip(zip5=zip5, on=day)]
            if not counties:
                self.add_error(
                    "zip5",
                    _("ZIP %(zip)s is not in the carrier's rate file for %(day)s.")
                    % {"zip": zip5, "day": f"{day:%Y-%m-%d}"},
                )
            elif not county and len(counties) == 1:
                data["county_fips"] = counties[0]
            elif county not in counties:
                self.add_error(
                    "county_fips",
                    _("ZIP %(zip)s lies in counties %(counties)s: choose one.")
                    % {"zip": zip5, "counties": ", ".join(counties)},
                )
        return data

    def contributions(self) -> dict[str, Contribution]:
        return contributions_from(self.cleaned_data)

    def contributions_json(self) -> dict[str, dict[str, str]]:
        return contributions_to_json(self.contributions())


RELATIONSHIP_LABELS = {
    "SUBSCRIBER": _("Employee"),
    "SPOUSE": _("Spouse"),
    "DOMESTIC_PARTNER": _("Domestic partner"),
    "CHILD": _("Child"),
    "STEPCHILD": _("Stepchild"),
    "FOSTER_CHILD": _("Foster child"),
    "WARD": _("Ward"),
}
RELATIONSHIPS = [(r.value, RELATIONSHIP_LABELS[r.value]) for r in Relationship]
TIER_MEANINGS = {
    "EMP": _("employee only"),
    "ESP": _("employee and spouse or partner"),
    "ECH": _("employee and children"),
    "FAM": _("employee, spouse or partner, and children"),
    WAIVE: _("waives this line"),
}
TIER_CHOICES = [("", "—")] + [(t, t) for t in (*TIERS, WAIVE)]
WAIVER_CHOICES = [("", "—")] + [(r.value, r.value) for r in WaiverReason]
_LINE_TIER_LABELS = {
    "MEDICAL": _("Medical tier, if not the coverage tier"),
    "DENTAL": _("Dental tier, if not the coverage tier"),
    "VISION": _("Vision tier, if not the coverage tier"),
}


def _line_tier_field(line: str) -> forms.Field:
    return _ruled(
        forms.ChoiceField(label=_LINE_TIER_LABELS[line], choices=TIER_CHOICES, required=False),
        "MBR-010",
        _("Only where this line's tier differs from the coverage tier; dependents: leave empty."),
    )


class CensusRowForm(forms.Form):
    member_ref = _ruled(
        forms.RegexField(label=_("Member ref"), regex=r"^[A-Z0-9-]{1,30}$", max_length=30),
        "MBR-001",
        _("Use capitals, digits and dashes, e.g. E-001."),
    )
    subscriber_ref = _ruled(
        forms.RegexField(label=_("Employee ref"), regex=r"^[A-Z0-9-]{1,30}$", max_length=30),
        "MBR-020",
        _("The employee's member ref (their own for an employee)."),
    )
    relationship = _ruled(
        forms.ChoiceField(label=_("Relationship"), choices=RELATIONSHIPS),
        "MBR-010",
        _("Choose the relationship."),
    )
    date_of_birth = _ruled(
        forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})),
        "MBR-003",
        _("Enter the date of birth (YYYY-MM-DD)."),
    )
    tobacco_use = _ruled(
        forms.NullBooleanField(label=_("Tobacco use"), required=False), "MBR-013", _("Choose yes or no.")
    )
    coverage_tier = _ruled(
        forms.ChoiceField(label=_("Coverage tier"), choices=TIER_CHOICES, required=False),
        "MBR-010",
        _("Employees: EMP, ESP, ECH, FAM or WAIVE; dependents: leave empty."),
    )
    medical_tier = _line_tier_field("MEDICAL")
    dental_tier = _line_tier_field("DENTAL")
    vision_tier = _line_tier_field("VISION")
    waiver_reason = _ruled(
        forms.ChoiceField(label=_("Waiver reason"), choices=WAIVER_CHOICES, required=False),
        "MBR-012",
        _("Why the employee waives the lines they waive; the valid reasons count for participation."),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        relationship, tier = data.get("relationship"), data.get("coverage_tier")
        line_tiers = {line: data.get(f"{line.lower()}_tier") for line in LINES}
        if relationship == "SUBSCRIBER" and not tier and not all(line_tiers.values()):
            self.add_error("coverage_tier", _("An employee needs a coverage tier (or WAIVE)."))
        if relationship and relationship != "SUBSCRIBER":
            for name in ("coverage_tier", *(f"{line.lower()}_tier" for line in LINES)):
                if data.get(name):
                    self.add_error(name, _("Only an employee's row has a coverage tier."))
            if data.get("waiver_reason"):
                self.add_error("waiver_reason", _("Only an employee's row has a waiver reason."))
        elif data.get("waiver_reason") and WAIVE not in [line_tiers[ln] or tier for ln in LINES]:
            self.add_error("waiver_reason", _("Only an employee who waives a line has a waiver reason."))
        return data

    def row(self) -> CensusRow:
        d = self.cleaned_data
        return CensusRow(
            d["member_ref"], d["subscriber_ref"], d["relationship"], d["date_of_birth"], d["tobacco_use"],
            d.get("coverage_tier") or "", medical_tier=d.get("medical_tier") or "",
            dental_tier=d.get("dental_tier") or "", vision_tier=d.get("vision_tier") or "",
            waiver_reason=d.get("waiver_reason") or "",
        )  # fmt: skip


CensusFormSet = forms.formset_factory(CensusRowForm, extra=4, max_num=500, validate_max=True)


class ScenarioForm(forms.Form):
    """One contribution scenario of a quote (prefix ``s1``…``s3``); scenarios 2 and 3 only when shown."""

    include = forms.BooleanField(label=_("Compare this scenario"), required=False)
    name = forms.CharField(label=_("Scenario name"), max_length=60, required=False)
    # As _ruled: the fix the template shows (no rule ID on this field).
    name.fix = _("A short name, at most 60 characters, e.g. Half for the employee.")  # type: ignore[attr-defined]

    def __init__(self, *args, position: int, offers: list, max_plans: dict[str, int], **kwargs) -> None:
        kwargs.setdefault("prefix", f"s{position}")
        super().__init__(*args, **kwargs)
        self.position = position
        self.max_plans = max_plans
        self.fields.update(contribution_fields())
        for line in LINES:
            choices = [(o.plan_id, f"{o.marketing_name} ({o.plan_id})") for o in offers if o.line == line]
            if not choices:
                continue
            self.fields[f"{line.lower()}_plans"] = _ruled(
                forms.MultipleChoiceField(
                    label=_("%(line)s plans offered") % {"line": LINE_LABELS[line]},
                    choices=choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                ),
                "GRP-010",
                _("Choose the plans the group would offer on this line (none: the line is not offered)."),
            )
        if position == 1:
            del self.fields["include"]
        self.skipped = self.is_bound and position > 1 and not self.data.get(self.add_prefix("include"))
        if self.skipped:
            for bound_field in self.fields.values():
                bound_field.required = False

    def is_valid(self) -> bool:
        return self.skipped or super().is_valid()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.skipped:
            return data
        check_percents(self, data)
        chosen = 0
        for line in LINES:
            name = f"{line.lower()}_plans"
            if name not in self.fields:
                continue
            plans = data.get(name) or []
            chosen += len(plans)
            most = self.max_plans.get(line, 0)
            if len(plans) > most:
                self.add_error(
                    name,
                    _("A group may offer at most %(most)d %(line)s plans.")
                    % {"most": most, "line": LINE_LABELS[line]},
                )
        if not chosen:
            first = next((f for f in self.fields if f.endswith("_plans")), None)
            self.add_error(first, _("Choose at least one plan to offer."))
        return data

    def scenario_parts(self) -> tuple[str, dict[str, Contribution], dict[str, list[str]]]:
        data = self.cleaned_data
        plans = {line: list(data.get(f"{line.lower()}_plans") or []) for line in LINES}
        return data.get("name") or "", contributions_from(data), plans
