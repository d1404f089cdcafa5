"""The employee's life-event pages, mounted at ``enroll/life-events/`` (every route carries the token)."""

from django.urls import path

from . import self_service_views as views

app_name = "maintenance_self_service"

urlpatterns = [
    path("<str:token>/", views.life_events_start, name="start"),
    path("<str:token>/<slug:slug>", views.life_event_report, name="report"),
]
