"""Test helpers: a :class:`FakeContext` over plain dicts and api.md's Blue Heron bodies.

``blue_heron_group()`` is api.md's create body; ``blue_heron_members()`` the five validation bodies of
api.md and ``samples/new-business.834`` (Ann Lee FAM on all three lines with David, Maya and Noah; Luis
Ortiz on employee-only medical, waiving dental and vision); ``blue_heron_context()`` a FakeContext with the
demo ETSS file's facts (:mod:`groupsales.demo_etss`, the carrier's KY sample: rating area KY-RA02 for
40202/40204 in county 21111). Every call returns fresh copies, so a test may mutate what it gets.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..codes import Tier
from ..demo_etss import DEMO_RATE_FILE, DemoRateFile, demo_etss_bytes
from ..etss import AgeRate, EtssReader, Geo, Plan, TierRate, age_band
from ..rating import age_on
from .settings import RuleSettings

__all__ = [
    "BLUE_HERON_AREA",
    "BLUE_HERON_CREATED_ON",
    "BLUE_HERON_TODAY",
    "FakeContext",
    "FakePlan",
    "blue_heron_context",
    "blue_heron_group",
    "blue_heron_members",
]

BLUE_HERON_TODAY = date(2026, 11, 23)
BLUE_HERON_CREATED_ON = date(2026, 11, 23)
BLUE_HERON_EFFECTIVE = date(2027, 1, 1)
BLUE_HERON_AREA = "KY-RA02"

_TIER_KEYS = {tier.value for tier in Tier} | {"EE", "ES", "EC", "EF"}
Rate = Decimal | tuple[Decimal, Decimal | None]


@dataclass(frozen=True)
class FakePlan:
    """``rates``: ``{age_band: rate or (rate, tobacco_rate)}`` for an age-rated plan, or tier rates
    (``{"EMP": ...}`` / ``{"EE": ...}``) for a tier-rated one."""

    line: str
    areas: frozenset[str]
    composite_allowed: bool = False
    rates: Mapping[str, Rate] = field(default_factory=dict)


def _plan(value: FakePlan | tuple[Any, ...]) -> FakePlan:
    if isinstance(value, FakePlan):
        return value
    line, areas, composite, *rest = value
    rates = rest[0] if rest else {}
    return FakePlan(str(line), frozenset(areas), bool(composite), dict(rates))


@dataclass
class FakeContext:
    """A :class:`~groupsales.rules.RuleContext` from plain dicts (dates are ignored except ``today``).

    ``zip_counties``: zip5 -> county FIPS codes; ``areas``: (zip5, county) -> rating area (``county_areas``:
    county -> rating area, the fallback); ``plans``: plan ID -> :class:`FakePlan` or a tuple
    ``(line, {areas}, composite_allowed, rates)``; ``not_appointed``: NPNs appointed nowhere.
    """

    today: date
    settings: RuleSettings = field(default_factory=RuleSettings)
    zip_counties: dict[str, set[str]] = field(default_factory=dict)
    areas: dict[tuple[str, str], str] = field(default_factory=dict)
    plans: dict[str, Any] = field(default_factory=dict)
    not_appointed: set[str] = field(default_factory=lambda: {"99999999"})
    county_areas: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.plans = {plan_id: _plan(value) for plan_id, value in self.plans.items()}

    def counties_for_zip(self, zip5: str, on: date) -> set[str]:
        return set(self.zip_counties.get(zip5, set()))

    def rating_area_for(self, zip5: str, county_fips: str, on: date) -> str | None:
        return self.areas.get((zip5, county_fips)) or self.county_areas.get(county_fips)

    def plan_sold(self, plan_id: str, line: str, rating_area_id: str, on: date) -> bool:
        plan = self.plans.get(plan_id)
        return plan is not None and plan.line == line and rating_area_id in plan.areas

    def composite_allowed(self, plan_id: str, on: date) -> bool:
        plan = self.plans.get(plan_id)
        return plan is not None and plan.composite_allowed

    def agent_appointed(self, npn: str, state: str) -> bool:
        return npn not in self.not_appointed

    def own_premium(
        self,
        plan_id: str,
        *,
        rating_area_id: str,
        date_of_birth: date,
        tobacco: bool,
        effective_date: date,
        rating_option: str = "AGE",
    ) -> Decimal | None:
        plan = self.plans.get(plan_id)
        if plan is None or rating_area_id not in plan.areas:
            return None
        for key in ("EMP", "EE"):
            if key in plan.rates:
                rate = plan.rates[key]
                return rate[0] if isinstance(rate, tuple) else rate
        if date_of_birth > effective_date:
            return None
        rate = plan.rates.get(age_band(age_on(date_of_birth, effective_date)))
        if rate is None:
            return None
        if isinstance(rate, tuple):
            return rate[1] if tobacco and rate[1] is not None else rate[0]
        return rate


# --------------------------------------------------------------------------------------------------
# The demo ETSS file's facts


@dataclass(frozen=True)
class _EtssFacts:
    zip_counties: dict[str, frozenset[str]]
    areas: dict[tuple[str, str], str]
    county_areas: dict[str, str]
    plans: dict[str, FakePlan]


@lru_cache(maxsize=4)
def _etss_facts(spec: DemoRateFile, area: str, effective: date) -> _EtssFacts:
    zip_counties: dict[str, set[str]] = {}
    areas: dict[tuple[str, str], str] = {}
    county_areas: dict[str, str] = {}
    plans: dict[str, Plan] = {}
    plan_areas: dict[str, set[str]] = {}
    rates: dict[str, dict[str, Rate]] = {}
    all_areas: set[str] = set()
    for record in EtssReader(io.BytesIO(demo_etss_bytes(spec)), name=spec.name):
        if isinstance(record, Plan):
            plans[record.plan_id] = record
        elif isinstance(record, Geo):
            all_areas.add(record.rating_area_id)
            if record.geo_type == "ZIP5":
                zip_counties.setdefault(record.geo_value, set()).add(record.county_fips)
                areas[(record.geo_value, record.county_fips)] = record.rating_area_id
            elif record.geo_type == "COUNTY":
                county_areas[record.county_fips] = record.rating_area_id
        elif isinstance(record, AgeRate):
            plan_areas.setdefault(record.plan_id, set()).add(record.rating_area_id)
            if record.rating_area_id == area and record.rate_eff_date <= effective <= record.rate_exp_date:
                rates.setdefault(record.plan_id, {})[record.age_band] = (record.rate, record.tobacco_rate)
        elif isinstance(record, TierRate):
            plan_areas.setdefault(record.plan_id, set()).add(record.rating_area_id)
            if (
                record.rating_area_id in (area, "*")
                and record.rate_eff_date <= effective <= record.rate_exp_date
            ):
                rates.setdefault(record.plan_id, {})[record.tier.value] = record.rate
    fakes = {}
    for plan_id, plan in plans.items():
        sold_in = plan_areas.get(plan_id, set())
        if "*" in sold_in:
            sold_in = (sold_in - {"*"}) | all_areas
        table = rates.get(plan_id, {})
        if not plan.tobacco_rated:
            table = {k: (v[0] if isinstance(v, tuple) else v) for k, v in table.items()}
        fakes[plan_id] = FakePlan(plan.line.value, frozenset(sold_in), plan.composite_allowed, table)
    return _EtssFacts(
        {zip5: frozenset(counties) for zip5, counties in zip_counties.items()}, areas, county_areas, fakes
    )


def blue_heron_context(
    *, today: date = BLUE_HERON_TODAY, settings: RuleSettings | None = None, **overrides: Any
) -> FakeContext:
    """A FakeContext with the demo ETSS file's geography and plans (rates of KY-RA02, Q1 2027)."""
    facts = _etss_facts(DEMO_RATE_FILE, BLUE_HERON_AREA, BLUE_HERON_EFFECTIVE)
    values: dict[str, Any] = {
        "today": today,
        "settings": settings if settings is not None else RuleSettings(),
        "zip_counties": {zip5: set(counties) for zip5, counties in facts.zip_counties.items()},
        "areas": dict(facts.areas),
        "county_areas": dict(facts.county_areas),
        "plans": dict(facts.plans),
    }
    values.update(overrides)
    return FakeContext(**values)


# --------------------------------------------------------------------------------------------------
# api.md's Blue Heron bodies

_GROUP: dict[str, Any] = {
    "employer": {
        "legalName": "Blue Heron Bakery LLC",
        "dbaName": "Blue Heron",
        "fein": "123456789",
        "sicCode": "5461",
        "entityType": "LLC",
        "establishedDate": "2014-03-01",
        "address": {
            "line1": "100 Main St",
            "line2": None,
            "city": "Louisville",
            "state": "KY",
            "zip5": "40202",
            "zip4": None,
            "countyFips": "21111",
        },
        "phone": "5025550100",
    },
    "contact": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "5025550101"},
    "writingAgent": {
        "npn": "17012345",
        "firstName": "Sam",
        "lastName": "Ortiz",
        "email": "sam@agency.example",
    },
    "requestedEffectiveDate": "2027-01-01",
    "workforce": {"totalEmployees": 3, "eligibleEmployees": 2},
    "eligibility": {"minimumHoursPerWeek": 30, "waitingPeriod": "FIRST_OF_MONTH_AFTER_30_DAYS"},
    "offerings": [
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
    ],
    "smallEmployerAttestation": {"signedBy": "Ann Lee", "title": "Owner", "signedAt": "2026-11-23T15:00:00Z"},
    "census": [
        {
            "memberRef": "E-001",
            "dateOfBirth": "1980-05-02",
            "gender": "FEMALE",
            "zip5": "40202",
            "tobaccoUse": False,
            "isOwner": True,
            "isOwnerSpouse": False,
            "coverageTier": "FAM",
            "dependents": [
                {"relationship": "SPOUSE", "dateOfBirth": "1979-11-30", "tobaccoUse": True},
                {"relationship": "CHILD", "dateOfBirth": "2010-06-05", "tobaccoUse": False},
                {"relationship": "CHILD", "dateOfBirth": "2026-07-02", "tobaccoUse": False},
            ],
        },
        {
            "memberRef": "E-002",
            "dateOfBirth": "1995-07-22",
            "gender": "MALE",
            "zip5": "40204",
            "tobaccoUse": False,
            "isOwner": False,
            "isOwnerSpouse": False,
            "coverageTier": "EMP",
            "dependents": [],
        },
    ],
}

_ANN_PLANS = {"MEDICAL": "12345KY0010001", "DENTAL": "12345KY0020001", "VISION": "12345KY0030001"}


def _dependent(
    ref: str, relationship: str, first: str, ssn: str | None, born: str, gender: str, tobacco: bool
):
    return {
        "memberRef": ref,
        "subscriberRef": "E-001",
        "relationship": relationship,
        "firstName": first,
        "middleName": None,
        "lastName": "Lee",
        "suffix": None,
        "ssn": ssn,
        "dateOfBirth": born,
        "gender": gender,
        "tobaccoUse": tobacco,
        "disabled": False,
        "phone": None,
        "email": None,
        "coverage": [{"line": "MEDICAL"}, {"line": "DENTAL"}, {"line": "VISION"}],
    }


_MEMBERS: list[dict[str, Any]] = [
    {
        "memberRef": "E-001",
        "subscriberRef": "E-001",
        "relationship": "SUBSCRIBER",
        "firstName": "Ann",
        "middleName": None,
        "lastName": "Lee",
        "suffix": None,
        "ssn": "123456789",
        "dateOfBirth": "1980-05-02",
        "gender": "FEMALE",
        "maritalStatus": "MARRIED",
        "tobaccoUse": False,
        "disabled": False,
        "isOwner": True,
        "isOwnerSpouse": False,
        "address": {
            "line1": "100 Main St",
            "line2": None,
            "city": "Louisville",
            "state": "KY",
            "zip5": "40202",
            "zip4": None,
            "countyFips": "21111",
        },
        "phone": "5025550111",
        "email": "ann@example.com",
        "employment": {"hireDate": "2019-06-10", "hoursPerWeek": 40, "status": "FULL_TIME"},
        "coverage": [
            {"line": line, "planId": plan, "coverageTier": "FAM"} for line, plan in _ANN_PLANS.items()
        ],
    },
    _dependent("E-001-S", "SPOUSE", "David", "123456780", "1979-11-30", "MALE", True),
    _dependent("E-001-C1", "CHILD", "Maya", "123456781", "2010-06-05", "FEMALE", False),
    _dependent("E-001-C2", "CHILD", "Noah", None, "2026-07-02", "MALE", False),
    {
        "memberRef": "E-002",
        "subscriberRef": "E-002",
        "relationship": "SUBSCRIBER",
        "firstName": "Luis",
        "middleName": None,
        "lastName": "Ortiz",
        "suffix": None,
        "ssn": "123456782",
        "dateOfBirth": "1995-07-22",
        "gender": "MALE",
        "maritalStatus": "SINGLE",
        "tobaccoUse": False,
        "disabled": False,
        "isOwner": False,
        "isOwnerSpouse": False,
        "address": {
            "line1": "9 Oak Ave",
            "line2": None,
            "city": "Louisville",
            "state": "KY",
            "zip5": "40204",
            "zip4": None,
            "countyFips": "21111",
        },
        "phone": None,
        "email": None,
        "employment": {"hireDate": "2024-07-01", "hoursPerWeek": 40, "status": "FULL_TIME"},
        "coverage": [
            {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
            {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
            {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
        ],
    },
]


def blue_heron_group() -> dict[str, Any]:
    """api.md's create body for Blue Heron Bakery LLC (a fresh copy)."""
    return copy.deepcopy(_GROUP)


def blue_heron_members() -> list[dict[str, Any]]:
    """The five validation bodies: E-001 Ann, E-001-S David, E-001-C1 Maya, E-001-C2 Noah, E-002 Luis."""
    return copy.deepcopy(_MEMBERS)
