"""Selling benchmark (issue 23): a quote with three contribution scenarios, its page and its proposal PDF.

Baseline: the quote alone (``quote_census`` with one contribution set) on the same census and rates.
``python -m benchmarks.selling [--quick]``; the child process is ``benchmarks/selling_probe.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = Path(__file__).with_name("selling_probe.py")


def _probe(*args: str) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if "postgres" not in env.get("DATABASE_URL", ""):
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        env["PORTAL_VAR_DIR"] = tmp
        done = subprocess.run(
            [sys.executable, str(PROBE), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, quick: bool) -> list[dict]:
    rows = []
    for employees, plans in ((10, 4),) if quick else ((10, 4), (50, 10)):
        r = _probe(str(employees), str(plans))
        case = f"{employees} employees ({r['lives']} lives) × {plans} plans, 3 scenarios"
        baseline = f"quote alone {r['quote_ms']} ms ({r['quote_queries']} queries)"
        for name, key, note in (
            ("quote sheet (3 scenarios + GRP-020/021/022)", "sheet_ms", f"{r['sheet_queries']} queries"),
            ("quote page", "page_ms", f"{r['page_queries']} queries"),
            ("proposal PDF", "pdf_ms", "WeasyPrint, median of 3"),
        ):
            rows.append(
                {
                    "benchmark": "selling",
                    "case": f"{name}: {case}",
                    "value": r[key],
                    "unit": "ms",
                    "baseline": baseline,
                    "ratio": round(r[key] / r["quote_ms"], 1) if r["quote_ms"] else None,
                    "note": note,
                }
            )
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(row)
