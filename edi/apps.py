from django.apps import AppConfig


class EdiConfig(AppConfig):
    name = "edi"
    verbose_name = "Enrollment files (834)"
