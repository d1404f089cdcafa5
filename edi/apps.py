from django.apps import AppConfig


class EdiConfig(AppConfig):
    name = "edi"
    verbose_name = "Enrollment files (834)"

    def ready(self) -> None:
        from carrier.resume import operation_resumer_register

        from .services.transmissions import transmission_operation_resume

        operation_resumer_register(kind="upload_834", resumer=transmission_operation_resume)
