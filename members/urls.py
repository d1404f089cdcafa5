from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("groups/<int:group_pk>/members/", views.member_list, name="member_list"),
    path("groups/<int:group_pk>/members/new", views.family_edit, name="family_new"),
    path("groups/<int:group_pk>/members/<int:pk>/", views.family_edit, name="family_edit"),
    path("groups/<int:group_pk>/members/<int:pk>/withdraw", views.member_withdraw, name="member_withdraw"),
    path("groups/<int:group_pk>/members/import-census", views.census_import, name="census_import"),
    path("groups/<int:group_pk>/members/validate", views.validate_now, name="validate_now"),
]
