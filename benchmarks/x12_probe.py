"""Probe: write a 10,000-life 834 by streaming, then validate it with pyx12.

Each phase runs in its own child process so that ``ru_maxrss`` (peak resident memory of
the process) belongs to that phase alone. Not a test: numbers vary by machine.

    .venv/bin/python benchmarks/x12_probe.py [--lives 10000] [--out /tmp/x12_probe.834]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from groupsales.codes import Line, Relationship, Tier  # noqa: E402
from groupsales.x12.examples import blue_heron_envelope, blue_heron_header  # noqa: E402
from groupsales.x12.model import Address, Counts, Coverage, Employment, Family, Member  # noqa: E402


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def plan(lives: int) -> Counts:
    """Families of 1, 2 and 4 lives in turn (7 lives per 3 families), the last filling up."""
    subscribers = dependents = 0
    pattern = [1, 2, 4]
    while subscribers + dependents < lives:
        size = min(pattern[subscribers % 3], lives - subscribers - dependents)
        subscribers += 1
        dependents += size - 1
    return Counts(subscribers, dependents)


def families(lives: int) -> Iterator[Family]:
    """Generated one at a time: the writer must never need them all at once."""
    written = 0
    index = 0
    full = (
        Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.FAM),
        Coverage(line=Line.DENTAL, plan_id="12345KY0020001", tier=Tier.FAM),
    )
    while written < lives:
        size = min([1, 2, 4][index % 3], lives - written)
        ref = f"E-{index + 1:06d}"
        coverage = full if size > 1 else (replace(full[0], tier=Tier.EMP),)
        sub = Member(
            member_ref=ref, subscriber_ref=ref, relationship=Relationship.SUBSCRIBER,
            first_name=f"Given{index}", last_name=f"Núñez-O'Brien {index}",
            ssn=f"{100000000 + index * 3:09d}",
            date_of_birth=date(1970 + index % 30, 1 + index % 12, 1 + index % 28), gender="FEMALE",
            marital_status="MARRIED" if size > 1 else "SINGLE", tobacco_use=index % 7 == 0,
            address=Address(line1=f"{index} Main St", city="Louisville", state="KY", zip5="40202",
                            county_fips="21111"),
            phone="5025550111", email=f"person{index}@example.com",
            employment=Employment(hire_date=date(2015, 1, 5)), coverage=coverage,
        )  # fmt: skip
        deps = []
        for k in range(size - 1):
            spouse = k == 0
            deps.append(
                Member(
                    member_ref=f"{ref}-{'S' if spouse else f'C{k}'}",
                    subscriber_ref=ref,
                    relationship=Relationship.SPOUSE if spouse else Relationship.CHILD,
                    first_name=f"Dep{k}",
                    last_name=sub.last_name,
                    ssn=f"{300000000 + index * 3 + k:09d}",
                    date_of_birth=date(1972, 3, 3) if spouse else date(2012 + k, 5, 5),
                    gender="MALE",
                    tobacco_use=False,
                    coverage=coverage,
                )  # fmt: skip
            )
        yield Family(subscriber=sub, dependents=tuple(deps))
        written += size
        index += 1


def phase_write(lives: int, out: Path) -> dict:
    from groupsales.x12.writer import write_834

    start = time.perf_counter()
    with out.open("w", encoding="ascii", newline="") as fh:
        result = write_834(
            fh, blue_heron_envelope(), blue_heron_header(), families(lives), counts=plan(lives)
        )
    seconds = time.perf_counter() - start
    total_segments = result.segment_count + 4  # ISA, GS, GE, IEA
    return {
        "phase": "write",
        "lives": result.members,
        "segments": total_segments,
        "bytes": out.stat().st_size,
        "seconds": round(seconds, 3),
        "segments_per_second": round(total_segments / seconds),
        "peak_rss_mib": round(_peak_mib(), 1),
    }


def phase_validate(out: Path) -> dict:
    from groupsales.x12.validate import pyx12_issues

    baseline = _peak_mib()
    text = out.read_text(encoding="ascii")
    segments = text.count("~")
    start = time.perf_counter()
    issues = pyx12_issues(text)
    seconds = time.perf_counter() - start
    return {
        "phase": "pyx12",
        "segments": segments,
        "issues": len(issues),
        "seconds": round(seconds, 3),
        "segments_per_second": round(segments / seconds),
        "peak_rss_mib": round(_peak_mib(), 1),
        "rss_before_mib": round(baseline, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lives", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/x12_probe.834"))
    parser.add_argument("--phase", choices=["write", "validate"])
    args = parser.parse_args()
    if args.phase == "write":
        print(json.dumps(phase_write(args.lives, args.out)))
        return
    if args.phase == "validate":
        print(json.dumps(phase_validate(args.out)))
        return
    for phase in ("write", "validate"):
        cmd = [sys.executable, __file__, "--phase", phase, "--lives", str(args.lives), "--out", str(args.out)]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
