from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from . import services
from .models import EtssFile, Plan, Quote


class EtssUploadForm(forms.Form):
    file = forms.FileField(label="ETSS file (.txt or .txt.gz)")


@admin.register(EtssFile)
class EtssFileAdmin(admin.ModelAdmin):
    list_display = ("name", "sequence", "load_type", "status", "loaded_by", "received_at", "duration_ms")
    list_filter = ("status", "load_type")
    readonly_fields = [f.name for f in EtssFile._meta.fields]
    actions = ["force_load"]
    change_list_template = "admin/catalogue/etssfile/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="catalogue_etssfile_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = EtssUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            with tempfile.TemporaryDirectory() as tmp:
                local = Path(tmp) / Path(upload.name).name
                with open(local, "wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                with transaction.atomic():
                    etss_file = services.etss_file_receive(
                        path=local, loaded_by=request.user.get_username(), process=False
                    )
                    from .tasks import process_etss_file

                    transaction.on_commit(lambda: process_etss_file.delay(etss_file.pk))
            messages.info(request, f"{etss_file.name} received; it is being checked and loaded.")
            return redirect("admin:catalogue_etssfile_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Upload an ETSS file",
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/catalogue/etssfile/upload.html", context)

    @admin.action(
        description="Force the load of held files (ignore the sequence gap)", permissions=["change"]
    )
    def force_load(self, request, queryset):
        for etss_file in queryset.filter(status=EtssFile.Status.HELD).order_by("sequence"):
            result = services.etss_file_force(etss_file_id=etss_file.pk)
            messages.info(request, f"{result.name}: {result.status}")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("plan_id", "marketing_name", "line", "state", "plan_eff_date", "plan_exp_date")
    list_filter = ("line", "state")
    search_fields = ("plan_id", "marketing_name")


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ("employer_name", "agency", "broker", "zip5", "effective_date", "created_at")
    exclude = ()
    readonly_fields = ("agency", "broker", "created_by")
