from django.urls import path

from . import views

app_name = "maintenance"

urlpatterns = [
    path("groups/<int:group_pk>/maintenance/", views.group_changes, name="group_changes"),
    path("groups/<int:group_pk>/maintenance/new-hire", views.change_new_hire, name="new_hire"),
    path("groups/<int:group_pk>/maintenance/termination", views.change_termination, name="termination"),
    path("groups/<int:group_pk>/maintenance/move", views.change_move, name="move"),
    path(
        "groups/<int:group_pk>/maintenance/<int:change_pk>/check-again",
        views.change_check_again,
        name="check_again",
    ),
    path("groups/<int:group_pk>/maintenance/event/<slug:slug>", views.life_event, name="life_event"),
    path("groups/<int:group_pk>/maintenance/people", views.group_people, name="people"),
    path(
        "groups/<int:group_pk>/maintenance/people/<int:member_pk>",
        views.member_timeline,
        name="member_timeline",
    ),
    path(
        "groups/<int:group_pk>/maintenance/people/<int:member_pk>/life-event-link",
        views.life_event_link,
        name="life_event_link",
    ),
    path("groups/<int:group_pk>/maintenance/send", views.change_file_send, name="send"),
    path("groups/<int:group_pk>/maintenance/poll", views.change_file_poll, name="poll"),
    path("groups/<int:group_pk>/maintenance/reconcile", views.roster_reconcile, name="reconcile"),
]
