"""Set up the carrier sandbox for live tests through its own commands.

``sandbox_key NAME --sender-id ID --key KEY`` and ``sandbox_load_etss PATH``.
"""

from __future__ import annotations

import re
import uuid
from io import StringIO

from django.conf import settings
from django.core.management import call_command

RATE_FILE = "HUM_ETSS_SG_KY_20261101_000001.txt"


def sandbox_partner(*, name: str, sender_id: str | None = None) -> tuple[str, str]:
    """Create a sandbox partner with a known key; (api key, sender ID)."""
    sender_id = sender_id or re.sub(r"[^A-Z0-9]", "", name.upper())[:15]
    key = f"test-{uuid.uuid4().hex}"
    call_command("sandbox_key", name, "--sender-id", sender_id, "--key", key, stdout=StringIO())
    return key, sender_id


def sandbox_load_rates() -> None:
    """The sample ETSS rate file (Kentucky, KY-RA02 for Louisville) as the sandbox's plans and rates."""
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())
