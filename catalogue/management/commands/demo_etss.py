"""``python manage.py demo_etss [--out FOLDER]``: write the project's demo ETSS rate file.

The file (KY, plan year 2027, made by ``groupsales.demo_etss``) keeps its ETSS name, which the loaders
check against its header, and gets its ``.sha256`` sidecar beside it. Load it with ``import_etss`` (the
portal's catalogue) or ``sandbox_load_etss`` (the sandbox carrier).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from groupsales.demo_etss import write_etss_file


class Command(BaseCommand):
    help = "Write the demo ETSS rate file (KY 2027) and its .sha256 sidecar into a folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--out", default=None, help=f"the folder to write into (default: {settings.SAMPLES_DIR})"
        )

    def handle(self, *args, out: str | None, **options) -> None:
        path = write_etss_file(out if out is not None else settings.SAMPLES_DIR)
        self.stdout.write(str(path))
