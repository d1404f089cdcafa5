"""Page benchmark (issue 9): the portal's pages with 10,000 groups and 100,000 members in one agency.

Each page is requested with Django's test ``Client`` (a principal, ``force_login``; the self-service
page anonymously with its token): median and p95 server time over ≥30 requests and the number of
queries of one request. The same pages are measured again on a database 10× smaller to show that the
query count does not grow with the data. Baseline, measured in the same process: ``/healthz`` (one
``SELECT 1``), timed the same way. Each size runs in a child process (``benchmarks/pages_probe.py``)
on a throw-away SQLite file. ``python -m benchmarks.pages [--quick]`` (quick: 1,000 groups).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = Path(__file__).with_name("pages_probe.py")
REQUESTS = 30


def _probe(groups: int) -> dict:
    env = dict(os.environ)
    env.setdefault("LOG_LEVEL", "WARNING")  # the probe logs in a principal; keep the output to the table
    with tempfile.TemporaryDirectory() as tmp:
        if "postgres" not in env.get("DATABASE_URL", ""):
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        env["PORTAL_VAR_DIR"] = tmp
        done = subprocess.run(
            [sys.executable, str(PROBE), str(groups), "--requests", str(REQUESTS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if done.returncode:
        raise SystemExit(f"pages probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _queries(n: int) -> str:
    return f"{n} query" if n == 1 else f"{n} queries"


def run(*, quick: bool) -> list[dict]:
    groups = 1_000 if quick else 10_000
    big = _probe(groups)
    small = _probe(groups // 10)
    base = big["pages"]["healthz"]
    rows = [
        {
            "benchmark": "pages",
            "case": f"data: {big['groups']:,} groups, {big['members']:,} members, one agency "
            f"(generated in {big['generate_s']} s)",
            "value": None,
            "unit": "",
            "baseline": f"/healthz median {base['median_ms']} ms, p95 {base['p95_ms']} ms",
            "ratio": None,
            "note": f"{big['requests']} requests per page; 10× smaller run: {small['groups']:,} groups, "
            f"{small['members']:,} members",
        }
    ]
    for name, page in big["pages"].items():
        if name == "healthz":
            continue
        other = small["pages"][name]
        note = f"p95 {page['p95_ms']} ms; {_queries(page['queries'])}, {other['queries']} with 10× fewer rows"
        if name == "book page 50":
            pages = [-(-r["groups"] // 25) for r in (big, small)]  # 25 groups a page
            served = [f"page {min(50, n)} of {n}" for n in pages]
            note += f" ({served[0]}; smaller run {served[1]}: a page past the end shows the last)"
        rows.append(
            {
                "benchmark": "pages",
                "case": f"{name} ({page['url'][:40]})",
                "value": page["median_ms"],
                "unit": "ms median",
                "baseline": f"/healthz {base['median_ms']} ms",
                "ratio": round(page["median_ms"] / base["median_ms"], 1),
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
