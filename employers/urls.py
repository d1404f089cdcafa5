from django.urls import path

from . import views

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
    path("employer/welcome/<uidb64>/<token>/", views.EmployerWelcomeView.as_view(), name="welcome"),
    path("groups/<int:group_pk>/employer-access/", views.employer_access, name="access"),
]
