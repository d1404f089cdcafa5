"""ETSS import benchmark: generate an N-row file, import it end to end (check + publish), rows/s.

Floors, measured in the same run on the same ARA rows (split, no checks): (1) into an index-free
temporary table (``executemany`` on SQLite, ``COPY`` on PostgreSQL: the old baseline); (2) straight
into the live ``catalogue_agerate`` with its indexes; (3) PostgreSQL: into a fresh table without
indexes, plus building the live table's indexes on it, the floor of the import's design (load aside,
index once, swap). The import's ratio is to (3) on PostgreSQL and to (1) on SQLite. Peak memory is the
child process's ru_maxrss right after the first import (and at the probe's end). The import's note also
gives the reader's checks alone (the same file read again, nothing written) as a share of the import,
the child's CPU seconds for both
(steadier than wall time on a shared machine; the server's CPU is not in them) and the 1-minute load
average before and after: on a machine shared with other work, compare the figures of one run. Each
measure is taken twice, interleaved (import, checks, floors; then again), and the faster kept.
Runs in a child process on a throw-away SQLite file (or a rolled-back transaction on PostgreSQL).
``python -m benchmarks.rate_import [--quick]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = Path(__file__).with_name("catalogue_probe.py")


def _probe(*args: str, script: Path = PROBE) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if "postgres" not in env.get("DATABASE_URL", ""):
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        env["PORTAL_VAR_DIR"] = tmp
        done = subprocess.run(
            [sys.executable, str(script), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(case: str, value: float, baseline: str, ratio: float | str, note: str, *, db: str) -> dict:
    return {
        "benchmark": f"rate import{db}",
        "case": case,
        "value": value,
        "unit": "s",
        "baseline": baseline,
        "ratio": ratio,
        "note": note,
    }


def run(*, quick: bool) -> list[dict]:
    rows = 100_000 if quick else 2_000_000
    r = _probe("import", str(rows))
    postgres = "postgres" in os.environ.get("DATABASE_URL", "")
    db = " (PostgreSQL)" if postgres else " (SQLite)"
    what = f"{r['rows']:,} ARA rows ({r['mib']} MiB)"
    bare, live = r["baseline_seconds"], r["live_seconds"]
    out = [
        _row(f"floor: {what} typed, into an index-free temporary table", bare, "", "",
             "today's baseline: " + ("COPY" if postgres else "executemany") + ", no checks", db=db),
        _row("floor: the same rows straight into the live table (indexes, WAL)", live,
             f"index-free {bare} s", round(live / bare, 2),
             f"no checks; rolled back; CPU of this process: {r['live_cpu_seconds']} s", db=db),
    ]  # fmt: skip
    import_note = (
        f"{r['status']}; {round(r['rows'] / r['seconds']):,} rows/s; the reader's checks alone "
        f"{r['checks_seconds']} s = {round(100 * r['checks_seconds'] / r['seconds'])} % of the import "
        f"(target < 20 %); CPU of this process: import {r['import_cpu_seconds']} s, checks "
        f"{r['checks_cpu_seconds']} s; peak RSS {r['peak_rss_mib']} MiB after the first import (target "
        f"< 200; {r['peak_rss_mib_probe']} MiB at the probe's end); 1-min load "
        f"{r['load_before']} before, {r['load_after']} after"
    )
    if postgres:
        floor = round(r["fresh_seconds"] + r["index_seconds"], 2)
        out.append(
            _row("floor: the same rows into a fresh table without indexes + the live table's indexes built",
                 floor, f"index-free {bare} s", round(floor / bare, 2),
                 f"load {r['fresh_seconds']} s + indexes {r['index_seconds']} s (the design's floor); "
                 f"CPU of this process: load {r['fresh_cpu_seconds']} s", db=db)
        )  # fmt: skip
        out.append(
            _row(f"import: {what}, check + publish (target ≤ 1.5× the design's floor)", r["seconds"],
                 f"design floor {floor} s", round(r["seconds"] / floor, 2),
                 f"{round(r['seconds'] / live, 2)}× the live-table COPY, {round(r['seconds'] / bare, 2)}× "
                 f"the index-free COPY; {import_note}", db=db)
        )  # fmt: skip
    else:
        out.append(
            _row(f"import: {what}, check + publish (target ≤ 3× the bare executemany)", r["seconds"],
                 f"bare executemany {bare} s", round(r["seconds"] / bare, 2),
                 f"{round(r['seconds'] / live, 2)}× the live-table executemany; {import_note}", db=db)
        )  # fmt: skip
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(row)
