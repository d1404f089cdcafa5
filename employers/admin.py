"""Admin of employer contacts: who may see which group as its employer."""

from __future__ import annotations

from django.contrib import admin

from .models import EmployerContact


@admin.register(EmployerContact)
class EmployerContactAdmin(admin.ModelAdmin):
    list_display = ("user", "group", "title", "language", "invited_at", "last_invited_at")
    search_fields = ("user__email", "group__legal_name")
    raw_id_fields = ("user", "group", "invited_by")
    readonly_fields = ("invited_at", "last_invited_at")
