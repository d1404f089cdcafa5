"""Issue 23 item 1: ``manage.py quote``, the quote page, the group's estimate and the sandbox's rating agree,
for families whose tier leaves listed dependents out and for the existing cases.

All four go through ``groupsales.rating.price_plan``: the portal's quote engine (command and page), the
create-group estimate the sandbox answers for the census the portal sends (``group_start_from_quote`` →
``group_build_create_payload``), and the sandbox's own ``CarrierFacts.price``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from catalogue import services
from catalogue.census import parse_census
from catalogue.testing import sample_path
from sandbox.services_admin import partner_add_key
from tests.carrier import payloads
from tests.sandbox.conftest import RATE_FILE, Api

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"
CASES = {
    "as filed (FAM and EMP)": "FAM",
    "spouse listed under ECH": "ECH",
    "children listed under ESP": "ESP",
    "family listed under EMP": "EMP",
}


@pytest.fixture
def sandbox_api(db) -> Api:
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())
    partner_add_key(name="Partner01", sender_id="PARTNER01", raw_key="partner01-test-key")
    return Api("partner01-test-key", "PARTNER01")


def _census_file(tmp_path, tier: str):
    path = tmp_path / "census.csv"
    path.write_text(BLUE_HERON.read_text().replace("1980-05-02,false,FAM", f"1980-05-02,false,{tier}"))
    return path


def _command_totals(path) -> dict[str, str]:
    out = StringIO()
    call_command(
        "quote", "--zip", "40202", "--county", "21111", "--effective", "2027-01-01", "--census", str(path),
        stdout=out,
    )  # fmt: skip
    return {plan["planId"]: plan["totalMonthlyPremium"] for plan in json.loads(out.getvalue())}


@pytest.mark.parametrize("tier", CASES.values(), ids=CASES.keys())
def test_the_command_the_page_the_estimate_and_the_sandbox_agree(
    loaded_sample, sandbox_api, broker, broker_client, tmp_path, tier
):
    from enrollment.services import group_build_create_payload, group_start_from_quote
    from sandbox.groups import _census_families
    from sandbox.rates import CarrierFacts

    path = _census_file(tmp_path, tier)
    command = _command_totals(path)

    rows, problems = parse_census(path.read_bytes(), filename="census.csv")
    assert problems == []
    quote = services.quote_create(
        broker=broker, employer_name="Blue Heron Bakery LLC", zip5="40202", county_fips="21111",
        effective_date=date(2027, 1, 1), composite=False, contributions={}, census=rows,
    )  # fmt: skip
    page = broker_client.get(reverse("quote_detail", args=[quote.pk]))
    on_page = {p.offer.plan_id: f"{p.price.total_monthly_premium:.2f}" for p in page.context["result"].plans}

    group = group_start_from_quote(quote=quote, broker=broker)
    body = payloads.create_group()
    body["census"] = group_build_create_payload(group=group)["census"]
    for row in body["census"]:
        row["gender"] = "UNKNOWN"  # the group forms ask it; the quote does not
    body["offerings"] = [
        {"line": "MEDICAL", "planIds": ["12345KY0010001", "12345KY0010002"], "ratingOption": "AGE",
         "contribution": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"}},
        {"line": "DENTAL", "planIds": ["12345KY0020001"],
         "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"}},
        {"line": "VISION", "planIds": ["12345KY0030001"],
         "contribution": {"basis": "PERCENT", "employee": "100.00", "dependents": "0.00"}},
    ]  # fmt: skip
    created = sandbox_api.post("/groups", body)
    assert created.status_code == 201, created.json()["errors"]
    estimate = {r["planId"]: r["estimatedMonthlyPremium"] for r in created.json()["estimatedRates"]}

    facts = CarrierFacts()
    families = _census_families(body["census"])
    on = date(2027, 1, 1)
    carrier = {
        plan_id: f"{facts.price(plan_id, area='KY-RA02', on=on, families=families).total_monthly_premium:.2f}"
        for plan_id in command
    }

    assert on_page == command == carrier
    assert estimate == {plan_id: command[plan_id] for plan_id in estimate}
    assert len(estimate) == 4
    if tier == "ECH":
        assert Decimal(command["12345KY0010001"]) == Decimal("3143.30") - Decimal("957.29")
