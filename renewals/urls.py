from django.urls import path

from . import views, views_enroll

app_name = "renewals"

urlpatterns = [
    path("renewals/", views.renewals_due, name="due"),
    path("groups/<int:pk>/renewal/", views.renewal_detail, name="detail"),
    path("groups/<int:pk>/renewal/sync", views.renewal_sync_now, name="sync"),
    path("groups/<int:pk>/renewal/open-enrollment", views.renewal_open_enrollment, name="open_enrollment"),
    path("groups/<int:pk>/renewal/decide", views.renewal_decide, name="decide"),
    path("groups/<int:pk>/renewal/decide/check", views.renewal_decide_check, name="decide_check"),
    path("groups/<int:pk>/renewal/decision/sign", views.renewal_decision_agent_sign, name="decision_sign"),
    path("groups/<int:pk>/renewal/decision/submit", views.renewal_decision_submit, name="decision_submit"),
    path(
        "groups/<int:pk>/renewal/decision/<str:sha256>.pdf", views.renewal_decision_pdf, name="decision_pdf"
    ),
    path("groups/<int:pk>/renewal/file", views.renewal_file_send, name="file_send"),
    # under enroll/, as members' self-service: an employee's link (a token), no login
    path("enroll/renew/<str:token>/", views_enroll.renewal_enroll, name="enroll"),
]
