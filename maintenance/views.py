"""The broker's change pages of an ENROLLED group: the changes and their carrier dates, the forms (a new
hire, a move, the end of employment), sending a change file, reading the carrier's roster."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carrier.errors import CarrierTransientError
from enrollment.selectors import group_get_visible
from members.models import Member
from members.services.bodies import member_build_validation_body

from . import forms, selectors, services


def _enrolled(request: HttpRequest, group_pk: int, *, write: bool = False):
    return group_get_visible(user=request.user, pk=group_pk, write=write)


@login_required
@require_GET
def group_changes(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk)
    check = getattr(group, "roster_check", None)
    return render(
        request,
        "maintenance/group_changes.html",
        {
            "group": group,
            "enrolled": group.status == "ENROLLED",
            "changes": selectors.change_list(group=group),
            "files": group.change_files.all()[:10],
            "check": check,
            "expiring": services.expiring(group=group),
            "waiting_period": group.waiting_period,
            "book": selectors.book_differences(user=request.user),
        },
    )


def _saved(request: HttpRequest, group, body: dict, *, member=None, before=None) -> HttpResponse:
    change = services.change_request_create(
        group=group, body=body, member=member, by=request.user, before=before
    )
    try:
        change = services.change_request_validate(request_id=change.pk)
    except CarrierTransientError:
        messages.warning(
            request, _("The carrier did not answer; the change is saved and will be validated again.")
        )
        return redirect("maintenance:group_changes", group.pk)
    if change.state == change.State.VALIDATED:
        assert change.change is not None  # a validated request holds the carrier's change block
        messages.success(
            request,
            _("The carrier takes this change from %(date)s; send it by %(send_by)s.")
            % {"date": change.change["effectiveDate"], "send_by": change.change["sendBy"]},
        )
    else:
        messages.error(request, _("The carrier refused this change; see why below."))
    return redirect("maintenance:group_changes", group.pk)


def _form_page(request, group, form, title: str) -> HttpResponse:
    return render(
        request,
        "maintenance/change_form.html",
        {"group": group, "form": form, "title": title, "waiting_period": group.waiting_period},
    )


@login_required
def change_new_hire(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=request.method == "POST")
    if group.status != "ENROLLED":
        return redirect("maintenance:group_changes", group.pk)
    form = forms.NewHireForm(request.POST or None, offerings=group.offerings)
    if request.method == "POST" and form.is_valid():
        return _saved(request, group, form.body())
    return _form_page(request, group, form, _("A new employee"))


def _member(group, ref: str) -> Member:
    return Member.objects.get(group=group, member_ref=ref)


def _lines(body: dict) -> list[dict]:
    return [
        {"line": c["line"], "planId": c["planId"], "coverageTier": c.get("coverageTier")}
        for c in body.get("coverage") or []
        if c.get("planId") and not c.get("waived")
    ]


@login_required
def change_termination(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=request.method == "POST")
    form = forms.TerminationForm(request.POST or None, subscribers=selectors.subscriber_choices(group=group))
    if group.status == "ENROLLED" and request.method == "POST" and form.is_valid():
        member = _member(group, form.cleaned_data["member"])
        body = member_build_validation_body(member=member)
        body["event"] = {
            "type": form.cleaned_data["reason"],
            "action": "TERMINATE",
            "date": form.cleaned_data["event_date"].isoformat(),
        }
        return _saved(request, group, body, member=member)
    return _form_page(request, group, form, _("Someone's coverage ends"))


@login_required
def change_move(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=request.method == "POST")
    form = forms.MoveForm(request.POST or None, subscribers=selectors.subscriber_choices(group=group))
    if group.status == "ENROLLED" and request.method == "POST" and form.is_valid():
        member = _member(group, form.cleaned_data["member"])
        body = member_build_validation_body(member=member)
        body["address"] = forms.address(form.cleaned_data)
        body["event"] = {
            "type": "DEMOGRAPHIC",
            "action": "CHANGE",
            "date": form.cleaned_data["event_date"].isoformat(),
        }
        return _saved(
            request, group, body, member=member, before=_lines(member_build_validation_body(member=member))
        )
    return _form_page(request, group, form, _("A new address"))


@login_required
@require_POST
def change_file_send(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=True)
    try:
        file = services.change_file_send(group_id=group.pk, by=request.user)
    except CarrierTransientError:
        file = None
        messages.warning(request, _("The carrier did not answer; try again in a few minutes."))
    if file is not None and file.file_id:
        messages.success(request, _("The change file %(ref)s was sent.") % {"ref": file.reference})
    elif file is not None:
        messages.error(
            request, _("The change file %(ref)s was not sent; see why below.") % {"ref": file.reference}
        )
    return redirect("maintenance:group_changes", group.pk)


@login_required
@require_POST
def change_file_poll(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=True)  # polling records the carrier's answer
    for file in group.change_files.filter(status="SENT"):
        services.change_file_poll(change_file_id=file.pk)
    return redirect("maintenance:group_changes", group.pk)


@login_required
@require_POST
def roster_reconcile(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=True)  # reconciling stores the roster check
    try:
        services.roster_reconcile(group_id=group.pk)
    except CarrierTransientError:
        messages.warning(request, _("The carrier did not answer; try again in a few minutes."))
    return redirect("maintenance:group_changes", group.pk)
