"""Issue 18, "Done when": the chaos run's short form (``python -m loadtest.chaos``, 3 groups, 45 s of
faults: a worker SIGKILLed every 15-30 s, Redis SIGKILLed once, the carrier answering 25% 503s, 1-3 s
late and 429s over its rate) ends with every check holding (see ``loadtest/chaos.py``). It starts its own
PostgreSQL (initdb), Redis, gunicorn, two prefork workers, beat and the sandbox, on loopback; bounded by
its ``--limit`` and this test's timeout. Skipped, naming what is missing, without PostgreSQL's server
binaries or redis-server, unless PORTAL_REQUIRE_SERVICES=1 (then it fails)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.long]


def _missing() -> list[str]:
    missing = []
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing.append("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def test_every_fault_at_once_short_form(tmp_path):
    missing = _missing()
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(f"the chaos run needs {', '.join(missing)}")
        pytest.skip(f"the chaos run needs {', '.join(missing)}")
    out = tmp_path / "chaos.json"
    run = subprocess.run(
        [sys.executable, "-m", "loadtest.chaos", "--groups", "3", "--families", "6", "--members", "15",
         "--fault-seconds", "45", "--redis-at", "12", "--limit", "300", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=480,
    )  # fmt: skip
    tail = run.stdout[-4000:] + run.stderr[-2000:]
    assert out.exists(), tail
    report = json.loads(out.read_text())
    failed = [name for name, held in report["checks"].items() if not held]
    assert not failed, (failed, report["details"], tail)
    figures = report["figures"]
    assert figures["enrolled"] + figures["flagged"] == 3 and figures["worker kills"] >= 1, figures
    assert figures["redis killed at s"] is not None and figures["settled at s"] is not None, figures
    assert run.returncode == 0, tail
