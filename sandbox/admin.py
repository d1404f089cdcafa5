"""The sandbox in the admin: partners and keys, the loaded rate file, groups, validations and files.

Member bodies and 834s hold SSNs and dates of birth: they are shown masked only.
"""

from __future__ import annotations

import json
import secrets

from django.contrib import admin, messages
from django.utils.html import format_html

from groupsales.masking import mask_json, mask_x12

from . import models as m
from .services_admin import partner_add_key


def _pretty(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(mask_json(value), indent=2))


class ApiKeyInline(admin.TabularInline):
    model = m.ApiKey
    extra = 0
    fields = ("prefix", "label", "active", "created_at")
    readonly_fields = ("prefix", "created_at")


@admin.register(m.Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "sender_id", "key_count", "created_at")
    search_fields = ("name", "sender_id")
    inlines = [ApiKeyInline]
    actions = ["new_api_key"]

    @admin.display(description="keys")
    def key_count(self, partner: m.Partner) -> int:
        return partner.keys.filter(active=True).count()

    @admin.action(description="Create a new API key (shown once)", permissions=["change"])
    def new_api_key(self, request, queryset) -> None:
        for partner in queryset:
            raw = f"sbx_{secrets.token_urlsafe(24)}"
            partner_add_key(name=partner.name, sender_id=partner.sender_id, raw_key=raw, label="admin")
            self.message_user(
                request, f"{partner.name}: new key {raw} (it is not shown again)", messages.WARNING
            )


@admin.register(m.RuleThresholds)
class RuleThresholdsAdmin(admin.ModelAdmin):
    list_display = ("id", "note", "updated_at")


@admin.register(m.RateFile)
class RateFileAdmin(admin.ModelAdmin):
    list_display = ("name", "loaded_at", "sha256")
    readonly_fields = ("name", "sha256", "loaded_at", "counts")


class MemberValidationInline(admin.TabularInline):
    model = m.MemberValidation
    extra = 0
    fields = (
        "member_ref",
        "subscriber_ref",
        "relationship",
        "valid",
        "status",
        "humana_member_id",
        "validated_at",
    )
    readonly_fields = fields
    can_delete = False


class EnrollmentFileInline(admin.TabularInline):
    model = m.EnrollmentFile
    extra = 0
    fields = ("file_id", "interchange_control_number", "status", "received_at", "completed_at")
    readonly_fields = fields
    can_delete = False


@admin.register(m.Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("group_id", "employer", "partner", "status", "rating_area_id", "created_on")
    list_filter = ("status", "partner")
    search_fields = ("group_id", "body__employer__legalName")
    readonly_fields = (
        "partner",
        "group_id",
        "created_at",
        "created_on",
        "updated_at",
        "finalized_at",
        "status_history",
        "masked_body",
        "estimated_rates",
        "finalized",
    )
    exclude = ("body",)
    inlines = [MemberValidationInline, EnrollmentFileInline]

    @admin.display(description="employer")
    def employer(self, group: m.Group) -> str:
        return group.body.get("employer", {}).get("legalName", "")

    @admin.display(description="body")
    def masked_body(self, group: m.Group) -> str:
        return _pretty(group.body)


@admin.register(m.MemberValidation)
class MemberValidationAdmin(admin.ModelAdmin):
    list_display = ("member_ref", "group", "relationship", "valid", "status", "humana_member_id")
    list_filter = ("valid", "status", "relationship")
    search_fields = ("member_ref", "group__group_id")
    exclude = ("body",)
    readonly_fields = (
        "group",
        "member_ref",
        "subscriber_ref",
        "relationship",
        "masked_body",
        "valid",
        "errors",
        "validation_id",
        "validated_at",
        "status",
        "humana_member_id",
    )

    @admin.display(description="body")
    def masked_body(self, validation: m.MemberValidation) -> str:
        return _pretty(validation.body)


@admin.register(m.EnrollmentFile)
class EnrollmentFileAdmin(admin.ModelAdmin):
    list_display = ("file_id", "group", "partner", "interchange_control_number", "status", "received_at")
    list_filter = ("status", "partner")
    search_fields = ("file_id", "group__group_id", "interchange_control_number")
    exclude = ("content",)
    readonly_fields = (
        "partner",
        "group",
        "file_id",
        "interchange_control_number",
        "masked_content",
        "status",
        "received_at",
        "processing_after",
        "ends_after",
        "completed_at",
        "errors",
        "summary",
        "members",
        "acknowledgment",
    )

    @admin.display(description="834 (masked)")
    def masked_content(self, file: m.EnrollmentFile) -> str:
        return format_html("<pre>{}</pre>", mask_x12(file.content))
