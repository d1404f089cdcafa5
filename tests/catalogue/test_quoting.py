from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalogue.census import parse_census
from catalogue.models import AgeRate
from catalogue.quoting import CensusRow, QuoteError, quote_census
from catalogue.testing import sample_path
from groupsales.codes import ContributionBasis, Tier
from groupsales.rating import Contribution

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"
EFFECTIVE = date(2027, 1, 1)
BRONZE = "12345KY0010001"
D = Decimal


def _census() -> list[CensusRow]:
    rows, problems = parse_census(BLUE_HERON.read_bytes(), filename=BLUE_HERON.name)
    assert problems == []
    return rows


def _quote(census=None, **kwargs):
    result = quote_census(
        zip5="40202", county_fips="21111", effective_date=EFFECTIVE, census=census or _census(), **kwargs
    )
    return {plan.offer.plan_id: plan for plan in result.plans}


def _rate(band: str, *, plan: str = BRONZE, tobacco: bool = False) -> Decimal:
    row = AgeRate.objects.get(
        plan_id=plan, rating_area_id="KY-RA02", age_band=band, rate_eff_date=date(2027, 1, 1)
    )
    return row.tobacco_rate if tobacco else row.rate


def test_it_prices_the_blue_heron_census_on_the_bronze_plan(loaded_sample):
    bronze = _quote()[BRONZE].price
    assert [(m.member_ref, m.monthly_premium) for m in bronze.members] == [
        ("E-001", D("765.59")), ("E-001-S", D("957.29")), ("E-001-C1", D("438.43")),
        ("E-001-C2", D("390.45")), ("E-002", D("591.54")),
    ]  # fmt: skip
    assert bronze.total_monthly_premium == D("3143.30")
    assert bronze.rating_method == "AGE"


def test_it_offers_every_plan_sold_in_the_area(loaded_sample):
    plans = _quote()
    assert sorted(plans) == [
        "12345KY0010001",
        "12345KY0010002",
        "12345KY0010003",
        "12345KY0020001",
        "12345KY0030001",
    ]
    dental = plans["12345KY0020001"].price
    assert dental.members is None
    assert dental.tier_rates[Tier.FAM] == D("97.50")
    assert dental.total_monthly_premium == D("130.00")  # FAM 97.50 + EMP 32.50


@pytest.mark.parametrize(("band", "factor"), [("0-14", D("0.765")), ("18", D("0.913"))])
def test_it_uses_the_age_curve_of_the_file(loaded_sample, band, factor):
    assert abs(_rate(band) - _rate("21") * factor) <= D("0.01")


def test_it_charges_only_the_three_oldest_children_under_21(loaded_sample):
    kids = [date(2008, 1, 1), date(2010, 1, 1), date(2012, 1, 1), date(2016, 1, 1)]
    census = [CensusRow("E-1", "E-1", "SUBSCRIBER", date(1980, 1, 1), False, "ECH")] + [
        CensusRow(f"E-1-C{i}", "E-1", "CHILD", dob, None) for i, dob in enumerate(kids)
    ]
    members = {m.member_ref: m for m in _quote(census)[BRONZE].price.members}
    assert members["E-1-C3"].monthly_premium == D("0.00")  # the youngest of four
    assert members["E-1-C0"].monthly_premium == _rate("19")
    assert members["E-1-C2"].monthly_premium == _rate("15")


def test_it_charges_a_child_of_21_or_more_always(loaded_sample):
    kids = [date(2005, 1, 1), date(2008, 1, 1), date(2010, 1, 1), date(2012, 1, 1)]
    census = [CensusRow("E-1", "E-1", "SUBSCRIBER", date(1970, 1, 1), False, "ECH")] + [
        CensusRow(f"E-1-C{i}", "E-1", "CHILD", dob, None) for i, dob in enumerate(kids)
    ]
    members = {m.member_ref: m for m in _quote(census)[BRONZE].price.members}
    assert members["E-1-C0"].monthly_premium == _rate("22")
    assert all(members[f"E-1-C{i}"].monthly_premium > 0 for i in range(4))


def test_it_charges_the_tobacco_rate_to_a_tobacco_user(loaded_sample):
    members = {m.member_ref: m for m in _quote()[BRONZE].price.members}
    assert members["E-001-S"].monthly_premium == _rate("47", tobacco=True)
    assert members["E-001"].monthly_premium == _rate("46")
    assert _rate("47", tobacco=True) > _rate("47")


def test_it_turns_the_member_total_into_composite_tier_rates(loaded_sample):
    plan = _quote(composite=True)[BRONZE]
    price = plan.price
    # base = 3143.30 / (1 FAM × 3.0 + 1 EMP × 1.0) = 785.825
    assert price.rating_method == "COMPOSITE"
    assert price.composite_base == D("785.825")
    assert price.tier_rates[Tier.EMP] == D("785.83")
    assert price.tier_rates[Tier.FAM] == D("2357.48")
    assert price.tier_rates[Tier.ESP] == D("1571.65")
    assert price.tier_rates[Tier.ECH] == D("1453.78")  # 785.825 × 1.85 = 1453.77625
    assert price.total_monthly_premium == D("3143.31")  # differs from the member total by a cent
    assert price.member_total == D("3143.30")
    assert plan.age_price.total_monthly_premium == D("3143.30")


def test_it_splits_a_percent_contribution(loaded_sample):
    contributions = {
        "MEDICAL": Contribution(ContributionBasis.PERCENT, D("50"), D("0")),
        "DENTAL": Contribution(ContributionBasis.PERCENT, D("50"), D("50")),
    }
    plans = _quote(contributions=contributions)
    # E-001: half of own 765.59 = 382.795 -> 382.80; E-002: half of 591.54 = 295.77
    assert plans[BRONZE].employer_cost == D("678.57")
    assert plans[BRONZE].employee_cost == D("2464.73")
    # dental: E-001 16.25 + 32.50 (half of 97.50 - 32.50), E-002 16.25
    assert plans["12345KY0020001"].employer_cost == D("65.00")
    assert plans["12345KY0030001"].employer_cost is None


def test_it_splits_a_flat_contribution(loaded_sample):
    contributions = {"MEDICAL": Contribution(ContributionBasis.FLAT, D("400"), D("100"))}
    bronze = _quote(contributions=contributions)[BRONZE]
    assert bronze.employer_cost == D("900.00")  # E-001 400 + 100, E-002 400
    assert bronze.employee_cost == D("2243.30")


def test_it_leaves_waived_employees_out(loaded_sample):
    census = _census() + [CensusRow("E-003", "E-003", "SUBSCRIBER", date(1990, 1, 1), False, "WAIVE")]
    result = quote_census(zip5="40202", county_fips="21111", effective_date=EFFECTIVE, census=census)
    assert result.waived == 1
    assert result.families == 2


def test_it_refuses_a_dependent_without_its_employee(loaded_sample):
    census = [CensusRow("E-9-S", "E-9", "SPOUSE", date(1990, 1, 1), False)]
    with pytest.raises(QuoteError) as error:
        _quote(census)
    assert ("E-9-S", "MBR-020") in [(ref, code) for ref, code, _m in error.value.problems]


def _big_census(employees: int) -> list[CensusRow]:
    rows = []
    for i in range(employees):
        ref = f"E-{i:03d}"
        rows.append(CensusRow(ref, ref, "SUBSCRIBER", date(1960 + i % 40, 1 + i % 12, 1), i % 3 == 0, "ESP"))
        rows.append(CensusRow(f"{ref}-S", ref, "SPOUSE", date(1965 + i % 30, 2, 2), False))
    return rows


@pytest.mark.parametrize("employees", [2, 50])
def test_it_reads_the_rates_in_a_constant_number_of_queries(
    loaded_sample, django_assert_num_queries, employees
):
    census = _big_census(employees)
    with django_assert_num_queries(5):
        result = quote_census(
            zip5="40202", county_fips="21111", effective_date=EFFECTIVE, census=census, composite=True
        )
    assert len(result.plans) == 5
    assert result.families == employees


def test_it_prints_the_quote_as_json(loaded_sample, capsys):
    call_command(
        "quote", "--zip", "40202", "--county", "21111", "--effective", "2027-01-01",
        "--census", str(BLUE_HERON), "--format", "json",
    )  # fmt: skip
    plans = {plan["planId"]: plan for plan in json.loads(capsys.readouterr().out)}
    bronze = plans[BRONZE]
    assert bronze["line"] == "MEDICAL"
    assert bronze["ratingMethod"] == "AGE"
    assert bronze["totalMonthlyPremium"] == "3143.30"
    ann = {"memberRef": "E-001", "age": 46, "monthlyPremium": "765.59", "covered": True}
    assert bronze["members"][0] == ann
    assert bronze["notCovered"] == []
    assert plans["12345KY0030001"]["tierRates"] == {
        "EMP": "7.90",
        "ESP": "15.80",
        "ECH": "15.01",
        "FAM": "23.70",
    }


def test_it_prints_composite_rates_as_json(loaded_sample, capsys):
    call_command(
        "quote", "--zip", "40202", "--county", "21111", "--effective", "2027-01-01",
        "--census", str(BLUE_HERON), "--composite",
    )  # fmt: skip
    bronze = next(p for p in json.loads(capsys.readouterr().out) if p["planId"] == BRONZE)
    assert bronze["ratingMethod"] == "COMPOSITE"
    assert bronze["tierRates"]["EMP"] == "785.83"
    assert bronze["memberTotal"] == "3143.30"


def test_it_matches_the_contribution_of_the_api_md_finalize_example(loaded_sample):
    contributions = {
        "MEDICAL": Contribution(ContributionBasis.PERCENT, D("60.00"), D("25.00")),
        "DENTAL": Contribution(ContributionBasis.FLAT, D("20.00"), D("0.00")),
    }
    plans = _quote(contributions=contributions)
    # E-001: 60% of 765.59 + 25% of 1786.17 = 905.8965 -> 905.90; E-002: 60% of 591.54 = 354.924 -> 354.92
    assert plans[BRONZE].employer_cost == D("1260.82")
