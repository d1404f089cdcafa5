"""Child process of the selling benchmark: ``python benchmarks/selling_probe.py EMPLOYEES PLANS``.

A generated rate file (``catalogue.testing.write_generated``: age-rated medical plans), a quote of
EMPLOYEES employees with spouses and children (tiers mixed, some leaving a spouse out) and three
contribution scenarios. Times, median of 5: the quote alone (``quote_census``, the baseline), the
quote sheet (the quote and its three scenarios priced and checked against GRP-020/021/022), the quote
page through Django's test client, and the proposal PDF (WeasyPrint). Prints one JSON line.

Runs against the throw-away SQLite file the parent names (DATABASE_URL), or on PostgreSQL inside a
transaction that is rolled back.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

POSTGRES = connection.vendor == "postgresql"
ON = date(2027, 1, 1)


class _Rollback(Exception):
    pass


def _median_ms(work, runs: int = 5) -> tuple[float, int]:
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return round(statistics.median(times) * 1000, 1), queries


def _census(employees: int) -> list:
    from catalogue.quoting import CensusRow

    rows = []
    for i in range(employees):
        ref = f"E-{i:03d}"
        tier = ("EMP", "ESP", "ECH", "FAM")[i % 4]
        rows.append(CensusRow(ref, ref, "SUBSCRIBER", date(1960 + i % 40, 1 + i % 12, 1), i % 5 == 0, tier))
        rows.append(CensusRow(f"{ref}-S", ref, "SPOUSE", date(1962 + i % 35, 3, 3), False))
        rows += [CensusRow(f"{ref}-C{c}", ref, "CHILD", date(2008 + c * 3, 5, 5), None) for c in range(i % 3)]
    return rows


def probe(employees: int, plans: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from agencies.models import Agency, Broker
    from catalogue import services
    from catalogue.proposal import proposal_pdf, quote_sheet
    from catalogue.quoting import quote_census
    from catalogue.scenarios import Scenario, default_plan_ids, quote_scenarios_save
    from catalogue.selectors import plans_sold
    from catalogue.testing import write_generated
    from groupsales.codes import ContributionBasis
    from groupsales.rating import Contribution
    from groupsales.rules import RuleSettings

    with tempfile.TemporaryDirectory() as tmp:
        settings.ETSS_ARCHIVE_DIR = Path(tmp) / "archive"
        path = write_generated(Path(tmp) / "HUM_ETSS_SG_KY_20261101_000001.txt", plans=plans, quarters=1)
        assert services.etss_file_receive(path=path, loaded_by="benchmark").status == "LOADED"
    user = get_user_model().objects.create_user("bench-broker", password="x", first_name="Bench")
    broker = Broker.objects.create(
        user=user, agency=Agency.objects.create(name="Bench Agency"), npn="17999999"
    )
    census = _census(employees)
    percent = {"basis": "PERCENT", "employee": "50.00", "dependents": "0.00"}
    quote = services.quote_create(
        broker=broker, employer_name="Bench Employer LLC", zip5="40202", county_fips="21111",
        effective_date=ON, composite=False, contributions={"MEDICAL": percent}, census=census,
    )  # fmt: skip
    chosen = default_plan_ids(plans_sold(zip5="40202", county_fips="21111", on=ON), RuleSettings())
    quote_scenarios_save(
        quote=quote,
        scenarios=[
            Scenario(
                n,
                f"S{n}",
                {"MEDICAL": Contribution(ContributionBasis.PERCENT, Decimal(share), Decimal(0))},
                chosen,
            )
            for n, share in ((1, 40), (2, 50), (3, 75))
        ],
    )
    quote_ms, quote_queries = _median_ms(
        lambda: quote_census(zip5="40202", county_fips="21111", effective_date=ON, census=census)
    )
    sheet_ms, sheet_queries = _median_ms(lambda: quote_sheet(quote=quote))
    setup_test_environment()
    client = Client()
    client.force_login(user)
    page_ms, page_queries = _median_ms(lambda: client.get(f"/quotes/{quote.pk}/"))
    sheet = quote_sheet(quote=quote)
    pdf_ms, _ = _median_ms(lambda: proposal_pdf(sheet=sheet, scenario=sheet.scenarios[0]), runs=3)
    return {
        "lives": len(census),
        "quote_ms": quote_ms, "quote_queries": quote_queries,
        "sheet_ms": sheet_ms, "sheet_queries": sheet_queries,
        "page_ms": page_ms, "page_queries": page_queries,
        "pdf_ms": pdf_ms,
    }  # fmt: skip


def main() -> None:
    if not POSTGRES:
        call_command("migrate", verbosity=0)
    result: dict = {}
    try:
        with transaction.atomic():
            result = probe(int(sys.argv[1]), int(sys.argv[2]))
            if POSTGRES:
                raise _Rollback
    except _Rollback:
        pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
