"""Forms of the quote screen. Every field carries the carrier rule that governs it and a plain fix,
which the templates show beside each error."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from groupsales.codes import ContributionBasis, Relationship
from groupsales.rating import Contribution

from . import selectors
from .quoting import TIERS, WAIVE, CensusRow

LINES = ("MEDICAL", "DENTAL", "VISION")


def _ruled(field: forms.Field, rule: str, fix: str) -> forms.Field:
    field.rule_id = rule  # type: ignore[attr-defined]
    field.fix = fix  # type: ignore[attr-defined]
    return field


class QuoteForm(forms.Form):
    employer_name = _ruled(
        forms.CharField(label="Employer name", max_length=60), "GRP-001", "Enter the employer's legal name."
    )
    zip5 = _ruled(
        forms.RegexField(label="ZIP code", regex=r"^\d{5}$", max_length=5),
        "GRP-004",
        "Enter the 5-digit ZIP of the employer's principal business address.",
    )
    county_fips = _ruled(
        forms.CharField(label="County (FIPS)", max_length=5, required=False),
        "GRP-004",
        "Choose one of the ZIP's counties; leave it empty when the ZIP has only one.",
    )
    effective_date = _ruled(
        forms.DateField(label="Effective date", widget=forms.DateInput(attrs={"type": "date"})),
        "GRP-007",
        "Choose the first day of a month.",
    )
    composite = forms.BooleanField(label="Composite rates (where the plan allows)", required=False)
    census_file = _ruled(
        forms.FileField(label="Census file (CSV or XLSX)", required=False),
        "MBR-001",
        "Upload the template filled in, or enter the people below.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for line in LINES:
            name = line.lower()
            self.fields[f"{name}_basis"] = _ruled(
                forms.ChoiceField(
                    label=f"{line.title()} contribution basis",
                    choices=[("PERCENT", "Percent"), ("FLAT", "Flat dollars")],
                    initial="PERCENT",
                ),
                "GRP-011",
                "Choose percent or flat dollars.",
            )
            for part, default in (("employee", "50.00"), ("dependents", "0.00")):
                self.fields[f"{name}_{part}"] = _ruled(
                    forms.DecimalField(
                        label=f"{line.title()}: employer pays for the {part}",
                        min_value=Decimal(0),
                        max_digits=9,
                        decimal_places=2,
                        initial=default,
                    ),
                    "GRP-011",
                    "Enter 0.00 to 100.00 for a percent, or 0.00 or more dollars.",
                )

    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        if day.day != 1:
            raise forms.ValidationError("The effective date must be the first of a month.")
        return day

    def clean(self):
        data = super().clean()
        for line in LINES:
            name = line.lower()
            if data.get(f"{name}_basis") == "PERCENT":
                for part in ("employee", "dependents"):
                    value = data.get(f"{name}_{part}")
                    if value is not None and value > 100:
                        self.add_error(f"{name}_{part}", "A percent cannot be over 100.")
        zip5, county = data.get("zip5"), data.get("county_fips")
        day = data.get("effective_date")
        if zip5 and day:
            counties = [c.county_fips for c in selectors.counties_for_zip(zip5=zip5, on=day)]
            if not counties:
                self.add_error("zip5", f"ZIP {zip5} is not in the carrier's rate file for {day:%Y-%m-%d}.")
            elif not county and len(counties) == 1:
                data["county_fips"] = counties[0]
            elif county not in counties:
                self.add_error(
                    "county_fips", f"ZIP {zip5} lies in counties {', '.join(counties)}: choose one."
                )
        return data

    def contributions(self) -> dict[str, Contribution]:
        data = self.cleaned_data
        return {
            line: Contribution(
                ContributionBasis(data[f"{line.lower()}_basis"]),
                data[f"{line.lower()}_employee"],
                data[f"{line.lower()}_dependents"],
            )
            for line in LINES
        }

    def contributions_json(self) -> dict[str, dict[str, str]]:
        return {
            line: {
                "basis": str(c.basis),
                "employee": f"{c.employee:.2f}",
                "dependents": f"{c.dependents:.2f}",
            }
            for line, c in self.contributions().items()
        }


RELATIONSHIPS = [(r.value, r.value.replace("_", " ").title()) for r in Relationship]


class CensusRowForm(forms.Form):
    member_ref = _ruled(
        forms.RegexField(label="Member ref", regex=r"^[A-Z0-9-]{1,30}$", max_length=30),
        "MBR-001",
        "Use capitals, digits and dashes, e.g. E-001.",
    )
    subscriber_ref = _ruled(
        forms.RegexField(label="Employee ref", regex=r"^[A-Z0-9-]{1,30}$", max_length=30),
        "MBR-020",
        "The employee's member ref (their own for an employee).",
    )
    relationship = _ruled(
        forms.ChoiceField(label="Relationship", choices=RELATIONSHIPS), "MBR-010", "Choose the relationship."
    )
    date_of_birth = _ruled(
        forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})),
        "MBR-003",
        "Enter the date of birth (YYYY-MM-DD).",
    )
    tobacco_use = _ruled(
        forms.NullBooleanField(label="Tobacco use", required=False), "MBR-013", "Choose yes or no."
    )
    coverage_tier = _ruled(
        forms.ChoiceField(
            label="Coverage tier",
            choices=[("", "—")] + [(t, t) for t in (*TIERS, WAIVE)],
            required=False,
        ),
        "MBR-010",
        "Employees: EMP, ESP, ECH, FAM or WAIVE; dependents: leave empty.",
    )

    def clean(self):
        data = super().clean()
        relationship, tier = data.get("relationship"), data.get("coverage_tier")
        if relationship == "SUBSCRIBER" and not tier:
            self.add_error("coverage_tier", "An employee needs a coverage tier (or WAIVE).")
        if relationship and relationship != "SUBSCRIBER" and tier:
            self.add_error("coverage_tier", "Only an employee's row has a coverage tier.")
        return data

    def row(self) -> CensusRow:
        d = self.cleaned_data
        return CensusRow(
            d["member_ref"], d["subscriber_ref"], d["relationship"], d["date_of_birth"], d["tobacco_use"],
            d.get("coverage_tier") or "",
        )  # fmt: skip


CensusFormSet = forms.formset_factory(CensusRowForm, extra=4, max_num=500, validate_max=True)
