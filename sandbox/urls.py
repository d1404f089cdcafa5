"""The carrier sandbox's routes (api.md). Mounted at /sandbox/groupsales/v1/ only when SANDBOX_ENABLED."""

from django.urls import path

from . import maintenance_views, openapi, renewal_views, views

app_name = "sandbox"

urlpatterns = [
    path("openapi.json", openapi.document, name="openapi"),
    path("agents/<str:npn>/groups", views.agent_groups, name="agent-groups"),
    path("groups", views.groups, name="groups"),
    path("groups/<str:group_id>", views.group, name="group"),
    path("groups/<str:group_id>/finalize", views.finalize, name="finalize"),
    path("groups/<str:group_id>/member-validations", views.member_validations, name="member-validations"),
    path(
        "groups/<str:group_id>/member-validations/batch",
        views.member_validations_batch,
        name="member-validations-batch",
    ),
    path(
        "groups/<str:group_id>/member-validations/<str:member_ref>",
        views.member_validation,
        name="member-validation",
    ),
    path("groups/<str:group_id>/members", maintenance_views.group_members, name="group-members"),
    path("groups/<str:group_id>/enrollment-files", views.enrollment_files, name="enrollment-files"),
    path(
        "groups/<str:group_id>/enrollment-files/<str:file_id>", views.enrollment_file, name="enrollment-file"
    ),
    path(
        "groups/<str:group_id>/enrollment-files/<str:file_id>/acknowledgment",
        views.acknowledgment,
        name="acknowledgment",
    ),
    # 1.1, *Renewal*
    path("groups/<str:group_id>/renewal", renewal_views.renewal, name="renewal"),
    path("groups/<str:group_id>/renewals", renewal_views.renewal_list, name="renewals"),
    path(
        "groups/<str:group_id>/renewal-decisions", renewal_views.renewal_decisions, name="renewal-decisions"
    ),
]
