from django.apps import AppConfig


class EmployersConfig(AppConfig):
    name = "employers"
    verbose_name = "Employers (HR contacts)"

    def ready(self) -> None:
        from enrollment.timeline import timeline_source_register

        from .selectors import employer_request_timeline

        timeline_source_register(employer_request_timeline)
