"""Demo data of the sandbox: the portal's own partner and key (HUMANA_API_KEY, HUMANA_SENDER_ID) and the
sample ETSS file as the carrier's plans and rates."""

from __future__ import annotations

from django.conf import settings

from .models import RateFile
from .rates import rate_file_load
from .services_admin import partner_add_key

SAMPLE_RATE_FILE = "HUM_ETSS_SG_KY_20261101_000001.txt"


def seed(*, stdout) -> None:
    if settings.HUMANA_API_KEY:
        partner, _ = partner_add_key(
            name="Portal (development)", sender_id=settings.HUMANA_SENDER_ID, raw_key=settings.HUMANA_API_KEY
        )
        stdout.write(
            f"sandbox: partner {partner.name}, sender ID {partner.sender_id}, key from HUMANA_API_KEY"
        )
    if not RateFile.objects.exists():
        loaded = rate_file_load(path=settings.SAMPLES_DIR / SAMPLE_RATE_FILE)
        stdout.write(f"sandbox: loaded {loaded.name} as the carrier's plans and rates")
