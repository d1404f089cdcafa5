"""``python manage.py import_etss PATH``: load an ETSS plan and rate file (plain or .gz)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import EtssFile
from catalogue.services import etss_file_receive


class Command(BaseCommand):
    help = (
        "Load an ETSS plan and rate file (plain or gzipped); a sidecar <file>.sha256 is checked when present."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")

    def handle(self, *args, path: str, **options) -> None:
        from groupsales.etss import verify_sidecar

        if verify_sidecar(path) is False:
            raise CommandError(f"{path}: the .sha256 sidecar does not match the file; not loaded")
        try:
            etss_file = etss_file_receive(path=path, loaded_by="command")
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{etss_file.name}: {etss_file.status} {etss_file.counts}")
        for issue in etss_file.errors[:50]:
            self.stdout.write(
                f"  line {issue['line']} {issue['recordType']} {issue['field']}: {issue['message']}"
            )
        if etss_file.status == EtssFile.Status.REJECTED:
            raise CommandError(f"{etss_file.name} rejected")
