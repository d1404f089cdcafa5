"""The broker's change forms, as people describe them: a new hire, a move, a marriage, a birth, a divorce,
the end of someone's employment. Each builds api.md's validation body with its ``event``."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from groupsales.codes import Gender
from portal.display import plan_choices
from portal.words import code_choices, line_phrase


def set_choices(form: forms.Form, name: str, choices: list) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


class DateInput(forms.DateInput):
    input_type = "date"


class NewHireForm(forms.Form):
    member_ref = forms.RegexField(label=_("Employee ID"), regex=r"^[A-Z0-9-]{1,30}$", max_length=30)
    first_name = forms.CharField(label=_("First name"), max_length=35)
    last_name = forms.CharField(label=_("Last name"), max_length=60)
    ssn = forms.RegexField(label=_("SSN"), regex=r"^\d{9}$", widget=forms.PasswordInput(render_value=True))
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput)
    gender = forms.ChoiceField(label=_("Gender"), choices=[(g.value, g.value.title()) for g in Gender])
    reason = forms.ChoiceField(
        label=_("Why coverage starts"),
        choices=[
            ("NEW_HIRE", _("Newly hired")),
            ("NEWLY_ELIGIBLE", _("Now works enough hours to be eligible")),
        ],
        initial="NEW_HIRE",
    )
    hire_date = forms.DateField(label=_("Hire date"), widget=DateInput)
    eligible_from = forms.DateField(
        label=_("First day with enough hours"), widget=DateInput, required=False,
        help_text=_("Only for an employee who is now eligible."),
    )  # fmt: skip
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
            self.fields[f"plan_{line}"] = forms.ChoiceField(label=line_phrase(line, "plan"), choices=choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == "NEWLY_ELIGIBLE" and not data.get("eligible_from"):
            self.add_error("eligible_from", _("Give the first day the employee worked enough hours."))
        return data

    def body(self) -> dict:
        d = self.cleaned_data
        event_date = d["eligible_from"] if d.get("reason") == "NEWLY_ELIGIBLE" else d["hire_date"]
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
            "event": {"type": d.get("reason") or "NEW_HIRE", "action": "ADD", "date": event_date.isoformat()},
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
        set_choices(self, "member", subscribers)


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
        set_choices(self, "member", subscribers)


class LifeEventForm(forms.Form):
    """One form for every life event of ``maintenance.life_events.LIFE_EVENTS``: the fields its row asks
    for. ``people``: (member_ref, label) of the members the event may concern; ``families``: the
    employees to choose from (None: the family is fixed, an employee's own link)."""

    family = forms.ChoiceField(label=_("Employee"))
    member = forms.ChoiceField(label=_("Who"))
    member_ref = forms.RegexField(
        label=_("Member ID for the new person"), regex=r"^[A-Z0-9-]{1,30}$", max_length=30,
        help_text=_("For example the employee's ID followed by -C3 for a third child."),
    )  # fmt: skip
    relationship = forms.ChoiceField(label=_("Relationship to the employee"))
    first_name = forms.CharField(label=_("First name"), max_length=35)
    last_name = forms.CharField(label=_("Last name"), max_length=60)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput)
    gender = forms.ChoiceField(label=_("Gender"))
    ssn = forms.RegexField(
        label=_("SSN (if there is one yet)"), regex=r"^\d{9}$", required=False,
        widget=forms.PasswordInput(render_value=True),
    )  # fmt: skip
    address_line1 = forms.CharField(label=_("Street address"), max_length=55, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    state = forms.CharField(label=_("State"), max_length=2, required=False)
    zip5 = forms.RegexField(label=_("ZIP code"), regex=r"^\d{5}$", required=False)
    county_fips = forms.RegexField(label=_("County (FIPS)"), regex=r"^\d{5}$", required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    event_date = forms.DateField(widget=DateInput)

    NEW_PERSON = ("member_ref", "relationship", "first_name", "last_name", "date_of_birth", "gender", "ssn")
    DETAILS = ("first_name", "last_name", "address_line1", "city", "state", "zip5", "county_fips", "phone",
               "email")  # fmt: skip

    def __init__(
        self,
        *args,
        life,
        families: list[tuple[str, str]] | None,
        people: list[tuple[str, str]],
        waived: dict[str, list[str]] | None = None,
        **kwargs,
    ) -> None:
        from .life_events import Person

        super().__init__(*args, **kwargs)
        self.life = life
        keep = {"event_date"}
        if families is not None and life.person in (Person.NEW, Person.SUBSCRIBER):
            keep.add("family")
            set_choices(self, "family", families)
        if life.person is Person.NEW:
            keep.update(self.NEW_PERSON)
            set_choices(self, "relationship", code_choices("relationship", life.relationships()))
            set_choices(self, "gender", code_choices("gender", ["FEMALE", "MALE"]))
            if life.event.value == "BIRTH":
                keep.discard("date_of_birth")  # the date of birth is the event's date (MNT-005)
        elif life.person is not Person.SUBSCRIBER:
            keep.add("member")
            set_choices(self, "member", people)
        if life.details:
            keep.update(self.DETAILS)
            for name in self.DETAILS:
                self.fields[name].required = False
            self.fields["first_name"].label = _("New first name")
            self.fields["last_name"].label = _("New last name")
        for line, plans in (waived or {}).items() if life.waived_lines else ():
            self.fields[f"plan_{line}"] = forms.ChoiceField(
                label=line_phrase(line, "plan"), required=False,
                choices=[("", _("Keep it waived")), *plan_choices(plans)],
            )  # fmt: skip
            keep.add(f"plan_{line}")
        self.fields["event_date"].label = life.date_label
        if life.event.value == "AGE_OUT":
            self.fields["event_date"].required = False
            self.fields["event_date"].help_text = _("Left empty: the child's 26th birthday.")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "date_of_birth" in self.fields or "relationship" not in self.fields:
            return data
        if data.get("event_date"):
            data["date_of_birth"] = data["event_date"]  # a birth: born on the event's date
        return data
