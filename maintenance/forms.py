"""The broker's change forms, as people describe them: a new hire, a move, a marriage, a birth, a divorce,
the end of someone's employment. Each builds api.md's validation body with its ``event``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from groupsales.codes import Gender
from portal.forms import choice_field


class DateInput(forms.DateInput):
    input_type = "date"


class NewHireForm(forms.Form):
    member_ref = forms.RegexField(label=_("Employee ID"), regex=r"^[A-Z0-9-]{1,30}$", max_length=30)
    first_name = forms.CharField(label=_("First name"), max_length=35)
    last_name = forms.CharField(label=_("Last name"), max_length=60)
    ssn = forms.RegexField(label=_("SSN"), regex=r"^\d{9}$", widget=forms.PasswordInput(render_value=True))
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput)
    gender = forms.ChoiceField(label=_("Gender"), choices=[(g.value, g.value.title()) for g in Gender])
    hire_date = forms.DateField(label=_("Hire date"), widget=DateInput)
    hours_per_week = forms.IntegerField(label=_("Hours per week"), min_value=1, max_value=80)
    address_line1 = forms.CharField(label=_("Street address"), max_length=55)
    city = forms.CharField(label=_("City"), max_length=30)
    state = forms.CharField(label=_("State"), max_length=2)
    zip5 = forms.RegexField(label=_("ZIP code"), regex=r"^\d{5}$")
    county_fips = forms.RegexField(label=_("County (FIPS)"), regex=r"^\d{5}$")
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args, offerings: list[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for offering in offerings:
            line = offering["line"]
            choices = [(p, p) for p in offering.get("planIds") or []] + [("WAIVE", _("Waive this coverage"))]
            self.fields[f"plan_{line}"] = forms.ChoiceField(label=line.title(), choices=choices)

    def body(self) -> dict:
        d = self.cleaned_data
        coverage = []
        for name, value in d.items():
            if not name.startswith("plan_"):
                continue
            line = name.removeprefix("plan_")
            if value == "WAIVE":
                coverage.append({"line": line, "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"})
            else:
                coverage.append({"line": line, "planId": value, "coverageTier": "EMP"})
        return {
            "memberRef": d["member_ref"], "subscriberRef": d["member_ref"], "relationship": "SUBSCRIBER",
            "firstName": d["first_name"], "middleName": None, "lastName": d["last_name"], "suffix": None,
            "ssn": d["ssn"], "dateOfBirth": d["date_of_birth"].isoformat(), "gender": d["gender"],
            "maritalStatus": "SINGLE", "tobaccoUse": False, "disabled": False, "isOwner": False,
            "isOwnerSpouse": False,
            "address": address(d),
            "phone": d["phone"] or None, "email": None,
            "employment": {"hireDate": d["hire_date"].isoformat(), "hoursPerWeek": d["hours_per_week"],
                           "status": "FULL_TIME"},
            "coverage": coverage,
            "event": {"type": "NEW_HIRE", "action": "ADD", "date": d["hire_date"].isoformat()},
        }  # fmt: skip


def address(d: dict) -> dict:
    return {"line1": d["address_line1"], "line2": None, "city": d["city"], "state": d["state"].upper(),
            "zip5": d["zip5"], "zip4": None, "countyFips": d["county_fips"]}  # fmt: skip


class TerminationForm(forms.Form):
    REASONS = [
        ("END_OF_EMPLOYMENT", _("Left the job")),
        ("LOSS_OF_ELIGIBILITY", _("Works fewer hours than the minimum")),
        ("DEATH", _("Died")),
    ]
    member = forms.ChoiceField(label=_("Employee"))
    reason = forms.ChoiceField(label=_("Why coverage ends"), choices=REASONS)
    event_date = forms.DateField(label=_("Last day"), widget=DateInput)

    def __init__(self, *args, subscribers: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "member").choices = subscribers


class MoveForm(forms.Form):
    member = forms.ChoiceField(label=_("Employee"))
    event_date = forms.DateField(label=_("Moved on"), widget=DateInput)
    address_line1 = forms.CharField(label=_("Street address"), max_length=55)
    city = forms.CharField(label=_("City"), max_length=30)
    state = forms.CharField(label=_("State"), max_length=2)
    zip5 = forms.RegexField(label=_("ZIP code"), regex=r"^\d{5}$")
    county_fips = forms.RegexField(label=_("County (FIPS)"), regex=r"^\d{5}$")

    def __init__(self, *args, subscribers: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "member").choices = subscribers
