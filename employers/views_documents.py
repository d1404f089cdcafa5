"""The documents page (the broker's and the employer's: the same checklist, each behind their own access
check), a document's file, and the notices page where each chooses what they are e-mailed."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from agencies.access import AuthenticatedRequest
from enrollment import documents, notices
from enrollment.models import EmployerGroup, GroupDocument
from enrollment.selectors import group_get_visible

from . import selectors
from .models import EmployerContact


class UploadForm(forms.Form):
    requirement = forms.CharField(widget=forms.HiddenInput, max_length=10)
    file = forms.FileField(label=gettext_lazy("File (PDF, JPEG or PNG)"), allow_empty_file=True)


def _page(request: AuthenticatedRequest, group: EmployerGroup, *, employer: bool) -> HttpResponse:
    name = "employers:employer_documents" if employer else "employers:documents"
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            limit = documents.max_bytes()
            content = upload.read(limit + 1)  # one byte past the limit is enough to refuse it
            try:
                documents.document_upload(
                    group=group,
                    requirement=form.cleaned_data["requirement"],
                    filename=upload.name,
                    content=content,
                    by=request.user,
                )
            except ValidationError as exc:
                errors[form.cleaned_data["requirement"]] = " ".join(exc.messages)
            else:
                messages.success(request, _("The document is uploaded: an administrator reviews it."))
                return redirect(name, group_pk=group.pk)
        else:
            errors[request.POST.get("requirement", "")] = _("DOC-102: Choose a file to upload.")
    checklist = documents.document_checklist(group=group)
    history = group.documents.defer("content_base64").select_related("uploaded_by")
    codes = {item.code for item in checklist}
    context = {
        "other_errors": [message for code, message in errors.items() if code not in codes],
        "group": group,
        "checklist": checklist,
        "history": history,
        "errors": errors,
        "employer": employer,
        "file_url": "employers:employer_document_file" if employer else "employers:document_file",
        "max_mb": documents.max_bytes() // (1024 * 1024),
    }
    return render(request, "employers/documents.html", context, status=400 if errors else 200)


@login_required
def group_documents(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    """The broker's documents page (their agency's groups only)."""
    group = group_get_visible(user=request.user, pk=group_pk, write=request.method == "POST")
    return _page(request, group, employer=False)


@login_required
def employer_documents(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    """The employer's documents page (their own group only)."""
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    return _page(request, contact.group, employer=True)


def document_response(*, group: EmployerGroup, document_pk: int) -> HttpResponse:
    """A document's file, after the caller's access check; never shown inline, never sniffed."""
    document = GroupDocument.objects.filter(group=group, pk=document_pk).first()
    if document is None:
        raise Http404("No such document.")
    response = HttpResponse(documents.document_content(document=document), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def group_document_file(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=group_pk)
    return document_response(group=group, document_pk=pk)


@login_required
@require_GET
def employer_document_file(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    return document_response(group=contact.group, document_pk=pk)


@login_required
def notice_preferences(request: AuthenticatedRequest) -> HttpResponse:
    """The notices a broker or an employer gets: each kind they may receive, on or off."""
    user = request.user
    roles = set()
    if hasattr(user, "broker"):
        roles.add(notices.Role.BROKER)
    if EmployerContact.objects.filter(user=user).exists():
        roles.add(notices.Role.EMPLOYER)
    if not roles:
        raise Http404("No notices for this account.")
    kinds = [k for k in notices.KINDS.values() if k.choosable and k.roles & roles]
    if request.method == "POST":
        notices.notice_preferences_set(
            user=user, enabled={k.code: request.POST.get(k.code) == "on" for k in kinds}
        )
        messages.success(request, _("Your choices are saved."))
        return redirect("employers:preferences")
    rows = [(k, notices.notice_enabled(user=user, kind=k.code)) for k in kinds]
    return render(request, "employers/preferences.html", {"rows": rows})
