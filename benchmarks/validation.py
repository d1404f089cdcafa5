"""Member validation benchmark (issue 6): a 100-employee group (~250 covered lives) over real HTTP.

The portal's WSGI application is served in a thread (``wsgiref``, threading server, port 0) and the
carrier client talks to its sandbox: (a) one ``validate_member`` call per life, (b) ``validate_members``
batches of up to 200; covered lives per second each and the ratio batch / single. Baseline, measured
in the same run: the sandbox's in-process rule check (``groupsales.rules.check_member`` with
``sandbox.rates.CarrierFacts``) of the same bodies, i.e. the work without HTTP or storage. Runs in a
child process (``benchmarks/carrier_probe.py``) on a throw-away SQLite file. ``--quick``: one run of
each; the full run takes the median of three (each on a fresh sandbox group).
``python -m benchmarks.validation [--quick]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = Path(__file__).with_name("carrier_probe.py")


def carrier_probe(*args: str) -> dict:
    env = dict(os.environ)
    env.setdefault("LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        # Always SQLite: the server thread must see what the probe commits (no rolled-back transaction).
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        env["PORTAL_VAR_DIR"] = tmp
        env.pop("REDIS_URL", None)
        done = subprocess.run(
            [sys.executable, str(PROBE), *args], env=env, capture_output=True, text=True, timeout=3600
        )
    if done.returncode:
        raise SystemExit(f"carrier probe {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, quick: bool) -> list[dict]:
    result = carrier_probe("validation", "--employees", "100", "--repeat", "1" if quick else "3")
    lives = result["lives"]
    single = lives / result["single_s"]
    batch = lives / result["batch_s"]
    base = lives / result["baseline_s"]
    runs = "one run" if result["repeat"] == 1 else f"median of {result['repeat']} runs"
    case = f"{result['employees']} employees, {lives} lives over HTTP"
    return [
        {
            "benchmark": "validation",
            "case": f"{case}: one call per life",
            "value": round(single),
            "unit": "lives/s",
            "baseline": f"in-process check_member {base:,.0f} lives/s",
            "ratio": round(single / base, 3),
            "note": f"{result['calls']['single']} calls, {result['single_s']} s; {runs}",
        },
        {
            "benchmark": "validation",
            "case": f"{case}: batches of ≤ 200",
            "value": round(batch),
            "unit": "lives/s",
            "baseline": f"in-process check_member {base:,.0f} lives/s",
            "ratio": round(batch / base, 3),
            "note": f"{result['calls']['batch']} calls, {result['batch_s']} s; "
            f"batch / single = {batch / single:.1f}×; {runs}",
        },
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(row)
