"""Fixtures of the enrollment tests: a complete draft (api.md's Blue Heron Bakery), rate-file facts
standing in for the catalogue, and a fake carrier client for the service tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from enrollment import services
from enrollment.demo import DEMO_CENSUS, DEMO_OFFERINGS, blue_heron_fields
from enrollment.rules import PortalRuleContext
from tests.factories import EmployerGroupFactory

PLANS = {
    "12345KY0010001": "MEDICAL",
    "12345KY0010002": "MEDICAL",
    "12345KY0020001": "DENTAL",
    "12345KY0030001": "VISION",
}
OFFERINGS = DEMO_OFFERINGS


class FakeFacts:
    """The rate-file facts of the sample KY ETSS file, as ``catalogue_selectors.rule_facts()`` gives them."""

    def counties_for_zip(self, zip5, on):
        return {"40202": {"21111"}, "40204": {"21111"}}.get(zip5, set())

    def rating_area_for(self, zip5, county_fips, on):
        return "KY-RA02" if county_fips == "21111" and zip5 in ("40202", "40204") else None

    def plan_sold(self, plan_id, line, rating_area_id, on):
        return PLANS.get(plan_id) == line and rating_area_id == "KY-RA02"

    def composite_allowed(self, plan_id, on):
        return plan_id == "12345KY0010001"

    def own_premium(self, plan_id, **kwargs):
        return Decimal("400.00")


@pytest.fixture
def rule_facts(monkeypatch):
    """The portal's RuleContext on the sample facts, 'today' the sandbox day of the samples."""

    def context():
        return PortalRuleContext(FakeFacts(), today=date(2026, 11, 23))

    monkeypatch.setattr("enrollment.rules.group_rule_context", context)
    monkeypatch.setattr("enrollment.services.problems.group_rule_context", context)
    return context


@dataclass
class County:
    county_fips: str
    rating_area_id: str
    county_name: str = ""


@dataclass
class Plan:
    plan_id: str
    line: str
    marketing_name: str = ""
    plan_type: str = "PPO"
    metal_level: str = "SILVER"
    extra: dict = field(default_factory=dict)


@pytest.fixture
def catalogue_facts(monkeypatch, rule_facts):
    """The catalogue's selectors as the forms call them (counties of a ZIP, plans sold)."""
    monkeypatch.setattr(
        "enrollment.views._counties",
        lambda group, zip5: [County("21111", "KY-RA02", "Jefferson")] if zip5 in ("40202", "40204") else [],
    )

    def offers(group):
        if not (group.zip5 and group.county_fips and group.requested_effective_date):
            return {}
        out: dict = {}
        for plan_id, line in PLANS.items():
            out.setdefault(line, []).append(Plan(plan_id, line, f"Plan {plan_id[-4:]}"))
        return out

    monkeypatch.setattr("enrollment.views._offers", offers)


def complete_fields() -> dict:
    return blue_heron_fields()


def make_complete_group(broker, **overrides):
    group = EmployerGroupFactory(
        broker=broker,
        agency=broker.agency,
        agent_npn=broker.npn,
        agent_first_name="Sam",
        agent_last_name="Ortiz",
        agent_email="sam@agency.example",
    )
    fields = complete_fields() | overrides
    services.group_update(group=group, fields=fields)
    services.census_replace(group=group, rows=[dict(r) for r in DEMO_CENSUS])
    return group


@pytest.fixture
def complete_group(broker):
    return make_complete_group(broker)
