"""The pages' part of a signed document (``enrollment.signed_documents``): the sign form's POST and the
PDF, for the application's pages and the renewal decision's alike."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse

from .signed_documents import Role, SignedDocument, document_pdf


def signer_details(request: HttpRequest) -> dict[str, str | None]:
    """Where a signature comes from: the client's address (the trusted proxy's header is already applied)
    and its user agent."""
    return {
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }


def sign_posted(
    request: HttpRequest, sign: Callable[..., object], *, role: str, email: str, done: str
) -> None:
    """The sign form's POST to ``sign`` (a side's sign service, its document's owner given): the document
    read, the name typed, the employer's title, the consent, where it comes from; the answer as a message
    (``done`` when signed)."""
    title = request.POST.get("title", "") if role == Role.EMPLOYER else ""
    try:
        sign(
            document_sha256=request.POST.get("document_sha256", ""),
            role=role,
            user=request.user,
            signed_by=request.POST.get("signed_by", ""),
            title=title,
            email=email,
            consent=request.POST.get("consent") == "on",
            **signer_details(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)


def document_pdf_response(
    documents: models.Manager[SignedDocument], *, sha256: str, filename: str
) -> HttpResponse:
    """One of the owner's documents by its SHA-256 (a voided one too: what was signed is kept), as an
    attachment named ``filename``."""
    document = documents.filter(sha256=sha256).first()
    if document is None:
        raise Http404("No such document.")
    response = HttpResponse(document_pdf(document=document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
