"""Generated employer groups for a large book of business (the page benchmarks and the load test)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .models import EmployerGroup

STATUSES = ["DRAFT", "OPEN_ENROLLMENT", "FINALIZED", "ENROLLED", "NEEDS_ATTENTION"]


def generated_groups(
    *, owners: list[Any], count: int, name: str, fein_base: int, group_id_base: int
) -> list[EmployerGroup]:
    """``count`` unsaved groups of the owners' agency, owned in turn, in every status in turn, effective
    on one of the next six first-of-months; those the carrier knows carry a Humana Group ID.
    ``name`` is a format with ``{i}``; FEINs and group IDs count up from their bases."""
    effective = (date.today().replace(day=1) + timedelta(days=92)).replace(day=1)
    rows = []
    for i in range(count):
        status = STATUSES[i % len(STATUSES)]
        owner = owners[i % len(owners)]
        rows.append(
            EmployerGroup(
                agency=owner.agency,
                broker=owner,
                status=status,
                legal_name=name.format(i=i),
                fein=f"{fein_base + i}",
                city="Louisville",
                state="KY",
                zip5="40202",
                county_fips="21111",
                requested_effective_date=effective + timedelta(days=31 * (i % 6)),
                humana_group_id=f"{group_id_base + i}" if status in ("FINALIZED", "ENROLLED") else None,
                estimated_monthly_premium=1000 + i % 500,
                eligible_employees=4,
                total_employees=4,
                offerings=[{"line": "MEDICAL", "planIds": ["12345KY0010001"], "contribution": {}}],
            )
        )
    return rows
