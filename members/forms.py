"""Forms of the broker's family page: the subscriber, its dependents (a formset) and one election per
offered line. They check shapes and what the 834 can carry (the portal's PTL-001 names, PTL-002 phone,
PTL-003 address, ``groupsales.rules.entry``: refused here, as typed, so the carrier never gets a name
emptied or an address cut); the carrier's rules run in ``services.member_local_problems``."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from enrollment.forms import AddressForm
from enrollment.models import EmployerGroup
from groupsales.rules import RULES, entry
from groupsales.rules.entry import EntryProblem, address_problem, name_problem, phone_problem
from groupsales.x12.sanitize import nanp_phone
from portal.display import code_label, line_phrase, plan_choices
from portal.forms import choice_field

from .models import LINES, Election, Member, mask_ssn
from .services import MEMBER_FIELDS, POINTER_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TRISTATE = [("", _("Not stated")), ("true", _("Yes")), ("false", _("No"))]

# What the broker edits of a subscriber: every carrier field of services.MEMBER_FIELDS, in the same order,
# but its relationship (SUBSCRIBER by definition) and covered lines (what it elects).
SUBSCRIBER_FIELDS = [f for f in MEMBER_FIELDS if f not in ("relationship", "covered_lines")]
DEPENDENT_FIELDS = [
    "relationship",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "ssn",
    "date_of_birth",
    "gender",
    "tobacco_use",
    "disabled",
    "covered_lines",
]


# The labels of a member's fields on the family page, in the reader's language (the model's field names
# are no words for people; the employee's pages word a few of them for the employee: self_service_forms).
FIELD_LABELS = {
    "member_ref": _("Member ID"),
    "relationship": _("Relationship"),
    "first_name": _("First name"),
    "middle_name": _("Middle name"),
    "last_name": _("Last name"),
    "suffix": _("Suffix"),
    "date_of_birth": _("Date of birth"),
    "gender": _("Gender"),
    "marital_status": _("Marital status"),
    "disabled": _("Disabled"),
    "is_owner": _("Owner of the business"),
    "is_owner_spouse": _("Married to an owner"),
    "address_line1": _("Address line 1"),
    "address_line2": _("Address line 2"),
    "city": _("City"),
    "state": _("State"),
    "zip5": _("ZIP code"),
    "zip4": _("ZIP+4"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "hire_date": _("Hire date"),
    "hours_per_week": _("Hours per week"),
    "employment_status": _("Employment status"),
}


# The 834 element that carries each field the portal's entry rules check (their api.md keys, as fields).
NAME_ELEMENTS = {POINTER_FIELDS[f"/{key}"]: element for key, element in entry.NAME_ELEMENTS.items()}
ADDRESS_ELEMENTS = {
    POINTER_FIELDS[f"/address/{key}"]: element for key, element in entry.ADDRESS_ELEMENTS.items()
}


def entry_error(problem: EntryProblem) -> forms.ValidationError:
    """A portal rule's refusal as a field error, in the reader's language: the rule ID, what is wrong,
    the rule's fix."""
    message = gettext(problem.template) % problem.params
    return forms.ValidationError(
        f"{problem.code} {message} {gettext(RULES[problem.code].fix)}", code=problem.code
    )


def _tristate(value: Any) -> bool | None:
    return {"true": True, "false": False, True: True, False: False}.get(value)


class _MemberForm(forms.Form):
    field_names: list[str] = []

    def __init__(self, *args: Any, instance: Member | None = None, lines: Sequence[str] = (), **kwargs: Any):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = model_to_dict(instance, fields=[f for f in self.field_names if f != "ssn"])
            initial["tobacco_use"] = "" if instance.tobacco_use is None else str(instance.tobacco_use).lower()
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        model_fields = [f for f in self.field_names if f not in ("ssn", "tobacco_use", "covered_lines")]
        # Names may be left blank (a census has none): the family is saved and MBR-001 says what is missing.
        # django-stubs types ``labels`` as str; Django takes lazy text, translated when shown.
        self.fields.update(fields_for_model(Member, fields=model_fields, labels=FIELD_LABELS))  # type: ignore[arg-type]
        on_file = mask_ssn(instance.ssn) if instance is not None else ""
        self.fields["ssn"] = forms.CharField(
            label=_("SSN"),
            required=False,
            max_length=11,
            help_text=(_("On file: %(ssn)s. Leave blank to keep it.") % {"ssn": on_file}) if on_file else "",
            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        )
        self.fields["tobacco_use"] = forms.TypedChoiceField(
            label=_("Uses tobacco"), choices=TRISTATE, required=False, coerce=_tristate, empty_value=None
        )
        for name in ("date_of_birth", "hire_date"):
            if name in self.fields:
                self.fields[name].widget = copy.deepcopy(DATE)  # its own: attrs are set per form
        # The full date only in this field (the broker may correct it); the hint, like the SSN's, masked.
        born = instance.date_of_birth if instance is not None else None
        if born and "date_of_birth" in self.fields:
            self.fields["date_of_birth"].help_text = _(
                "On file: born in %(year)s. Leave it empty to keep the date on file."
            ) % {"year": born.year}
        if "covered_lines" in self.field_names:
            self.fields["covered_lines"] = forms.MultipleChoiceField(
                label=_("Covered on"),
                choices=[(line, code_label(line, "line")) for line in LINES if line in lines],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        # keep the order of field_names
        self.order_fields(self.field_names)

    def clean_ssn(self) -> str:
        value = "".join(c for c in self.cleaned_data.get("ssn", "") if c.isdigit())
        raw = self.cleaned_data.get("ssn", "")
        if raw and len(value) != 9:
            raise forms.ValidationError(_("Enter the 9 digits of the SSN."))
        if not value and self.instance is not None:
            return self.instance.ssn or ""
        return value

    def clean_phone(self) -> str:
        """The 10 NANP digits the 834 sends (PTL-002): ``+1 502 555 0100 x9`` is stored as ``5025550100``."""
        value = self.cleaned_data.get("phone") or ""
        if not value.strip():
            return ""
        problem = phone_problem(value)
        if problem is not None:
            raise entry_error(problem)
        return nanp_phone(value) or ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for fields, check in ((NAME_ELEMENTS, name_problem), (ADDRESS_ELEMENTS, address_problem)):
            for name, element in fields.items():
                problem = check(data.get(name), element) if name in data else None
                if problem is not None:
                    self.add_error(name, entry_error(problem))
        return data

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data.get("date_of_birth")
        if value is None and self.instance is not None:
            return self.instance.date_of_birth  # an emptied field keeps the date on file
        return value

    def member_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.field_names if name in self.cleaned_data}


def county_picker(*, counties: list, current: str) -> forms.Field:
    """The group address step's ZIP -> county picker (``enrollment.forms.AddressForm``: the counties of the
    ZIP in the carrier's rate file), for an employee's home. ``current``, when not among them, stays a
    choice (marked so) and MBR-007 says whether it fits the state."""
    picker = AddressForm(instance=EmployerGroup(county_fips=current), counties=counties)
    field = picker.fields["county_fips"]
    field.help_text = _("The counties of the ZIP code in the carrier's rate file; save to see a new ZIP's.")
    return field


class SubscriberForm(_MemberForm):
    field_names = SUBSCRIBER_FIELDS

    def __init__(self, *args: Any, counties: Sequence[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.counties = list(counties)
        self.fields["member_ref"].help_text = _("The employee's ID in this group, e.g. E-001.")
        if self.instance is not None and self.instance.validation_id:
            # The carrier knows the member by this ID: a new ID would be a different member there.
            self.fields["member_ref"].disabled = True
        posted = str(self.data.get(self.add_prefix("county_fips"), "")) if self.is_bound else ""
        stored = self.instance.county_fips if self.instance is not None else ""
        current = posted if len(posted) == 5 and posted.isascii() and posted.isdigit() else stored
        self.fields["county_fips"] = county_picker(counties=self.counties, current=current or "")
        self.order_fields(self.field_names)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("county_fips") and len(self.counties) == 1:
            data["county_fips"] = self.counties[0].county_fips  # the ZIP lies in one county
        return data


class DependentForm(_MemberForm):
    field_names = DEPENDENT_FIELDS

    def __init__(self, *args: Any, lines: Sequence[str] = (), **kwargs: Any):
        super().__init__(*args, lines=lines, **kwargs)
        self.fields["id"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
        if self.instance is not None:
            self.initial.setdefault("id", self.instance.pk)
        else:
            # A new dependent is covered on every offered line unless the broker unticks one.
            self.initial.setdefault("covered_lines", list(lines))
        choice_field(self, "relationship").choices = [("", "—")] + [
            c for c in Member.Relationship.choices if c[0] != Member.Relationship.SUBSCRIBER
        ]
        self.fields["relationship"].initial = None

    def has_changed(self) -> bool:
        # An empty "add a dependent" form stays empty even with its coverage boxes ticked.
        return any(name != "covered_lines" for name in self.changed_data)

    def member_data(self) -> dict[str, Any]:
        data = super().member_data()
        data["id"] = self.cleaned_data.get("id")
        data["DELETE"] = self.cleaned_data.get("DELETE", False)
        return data


def max_dependents() -> int:
    """The most dependents one family form takes (``MEMBERS_MAX_DEPENDENTS``, 20)."""
    return int(getattr(settings, "MEMBERS_MAX_DEPENDENTS", 20))


class _DependentFormSet(forms.BaseFormSet):
    """The family's dependents and blank forms for new ones: one more each time the broker asks
    ("Add another dependent", without saving; a script adds them in the page), up to ``max_dependents``."""

    def __init__(
        self, *args: Any, dependents: Sequence[Member] = (), lines: Sequence[str] = (), **kwargs: Any
    ):
        self.dependents = list(dependents)
        self.lines = list(lines)
        self.max_num = self.absolute_max = max(max_dependents(), len(self.dependents))
        super().__init__(*args, **kwargs)

    def initial_form_count(self) -> int:
        return len(self.dependents) if not self.is_bound else super().initial_form_count()

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"lines": self.lines}
        if index is not None and index < len(self.dependents):
            kwargs["instance"] = self.dependents[index]
        return kwargs


DependentFormSet = cast(  # the stubs' formset_factory answers BaseFormSet, not the ``formset`` given
    "type[_DependentFormSet]",
    forms.formset_factory(
        DependentForm, formset=_DependentFormSet, extra=1, can_delete=True, validate_max=True
    ),
)


WAIVE = "WAIVE"


class ElectionForm(forms.Form):
    """One offered line: a plan the group offers, or a waiver with its reason."""

    def __init__(
        self, *args: Any, line: str, plan_ids: list[str], election: Election | None = None, **kwargs
    ):
        self.line = line
        if election is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "plan_id": WAIVE if election.waived else election.plan_id,
                "waiver_reason": election.waiver_reason,
            }
        kwargs.setdefault("prefix", f"election-{line.lower()}")
        super().__init__(*args, **kwargs)
        self.fields["plan_id"] = forms.ChoiceField(
            label=line_phrase(line, "plan"),
            choices=[("", _("Not chosen yet")), *plan_choices(plan_ids), (WAIVE, _("Waive coverage"))],
            required=False,
        )
        self.fields["waiver_reason"] = forms.ChoiceField(
            label=_("Reason for waiving"),
            choices=[("", "—"), *Election.WaiverReason.choices],
            required=False,
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("plan_id") == WAIVE and not data.get("waiver_reason"):
            self.add_error("waiver_reason", _("Say why coverage is waived."))
        return data

    def election_data(self) -> dict[str, Any]:
        plan = self.cleaned_data.get("plan_id") or ""
        if plan == WAIVE:
            return {"waived": True, "waiver_reason": self.cleaned_data.get("waiver_reason") or ""}
        return {"plan_id": plan, "waived": False}
