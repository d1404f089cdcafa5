"""Demo data of the sandbox: the portal's own partner and key (HUMANA_API_KEY, HUMANA_SENDER_ID) and the
demo ETSS file (``groupsales.demo_etss``, written into ``settings.SAMPLES_DIR``) as the carrier's plans and
rates."""

from __future__ import annotations

from django.conf import settings

from groupsales.demo_etss import write_etss_file

from .models import RateFile
from .rates import rate_file_load
from .services_admin import partner_add_key


def seed(*, stdout) -> None:
    if settings.HUMANA_API_KEY:
        partner, _ = partner_add_key(
            name="Portal (development)", sender_id=settings.HUMANA_SENDER_ID, raw_key=settings.HUMANA_API_KEY
        )
        stdout.write(
            f"sandbox: partner {partner.name}, sender ID {partner.sender_id}, key from HUMANA_API_KEY"
        )
    if not RateFile.objects.exists():
        loaded = rate_file_load(path=write_etss_file(settings.SAMPLES_DIR))
        stdout.write(f"sandbox: loaded {loaded.name} as the carrier's plans and rates")
