"""Changes after enrollment in the admin: each request with its moves (who, when, which file) and the
change files; no body is shown (SSNs and dates of birth stay out of the admin)."""

from django.contrib import admin

from .models import ChangeFile, ChangeHistory, ChangeRequest


class ChangeHistoryInline(admin.TabularInline):
    model = ChangeHistory
    extra = 0
    fields = ("at", "from_state", "to_state", "by", "file_reference", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("member_ref", "group", "event_type", "action", "event_date", "state", "held_for")
    list_filter = ("state", "event_type")
    search_fields = ("member_ref", "subscriber_ref", "group__legal_name", "group__humana_group_id")
    fields = ("group", "member_ref", "subscriber_ref", "relationship", "event_type", "action", "event_date",
              "event_key", "state", "held_for", "change", "carrier_errors", "change_file", "created_by",
              "reported_by_employee", "created_at", "updated_at")  # fmt: skip
    readonly_fields = fields
    inlines = [ChangeHistoryInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChangeFile)
class ChangeFileAdmin(admin.ModelAdmin):
    list_display = ("reference", "group", "status", "created_at", "completed_at")
    list_filter = ("status",)
    exclude = ("content",)
    readonly_fields = ("group", "reference", "control_number", "file_id", "status", "problems", "results",
                       "created_at", "completed_at")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False
