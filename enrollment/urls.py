from django.urls import path

from . import views

urlpatterns = [
    path("", views.book_of_business, name="book"),
]
