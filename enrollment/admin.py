from django.contrib import admin

from .models import EmployerGroup


@admin.register(EmployerGroup)
class EmployerGroupAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "status", "requested_effective_date", "humana_group_id", "agency", "broker"]
    list_filter = ["status", "agency"]
    search_fields = ["legal_name", "humana_group_id"]
    list_select_related = ["agency", "broker__user"]
    readonly_fields = ["humana_group_id", "created_at", "updated_at"]
