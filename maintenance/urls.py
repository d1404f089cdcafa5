from django.urls import path

from . import views

app_name = "maintenance"

urlpatterns = [
    path("groups/<int:group_pk>/changes/", views.group_changes, name="group_changes"),
    path("groups/<int:group_pk>/changes/new-hire", views.change_new_hire, name="new_hire"),
    path("groups/<int:group_pk>/changes/termination", views.change_termination, name="termination"),
    path("groups/<int:group_pk>/changes/move", views.change_move, name="move"),
    path("groups/<int:group_pk>/changes/send", views.change_file_send, name="send"),
    path("groups/<int:group_pk>/changes/poll", views.change_file_poll, name="poll"),
    path("groups/<int:group_pk>/changes/reconcile", views.roster_reconcile, name="reconcile"),
]
