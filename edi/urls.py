from django.urls import path

from . import views

urlpatterns = [
    path("enrollment-files/groups/<int:group_pk>/", views.group_files, name="edi_group_files"),
    path("enrollment-files/groups/<int:group_pk>/send", views.send_file, name="edi_send"),
    path("enrollment-files/groups/<int:group_pk>/follow-up", views.send_follow_up, name="edi_follow_up"),
    path("enrollment-files/groups/<int:group_pk>/resubmit", views.resubmit_group, name="edi_resubmit"),
    path("enrollment-files/<int:pk>/", views.transmission_detail, name="edi_transmission"),
]
