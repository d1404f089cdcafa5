from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Employer groups"

    def ready(self) -> None:
        from carrier.resume import operation_resumer_register

        from .sweep import group_operation_resume

        for kind in ("create_group", "finalize_group"):
            operation_resumer_register(kind=kind, resumer=group_operation_resume)
