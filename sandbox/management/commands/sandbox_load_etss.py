"""Load an ETSS plan and rate file as the sandbox's (the carrier's) own plans and rates."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sandbox.rates import RateFileRejected, rate_file_load


class Command(BaseCommand):
    help = "Replace the sandbox's plans and rates with an ETSS file (plain or .gz), all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")

    def handle(self, *args, path: str, **options) -> None:
        try:
            loaded = rate_file_load(path=path)
        except RateFileRejected as exc:
            raise CommandError(f"rejected, nothing changed: {exc}") from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{kind} {n}" for kind, n in loaded.counts.items() if n)
        self.stdout.write(f"loaded {loaded.name}: {counts}")
