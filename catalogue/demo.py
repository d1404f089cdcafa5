"""Demo data of the catalogue: the demo rate file, and a saved quote of the Blue Heron census.

Both are made by the project's own code: the rate file by :mod:`groupsales.demo_etss` (written into
``settings.SAMPLES_DIR``, inside ``var/``), the census from :data:`BLUE_HERON_CENSUS`.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

from agencies.models import Broker
from groupsales.demo_etss import DEMO_RATE_FILE, write_etss_file

from . import services
from .census import parse_census, template_csv
from .models import EtssFile, Quote

DEMO_EMPLOYER = "Blue Heron Bakery LLC"
# api.md's Blue Heron census, in the quote's census columns (catalogue.census.COLUMNS).
BLUE_HERON_CENSUS = (
    ("E-001", "E-001", "SUBSCRIBER", "1980-05-02", "false", "FAM"),
    ("E-001-S", "E-001", "SPOUSE", "1979-11-30", "true", ""),
    ("E-001-C1", "E-001", "CHILD", "2010-06-05", "false", ""),
    ("E-001-C2", "E-001", "CHILD", "2026-07-02", "false", ""),
    ("E-002", "E-002", "SUBSCRIBER", "1995-07-22", "false", "EMP"),
)


def blue_heron_census_csv() -> bytes:
    """The Blue Heron census as a CSV the quote page takes (the carrier's ``census-blue-heron.csv``)."""
    return template_csv(BLUE_HERON_CENSUS)


def seed(*, stdout) -> Quote | None:
    """Idempotent: load the demo ETSS file unless loaded; one demo quote for the demo broker."""
    if not EtssFile.objects.filter(name=DEMO_RATE_FILE.name, status=EtssFile.Status.LOADED).exists():
        path = write_etss_file(settings.SAMPLES_DIR)
        etss_file = services.etss_file_receive(path=path, loaded_by="demo")
        stdout.write(f"catalogue: {etss_file.name} {etss_file.status}")
    else:
        stdout.write("catalogue: demo rate file already loaded")
    broker = Broker.objects.filter(user__username="broker").first()
    if broker is None:
        stdout.write("catalogue: no demo broker yet; skipped the demo quote")
        return None
    existing = Quote.objects.filter(broker=broker, employer_name=DEMO_EMPLOYER).first()
    if existing is not None:
        return existing
    rows, problems = parse_census(blue_heron_census_csv(), filename="census.csv")
    if problems:
        stdout.write(f"catalogue: the demo census has problems: {problems[0]}")
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
