"""The group page and its actions: status, what comes next, finalize, and a created group's changes.

Every status has a next step on the page (``next_steps``): a group never sits without one, even when an
administrator has to act (NEEDS_ATTENTION says whom, and offers a check with the carrier).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.access import AuthenticatedRequest
from portal.recorded import recorded_words

from . import changes, finalize, forms, notices, selectors, services
from .models import EmployerGroup
from .states import TransitionNotAllowed
from .timeline import timeline_entries

S = EmployerGroup.Status
C = EmployerGroup.ChangeState


@dataclass(frozen=True)
class NextStep:
    """What to do next on the group page: words, and where to do it (a link, or a form's action)."""

    text: str
    url: str = ""
    label: str = ""
    post: bool = False


def _url(name: str, group: EmployerGroup) -> str:
    return reverse(name, args=[group.pk])


def _open_enrollment_steps(group: EmployerGroup, readiness) -> list[NextStep]:
    review = _url("enrollment:group_review", group)
    if group.change_state == C.EDITING:
        return [
            NextStep(
                _("You changed the details; the carrier still has the earlier ones: send the changes."),
                review,
                _("Review and send the changes"),
            )
        ]
    if group.change_state == C.SENDING:
        return [NextStep(_("Your changes are on their way to the carrier; this page updates by itself."))]
    if group.change_state == C.REFUSED:
        return [
            NextStep(
                _("The carrier refused your changes: fix the marked fields and send them again, or discard."),
                review,
                _("Fix and send again"),
            )
        ]
    if readiness is not None and readiness.ready:
        return [NextStep(_("Everything is ready: finalize the group with the carrier below."))]
    return [
        NextStep(
            _("Enroll the employees (Members and elections), then fix what the checklist below still marks."),
            reverse("members:member_list", args=[group.pk]),
            _("Enroll the employees"),
        ),
        NextStep(
            _("Contributions, eligible employees, plans and the other details can still be changed."),
            reverse("enrollment:group_step", args=[group.pk, "employer"]),
            _("Change the details"),
        ),
    ]


def next_steps(group: EmployerGroup, readiness=None) -> list[NextStep]:
    """What the broker does next, for every status (issue 15 item 3: no group without a way forward)."""
    if group.status == S.DRAFT:
        text = (
            _("The carrier refused the group: fix the marked fields and submit it again.")
            if group.carrier_errors
            else _("Complete the steps, then submit the group to the carrier.")
        )
        return [NextStep(text, _url("enrollment:group_review", group), _("Continue the draft"))]
    if group.status == S.CREATING:
        return [NextStep(_("The carrier is creating the group; this page updates by itself."))]
    if group.status == S.OPEN_ENROLLMENT:
        return _open_enrollment_steps(group, readiness)
    if group.status == S.FINALIZING:
        return [
            NextStep(_("The carrier is finalizing the group; the final rates appear here when it answers."))
        ]
    if group.status in (S.FINALIZED, S.ENROLLING):
        text = (
            _("Send the enrollment file (834) to the carrier.")
            if group.status == S.FINALIZED
            else _(
                "The enrollment file is with the carrier; its result appears on the Enrollment files page."
            )
        )
        label = _("Send the enrollment file") if group.status == S.FINALIZED else _("Follow the file")
        return [NextStep(text, reverse("edi_group_files", args=[group.pk]), label)]
    if group.status == S.ENROLLED:
        return [NextStep(_("The group is enrolled. Later changes are maintenance requests to Humana."))]
    # NEEDS_ATTENTION: what went wrong is the status reason. A group the carrier has moves on with a check
    # (the book sync puts it in the carrier's status); a create whose outcome is unknown is retried by an
    # administrator with the same idempotency key, so the carrier never creates it twice.
    if group.humana_group_id:
        return [
            NextStep(
                _("Check the group with the carrier: the group takes the carrier's status and moves on."),
                reverse("enrollment:book_sync"),
                _("Check with the carrier"),
                post=True,
            ),
            NextStep(_("If it stays here, ask your agency's portal administrator to look at it.")),
        ]
    return [
        NextStep(
            _(
                "Ask your agency's portal administrator to retry the creation (admin: Employer groups, "
                "Retry creation with the carrier): the same request is sent, so the carrier never creates "
                "the group twice."
            )
        )
    ]


def _document_events(group: EmployerGroup) -> list[dict]:
    events = []
    for d in group.documents.defer("content_base64"):
        events.append({"at": d.uploaded_at, "kind": "document", "item": d, "what": "uploaded"})
        if d.reviewed_at:
            events.append({"at": d.reviewed_at, "kind": "document", "item": d, "what": "reviewed"})
    return events


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_get_visible(user=request.user, pk=pk)
    timeline = [
        {"at": t.at, "kind": "transition", "item": t} for t in group.transitions.select_related("by").all()
    ] + [{"at": c.created_at, "kind": "call", "item": c} for c in selectors.group_api_calls(group=group)]
    timeline += [
        {"at": e.at, "kind": "edit", "item": e}
        for e in selectors.group_edits(group=group, labels=forms.group_field_labels())
    ]
    timeline += [{"at": n.sent_at, "kind": "notice", "item": n} for n in notices.group_notices(group=group)]
    timeline += _document_events(group)
    timeline += timeline_entries(group=group)  # other apps' steps (renewals)
    timeline.sort(key=lambda e: e["at"])
    census = list(group.census.all())
    readiness = finalize.group_readiness(group=group) if group.status == S.OPEN_ENROLLMENT else None
    return render(
        request,
        "enrollment/group_detail.html",
        {
            "group": group,
            "readiness": readiness,
            "next_steps": next_steps(group, readiness),
            "rate_comparison": finalize.rate_comparison(group=group),
            "timeline": timeline,
            "census": census,
            "subscribers": sum(1 for m in census if m.is_subscriber),
            "carrier_problems": services.group_carrier_problems(group=group),
            "editable": services.group_is_editable(group=group),
            "changeable": changes.group_is_changeable(group=group),
            "pending": _status_body(group)["pending"],
        },
    )


@login_required
@require_GET
def group_status(request: HttpRequest, pk: int) -> JsonResponse:
    group = selectors.group_get_visible(user=request.user, pk=pk)
    return JsonResponse(_status_body(group))


def _status_body(group: EmployerGroup) -> dict:
    if group.status == S.CREATING:
        message = (
            _("The carrier is being retried (attempt %(n)s).") % {"n": group.create_attempts}
            if group.create_attempts > 1 or group.status_reason
            else _("Creating the group with the carrier…")
        )
    elif group.change_state == C.SENDING:
        message = _("Sending your changes to the carrier…")
    elif group.status == S.OPEN_ENROLLMENT:
        message = _("Created: Humana Group ID %(id)s.") % {"id": group.humana_group_id}
    elif group.status == S.DRAFT and group.carrier_errors:
        message = _("The carrier refused the group; fix the marked fields and submit again.")
    else:
        message = recorded_words(group.status_reason) or group.get_status_display()
    return {
        "status": group.status,
        "statusDisplay": group.get_status_display(),
        "humanaGroupId": group.humana_group_id,
        "attempts": group.create_attempts,
        "changes": group.change_state,
        "message": message,
        "pending": group.status in (S.CREATING, S.FINALIZING) or group.change_state == C.SENDING,
    }


def status_message(group: EmployerGroup) -> str:
    return _status_body(group)["message"]


@login_required
@require_POST
def group_finalize(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The broker finalizes: the checklist must pass; the carrier call runs in a task."""
    group = selectors.group_get_visible(user=request.user, pk=pk, write=True)
    try:
        finalize.group_request_finalize(
            group=group, by=request.user, confirm_open_enrollment_over=request.POST.get("confirm") == "yes"
        )
    except (finalize.FinalizeRefused, TransitionNotAllowed) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.success(
            request, _("Finalizing with the carrier: the final rates appear here when it answers.")
        )
    return redirect("enrollment:group_detail", pk=group.pk)


@login_required
@require_POST
def group_changes_send(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Send a created group's changes (PATCH, in a task) when the portal's checks find no error."""
    group = selectors.group_get_visible(user=request.user, pk=pk, write=True)
    review = redirect("enrollment:group_review", pk=pk)
    if not changes.group_is_changeable(group=group):
        messages.info(request, _("These changes cannot be sent now; the group page says why."))
        return redirect("enrollment:group_detail", pk=pk)
    steps = set(changes.CHANGE_STEPS) | {"review"}
    errors = [p for p in services.group_check(group=group) if p.is_error and p.step in steps]
    if errors:
        messages.error(request, _("Fix the problems below before sending the changes."))
        return review
    if not changes.group_change_patch(group=group):
        if group.change_state:
            changes.group_discard_changes(group=group)
        messages.info(request, _("Nothing differs from what the carrier has: there is nothing to send."))
        return redirect("enrollment:group_detail", pk=pk)
    try:
        changes.group_send_changes(group=group, by=request.user)
    except TransitionNotAllowed:
        messages.info(request, _("These changes were already sent."))
    else:
        messages.success(request, _("Sending the changes to the carrier: this page shows its answer."))
    return redirect("enrollment:group_detail", pk=pk)


@login_required
@require_POST
def group_changes_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Put back what the carrier has and forget the unsent (or refused) changes."""
    group = selectors.group_get_visible(user=request.user, pk=pk, write=True)
    try:
        changes.group_discard_changes(group=group)
    except TransitionNotAllowed:
        messages.info(request, _("There are no unsent changes to discard."))
    else:
        messages.success(request, _("The changes were discarded: the group shows what the carrier has."))
    return redirect("enrollment:group_detail", pk=pk)
