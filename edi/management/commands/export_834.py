"""Write the 834 that would be uploaded for a group, without sending it."""

from __future__ import annotations

import os
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from edi import services
from edi.models import Transmission
from enrollment.models import EmployerGroup


def write_private(path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` readable by its owner only (0600): it holds SSNs and dates of birth.

    The mode is set on the open descriptor before anything is written, also for a file that existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(content)


class Command(BaseCommand):
    help = (
        "Write the 834 that would be uploaded for GROUP_ID (the Humana Group ID), without sending it. "
        "The real control-number sequence is NOT used: ISA13 and GS06 are the placeholder "
        "--control-number (default 1, written 000000001), so the file must never be uploaded as is."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("group_id", help="the Humana Group ID")
        parser.add_argument("-o", "--output", required=True, help="file to write ('-' for standard output)")
        parser.add_argument(
            "--control-number", type=int, default=1, help="placeholder ISA13/GS06 (default 1)"
        )
        parser.add_argument("--created-at", help="ISO timestamp of the file (default: now)")
        parser.add_argument(
            "--purpose",
            choices=[p.value for p in Transmission.Purpose],
            default=Transmission.Purpose.ORIGINAL,
        )
        parser.add_argument("--member", action="append", dest="members", help="only this memberRef (repeat)")
        parser.add_argument("--original-reference", default="", help="BGN06 for a RESUBMISSION")

    def handle(self, *args, **options) -> None:
        try:
            group = EmployerGroup.objects.get(humana_group_id=options["group_id"])
        except EmployerGroup.DoesNotExist as exc:
            raise CommandError(f"No group with Humana Group ID {options['group_id']}.") from exc
        created_at = timezone.now()
        if options["created_at"]:
            created_at = datetime.fromisoformat(options["created_at"])
            if timezone.is_naive(created_at):
                created_at = timezone.make_aware(created_at)
        try:
            built = services.transmission_render(
                group=group,
                purpose=options["purpose"],
                control_number=options["control_number"],
                created_at=created_at,
                member_refs=options["members"],
                original_reference=options["original_reference"],
            )
        except services.BuildError as exc:
            raise CommandError("; ".join(f"{p.code}: {p.message}" for p in exc.problems)) from exc
        if options["output"] == "-":
            self.stdout.write(built.text, ending="")
        else:
            write_private(options["output"], built.content)
            self.stderr.write(
                f"Wrote {len(built.members)} members to {options['output']} (sha256 {built.digest})."
            )
