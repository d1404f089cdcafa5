from django.contrib import admin, messages
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import ApplicationDocument, ApplicationSignature, CensusMember, EmployerGroup, GroupTransition
from .states import TransitionNotAllowed

CARRIER_FIELDS = [
    "humana_group_id",
    "rating_area_id",
    "estimated_rates",
    "estimated_monthly_premium",
    "final_monthly_premium",
    "carrier_created_at",
    "carrier_status",
    "carrier_updated_at",
    "carrier_synced_at",
    "carrier_errors",
    "create_attempts",
    "idempotency_key",
    "create_claimed_at",
]


class CensusInline(admin.TabularInline):
    """The census without dates of birth (personal data stays masked in the admin)."""

    model = CensusMember
    extra = 0
    fields = (
        "member_ref",
        "subscriber_ref",
        "relationship",
        "masked_dob",
        "gender",
        "zip5",
        "tobacco_use",
        "is_owner",
        "is_owner_spouse",
        "coverage_tier",
    )
    readonly_fields = fields
    can_delete = False

    @admin.display(description="date of birth")
    def masked_dob(self, obj: CensusMember) -> str:
        return "••/••/••••" if obj.date_of_birth else "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TransitionInline(admin.TabularInline):
    model = GroupTransition
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmployerGroup)
class EmployerGroupAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "fein",
        "status",
        "requested_effective_date",
        "humana_group_id",
        "carrier_status",
        "agency",
        "broker",
    ]
    list_filter = ["status", "agency"]
    search_fields = ["legal_name", "dba_name", "fein", "humana_group_id"]
    list_select_related = ["agency", "broker__user"]
    readonly_fields = [
        *CARRIER_FIELDS,
        "status",
        "status_reason",
        "carrier_calls",
        "changes_after_enrollment",
        "created_at",
        "updated_at",
    ]
    inlines = [CensusInline, TransitionInline]
    actions = ["retry_creation", "resync_with_carrier"]

    @admin.display(description="carrier calls")
    def carrier_calls(self, obj: EmployerGroup):
        from .selectors import group_api_calls

        calls = group_api_calls(group=obj)
        if not calls:
            return "—"
        return format_html_join(
            "",
            "<div>{} {} {} · {} ms · attempt {} · correlation {}</div>",
            (
                (c.method, c.path, c.status_code or c.outcome, c.duration_ms, c.attempt, c.correlation_id)
                for c in calls
            ),
        )

    @admin.display(description="changes after enrollment")
    def changes_after_enrollment(self, obj: EmployerGroup):
        """The group's own data changed while ENROLLED (its history, as the maintenance timeline shows it):
        when, who, why, each field old → new (the full record is under History)."""
        from .changes import group_history_changes

        changes = group_history_changes(group=obj)
        if not changes:
            return "—"
        return format_html_join(
            "",
            "<div>{} · {} · {}: {}</div>",
            (
                (f"{c.at:%Y-%m-%d %H:%M}", c.who or "the portal", c.reason or "—",
                 "; ".join(f"{what}: {old} → {new}" for what, old, new in c.lines))
                for c in changes
            ),
        )  # fmt: skip

    @admin.action(description="Retry creation with the carrier", permissions=["change"])
    def retry_creation(self, request, queryset) -> None:
        done = 0
        for group in queryset.filter(
            status=EmployerGroup.Status.NEEDS_ATTENTION, humana_group_id__isnull=True
        ):
            try:
                services.group_retry_create(group=group, by=request.user)
                done += 1
            except TransitionNotAllowed:
                continue
        self.message_user(request, f"Creation retried for {done} group(s).", messages.INFO)

    @admin.action(description="Re-sync with the carrier's book of business", permissions=["change"])
    def resync_with_carrier(self, request, queryset) -> None:
        brokers = {g.broker for g in queryset.select_related("broker")}
        for broker in brokers:
            services.book_request_sync(broker=broker)
        self.message_user(request, f"Sync queued for {len(brokers)} broker(s).", messages.INFO)


class ApplicationSignatureInline(admin.TabularInline):
    model = ApplicationSignature
    extra = 0
    can_delete = False
    fields = ("role", "signed_by", "title", "email", "npn", "signed_at", "ip_address", "document_sha256")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApplicationDocument)
class ApplicationDocumentAdmin(admin.ModelAdmin):
    """Signed applications are records: read only (the PDF itself is downloaded from the group's page)."""

    list_display = ("group", "sha256", "created_at", "voided_at")
    list_filter = ("voided_at",)
    search_fields = ("group__legal_name", "sha256")
    exclude = ("pdf_base64",)
    readonly_fields = ("group", "data_sha256", "sha256", "created_at", "voided_at", "void_reason")
    inlines = [ApplicationSignatureInline]

    def has_add_permission(self, request) -> bool:
        return False


from . import admin_documents  # noqa: E402,F401
