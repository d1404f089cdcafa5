from __future__ import annotations

from datetime import date
from decimal import Decimal

from catalogue import selectors

ON = date(2027, 1, 1)


def test_it_finds_the_counties_of_a_zip(loaded_sample):
    choices = selectors.counties_for_zip(zip5="40240", on=ON)
    assert [(c.county_fips, c.rating_area_id) for c in choices] == [
        ("21001", "KY-RA01"),
        ("21003", "KY-RA02"),
    ]
    assert selectors.counties_for_zip(zip5="40240", on=date(2028, 1, 1)) == []


def test_it_decides_the_rating_area_by_the_county(loaded_sample):
    assert selectors.rating_area_for(zip5="40240", county_fips="21001", on=ON) == "KY-RA01"
    assert selectors.rating_area_for(zip5="40240", county_fips="21003", on=ON) == "KY-RA02"
    assert selectors.rating_area_for(zip5="99999", county_fips="21003", on=date(2026, 1, 1)) is None


def test_it_lists_the_plans_sold_by_line(loaded_sample):
    offers = selectors.plans_sold(zip5="40202", county_fips="21111", on=ON)
    assert [o.line for o in offers] == ["MEDICAL"] * 3 + ["DENTAL", "VISION"]
    dental = selectors.plans_sold(zip5="40202", county_fips="21111", on=ON, line="DENTAL")
    assert [(o.plan_id, o.rating_method, o.deductible_individual) for o in dental] == [
        ("12345KY0020001", "TIER", Decimal("50.00"))
    ]
    assert selectors.plans_sold(zip5="40202", county_fips="21111", on=date(2028, 1, 1)) == []


def test_it_answers_the_rules_from_the_catalogue(loaded_sample):
    facts = selectors.rule_facts(today=date(2026, 11, 23))
    assert facts.counties_for_zip("40240", ON) == {"21001", "21003"}
    assert facts.rating_area_for("40202", "21111", ON) == "KY-RA02"
    assert facts.plan_sold("12345KY0010001", "MEDICAL", "KY-RA02", ON)
    assert not facts.plan_sold("12345KY0010001", "DENTAL", "KY-RA02", ON)
    assert facts.plan_sold("12345KY0020001", "DENTAL", "KY-RA01", ON)  # a "*" tier rate
    assert facts.composite_allowed("12345KY0010001", ON)
    assert not facts.composite_allowed("12345KY0020001", ON)
    assert facts.agent_appointed("17012345", "KY")
    own = dict(rating_area_id="KY-RA02", date_of_birth=date(1980, 5, 2), effective_date=ON)
    assert facts.own_premium("12345KY0010001", tobacco=False, **own) == Decimal("765.59")
    assert facts.own_premium("12345KY0020001", tobacco=False, **own) == Decimal("32.50")
    spouse = dict(rating_area_id="KY-RA02", date_of_birth=date(1979, 11, 30), effective_date=ON)
    assert facts.own_premium("12345KY0010001", tobacco=True, **spouse) == Decimal("957.29")
    assert facts.own_premium("12345KY0010001", tobacco=False, **spouse) < Decimal("957.29")
    assert facts.own_premium("NOPE", tobacco=False, **own) is None


def test_it_satisfies_the_rule_context_protocol(loaded_sample):
    from groupsales.rules import RuleContext

    assert isinstance(selectors.rule_facts(), RuleContext)


def test_it_seeds_the_demo_rates_and_quote_once(db, archive, broker):
    import io

    from catalogue import demo
    from catalogue.models import EtssFile, Quote

    broker.user.username = "broker"
    broker.user.save()
    out = io.StringIO()
    first = demo.seed(stdout=out)
    second = demo.seed(stdout=out)
    assert first is not None and first == second
    assert EtssFile.objects.filter(status=EtssFile.Status.LOADED).count() == 1
    assert Quote.objects.get().census_rows.count() == 5


def test_it_schedules_the_etss_pull():
    from django.conf import settings

    from catalogue.tasks import pull_etss

    entry = settings.CELERY_BEAT_SCHEDULE["catalogue-pull-etss"]
    assert entry["task"] == pull_etss.name
