"""The administrators' review of a group's documents: accept, reject with a reason, or ask for more.

The change form shows the file's facts and a link to it (served by ``document_file``, staff only); saving a
decision goes through ``documents.document_review``, which tells the broker and the employer."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import documents
from .models import GroupDocument, Notice

D = GroupDocument.Status


class ReviewForm(forms.ModelForm):
    class Meta:
        model = GroupDocument
        fields = ["status", "review_reason"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if (
            data.get("status") in (D.REJECTED, D.MORE_NEEDED)
            and not (data.get("review_reason") or "").strip()
        ):
            self.add_error("review_reason", "DOC-104: Say why, so the employer knows what to upload instead.")
        return data


@admin.register(GroupDocument)
class GroupDocumentAdmin(admin.ModelAdmin):
    form = ReviewForm
    list_display = ("group", "requirement", "filename", "status", "uploaded_at", "replaced_at")
    list_filter = ("status", "requirement")
    search_fields = ("group__legal_name", "filename")
    fields = (
        "group",
        "requirement",
        "file_link",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "replaced_at",
        "status",
        "review_reason",
        "reviewed_by",
        "reviewed_at",
    )
    readonly_fields = (
        "group",
        "requirement",
        "file_link",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "replaced_at",
        "reviewed_by",
        "reviewed_at",
    )
    actions = ["accept"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents come from the broker's and the employer's uploads

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content_base64")

    @admin.display(description="File")
    def file_link(self, obj: GroupDocument) -> str:
        url = reverse("admin:enrollment_groupdocument_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.filename)

    def save_model(self, request, obj, form, change):
        if not change or "status" not in form.changed_data and "review_reason" not in form.changed_data:
            return
        try:
            documents.document_review(
                document=obj, status=obj.status, reason=obj.review_reason, by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    @admin.action(description="Accept the selected documents", permissions=["change"])
    def accept(self, request, queryset):
        for document in queryset:
            documents.document_review(document=document, status=D.ACCEPTED, reason="", by=request.user)

    def get_urls(self):
        view = self.admin_site.admin_view(self.document_file)
        return [path("<int:pk>/file", view, name="enrollment_groupdocument_file"), *super().get_urls()]

    def document_file(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404("No such document.")
        document = GroupDocument.objects.filter(pk=pk).first()
        if document is None:
            raise Http404("No such document.")
        response = HttpResponse(
            documents.document_content(document=document), content_type=document.content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "group", "kind", "role", "to_email", "language", "subject")
    list_filter = ("kind", "role")
    search_fields = ("group__legal_name", "to_email")
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
