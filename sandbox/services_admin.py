"""Setting the sandbox up: partners and their keys (admin, commands, demo data)."""

from __future__ import annotations

import re

from django.db import transaction

from .models import ApiKey, Partner, default_sender_id, key_digest

SENDER_ID = re.compile(r"^[A-Z0-9]{2,15}$")


def partner_add_key(
    *, name: str, sender_id: str | None = None, raw_key: str, label: str = ""
) -> tuple[Partner, ApiKey]:
    """The partner named ``name`` (created when new) with ``raw_key`` as one of its keys."""
    sender_id = sender_id or default_sender_id(name)
    if not SENDER_ID.match(sender_id):
        raise ValueError(f"sender ID {sender_id!r} must be 2 to 15 capital letters or digits")
    with transaction.atomic():
        partner, created = Partner.objects.get_or_create(name=name, defaults={"sender_id": sender_id})
        if not created and partner.sender_id != sender_id:
            raise ValueError(f"partner {name} already has sender ID {partner.sender_id}")
        key, _ = ApiKey.objects.get_or_create(
            digest=key_digest(raw_key), defaults={"partner": partner, "prefix": raw_key[:8], "label": label}
        )
        if key.partner_id != partner.pk:
            raise ValueError("that key belongs to another partner")
    return partner, key
