"""Demo data of employer groups: a draft group (api.md's Blue Heron Bakery) for the demo broker."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from agencies.models import Broker

from . import services
from .models import EmployerGroup

DEMO_LEGAL_NAME = "Blue Heron Bakery LLC"


def seed(*, stdout) -> EmployerGroup | None:
    """Idempotent: one draft for the demo broker (NPN 17012345, or the user ``broker``)."""
    broker = (
        Broker.objects.filter(npn="17012345").first()
        or Broker.objects.filter(user__username="broker").first()
    )
    if broker is None:
        stdout.write("enrollment: no demo broker yet; skipped the demo group")
        return None
    existing = EmployerGroup.objects.filter(broker=broker, legal_name=DEMO_LEGAL_NAME).first()
    if existing is not None:
        stdout.write(f"enrollment: demo group {existing.pk} already there")
        return existing
    group = services.group_create_draft(broker=broker, legal_name=DEMO_LEGAL_NAME)
    services.group_update(group=group, fields=blue_heron_fields())
    services.census_replace(group=group, rows=DEMO_CENSUS)
    stdout.write(f"enrollment: demo draft group {group.pk} ({DEMO_LEGAL_NAME}) for {broker}")
    return group


DEMO_CENSUS = [
    {
        "member_ref": "E-001",
        "subscriber_ref": "E-001",
        "relationship": "SUBSCRIBER",
        "date_of_birth": date(1980, 5, 2),
        "gender": "FEMALE",
        "zip5": "40202",
        "tobacco_use": False,
        "is_owner": True,
        "coverage_tier": "FAM",
    },
    {
        "member_ref": "E-001-S",
        "subscriber_ref": "E-001",
        "relationship": "SPOUSE",
        "date_of_birth": date(1979, 11, 30),
        "tobacco_use": True,
    },
    {
        "member_ref": "E-001-C1",
        "subscriber_ref": "E-001",
        "relationship": "CHILD",
        "date_of_birth": date(2010, 6, 5),
    },
    {
        "member_ref": "E-001-C2",
        "subscriber_ref": "E-001",
        "relationship": "CHILD",
        "date_of_birth": date(2026, 7, 2),
    },
    {
        "member_ref": "E-002",
        "subscriber_ref": "E-002",
        "relationship": "SUBSCRIBER",
        "date_of_birth": date(1995, 7, 22),
        "gender": "MALE",
        "zip5": "40204",
        "coverage_tier": "EMP",
    },
]

# api.md's example offerings (plans of the sample KY rate file, rating area KY-RA02).
DEMO_OFFERINGS = [
    {
        "line": "MEDICAL",
        "planIds": ["12345KY0010001", "12345KY0010002"],
        "ratingOption": "AGE",
        "contribution": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"},
    },
    {
        "line": "DENTAL",
        "planIds": ["12345KY0020001"],
        "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"},
    },
    {
        "line": "VISION",
        "planIds": ["12345KY0030001"],
        "contribution": {"basis": "PERCENT", "employee": "100.00", "dependents": "0.00"},
    },
]


def blue_heron_fields() -> dict:
    """api.md's Blue Heron Bakery as a complete draft (every step filled): the demo's and the tests' group."""
    return {
        "legal_name": DEMO_LEGAL_NAME,
        "dba_name": "Blue Heron",
        "fein": "123456789",
        "sic_code": "5461",
        "entity_type": "LLC",
        "established_date": date(2014, 3, 1),
        "phone": "5025550100",
        "address_line1": "100 Main St",
        "city": "Louisville",
        "state": "KY",
        "zip5": "40202",
        "county_fips": "21111",
        "contact_first_name": "Ann",
        "contact_last_name": "Lee",
        "contact_email": "ann@example.com",
        "contact_phone": "5025550101",
        "requested_effective_date": date(2027, 1, 1),
        "total_employees": 3,
        "eligible_employees": 2,
        "minimum_hours_per_week": 30,
        "waiting_period": "FIRST_OF_MONTH_AFTER_30_DAYS",
        "attestation_signed_by": "Ann Lee",
        "attestation_title": "Owner",
        "attestation_signed_at": timezone.make_aware(datetime(2026, 11, 23, 10, 0)),
        "offerings": [dict(o) for o in DEMO_OFFERINGS],
    }
