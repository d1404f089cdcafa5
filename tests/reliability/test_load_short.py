"""The load test's short form (issue 8): ``python -m loadtest --short`` (10 s, 10 employees, 2 brokers
on gunicorn and PostgreSQL) must end with no error and every page requested. Timings are reported,
never asserted: CI machines differ. Needs PostgreSQL (CI's DATABASE_URL: the run makes a database of
its own on that server and drops it); skipped without it, unless PORTAL_REQUIRE_SERVICES=1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("DATABASE_URL", "").split(":", 1)[0] in ("postgres", "postgresql", "pgsql")
REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES") == "1"


@pytest.mark.skipif(not (POSTGRES or REQUIRE_SERVICES), reason="needs PostgreSQL (DATABASE_URL)")
def test_short_load_run_has_no_errors_and_requests_every_page(tmp_path):
    from loadtest.__main__ import PAGES

    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "-m", "loadtest", "--short", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # a cap for a loaded machine, not a timed assertion
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["total"]["errors"] == 0, (result["error_samples"], run.stdout[-3000:])
    missing = [page for page in PAGES if not result["pages"][page]["requests"]]
    assert not missing, (missing, run.stdout[-3000:])
