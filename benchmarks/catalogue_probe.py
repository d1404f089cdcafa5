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
from types import SimpleNamespace

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


_ARA_COLUMNS = "state, plan_id, rating_area_id, rate_eff_date, rate_exp_date, age_band, rate, tobacco_rate"


def _ara_rows(path: Path):
    """The file's ARA rows as the floors write them: split, the state in front, no checks."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("ARA|"):
                fields = line.rstrip("\n").split("|")
                row: list[str | None] = [fields[1][5:7], *fields[1:]]
                if not fields[7]:
                    row[7] = None
                yield row


def _load(cursor, table: str, path: Path) -> float:
    """The same rows into ``table``: ``COPY`` (PostgreSQL) or ``executemany`` in batches (SQLite)."""
    started, cpu = time.perf_counter(), time.process_time()
    try:
        return _write(cursor, table, path, started)
    finally:
        spent = round(time.process_time() - cpu, 2)
        LOAD_CPU[table] = min(LOAD_CPU.get(table, spent), spent)


LOAD_CPU: dict[str, float] = {}  # this process's CPU seconds of each floor's load, by table


def _write(cursor, table: str, path: Path, started: float) -> float:
    if POSTGRES:
        with cursor.cursor.copy(f"COPY {table} ({_ARA_COLUMNS}) FROM STDIN") as copy:
            for row in _ara_rows(path):
                copy.write_row(row)
    else:
        batch: list[list] = []
        sql = f"INSERT INTO {table} ({_ARA_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        for row in _ara_rows(path):
            batch.append(row)
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
    return time.perf_counter() - started


def _bare_insert(path: Path) -> float:
    """Baseline: the ARA rows inserted as they are into a plain temporary table without indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_plain (state varchar(2), plan_id varchar(14), area varchar(40), "
            "eff date, exp date, band varchar(4), rate numeric(11,2), tobacco numeric(11,2))"
        )
        columns = "state, plan_id, area, eff, exp, band, rate, tobacco"
        if POSTGRES:
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY bench_plain ({columns}) FROM STDIN") as copy:
                for row in _ara_rows(path):
                    copy.write_row(row)
            return time.perf_counter() - started
        global _ARA_COLUMNS
        live_columns, _ARA_COLUMNS = _ARA_COLUMNS, columns
        try:
            return _load(cursor, "bench_plain", path)
        finally:
            _ARA_COLUMNS = live_columns


def _live_table_load(path: Path) -> float:
    """Floor: the same rows written straight into the live (empty) ``catalogue_agerate``, indexes and all,
    then rolled back."""
    seconds = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM catalogue_agerate" if not POSTGRES else "TRUNCATE catalogue_agerate")
            seconds = _load(cursor, "catalogue_agerate", path)
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def _fresh_table_load(path: Path) -> tuple[float, float]:
    """PostgreSQL floor: the same rows into a fresh table without indexes, then the live table's indexes
    built on it (seconds of each), rolled back."""
    load = build = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_fresh (LIKE catalogue_agerate INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
            load = _load(cursor, "bench_fresh", path)
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'catalogue_agerate'")
            definitions = [row[0] for row in cursor.fetchall()]
            started = time.perf_counter()
            for number, definition in enumerate(definitions):
                unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
                using = definition[definition.index(" USING ") :]
                cursor.execute(f"CREATE {unique}INDEX bench_fresh_{number} ON bench_fresh {using}")
            build = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return load, build


REPEAT = 2  # each measure is taken this many times (interleaved) and the fastest kept: a shared machine


def _timed(measure):
    """(wall seconds, this process's CPU seconds, result) of ``measure()``."""
    started, cpu = time.perf_counter(), time.process_time()
    result = measure()
    return time.perf_counter() - started, time.process_time() - cpu, result


def _rolled_back(measure):
    """``measure()`` inside a savepoint that is then rolled back, so that it can be measured again."""
    result = None
    try:
        with transaction.atomic():
            result = measure()
            raise _Rollback
    except _Rollback:
        pass
    return result


def _import_once(receive, path: Path):
    seconds, cpu, etss_file = _timed(lambda: receive(path=path, loaded_by="benchmark"))
    assert etss_file.status == "LOADED", etss_file.errors[:5]
    return seconds, cpu, SimpleNamespace(status=etss_file.status, counts=etss_file.counts)


def probe_import(rows_wanted: int) -> dict:
    from catalogue.services import etss_file_receive
    from catalogue.testing import write_generated
    from groupsales.etss import EtssReader

    plans = max(1, rows_wanted // (51 * 2 * 4))
    with tempfile.TemporaryDirectory() as tmp:
        settings.ETSS_ARCHIVE_DIR = Path(tmp) / "archive"
        path = write_generated(Path(tmp) / "HUM_ETSS_SG_KY_20261101_000001.txt", plans=plans)
        size = path.stat().st_size
        load_before = os.getloadavg()[0]
        rounds, peak_import = [], 0.0
        for _round in range(REPEAT):  # every measure once per round; the best of each is kept
            imported = _rolled_back(lambda: _import_once(etss_file_receive, path))
            peak_import = peak_import or _peak_rss_mib()  # the first import's peak, before anything else
            rounds.append(
                {
                    "import": imported,
                    # the reader alone, nothing written
                    "checks": _timed(lambda: EtssReader(path).check().ok),
                    "baseline": _rolled_back(lambda: _bare_insert(path)),
                    "live": _live_table_load(path),
                    "fresh": _fresh_table_load(path) if POSTGRES else (0.0, 0.0),
                }
            )
        seconds, import_cpu, etss_file = min((r["import"] for r in rounds), key=lambda found: found[0])
        checks, checks_cpu, checked_ok = min((r["checks"] for r in rounds), key=lambda found: found[0])
        assert checked_ok
        baseline = min(r["baseline"] for r in rounds)
        live = min(r["live"] for r in rounds)
        fresh, build = min((r["fresh"] for r in rounds), key=sum)
    return {
        "status": etss_file.status,
        "rows": etss_file.counts.get("ARA", 0),
        "mib": round(size / 2**20, 1),
        "seconds": round(seconds, 2),
        "checks_seconds": round(checks, 2),
        "baseline_seconds": round(baseline, 2),
        "live_seconds": round(live, 2),
        "fresh_seconds": round(fresh, 2),
        "index_seconds": round(build, 2),
        "peak_rss_mib": peak_import,
        "peak_rss_mib_probe": _peak_rss_mib(),  # of the whole probe: both rounds, every measure
        # this process's CPU (the server's is not in it): steadier than wall time on a shared machine
        "import_cpu_seconds": round(import_cpu, 2),
        "checks_cpu_seconds": round(checks_cpu, 2),
        "fresh_cpu_seconds": LOAD_CPU.get("bench_fresh", 0.0),
        "live_cpu_seconds": LOAD_CPU.get("catalogue_agerate", 0.0),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "repeat": REPEAT,
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
    call_command("migrate", verbosity=0)  # PostgreSQL: a no-op once the benchmark database is migrated
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
