"""834 benchmark: write and pre-check a 100-employee group's file, and stream a 10,000-life file.

The baseline is pyx12 validating the same file in the same run: the writer's cost is shown as a
fraction of the validator's, which the portal runs before every upload anyway. The 10,000-life
phases run in child processes (``benchmarks/x12_probe.py``) so that the peak memory reported is
that phase's alone.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.x12_probe import families, plan
from groupsales.x12.examples import blue_heron_envelope, blue_heron_header

PROBE = Path(__file__).with_name("x12_probe.py")


def _small_group(lives: int) -> dict:
    from groupsales.x12.validate import companion_issues, pyx12_issues
    from groupsales.x12.writer import write_834

    envelope, header = blue_heron_envelope(), blue_heron_header()
    out = io.StringIO()
    started = time.perf_counter()
    result = write_834(out, envelope, header, families(lives), counts=plan(lives))
    write_s = time.perf_counter() - started
    text = out.getvalue()

    from groupsales.x12.parser import parse_834

    started = time.perf_counter()
    x12 = pyx12_issues(text)
    pyx12_s = time.perf_counter() - started
    started = time.perf_counter()
    companion = companion_issues(
        parse_834(text),
        sender_id=envelope.sender_id,
        group_id=header.group_id,
        fein=header.fein,
        usage_indicator=envelope.usage_indicator,
        x12_issues=x12,
    )
    companion_s = time.perf_counter() - started
    if companion or x12:
        raise SystemExit(f"the generated file has issues: {companion[:3]} {x12[:3]}")
    return {
        "lives": result.members,
        "segments": result.segment_count + 4,
        "write_s": write_s,
        "companion_s": companion_s,
        "pyx12_s": pyx12_s,
    }


def _probe(phase: str, lives: int, out: Path) -> dict:
    cmd = [sys.executable, str(PROBE), "--phase", phase, "--lives", str(lives), "--out", str(out)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, quick: bool) -> list[dict]:
    rows: list[dict] = []
    small = _small_group(250)
    ms = small["write_s"] * 1000
    rows.append(
        {
            "benchmark": "834",
            "case": f"write, 100-employee group ({small['lives']} lives, {small['segments']} segments)",
            "value": round(ms, 1),
            "unit": "ms",
            "baseline": f"pyx12 {small['pyx12_s'] * 1000:.0f} ms",
            "ratio": round(small["write_s"] / small["pyx12_s"], 3),
            "note": "writer time / pyx12 time on the same file",
        }
    )
    precheck_s = small["companion_s"] + small["pyx12_s"]
    rows.append(
        {
            "benchmark": "834",
            "case": "pre-check (pyx12, then the companion guide on its result), same file",
            "value": round(precheck_s * 1000, 1),
            "unit": "ms",
            "baseline": f"pyx12 alone {small['pyx12_s'] * 1000:.0f} ms",
            "ratio": round(precheck_s / small["pyx12_s"], 3),
            "note": "what a broker waits for before an upload",
        }
    )

    lives = 2_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.834"
        write = _probe("write", lives, out)
        validate = _probe("validate", lives, out)
    rows.append(
        {
            "benchmark": "834",
            "case": f"stream write, {write['lives']:,} lives ({write['segments']:,} segments, "
            f"{write['bytes'] / 2**20:.1f} MiB)",
            "value": write["segments_per_second"],
            "unit": "segments/s",
            "baseline": f"pyx12 {validate['segments_per_second']:,} segments/s",
            "ratio": round(write["segments_per_second"] / validate["segments_per_second"], 1),
            "note": f"writer peak RSS {write['peak_rss_mib']} MiB; pyx12 peak {validate['peak_rss_mib']} MiB",
        }
    )
    return rows
