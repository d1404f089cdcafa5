"""Demo data of the catalogue: the sample rate file, and a saved quote of the Blue Heron census."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings

from agencies.models import Broker

from . import services
from .census import parse_census
from .models import EtssFile, Quote
from .testing import SAMPLE_NAME

DEMO_EMPLOYER = "Blue Heron Bakery LLC"


def seed(*, stdout) -> Quote | None:
    """Idempotent: load the sample ETSS file unless loaded; one demo quote for the demo broker."""
    samples = Path(settings.SAMPLES_DIR)
    if not EtssFile.objects.filter(name=SAMPLE_NAME, status=EtssFile.Status.LOADED).exists():
        etss_file = services.etss_file_receive(path=samples / SAMPLE_NAME, loaded_by="demo")
        stdout.write(f"catalogue: {etss_file.name} {etss_file.status}")
    else:
        stdout.write("catalogue: sample rate file already loaded")
    broker = Broker.objects.filter(user__username="broker").first()
    if broker is None:
        stdout.write("catalogue: no demo broker yet; skipped the demo quote")
        return None
    existing = Quote.objects.filter(broker=broker, employer_name=DEMO_EMPLOYER).first()
    if existing is not None:
        return existing
    rows, problems = parse_census((samples / "census-blue-heron.csv").read_bytes(), filename="census.csv")
    if problems:
        stdout.write(f"catalogue: the sample census has problems: {problems[0]}")
        return None
    quote = services.quote_create(
        broker=broker,
        employer_name=DEMO_EMPLOYER,
        zip5="40202",
        county_fips="21111",
        effective_date=date(2027, 1, 1),
        composite=False,
        contributions={
            "MEDICAL": {"basis": "PERCENT", "employee": "50.00", "dependents": "0.00"},
            "DENTAL": {"basis": "PERCENT", "employee": "50.00", "dependents": "0.00"},
            "VISION": {"basis": "PERCENT", "employee": "0.00", "dependents": "0.00"},
        },
        census=rows,
    )
    stdout.write(f"catalogue: demo quote {quote.pk} for {DEMO_EMPLOYER}")
    return quote
