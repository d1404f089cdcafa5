"""Issue 23 item 1: the tier decides who is covered on each line, and a census may give a tier per line.

Known answers on the sample rates (KY-RA02, 2027-01-01; api.md's Blue Heron family): Ann 765.59, David
957.29 (tobacco), Maya 438.43, Noah 390.45, Luis 591.54 on the bronze plan; dental EMP 32.50, ESP 65.00,
ECH 61.75, FAM 97.50; vision EMP 7.90, ESP 15.80, ECH 15.01, FAM 23.70.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalogue.census import parse_census, template_csv
from catalogue.quoting import CensusRow, QuoteError, quote_census
from catalogue.testing import sample_path

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"
BRONZE, DENTAL, VISION = "12345KY0010001", "12345KY0020001", "12345KY0030001"
D = Decimal


def blue_heron(**ann) -> list[CensusRow]:
    rows, problems = parse_census(BLUE_HERON.read_bytes(), filename=BLUE_HERON.name)
    assert problems == []
    return [replace(rows[0], **ann), *rows[1:]]


def quote(census: list[CensusRow]):
    return quote_census(zip5="40202", county_fips="21111", effective_date=date(2027, 1, 1), census=census)


def totals(result) -> dict[str, Decimal]:
    return {plan.offer.plan_id: plan.price.total_monthly_premium for plan in result.plans}


def test_it_prices_a_spouse_the_ech_tier_leaves_out_at_nothing_and_says_so(loaded_sample):
    result = quote(blue_heron(coverage_tier="ECH"))

    bronze = next(p for p in result.plans if p.offer.plan_id == BRONZE)
    spouse = next(m for m in bronze.price.members if m.member_ref == "E-001-S")
    assert (spouse.covered, spouse.monthly_premium) == (False, D("0.00"))
    assert totals(result)[BRONZE] == D("765.59") + D("438.43") + D("390.45") + D("591.54")
    assert totals(result)[DENTAL] == D("61.75") + D("32.50")  # the tier-rated lines already priced the tier
    assert [(n.member_ref, n.line, n.tier, n.covering_tier) for n in result.not_covered] == [
        ("E-001-S", "MEDICAL", "ECH", "FAM"),
        ("E-001-S", "DENTAL", "ECH", "FAM"),
        ("E-001-S", "VISION", "ECH", "FAM"),
    ]


def test_it_prices_children_the_esp_tier_leaves_out_at_nothing(loaded_sample):
    result = quote(blue_heron(coverage_tier="ESP"))

    assert totals(result)[BRONZE] == D("765.59") + D("957.29") + D("591.54")
    assert {n.member_ref for n in result.not_covered} == {"E-001-C1", "E-001-C2"}


def test_it_prices_each_line_at_its_own_tier(loaded_sample):
    result = quote(blue_heron(coverage_tier="", medical_tier="FAM", dental_tier="EMP", vision_tier="ESP"))

    assert totals(result) == {
        "12345KY0010003": totals(quote(blue_heron()))["12345KY0010003"],
        "12345KY0010002": totals(quote(blue_heron()))["12345KY0010002"],
        BRONZE: D("3143.30"),  # medical FAM: everyone
        DENTAL: D("32.50") + D("32.50"),  # dental EMP: Ann alone, and Luis
        VISION: D("15.80") + D("7.90"),  # vision ESP
    }
    left_out = {(n.member_ref, n.line) for n in result.not_covered}
    assert left_out == {
        ("E-001-S", "DENTAL"), ("E-001-C1", "DENTAL"), ("E-001-C2", "DENTAL"),
        ("E-001-C1", "VISION"), ("E-001-C2", "VISION"),
    }  # fmt: skip


def test_it_keeps_the_coverage_tier_for_the_lines_without_their_own(loaded_sample):
    result = quote(blue_heron(dental_tier="EMP"))  # coverageTier FAM stays the medical and vision tier

    assert totals(result)[BRONZE] == D("3143.30")
    assert totals(result)[DENTAL] == D("65.00")
    assert totals(result)[VISION] == D("23.70") + D("7.90")


def test_it_leaves_out_of_one_line_an_employee_who_waives_it(loaded_sample):
    census = blue_heron()
    census[-1] = replace(census[-1], dental_tier="WAIVE", waiver_reason="SPOUSE_GROUP_COVERAGE")
    result = quote(census)

    assert totals(result)[DENTAL] == D("97.50")
    assert totals(result)[BRONZE] == D("3143.30")
    assert (result.enrolled_by_line["DENTAL"], result.waived_by_line["DENTAL"]) == (1, 1)
    assert (result.families, result.waived) == (2, 0)


def test_it_does_not_quote_a_line_every_employee_waives(loaded_sample):
    census = [
        replace(row, vision_tier="WAIVE") if row.relationship == "SUBSCRIBER" else row for row in blue_heron()
    ]
    result = quote(census)

    assert VISION not in totals(result)
    assert result.lines_not_elected == ["VISION"]


def test_it_lists_every_bad_tier_with_the_rule(loaded_sample):
    with pytest.raises(QuoteError) as error:
        quote(blue_heron(coverage_tier="", dental_tier="XYZ"))
    assert sorted((ref, code) for ref, code, _m in error.value.problems) == [("E-001", "MBR-010")] * 2


def test_it_reads_a_census_in_todays_layout_as_before(loaded_sample):
    rows, problems = parse_census(BLUE_HERON.read_bytes(), filename="census.csv")

    assert problems == []
    assert [(r.coverage_tier, r.medical_tier, r.dental_tier, r.vision_tier) for r in rows][0] == (
        "FAM",
        "",
        "",
        "",
    )
    assert rows[0].tier_on("DENTAL") == "FAM"


def test_it_reads_the_per_line_columns_in_any_order(loaded_sample):
    text = (
        "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier,waiverReason,dentalTier\n"
        "E-001,E-001,SUBSCRIBER,1980-05-02,false,FAM,,emp\n"
        "E-002,E-002,SUBSCRIBER,1995-07-22,false,EMP,MEDICARE,WAIVE\n"
    )
    rows, problems = parse_census(text.encode(), filename="census.csv")

    assert problems == []
    assert [(r.tier_on("MEDICAL"), r.tier_on("DENTAL"), r.waiver_reason) for r in rows] == [
        ("FAM", "EMP", ""), ("EMP", "WAIVE", "MEDICARE"),
    ]  # fmt: skip


def test_it_reports_the_per_line_columns_with_their_rule_and_fix(loaded_sample):
    text = (
        "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier,medicalTier,waiverReason\n"
        "E-001,E-001,SUBSCRIBER,1980-05-02,false,FAM,XYZ,\n"
        "E-001-S,E-001,SPOUSE,1979-11-30,true,,FAM,\n"
        "E-002,E-002,SUBSCRIBER,1995-07-22,false,EMP,,MEDICARE\n"
        "E-003,E-003,SUBSCRIBER,1995-07-22,false,WAIVE,,BORED\n"
        "E-004,E-004,SUBSCRIBER,1995-07-22,false,,EMP,\n"
    )
    rows, problems = parse_census(text.encode(), filename="census.csv")

    assert [(p.line, p.column, p.code) for p in problems] == [
        (2, "medicalTier", "MBR-010"),
        (3, "medicalTier", "MBR-010"),
        (4, "waiverReason", "MBR-012"),  # a reason but no line waived
        (5, "waiverReason", "MBR-012"),
        (6, "coverageTier", "MBR-010"),  # dental and vision have no tier
    ]
    assert all(p.fix for p in problems)


def test_it_refuses_a_column_it_does_not_know(loaded_sample):
    text = "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier,shoeSize\n"
    rows, problems = parse_census(text.encode(), filename="census.csv")
    assert rows == [] and [(p.line, p.code) for p in problems] == [(1, "MBR-001")]


def test_it_offers_the_per_line_columns_in_the_template():
    heading = template_csv().decode().splitlines()[0].split(",")
    assert heading[:6] == [
        "memberRef",
        "subscriberRef",
        "relationship",
        "dateOfBirth",
        "tobaccoUse",
        "coverageTier",
    ]
    assert heading[6:] == ["medicalTier", "dentalTier", "visionTier", "waiverReason"]


def test_the_command_prints_who_is_not_covered(loaded_sample, tmp_path, capsys):
    census = tmp_path / "census.csv"
    census.write_text(BLUE_HERON.read_text().replace("1980-05-02,false,FAM", "1980-05-02,false,ECH"))
    call_command(
        "quote", "--zip", "40202", "--county", "21111", "--effective", "2027-01-01", "--census", str(census)
    )
    plans = {plan["planId"]: plan for plan in json.loads(capsys.readouterr().out)}

    bronze = plans[BRONZE]
    assert bronze["totalMonthlyPremium"] == "2186.01"
    assert {"memberRef": "E-001-S", "age": 47, "monthlyPremium": "0.00", "covered": False} in bronze[
        "members"
    ]
    assert bronze["notCovered"] == [{"memberRef": "E-001-S", "subscriberRef": "E-001", "coverageTier": "ECH"}]
    assert plans[DENTAL]["totalMonthlyPremium"] == "94.25"
