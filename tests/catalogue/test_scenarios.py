"""Issue 23 item 3: contribution scenarios side by side, flagged with the carrier's finalize rules
(GRP-020, GRP-021, GRP-022: ``groupsales.rules.check_finalize``, as the finalize checklist runs them),
a copy of a quote, and a scenario becoming the group's offerings."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from catalogue import services
from catalogue.census import parse_census
from catalogue.models import Quote, QuoteScenario
from catalogue.quoting import CensusRow
from catalogue.testing import sample_path

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"
PLANS = {"MEDICAL": ["12345KY0010003", "12345KY0010002", "12345KY0010001"], "DENTAL": ["12345KY0020001"],
         "VISION": ["12345KY0030001"]}  # fmt: skip


def _contribution(employee: str, dependents: str = "0.00", basis: str = "PERCENT") -> dict:
    return {"basis": basis, "employee": employee, "dependents": dependents}


def _quote(broker, census: list[CensusRow] | None = None, medical: str = "50.00") -> Quote:
    if census is None:
        census, problems = parse_census(BLUE_HERON.read_bytes(), filename="census.csv")
        assert problems == []
    return services.quote_create(
        broker=broker, employer_name="Blue Heron Bakery LLC", zip5="40202", county_fips="21111",
        effective_date=date(2027, 1, 1), composite=False,
        contributions={"MEDICAL": _contribution(medical), "DENTAL": _contribution("0.00"),
                       "VISION": _contribution("0.00")},
        census=census,
    )  # fmt: skip


def _scenario_post(*scenarios: dict) -> dict:
    """The scenario form's fields: each scenario {name, medical, dental, vision, plans}."""
    data: dict = {}
    for position, s in enumerate(scenarios, start=1):
        prefix = f"s{position}-"
        if position > 1:
            data[prefix + "include"] = "on"
        data[prefix + "name"] = s.get("name", "")
        for line in ("medical", "dental", "vision"):
            c = s.get(line, _contribution("0.00"))
            data.update({prefix + f"{line}_{k}": v for k, v in c.items()})
            data[prefix + f"{line}_plans"] = s.get("plans", PLANS)[line.upper()]
    return data


def _flags(page: str, position: int) -> dict[str, list[str]]:
    """Rule ID -> ["true"/"false", …] of one scenario's column of the comparison."""
    column = page.split('class="scenario-rules plain"')[position]
    column = column.split("</ul>")[0]
    found: dict[str, list[str]] = {}
    for code, ok in re.findall(r'data-rule="([A-Z]{3}-\d{3})" data-ok="(true|false)"', column):
        found.setdefault(code, []).append(ok)
    return found


def test_it_flags_the_minimum_contribution_on_a_40_percent_scenario_and_not_on_a_50_percent_one(
    loaded_sample, broker, broker_client
):
    quote = _quote(broker)
    response = broker_client.post(
        reverse("quote_scenarios", args=[quote.pk]),
        _scenario_post(
            {"name": "Forty", "medical": _contribution("40.00")},
            {"name": "Fifty", "medical": _contribution("50.00")},
        ),
    )
    assert response.status_code == 302

    page = broker_client.get(reverse("quote_detail", args=[quote.pk])).content.decode()
    assert _flags(page, 1)["GRP-022"] == ["false"]
    assert _flags(page, 2)["GRP-022"] == ["true"]
    assert _flags(page, 1)["GRP-020"] == _flags(page, 2)["GRP-020"] == ["true"]
    assert "E-001, E-002" in page  # who would get less than the minimum
    assert list(quote.scenarios.values_list("position", "name")) == [(1, "Forty"), (2, "Fifty")]
    quote.refresh_from_db()
    assert quote.contributions["MEDICAL"]["employee"] == "40.00"  # scenario 1 is the quote's


def test_it_reads_the_minimum_from_the_same_settings_as_the_finalize_checklist(
    loaded_sample, broker, broker_client, settings
):
    settings.HUMANA_RULE_SETTINGS = {"min_contribution": {"MEDICAL": "0.40"}}
    quote = _quote(broker, medical="40.00")

    page = broker_client.get(reverse("quote_detail", args=[quote.pk])).content.decode()

    assert _flags(page, 1)["GRP-022"] == ["true"]


def test_it_estimates_participation_from_the_waivers_with_valid_reasons(loaded_sample, broker, broker_client):
    def census(reason: str) -> list[CensusRow]:
        rows = [CensusRow("E-1", "E-1", "SUBSCRIBER", date(1980, 1, 1), False, "EMP")]
        rows += [
            CensusRow(f"E-{n}", f"E-{n}", "SUBSCRIBER", date(1985, 1, 1), False, "EMP", medical_tier="WAIVE",
                      waiver_reason=reason)
            for n in (2, 3)
        ]  # fmt: skip
        return rows

    valid = _quote(broker, census("SPOUSE_GROUP_COVERAGE"))  # 1 of (3 - 2 valid waivers): 100%
    invalid = _quote(broker, census("NO_OTHER_COVERAGE"))  # 1 of 3: 33.33%

    ok = broker_client.get(reverse("quote_detail", args=[valid.pk])).content.decode()
    short = broker_client.get(reverse("quote_detail", args=[invalid.pk])).content.decode()
    assert _flags(ok, 1)["GRP-020"] == ["true"]
    assert _flags(short, 1)["GRP-020"] == ["false"]
    assert "33.33%" in short


def test_it_shows_each_scenario_s_employer_cost_and_employee_cost_per_tier(
    loaded_sample, broker, broker_client
):
    quote = _quote(broker)
    response = broker_client.get(reverse("quote_detail", args=[quote.pk]))
    sheet = response.context["sheet"]
    bronze = next(c for c in sheet.scenarios[0].plans if c.plan.offer.plan_id == "12345KY0010001")

    # 50% of Ann's 765.59 (382.80) and of Luis's 591.54 (295.77)
    assert bronze.employer_monthly == Decimal("678.57")
    assert bronze.employer_annual == Decimal("8142.84")
    by_tier = {t.tier: (t.low, t.high) for t in bronze.by_tier}
    assert by_tier["EMP"] == (Decimal("295.77"), Decimal("295.77"))
    assert by_tier["FAM"] == (Decimal("2168.96"), Decimal("2168.96"))  # 3143.30 - 591.54 - 382.80
    assert by_tier["ESP"] == (None, None)
    dental = next(c for c in sheet.scenarios[0].plans if c.plan.offer.line == "DENTAL")
    assert {t.tier: t.low for t in dental.by_tier} == {
        "EMP": Decimal("32.50"), "ESP": Decimal("65.00"), "ECH": Decimal("61.75"), "FAM": Decimal("97.50")
    }  # fmt: skip
    assert "$8,142.84" in response.content.decode()


def test_it_refuses_a_scenario_with_more_plans_than_a_group_may_offer(
    loaded_sample, broker, broker_client, settings
):
    settings.HUMANA_RULE_SETTINGS = {"max_plans": {"MEDICAL": 2}}
    quote = _quote(broker)
    response = broker_client.post(
        reverse("quote_scenarios", args=[quote.pk]),
        _scenario_post({"name": "All", "medical": _contribution("150.00")}),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<span class="rule-id">GRP-010</span>' in page
    assert '<span class="rule-id">GRP-011</span>' in page
    assert not QuoteScenario.objects.exists()


def test_it_keeps_at_most_three_scenarios_and_skips_those_not_compared(loaded_sample, broker, broker_client):
    quote = _quote(broker)
    data = _scenario_post({"name": "A"}, {"name": "B"}, {"name": "C"})
    del data["s2-include"]
    broker_client.post(reverse("quote_scenarios", args=[quote.pk]), data)
    assert list(quote.scenarios.values_list("position", "name")) == [(1, "A"), (2, "C")]


def test_it_starts_a_group_with_a_scenario_as_its_offerings(loaded_sample, broker, broker_client):
    from enrollment.models import EmployerGroup

    quote = _quote(broker)
    broker_client.post(
        reverse("quote_scenarios", args=[quote.pk]),
        _scenario_post(
            {"name": "Fifty"},
            {"name": "Bronze only", "medical": _contribution("60.00", "25.00"),
             "dental": _contribution("20.00", basis="FLAT"),
             "plans": {"MEDICAL": ["12345KY0010001"], "DENTAL": ["12345KY0020001"], "VISION": []}},
        ),
    )  # fmt: skip
    response = broker_client.post(reverse("quote_scenario_start_group", args=[quote.pk, 2]))

    group = EmployerGroup.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/groups/{group.pk}/employer")
    assert group.offerings == [
        {"line": "MEDICAL", "planIds": ["12345KY0010001"], "ratingOption": "AGE",
         "contribution": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"}},
        {"line": "DENTAL", "planIds": ["12345KY0020001"],
         "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"}},
    ]  # fmt: skip
    assert group.census.count() == 5 and group.quote_id == quote.pk


def test_it_copies_a_quote_with_its_census_and_scenarios(loaded_sample, broker, broker_client):
    quote = _quote(broker)
    broker_client.post(
        reverse("quote_scenarios", args=[quote.pk]), _scenario_post({"name": "A"}, {"name": "B"})
    )
    form = broker_client.get(reverse("quote_new") + f"?copy={quote.pk}")
    assert form.context["form"].initial["employer_name"] == "Blue Heron Bakery LLC"
    assert "1980-05-02" not in form.content.decode()  # the copied census stays on the server

    data = {
        "employer_name": "Blue Heron Bakery LLC", "zip5": "40202", "county_fips": "21111",
        "effective_date": "2027-02-01", "copy_of": str(quote.pk),
        "census-TOTAL_FORMS": "0", "census-INITIAL_FORMS": "0", "census-MIN_NUM_FORMS": "0",
        "census-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for line in ("medical", "dental", "vision"):
        data.update({f"{line}_basis": "PERCENT", f"{line}_employee": "55.00", f"{line}_dependents": "0.00"})
    response = broker_client.post(reverse("quote_new"), data)

    copy = Quote.objects.exclude(pk=quote.pk).get()
    assert response.status_code == 302
    assert copy.effective_date == date(2027, 2, 1)
    assert copy.census_rows.count() == 5
    assert list(copy.scenarios.values_list("name", flat=True)) == ["A", "B"]
    assert copy.scenarios.get(position=1).contributions["MEDICAL"]["employee"] == "55.00"


def test_it_keeps_other_agencies_out_of_scenarios_copies_and_groups(
    loaded_sample, broker, other_broker, client
):
    quote = _quote(broker)
    client.force_login(other_broker.user)
    assert (
        client.post(reverse("quote_scenarios", args=[quote.pk]), _scenario_post({"name": "X"})).status_code
        == 404
    )
    assert client.post(reverse("quote_scenario_start_group", args=[quote.pk, 1])).status_code == 404
    assert client.get(reverse("quote_new") + f"?copy={quote.pk}").status_code == 404
    assert not QuoteScenario.objects.exists()


@pytest.mark.parametrize("position", [0, 4])
def test_it_answers_404_for_a_scenario_that_does_not_exist(loaded_sample, broker, broker_client, position):
    quote = _quote(broker)
    assert (
        broker_client.post(reverse("quote_scenario_start_group", args=[quote.pk, position])).status_code
        == 404
    )


def test_the_quote_page_reads_as_many_queries_for_50_employees_as_for_2(loaded_sample, broker, broker_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for employees in (2, 50):
        census = []
        for i in range(employees):
            ref = f"E-{i:03d}"
            census.append(
                CensusRow(ref, ref, "SUBSCRIBER", date(1960 + i % 40, 1 + i % 12, 1), i % 3 == 0, "ECH")
            )
            census.append(CensusRow(f"{ref}-S", ref, "SPOUSE", date(1965 + i % 30, 2, 2), False))
        quote = _quote(broker, census)
        broker_client.post(
            reverse("quote_scenarios", args=[quote.pk]),
            _scenario_post({"name": "A"}, {"name": "B"}, {"name": "C"}),
        )
        with CaptureQueriesContext(connection) as captured:
            assert broker_client.get(reverse("quote_detail", args=[quote.pk])).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
