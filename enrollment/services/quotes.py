"""A draft group started from a broker's quote (or one of its contribution scenarios)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from agencies.models import Broker

from ..models import EmployerGroup
from .drafts import LINES, census_replace, group_create_draft


def group_start_from_quote(
    *, quote: Any, broker: Broker, scenario_offerings: list[dict] | None = None
) -> EmployerGroup:
    """A DRAFT carrying the quote's employer name, ZIP/county, effective date, contributions and census.

    ``scenario_offerings`` (a quote's contribution scenario, ``catalogue.scenarios``) become the offerings,
    plans included; otherwise each line gets the quote's contribution and no plan yet. The census tier of
    an employee is their medical tier (api.md's census carries one tier)."""
    with transaction.atomic():
        group = group_create_draft(broker=broker, legal_name=getattr(quote, "employer_name", "") or "")
        group.zip5 = getattr(quote, "zip5", "") or ""
        group.county_fips = getattr(quote, "county_fips", "") or ""
        group.requested_effective_date = getattr(quote, "effective_date", None)
        group.quote_id = quote.pk
        offerings = []
        for line in LINES:
            contribution = _quote_contribution(quote, line)
            if contribution is None:
                continue
            offering = {"line": line, "planIds": [], "contribution": contribution}
            if line == "MEDICAL":
                offering["ratingOption"] = "COMPOSITE" if getattr(quote, "composite", False) else "AGE"
            offerings.append(offering)
        group.offerings = scenario_offerings if scenario_offerings is not None else offerings
        group.save()
        rows = []
        for row in _quote_census_rows(quote):
            relationship = str(getattr(row, "relationship", "SUBSCRIBER") or "SUBSCRIBER")
            rows.append(
                {
                    "member_ref": row.member_ref,
                    "subscriber_ref": getattr(row, "subscriber_ref", "") or row.member_ref,
                    "relationship": relationship,
                    "date_of_birth": row.date_of_birth,
                    "tobacco_use": bool(getattr(row, "tobacco_use", False)),
                    "coverage_tier": (
                        getattr(row, "medical_tier", "") or getattr(row, "coverage_tier", "") or ""
                    )
                    if relationship == "SUBSCRIBER"
                    else "",
                    "zip5": group.zip5 if relationship == "SUBSCRIBER" else "",
                }
            )
        census_replace(group=group, rows=rows)
    return group


def _quote_census_rows(quote: Any) -> list:
    rows = getattr(quote, "census_rows", None)
    if rows is None:
        return []
    return list(rows.all()) if hasattr(rows, "all") else list(rows)


def _quote_contribution(quote: Any, line: str) -> dict | None:
    """The quote's contribution for a line, whatever shape the catalogue gives it."""
    key = line.lower()
    data = getattr(quote, "contributions", None)
    if isinstance(data, dict):
        value = data.get(line) or data.get(key)
        if isinstance(value, dict):
            return {
                "basis": value.get("basis", "PERCENT"),
                "employee": str(value.get("employee", "0.00")),
                "dependents": str(value.get("dependents", "0.00")),
            }
    employee = getattr(quote, f"{key}_employee_contribution", None)
    if employee is None:
        employee = getattr(quote, f"{key}_employee", None)
    if employee is None:
        return None
    dependents = getattr(quote, f"{key}_dependents_contribution", None)
    if dependents is None:
        dependents = getattr(quote, f"{key}_dependents", 0)
    basis = (
        getattr(quote, f"{key}_basis", None) or getattr(quote, f"{key}_contribution_basis", None) or "PERCENT"
    )
    return {
        "basis": str(basis),
        "employee": f"{Decimal(str(employee)):.2f}",
        "dependents": f"{Decimal(str(dependents or 0)):.2f}",
    }
