"""Create a sandbox partner (if new) and an API key for it; prints the key once."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError

from sandbox.services_admin import partner_add_key


class Command(BaseCommand):
    help = "Create an API key for a sandbox partner (the partner is created when new)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The partner's name, e.g. 'Bluegrass Portal'")
        parser.add_argument(
            "--sender-id", help="The 834 sender ID (default: the name in capitals, cut to 15)"
        )
        parser.add_argument("--key", help="Use this key instead of a random one (tests, demo data)")

    def handle(self, *args, name: str, sender_id: str | None, key: str | None, **options) -> None:
        raw = key or f"sbx_{secrets.token_urlsafe(24)}"
        try:
            partner, _ = partner_add_key(name=name, sender_id=sender_id, raw_key=raw)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"partner {partner.name} sender ID {partner.sender_id}\napi key {raw}")
