from django.urls import path

from . import views, views_documents, views_requests

app_name = "employers"

urlpatterns = [
    path("employer/", views.employer_home, name="home"),
    path("employer/groups/<int:group_pk>/", views.employer_group, name="group"),
    path("employer/groups/<int:group_pk>/sign", views.employer_sign, name="sign"),
    path(
        "employer/groups/<int:group_pk>/application/<str:sha256>.pdf",
        views.employer_application_pdf,
        name="application_pdf",
    ),  # fmt: skip
    path("employer/groups/<int:group_pk>/renewal/", views_requests.employer_renewal, name="renewal"),
    path(
        "employer/groups/<int:group_pk>/renewal/sign",
        views_requests.employer_renewal_sign,
        name="renewal_sign",
    ),
    path(
        "employer/groups/<int:group_pk>/renewal/<str:sha256>.pdf",
        views_requests.employer_renewal_pdf,
        name="renewal_pdf",
    ),  # fmt: skip
    path("employer/groups/<int:group_pk>/requests/", views_requests.employer_requests, name="requests"),
    path(
        "groups/<int:group_pk>/employer-requests/<int:pk>/done",
        views_requests.employer_request_done,
        name="request_done",
    ),  # fmt: skip
    path("employer/welcome/<uidb64>/<token>/", views.EmployerWelcomeView.as_view(), name="welcome"),
    path("groups/<int:group_pk>/employer-access/", views.employer_access, name="access"),
    path("groups/<int:group_pk>/documents/", views_documents.group_documents, name="documents"),
    path(
        "groups/<int:group_pk>/documents/<int:pk>/file",
        views_documents.group_document_file,
        name="document_file",
    ),
    path(
        "employer/groups/<int:group_pk>/documents/",
        views_documents.employer_documents,
        name="employer_documents",
    ),
    path(
        "employer/groups/<int:group_pk>/documents/<int:pk>/file",
        views_documents.employer_document_file,
        name="employer_document_file",
    ),  # fmt: skip
    path("notices/preferences/", views_documents.notice_preferences, name="preferences"),
]
