"""Admin of enrollment files: status filters, the file as a download only (its own permission, each
download recorded), 999 and results inline."""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from agencies.access import AuthenticatedRequest

from . import services
from .models import Transmission, TransmissionDownload, TransmissionEvent, TransmissionMember

logger = logging.getLogger(__name__)
DOWNLOAD_PERMISSION = "edi.download_transmission"


class TransmissionMemberInline(admin.TabularInline):
    model = TransmissionMember
    extra = 0
    can_delete = False
    fields = ("member_ref", "subscriber_ref", "relationship", "status", "humana_member_id", "errors")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TransmissionEventInline(admin.TabularInline):
    model = TransmissionEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TransmissionDownloadInline(admin.TabularInline):
    model = TransmissionDownload
    extra = 0
    can_delete = False
    fields = ("at", "username")
    readonly_fields = fields
    verbose_name_plural = "downloads of the file"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("edi.view_transmission")  # whoever sees the file sees who took it

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transmission)
class TransmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "group", "purpose", "status", "isa13", "file_id", "member_count", "created_at"]
    list_filter = ["status", "purpose"]
    search_fields = ["file_id", "reference", "group__legal_name", "group__humana_group_id"]
    list_select_related = ["group"]
    inlines = [TransmissionMemberInline, TransmissionEventInline, TransmissionDownloadInline]
    actions = ["poll_again", "resubmit"]
    exclude = ["content"]
    readonly_fields = [
        "group",
        "purpose",
        "status",
        "status_reason",
        "follows",
        "isa13",
        "gs06",
        "reference",
        "original_reference",
        "download",
        "sha256",
        "member_count",
        "subscriber_count",
        "precheck_errors",
        "idempotency_key",
        "file_id",
        "carrier_status",
        "received_at",
        "completed_at",
        "file_errors",
        "summary",
        "acknowledgment",
        "upload_attempts",
        "poll_attempts",
        "uploaded_at",
        "poll_started_at",
        "last_polled_at",
        "next_poll_at",
        "notified_at",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request) -> bool:
        return False

    def has_download_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(DOWNLOAD_PERMISSION)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_download_permission(request, obj):
            fields[fields.index("download")] = "download_not_allowed"
        return fields

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="edi_transmission_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        if not (self.has_view_permission(request) and self.has_download_permission(request)):
            return HttpResponse(status=403)
        transmission = get_object_or_404(Transmission, pk=pk)
        TransmissionDownload.objects.create(
            transmission=transmission, by=request.user, username=request.user.get_username()
        )
        logger.info("834 #%s downloaded by %s", transmission.pk, request.user.get_username())
        response = HttpResponse(transmission.content.encode("ascii"), content_type="application/edi-x12")
        name = f"834-{transmission.control_number or transmission.pk}.x12"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.display(description="834 file")
    def download(self, obj: Transmission) -> str:
        if not obj.pk or not obj.sha256:
            return "—"
        url = reverse("admin:edi_transmission_download", args=[obj.pk])
        return format_html('<a href="{}">Download the file</a> ({} members)', url, obj.member_count)

    @admin.display(description="834 file")
    def download_not_allowed(self, obj: Transmission) -> str:
        return "Downloading the file (SSNs and dates of birth) needs its own permission."

    @admin.display(description="999 acknowledgment")
    def acknowledgment(self, obj: Transmission) -> str:
        return format_html("<pre>{}</pre>", obj.ack_999) if obj.ack_999 else "—"

    @admin.action(description="Poll the carrier again", permissions=["change"])
    def poll_again(self, request, queryset) -> None:
        for transmission in queryset:
            try:
                services.transmission_poll_again(transmission=transmission)
            except services.TransitionNotAllowed as exc:
                self.message_user(request, f"#{transmission.pk}: {exc}", messages.WARNING)
        self.message_user(request, "Polling queued.", messages.SUCCESS)

    @admin.action(description="Resubmit the group (a new file)", permissions=["change"])
    def resubmit(self, request, queryset) -> None:
        for transmission in queryset:
            try:
                new = services.transmission_resubmit(transmission=transmission, by=request.user)
            except services.TransmissionRefused as exc:
                self.message_user(request, f"#{transmission.pk}: {exc}", messages.WARNING)
                continue
            self.message_user(
                request, f"#{transmission.pk}: new file #{new.pk} is {new.get_status_display()}."
            )
