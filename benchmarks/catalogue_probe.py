"""Child process of the catalogue benchmarks: ``python benchmarks/catalogue_probe.py import|quote N``.

Runs against a throw-away SQLite file (the parent sets DATABASE_URL), or, on PostgreSQL, inside a
transaction that is rolled back, so the development database is never touched. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

POSTGRES = connection.vendor == "postgresql"


class _Rollback(Exception):
    pass


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _bare_insert(path: Path) -> float:
    """Baseline: the ARA rows split and inserted as they are into a plain table (COPY on PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_plain (plan_id varchar(14), area varchar(40), eff date, exp date, "
            "band varchar(4), rate numeric(11,2), tobacco numeric(11,2))"
        )
        started = time.perf_counter()
        with open(path, encoding="utf-8") as lines:
            rows = (line.rstrip("\n").split("|")[1:] for line in lines if line.startswith("ARA|"))
            if POSTGRES:
                with cursor.cursor.copy("COPY bench_plain FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                batch: list[list[str]] = []
                sql = "INSERT INTO bench_plain VALUES (%s, %s, %s, %s, %s, %s, %s)"
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        batch.clear()
                if batch:
                    cursor.executemany(sql, batch)
        return time.perf_counter() - started


def probe_import(rows_wanted: int) -> dict:
    from catalogue.services import etss_file_receive
    from catalogue.testing import write_generated

    plans = max(1, rows_wanted // (51 * 2 * 4))
    with tempfile.TemporaryDirectory() as tmp:
        settings.ETSS_ARCHIVE_DIR = Path(tmp) / "archive"
        path = write_generated(Path(tmp) / "HUM_ETSS_SG_KY_20261101_000001.txt", plans=plans)
        size = path.stat().st_size
        started = time.perf_counter()
        etss_file = etss_file_receive(path=path, loaded_by="benchmark")
        seconds = time.perf_counter() - started
        baseline = _bare_insert(path)
    return {
        "status": etss_file.status,
        "rows": etss_file.counts.get("ARA", 0),
        "mib": round(size / 2**20, 1),
        "seconds": round(seconds, 2),
        "baseline_seconds": round(baseline, 2),
        "peak_rss_mib": _peak_rss_mib(),
    }


def probe_quote(employees: int, plans: int) -> dict:
    from django.test.utils import CaptureQueriesContext

    from catalogue.quoting import CensusRow, quote_census
    from catalogue.services import etss_file_receive
    from catalogue.testing import write_generated
    from groupsales.codes import Line, Relationship, Tier
    from groupsales.rating import AgeRates, CoveredPerson, Family, PlanTerms, price_plan

    with tempfile.TemporaryDirectory() as tmp:
        settings.ETSS_ARCHIVE_DIR = Path(tmp) / "archive"
        path = write_generated(Path(tmp) / "HUM_ETSS_SG_KY_20261101_000001.txt", plans=plans, quarters=1)
        assert etss_file_receive(path=path, loaded_by="benchmark").status == "LOADED"
    census = []
    for i in range(employees):
        ref = f"E-{i:03d}"
        census.append(
            CensusRow(ref, ref, "SUBSCRIBER", date(1960 + i % 40, 1 + i % 12, 1), i % 4 == 0, "ESP")
        )
        census.append(CensusRow(f"{ref}-S", ref, "SPOUSE", date(1962 + i % 35, 3, 3), False))
    on = date(2027, 1, 1)
    times, queries = [], 0
    for _ in range(5):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = quote_census(zip5="40202", county_fips="21111", effective_date=on, census=census)
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    assert len(result.plans) == plans
    # Baseline: the same arithmetic on rates already in memory.
    from catalogue.models import AgeRate

    by_plan: dict[str, dict] = {}
    for plan_id, band, rate, tob in AgeRate.objects.filter(rating_area_id="KY-RA02").values_list(
        "plan_id", "age_band", "rate", "tobacco_rate"
    ):
        by_plan.setdefault(plan_id, {})[band] = (rate, tob)
    families = [
        Family(
            CoveredPerson(r.member_ref, Relationship.SUBSCRIBER, r.date_of_birth, r.tobacco_use),
            (
                CoveredPerson(
                    f"{r.member_ref}-S", Relationship.SPOUSE, census[2 * i + 1].date_of_birth, False
                ),
            ),
            Tier.ESP,
        )
        for i, r in enumerate(census[::2])
    ]
    rates = {p: AgeRates(b) for p, b in by_plan.items()}
    base_times = []
    for _ in range(5):
        started = time.perf_counter()
        for plan_id, age_rates in rates.items():
            terms = PlanTerms(plan_id, Line.MEDICAL, "AGE", True, True, 3)
            price_plan(terms, families=families, effective_date=on, age_rates=age_rates)
        base_times.append(time.perf_counter() - started)
    return {
        "ms": round(statistics.median(times) * 1000, 1),
        "queries": queries,
        "baseline_ms": round(statistics.median(base_times) * 1000, 1),
    }


def main() -> None:
    kind = sys.argv[1]
    if not POSTGRES:
        call_command("migrate", verbosity=0)
    try:
        with transaction.atomic():
            if kind == "import":
                result = probe_import(int(sys.argv[2]))
            else:
                result = probe_quote(int(sys.argv[2]), int(sys.argv[3]))
            if POSTGRES:
                raise _Rollback
    except _Rollback:
        pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
