from django.urls import path

from . import self_service_views, views
from .roster import views as roster_views

app_name = "members"

urlpatterns = [
    path("groups/<int:group_pk>/members/", views.member_list, name="member_list"),
    path("groups/<int:group_pk>/members/new", views.family_edit, name="family_new"),
    path("groups/<int:group_pk>/members/<int:pk>/", views.family_edit, name="family_edit"),
    path("groups/<int:group_pk>/members/<int:pk>/withdraw", views.member_withdraw, name="member_withdraw"),
    path("groups/<int:group_pk>/members/import-census", views.census_import, name="census_import"),
    path("groups/<int:group_pk>/members/validate", views.validate_now, name="validate_now"),
    path("groups/<int:group_pk>/members/roster/", roster_views.roster_upload, name="roster_upload"),
    path(
        "groups/<int:group_pk>/members/roster/<int:pk>/", roster_views.roster_preview, name="roster_preview"
    ),
    path(
        "groups/<int:group_pk>/members/roster/<int:pk>/discard",
        roster_views.roster_discard,
        name="roster_discard",
    ),
    path(
        "groups/<int:group_pk>/members/roster-template.<str:fmt>",
        roster_views.roster_template,
        name="roster_template",
    ),
    path(
        "groups/<int:group_pk>/members/remind-not-started",
        views.remind_not_started,
        name="remind_not_started",
    ),
    path(
        "groups/<int:group_pk>/members/<int:pk>/invite",
        views.invitation_send,
        name="invitation_send",
    ),
    path(
        "groups/<int:group_pk>/members/<int:pk>/invite/resend",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "groups/<int:group_pk>/members/<int:pk>/invite/revoke",
        self_service_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "groups/<int:group_pk>/members/<int:pk>/invite/extend",
        self_service_views.invitation_extend,
        name="invitation_extend",
    ),
]
