"""Broker pages and actions for enrollment files; every read goes through the visibility selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from agencies.access import AuthenticatedRequest

from . import selectors, services
from .models import Transmission

P = Transmission.Purpose


def _group_or_404(request: HttpRequest, group_pk: int):
    try:
        return selectors.group_visible_to(user=request.user, pk=group_pk, write=request.method == "POST")
    except ObjectDoesNotExist as exc:
        raise Http404("No such group") from exc


@login_required
def group_files(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _group_or_404(request, group_pk)
    return render(request, "edi/group_files.html", {"group": group})


def _start(request: AuthenticatedRequest, group_pk: int, purpose: str) -> HttpResponse:
    group = _group_or_404(request, group_pk)
    try:
        transmission = services.transmission_start(group=group, purpose=purpose, by=request.user)
    except services.TransmissionRefused as exc:
        messages.error(request, str(exc))
        return redirect("edi_group_files", group_pk=group.pk)
    if transmission.status == Transmission.Status.PRECHECK_FAILED:
        messages.error(request, "The file was not sent: the check before upload found problems. See below.")
    else:
        messages.success(request, "The enrollment file passed its checks and is being sent to Humana.")
    return redirect("edi_transmission", pk=transmission.pk)


@login_required
@require_POST
def send_file(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    return _start(request, group_pk, P.ORIGINAL)


@login_required
@require_POST
def send_follow_up(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    return _start(request, group_pk, P.FOLLOW_UP)


@login_required
@require_POST
def resubmit_group(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    return _start(request, group_pk, P.RESUBMISSION)


@login_required
@require_GET
def transmission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        transmission = selectors.transmission_visible_to(user=request.user, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404("No such enrollment file") from exc
    return render(
        request,
        "edi/transmission_detail.html",
        {
            "transmission": transmission,
            "group": transmission.group,
            "members": transmission.members.all(),
            "events": transmission.events.all(),
            "in_progress": transmission.status
            in (
                Transmission.Status.READY,
                Transmission.Status.UPLOADING,
                Transmission.Status.RECEIVED,
                Transmission.Status.PROCESSING,
            ),
        },
    )
