from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        from enrollment.timeline import timeline_source_register

        from .selectors import renewal_timeline

        timeline_source_register(renewal_timeline)
