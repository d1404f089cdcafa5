"""Admin of members: families with elections, SSN and date of birth masked everywhere (list, form,
history list and history form), and 'validate again'."""

from __future__ import annotations

import dataclasses

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import services
from .models import Election, Invitation, Member, RosterImport, ValidationEvent, mask_ssn

SENSITIVE = {"ssn": mask_ssn, "date_of_birth": lambda value: "****-**-**" if value else ""}


class MaskedContextHelper(HistoricalRecordContextHelper):
    """History deltas show sensitive values masked."""

    def format_delta_change(self, change):
        if change.field in SENSITIVE:
            mask = SENSITIVE[change.field]
            change = dataclasses.replace(change, old=mask(change.old), new=mask(change.new))
        return super().format_delta_change(change)


class ElectionInline(admin.TabularInline):
    model = Election
    extra = 0
    fields = ("line", "plan_id", "waived", "waiver_reason")


class DependentInline(admin.TabularInline):
    model = Member
    fk_name = "subscriber"
    extra = 0
    verbose_name = _("dependent")
    verbose_name_plural = _("dependents")
    fields = (
        "member_ref",
        "relationship",
        "first_name",
        "last_name",
        "masked_ssn_display",
        "masked_dob_display",
        "covered_lines",
        "validation_status",
        "enrollment_status",
    )
    readonly_fields = ("masked_ssn_display", "masked_dob_display", "validation_status", "enrollment_status")
    show_change_link = True

    @admin.display(description=_("SSN"))
    def masked_ssn_display(self, obj: Member) -> str:
        return mask_ssn(obj.ssn)

    @admin.display(description=_("date of birth"))
    def masked_dob_display(self, obj: Member) -> str:
        return obj.masked_date_of_birth


class ValidationEventInline(admin.TabularInline):
    """The member's validation moves (``members.states``), newest last."""

    model = ValidationEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "from_status", "to_status", "edit_version", "reason")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    list_display = (
        "member_ref",
        "last_name",
        "first_name",
        "relationship",
        "group",
        "masked_ssn_display",
        "validation_status",
        "enrollment_status",
    )
    list_filter = ("group", "validation_status", "enrollment_status")
    search_fields = ("member_ref", "last_name")
    list_select_related = ("group",)
    raw_id_fields = ("group", "subscriber")
    # SSN and date of birth are never put in a form (nor a history form): masked, read-only.
    exclude = ("ssn", "date_of_birth")
    readonly_fields = (
        "masked_ssn_display",
        "masked_dob_display",
        "validation_id",
        "validated_at",
        "carrier_errors",
        "carrier_warnings",
        "validation_attempts",
        "validation_claimed_at",
        "edit_version",
        "humana_member_id",
        "enrollment_errors",
        "withdrawn_at",
    )
    history_list_display = ("validation_status",)
    actions = ("validate_again",)

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        if obj.subscriber_id is not None:
            return [ValidationEventInline]
        return [DependentInline, ElectionInline, ValidationEventInline]

    def get_historical_record_context_helper(self, request, historical_record):
        return MaskedContextHelper(self.model, historical_record)

    @admin.display(description=_("SSN"))
    def masked_ssn_display(self, obj: Member) -> str:
        return mask_ssn(obj.ssn)

    @admin.display(description=_("date of birth"))
    def masked_dob_display(self, obj: Member) -> str:
        return obj.masked_date_of_birth

    @admin.action(description=_("Validate again with the carrier"), permissions=["change"])
    def validate_again(self, request, queryset):
        queued = 0
        by_group: dict = {}
        for member in queryset.select_related("group"):
            by_group.setdefault(member.group, []).append(member.pk)
        for group, ids in by_group.items():
            if services.members_request_validation(group=group, member_ids=ids):
                queued += len(ids)
        self.message_user(
            request, _("%(n)s member(s) queued for validation.") % {"n": queued}, messages.SUCCESS
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = (
        "subscriber",
        "sent_at",
        "sent_count",
        "expires_at",
        "opened_at",
        "signed_at",
        "revoked_at",
    )
    list_filter = ("revoked_at", "signed_at")
    search_fields = ("subscriber__member_ref", "subscriber__last_name")
    # The draft may hold an SSN: never shown. The token itself is never stored.
    exclude = ("draft",)
    readonly_fields = ("token_hash", "sent_at", "sent_count", "opened_at", "signed_name", "signed_at")
    raw_id_fields = ("subscriber",)
    actions = ("revoke",)

    @admin.action(description=_("Revoke the selected invitations"), permissions=["change"])
    def revoke(self, request, queryset):
        from .self_service import invitation_revoke

        n = 0
        for invitation in queryset.filter(revoked_at__isnull=True):
            invitation_revoke(invitation=invitation, by=request.user)
            n += 1
        self.message_user(request, _("%(n)s invitation(s) revoked.") % {"n": n}, messages.SUCCESS)


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    """Roster previews and imports: who read which file for which group, and what came of it. The values
    read (SSNs and dates of birth among them) are never shown; a preview is discarded, not edited."""

    list_display = (
        "file_name",
        "group",
        "status",
        "family_count",
        "member_count",
        "imported_count",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "group__legal_name")
    exclude = ("families_json",)
    readonly_fields = (
        "group",
        "uploaded_by",
        "file_name",
        "status",
        "errors",
        "columns",
        "family_count",
        "member_count",
        "imported_count",
        "skipped_lines",
        "imported_at",
    )
    actions = ("discard",)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Discard the selected previews"), permissions=["change"])
    def discard(self, request, queryset):
        from .roster.services import roster_discard

        n = sum(roster_discard(roster_import=r) for r in queryset.filter(status=RosterImport.Status.PREVIEW))
        self.message_user(request, _("%(n)s preview(s) discarded.") % {"n": n}, messages.SUCCESS)
