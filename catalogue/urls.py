from django.urls import path

from . import views

urlpatterns = [
    path("", views.quote_list, name="quote_list"),
    path("new/", views.quote_new, name="quote_new"),
    path("<int:pk>/", views.quote_detail, name="quote_detail"),
    path("census-template.<str:fmt>", views.census_template, name="quote_census_template"),
    path("counties/", views.counties, name="quote_counties"),
]
