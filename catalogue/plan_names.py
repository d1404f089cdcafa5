"""The names people read for plan IDs: each plan's marketing name, metal level and type from the loaded
rate files (the latest plan year of each ID). A read of the catalogue, kept apart from the quoting
selectors: every page that shows a plan calls it once for all the plans it shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .models import Plan


@dataclass(frozen=True)
class PlanName:
    plan_id: str
    name: str
    line: str
    metal_level: str
    plan_type: str
    # What an employee compares plans by (the PLN row's HSA flag, deductibles and out-of-pocket maximums).
    hsa_eligible: bool = False
    deductible_individual: Decimal | None = None
    deductible_family: Decimal | None = None
    moop_individual: Decimal | None = None
    moop_family: Decimal | None = None


def _names(plans) -> dict[str, PlanName]:
    rows = plans.order_by("plan_id", "plan_eff_date").values_list(
        "plan_id",
        "marketing_name",
        "line",
        "metal_level",
        "plan_type",
        "hsa_eligible",
        "ded_ind",
        "ded_fam",
        "moop_ind",
        "moop_fam",
    )
    return {row[0]: PlanName(*row) for row in rows}  # ordered by plan year: the latest year's row wins


def plan_names_for(plan_ids: Iterable[str]) -> dict[str, PlanName]:
    """{plan ID: its name} for the IDs the catalogue knows (one query)."""
    ids = {str(p) for p in plan_ids if p}
    return _names(Plan.objects.filter(plan_id__in=ids)) if ids else {}


def plan_names_all() -> dict[str, PlanName]:
    """Every plan the catalogue knows (one query; a page that shows many plans reads them once)."""
    return _names(Plan.objects.all())
