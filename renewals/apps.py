from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        from enrollment.renewal_facts import renewal_source_register
        from enrollment.timeline import timeline_source_register

        from .selectors import renewal_for_changes, renewal_timeline

        timeline_source_register(renewal_timeline)
        renewal_source_register(renewal_for_changes)
