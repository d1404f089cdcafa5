from django.apps import AppConfig


class EmployersConfig(AppConfig):
    name = "employers"
    verbose_name = "Employers (HR contacts)"
