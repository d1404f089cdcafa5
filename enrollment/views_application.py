"""The broker's page of the signed Employer Group Application: its state, the PDF, the agent's signature."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.access import AuthenticatedRequest

from . import application
from .selectors import group_get_visible


def signer_details(request: HttpRequest) -> dict[str, str | None]:
    """Where a signature comes from: the client's address (the trusted proxy's header is already applied)
    and its user agent."""
    return {
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }


@login_required
def group_application(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    if request.method == "POST":
        try:
            application.application_sign(
                group=group,
                document_sha256=request.POST.get("document_sha256", ""),
                role=application.Role.AGENT,
                user=request.user,
                signed_by=request.POST.get("signed_by", ""),
                email=group.agent_email or request.user.email,
                consent=request.POST.get("consent") == "on",
                **signer_details(request),  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Signed as the writing agent."))
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


def application_pdf_response(*, group, sha256: str) -> HttpResponse:
    """One of the group's application documents (a voided one too: what was signed is kept)."""
    from django.http import Http404

    document = group.application_documents.filter(sha256=sha256).first()
    if document is None:
        raise Http404("No such document.")
    response = HttpResponse(application.application_pdf(document=document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="application-{group.pk}-{sha256[:12]}.pdf"'
    return response
