"""Site-wide form rendering: every field shows its label, help, and errors with rule IDs beside it."""

import copy
from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def fields_with_problems(form: Any, problems: Iterable[Any]) -> tuple[list[tuple[Any, list[Any]]], list[Any]]:
    """[(bound field, [problem])] for the visible fields in form order (what templates/_field.html takes),
    and the problems that belong to no field of the form. A field with a problem is marked invalid and
    described by its error list (and its help), so a screen reader announces the rule with the field."""
    names = set(form.fields)
    by_field: dict[str, list[Any]] = {}
    general = []
    for p in problems:
        if p.field in names:
            by_field.setdefault(p.field, []).append(p)
        else:
            general.append(p)
    for name in by_field:
        bound = form[name]
        described = f"{bound.auto_id}_error" + (f" {bound.auto_id}_helptext" if bound.help_text else "")
        # This form's own copy of the widget: a widget shared by other forms would carry the marks there.
        bound.field.widget = copy.deepcopy(bound.field.widget)
        bound.field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": described})
    visible = [name for name in form.fields if not form[name].is_hidden]
    return [(form[name], by_field.get(name, [])) for name in visible], general


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """``form.fields[name]`` as the choice field it is (declared, or made from a model field with choices),
    to set its choices; any other field is a mistake of the form's code."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a choice field")
    return field
