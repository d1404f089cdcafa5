"""Forms of the employee's self-service pages. They reuse the broker's family forms (members.forms) with
the fields an employee answers, labels in the employee's language and the carrier's rules left to
``services.member_local_problems``."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from portal.display import LABELS as CODE_LABELS
from portal.display import line_phrase
from portal.forms import choice_field

from . import forms as member_forms
from .forms import DEPENDENT_FIELDS as BROKER_DEPENDENT_FIELDS
from .forms import max_dependents
from .models import LINES, Election, Member

DETAILS_PREFIX = "me"
FAMILY_PREFIX = "family"
# No field takes more (an e-mail address: 254): a longer value is kept cut to this and refused beside
# its field, so a draft never stores what a field could not take.
DRAFT_VALUE_MAX = 254

DETAILS_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "ssn",
    "date_of_birth",
    "gender",
    "marital_status",
    "tobacco_use",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip5",
    "phone",
    "email",
]
# The broker's dependent fields without the lines covered (an employee's family is covered on every line).
DEPENDENT_FIELDS = [f for f in BROKER_DEPENDENT_FIELDS if f != "covered_lines"]

LABELS = {
    "relationship": _("Relationship to you"),
    "first_name": _("First name"),
    "middle_name": _("Middle name"),
    "last_name": _("Last name"),
    "suffix": _("Suffix"),
    "ssn": _("Social Security number"),
    "date_of_birth": _("Date of birth"),
    "gender": _("Gender"),
    "marital_status": _("Marital status"),
    "tobacco_use": _("Uses tobacco"),
    "disabled": _("Has a disability (a child over the age limit may stay covered)"),
    "address_line1": _("Address line 1"),
    "address_line2": _("Address line 2"),
    "city": _("City"),
    "state": _("State (2 letters)"),
    "zip5": _("ZIP code"),
    "phone": _("Phone"),
    "email": _("E-mail"),
}
AUTOCOMPLETE = {
    "first_name": "given-name",
    "middle_name": "additional-name",
    "last_name": "family-name",
    "address_line1": "address-line1",
    "address_line2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "zip5": "postal-code",
    "phone": "tel",
    "email": "email",
}

RELATIONSHIPS = [
    ("SPOUSE", _("Spouse")),
    ("DOMESTIC_PARTNER", _("Domestic partner")),
    ("CHILD", _("Child")),
    ("STEPCHILD", _("Stepchild")),
    ("FOSTER_CHILD", _("Foster child")),
    ("WARD", _("Ward")),
]
GENDERS = [("", "—"), ("FEMALE", _("Female")), ("MALE", _("Male")), ("UNKNOWN", _("Unknown"))]
MARITAL = [
    ("", "—"),
    ("SINGLE", _("Single")),
    ("MARRIED", _("Married")),
    ("DIVORCED", _("Divorced")),
    ("WIDOWED", _("Widowed")),
    ("SEPARATED", _("Separated")),
    ("DOMESTIC_PARTNER", _("Domestic partner")),
    ("UNKNOWN", _("Unknown")),
]
SUFFIXES = [("", "—"), ("JR", _("Jr.")), ("SR", _("Sr.")), ("II", "II"), ("III", "III"), ("IV", "IV")]
TRISTATE = [("", _("Not stated")), ("true", _("Yes")), ("false", _("No"))]
WAIVER_REASONS = [
    ("SPOUSE_GROUP_COVERAGE", _("Covered by a spouse's group plan")),
    ("OTHER_GROUP_COVERAGE", _("Other group coverage (COBRA included)")),
    ("MEDICARE", _("Medicare")),
    ("MEDICAID", _("Medicaid")),
    ("TRICARE", _("TRICARE")),
    ("VA", _("VA")),
    ("INDIVIDUAL_COVERAGE", _("Individual coverage")),
    ("NO_OTHER_COVERAGE", _("No other coverage")),
    ("OTHER", _("Other")),
]
LINE_LABELS = CODE_LABELS["line"]  # a line's name standing alone (portal.display: phrases are line_phrase's)
TIER_LABELS = {
    "EMP": _("you only"),
    "ESP": _("you and your spouse or partner"),
    "ECH": _("you and your children"),
    "FAM": _("you and your family"),
}


TOO_LONG = _("At most %(limit_value)d characters here (this has %(show_value)d): shorten it.")


def _employee_labels(form: member_forms._MemberForm) -> None:
    """Translated labels, phone-friendly inputs, a length limit said in the employee's words."""
    for name, field in form.fields.items():
        if name in LABELS:
            field.label = LABELS[name]
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = TOO_LONG
        if name in AUTOCOMPLETE:
            field.widget.attrs.setdefault("autocomplete", AUTOCOMPLETE[name])
    choices = {"gender": GENDERS, "marital_status": MARITAL, "suffix": SUFFIXES}
    for name, values in choices.items():
        if name in form.fields:
            choice_field(form, name).choices = values
    if "tobacco_use" in form.fields:
        choice_field(form, "tobacco_use").choices = TRISTATE
    if "phone" in form.fields:
        form.fields["phone"].widget.input_type = "tel"
        form.fields["phone"].widget.attrs["inputmode"] = "tel"
    if "zip5" in form.fields:
        form.fields["zip5"].widget.attrs["inputmode"] = "numeric"
    if "ssn" in form.fields:
        on_file = form.instance.masked_ssn if form.instance is not None else ""
        form.fields["ssn"].help_text = (
            _("On file: %(ssn)s. Type it again only to change it.") % {"ssn": on_file} if on_file else ""
        )


class DetailsForm(member_forms._MemberForm):
    """The employee's own details."""

    field_names = DETAILS_FIELDS

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _employee_labels(self)
        for name in ("date_of_birth", "gender", "address_line1", "city", "state", "zip5"):
            self.fields[name].required = True
        self.fields["email"].required = True

    def clean_state(self) -> str:
        return (self.cleaned_data.get("state") or "").strip().upper()


class FamilyMemberForm(member_forms.DependentForm):
    """A spouse, domestic partner or child."""

    field_names = DEPENDENT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _employee_labels(self)
        choice_field(self, "relationship").choices = [("", "—"), *RELATIONSHIPS]


def family_cap(dependents: list[Member]) -> int:
    """The most family members the employee's family step takes: ``members.forms.max_dependents`` (20),
    or the family as stored when the broker listed more."""
    return max(max_dependents(), len(dependents))


class _FamilyFormSet(forms.BaseFormSet):
    """Forms of the family's dependents, at most ``family_cap`` (a posted count beyond it is cut there
    and refused with a message). A posted ``id`` must name a dependent of THIS family: any other id
    (another family's member included) is a 404, never a lookup by id alone."""

    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": _(
            "You can list at most %(num)d family members here. If more of your family need coverage, "
            "call your broker."
        ),
    }

    def __init__(self, *args: Any, dependents: Sequence[Member] = (), **kwargs: Any):
        self.dependents = list(dependents)
        self.by_id = {d.pk: d for d in self.dependents}
        self.max_num = self.absolute_max = family_cap(self.dependents)
        super().__init__(*args, **kwargs)

    def initial_form_count(self) -> int:
        return len(self.dependents) if not self.is_bound else super().initial_form_count()

    def _posted_id(self, index: int) -> Member | None:
        raw = (self.data or {}).get(f"{self.prefix}-{index}-id")
        if raw in (None, ""):
            return None
        try:
            pk = int(raw)
        except (TypeError, ValueError) as exc:
            raise Http404("No such family member.") from exc
        if pk not in self.by_id:
            raise Http404("No such family member.")
        return self.by_id[pk]

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"lines": []}
        if index is None:
            return kwargs
        if self.is_bound:
            instance = self._posted_id(index)
        else:
            instance = self.dependents[index] if index < len(self.dependents) else None
        if instance is not None:
            kwargs["instance"] = instance
        return kwargs

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove from my family")

    def check_ids(self) -> None:
        """Http404 when any posted id is not this family's."""
        if self.is_bound:
            for index in range(self.total_form_count()):
                self._posted_id(index)


FamilyFormSet = cast(
    "type[_FamilyFormSet]",
    forms.formset_factory(
        FamilyMemberForm, formset=_FamilyFormSet, extra=1, can_delete=True, validate_max=True
    ),
)


def step_keys(step: str, *, people: int = 0) -> list[str]:
    """The POST keys a step's forms read (what its draft keeps): ``people`` family forms at most."""
    if step == "details":
        return [f"{DETAILS_PREFIX}-{name}" for name in DETAILS_FIELDS]
    if step == "family":
        management = ["TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"]
        person = [*DEPENDENT_FIELDS, "id", "DELETE"]
        return [f"{FAMILY_PREFIX}-{key}" for key in management] + [
            f"{FAMILY_PREFIX}-{i}-{name}" for i in range(people) for name in person
        ]
    if step == "coverage":
        return [f"election-{line.lower()}-{name}" for line in LINES for name in ("plan_id", "waiver_reason")]
    raise ValueError(step)


def money(amount: Decimal | None) -> str:
    from portal.display import money as portal_money  # one money format for every page

    return "" if amount is None else portal_money(amount)


class CoverageForm(member_forms.ElectionForm):
    """One offered line: a plan (with what the employee pays a month) or a waiver with its reason."""

    def __init__(
        self,
        *args: Any,
        line: str,
        plan_ids: list[str],
        costs: dict[str, dict] | None = None,
        names: dict[str, str] | None = None,
        **kwargs: Any,
    ):
        # Both fields are replaced below: no plan IDs up there, so no catalogue query for labels unused.
        super().__init__(*args, line=line, plan_ids=[], **kwargs)
        self.costs = costs or {}
        names = names or {}
        choices = []
        for plan_id in plan_ids:
            cost = self.costs.get(plan_id)
            name = (cost or {}).get("name") or names.get(plan_id) or plan_id
            if cost and cost.get("employee") is not None:
                label = _(
                    "%(name)s — you pay %(employee)s a month (%(tier)s; your employer pays %(employer)s)"
                ) % {
                    "name": name,
                    "employee": money(cost["employee"]),
                    "employer": money(cost["employer"]),
                    "tier": TIER_LABELS.get(cost.get("tier") or "", cost.get("tier")),
                }
            elif cost:
                label = _("%(name)s — %(total)s a month in all") % {
                    "name": name,
                    "total": money(cost["total"]),
                }
            else:
                label = name
            choices.append((plan_id, label))
        self.line_label = LINE_LABELS.get(line, line)
        self.fields["plan_id"] = forms.ChoiceField(
            label=line_phrase(line, "plan"),
            choices=[*choices, (member_forms.WAIVE, line_phrase(line, "waive"))],
            required=True,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose a plan or say you do not want this coverage.")},
        )
        self.fields["waiver_reason"] = forms.ChoiceField(
            label=line_phrase(line, "waiver_reason"),
            choices=[("", "—"), *WAIVER_REASONS],
            required=False,
        )

    def clean(self) -> dict[str, Any]:
        forms.Form.clean(self)
        data = self.cleaned_data
        if data.get("plan_id") == member_forms.WAIVE and not data.get("waiver_reason"):
            self.add_error("waiver_reason", _("Say why you do not want this coverage."))
        return data


class SignForm(forms.Form):
    signed_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Type your full name to sign.")},
    )
    agree = forms.BooleanField(
        label=_("What I entered is true and complete, and I want the coverage I chose."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


WAIVE = member_forms.WAIVE
__all__ = ["CoverageForm", "DetailsForm", "FamilyFormSet", "SignForm", "WAIVE", "Election"]
