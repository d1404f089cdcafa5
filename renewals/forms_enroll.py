"""The employee's renewal page's form for a family member joining from the renewal date."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

RELATIONSHIPS = [("SPOUSE", _("Spouse")), ("DOMESTIC_PARTNER", _("Domestic partner")), ("CHILD", _("Child"))]
GENDERS = [("FEMALE", _("Female")), ("MALE", _("Male"))]


class RenewalDependentForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=35)
    last_name = forms.CharField(label=_("Last name"), max_length=60)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=RELATIONSHIPS)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    gender = forms.ChoiceField(label=_("Gender"), choices=GENDERS)
    ssn = forms.RegexField(
        label=_("Social Security number (if they have one)"), regex=r"^\d{9}$", required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip
