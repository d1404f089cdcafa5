"""The employee's self-service pages, mounted at ``enroll/`` (every route carries the link's token)."""

from django.urls import path

from . import self_service_views as views

app_name = "self_service"

urlpatterns = [
    path("<str:token>/", views.start, name="start"),
    path("<str:token>/details", views.details, name="details"),
    path("<str:token>/family", views.family, name="family"),
    path("<str:token>/coverage", views.coverage, name="coverage"),
    path("<str:token>/compare", views.compare, name="compare"),
    path("<str:token>/review", views.review, name="review"),
    path("<str:token>/done", views.done, name="done"),
]
