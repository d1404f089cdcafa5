"""The broker's page of the group's open-enrollment window (``enrollment.window``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.access import AuthenticatedRequest
from carrier.rules import carrier_today

from . import window
from .selectors import group_get_visible


class WindowForm(forms.Form):
    oe_starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    oe_ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def group_window(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    current = window.oe_window(group=group)
    form = WindowForm(
        request.POST or None, initial={"oe_starts_on": group.oe_starts_on, "oe_ends_on": group.oe_ends_on}
    )
    if request.method == "POST" and form.is_valid():
        try:
            window.group_set_oe_window(
                group=group,
                starts_on=form.cleaned_data["oe_starts_on"],
                ends_on=form.cleaned_data["oe_ends_on"],
                by=request.user,
                today=carrier_today(),
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field, problems)
        else:
            messages.success(request, _("The open-enrollment window is saved."))
            return redirect("enrollment:group_window", pk=group.pk)
    context = {
        "group": group,
        "form": form,
        "window": current,
        "default_ends_on": window.default_ends_on(group),
        "lead_days": window.lead_days(),
    }
    return render(request, "enrollment/group_window.html", context, status=400 if form.errors else 200)
