from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "Group enrollment portal: administration"
admin.site.site_title = "Portal admin"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("quotes/", include("catalogue.urls")),
    path("enroll/life-events/", include("maintenance.self_service_urls")),
    path("enroll/", include("members.self_service_urls")),
    path("", include("reports.urls")),
    path("", include("employers.urls")),
    path("", include("members.urls")),
    path("", include("enrollment.urls")),
    path("", include("edi.urls")),
    path("", include("renewals.urls")),
    path("", include("maintenance.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/groupsales/v1/", include("sandbox.urls")))
