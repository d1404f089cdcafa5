from django.urls import include, path

from . import views, views_application, views_group, views_window

# Group pages are namespaced ("enrollment:…"); the book keeps its site-wide name "book" (login redirect, nav).
group_patterns = [
    path("book/sync", views.book_sync, name="book_sync"),
    path("groups/new", views.group_new, name="group_new"),
    path("groups/from-quote/<int:quote_pk>", views.group_start_from_quote, name="group_start_from_quote"),
    path("groups/<int:pk>/", views_group.group_detail, name="group_detail"),
    path("groups/<int:pk>/status.json", views_group.group_status, name="group_status"),
    path("groups/<int:pk>/review", views.group_review, name="group_review"),
    path("groups/<int:pk>/finalize", views_group.group_finalize, name="group_finalize"),
    path("groups/<int:pk>/changes/send", views_group.group_changes_send, name="group_changes_send"),
    path("groups/<int:pk>/changes/discard", views_group.group_changes_discard, name="group_changes_discard"),
    path("groups/<int:pk>/open-enrollment/", views_window.group_window, name="group_window"),
    path("groups/<int:pk>/application/", views_application.group_application, name="group_application"),
    path(
        "groups/<int:pk>/application/<str:sha256>.pdf",
        views_application.group_application_pdf,
        name="group_application_pdf",
    ),
    path("groups/<int:pk>/<slug:step>", views.group_step, name="group_step"),
    path("groups/<int:pk>/<slug:step>/check", views.group_step_check, name="group_step_check"),
]

urlpatterns = [
    path("", views.book_of_business, name="book"),
    # The quote page's "start a group" button: under the quote's address, the draft is enrollment's.
    path(
        "quotes/<int:pk>/scenarios/<int:position>/start-group",
        views.quote_scenario_start_group,
        name="quote_scenario_start_group",
    ),
    path("", include((group_patterns, "enrollment"))),
]
