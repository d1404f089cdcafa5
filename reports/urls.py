from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("book/export.<str:fmt>", views.book_export, name="book_export"),
    path("groups/<int:pk>/exports/<slug:report>.<str:fmt>", views.group_export, name="group_export"),
]
