"""ETSS import benchmark: generate an N-row file, import it end to end (check + publish), rows/s.

Baseline, measured in the same run: the same ARA rows split and inserted bare into a plain table
(``executemany`` on SQLite, ``COPY`` on PostgreSQL). Peak memory is the child process's ru_maxrss.
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


def run(*, quick: bool) -> list[dict]:
    rows = 100_000 if quick else 2_000_000
    result = _probe("import", str(rows))
    rate = round(result["rows"] / result["seconds"])
    baseline = round(result["rows"] / result["baseline_seconds"])
    return [
        {
            "benchmark": "rate import",
            "case": f"{result['rows']:,} ARA rows ({result['mib']} MiB), check + publish, {result['status']}",
            "value": rate,
            "unit": "rows/s",
            "baseline": f"bare insert {baseline:,} rows/s",
            "ratio": round(rate / baseline, 2),
            "note": f"{result['seconds']} s end to end; peak RSS {result['peak_rss_mib']} MiB",
        }
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(row)
