from django.urls import path

from . import views

urlpatterns = [
    path("", views.quote_list, name="quote_list"),
    path("new/", views.quote_new, name="quote_new"),
    path("<int:pk>/", views.quote_detail, name="quote_detail"),
    path("<int:pk>/proposal.pdf", views.quote_proposal, name="quote_proposal"),
    path("<int:pk>/scenarios", views.quote_scenarios_update, name="quote_scenarios"),
    path("census-template.<str:fmt>", views.census_template, name="quote_census_template"),
    path("counties/", views.counties, name="quote_counties"),
]
