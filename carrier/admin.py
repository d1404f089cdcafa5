"""Read-only admin of the carrier traffic: operations and every HTTP attempt, bodies masked."""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from .models import ApiCall, CarrierOperation


def _pretty(text: str) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        # X12: one segment a line
        if text.startswith("ISA") and len(text) > 105:
            terminator = text[105]
            return text.replace(terminator + "\n", terminator).replace(terminator, terminator + "\n")
        return text


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "method",
        "path",
        "status_code",
        "outcome",
        "duration_ms",
        "attempt",
        "correlation_id",
    ]
    list_filter = ["method", "status_code", "outcome", "operation__kind", "created_at"]
    search_fields = ["correlation_id", "path", "subject", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["operation"]
    fields = (
        "created_at",
        "operation",
        "subject",
        "method",
        "path",
        "status_code",
        "outcome",
        "duration_ms",
        "attempt",
        "correlation_id",
        "idempotency_key",
        "error",
        "pretty_request_body",
        "pretty_response_body",
    )
    readonly_fields = fields

    @admin.display(description="Request body (masked)")
    def pretty_request_body(self, obj: ApiCall) -> str:
        return format_html('<pre class="carrier-body">{}</pre>', _pretty(obj.request_body))

    @admin.display(description="Response body (masked)")
    def pretty_response_body(self, obj: ApiCall) -> str:
        return format_html('<pre class="carrier-body">{}</pre>', _pretty(obj.response_body))


class ApiCallInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ApiCall
    extra = 0
    fields = (
        "created_at",
        "method",
        "path",
        "status_code",
        "outcome",
        "duration_ms",
        "attempt",
        "correlation_id",
    )
    readonly_fields = fields
    show_change_link = True
    ordering = ["created_at", "id"]


@admin.register(CarrierOperation)
class CarrierOperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "subject", "status", "idempotency_key", "updated_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["subject", "idempotency_key", "calls__correlation_id"]
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "subject",
        "status",
        "idempotency_key",
        "request_digest",
        "pretty_response",
        "error",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [ApiCallInline]

    @admin.display(description="Response (masked)")
    def pretty_response(self, obj: CarrierOperation) -> str:
        text = json.dumps(obj.response, indent=2, ensure_ascii=False) if obj.response is not None else ""
        return format_html('<pre class="carrier-body">{}</pre>', text)
