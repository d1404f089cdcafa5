from django.contrib import admin

from .models import Renewal, RenewalEvent


class RenewalEventInline(admin.TabularInline):
    model = RenewalEvent
    extra = 0
    readonly_fields = ("from_status", "to_status", "reason", "at")
    can_delete = False


@admin.register(Renewal)
class RenewalAdmin(admin.ModelAdmin):
    list_display = ("group", "renewal_date", "status", "carrier_status", "sending", "synced_at")
    list_filter = ("status", "sending")
    readonly_fields = ("carrier_renewal", "decision_body", "decision_key", "decision_problems", "synced_at")
    inlines = [RenewalEventInline]
