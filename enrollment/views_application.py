"""The broker's page of the signed Employer Group Application: its state, the PDF, the agent's signature."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.access import AuthenticatedRequest

from . import application
from .models import EmployerGroup
from .selectors import group_get_visible
from .views_signing import document_pdf_response, sign_posted


@login_required
def group_application(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    if request.method == "POST":
        sign_posted(
            request,
            partial(application.application_sign, group=group),
            role=application.Role.AGENT,
            email=group.agent_email or request.user.email,
            done=_("Signed as the writing agent."),
        )
        return redirect("enrollment:group_application", pk=group.pk)
    try:
        document = application.application_document_current(group=group)
        unavailable = False
    except Exception:  # noqa: BLE001 - WeasyPrint missing here: the page still says what is signed
        document, unavailable = None, True
    state = application.application_state(group=group)
    voided = group.application_documents.filter(voided_at__isnull=False).prefetch_related("signatures")[:5]
    is_writing_agent = getattr(getattr(request.user, "broker", None), "npn", None) == group.agent_npn
    return render(
        request,
        "enrollment/group_application.html",
        {"group": group, "document": document, "state": state, "voided": voided, "unavailable": unavailable,
         "is_writing_agent": is_writing_agent},
    )  # fmt: skip


@login_required
@require_GET
def group_application_pdf(request: HttpRequest, pk: int, sha256: str) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk)
    return application_pdf_response(group=group, sha256=sha256)


def application_pdf_response(*, group: EmployerGroup, sha256: str) -> HttpResponse:
    """One of the group's application documents (a voided one too: what was signed is kept)."""
    return document_pdf_response(
        group.application_documents, sha256=sha256, filename=f"application-{group.pk}-{sha256[:12]}.pdf"
    )
