"""End-to-end benchmark (issue 9): a 50-employee group from finalize to ENROLLED, default sandbox clock.

The sandbox is served over real HTTP in a thread (see ``benchmarks/carrier_probe.py``); the group is
created and its members validated at the sandbox directly (batches), and the portal's group is moved
to FINALIZING (``group_transition``). Then, timed, through the portal's services called directly (no
Celery worker: the tasks' queueing is replaced by the calls themselves): ``group_finalize_with_carrier``,
``edi.services.transmission_start`` (build + precheck), ``transmission_upload`` and
``transmission_poll`` every 0.25 s until the file is final (its members come from
``edi.sources.use_member_source``). Baseline: the carrier's own clock, known from settings
(``SANDBOX_FILE_PICKUP_SECONDS`` + ``SANDBOX_FILE_PROCESSING_SECONDS``, 2 + 5 s by default); our own
work is the rest of the wall time. The same in quick and full runs.
``python -m benchmarks.end_to_end``.
"""

from __future__ import annotations

from benchmarks.validation import carrier_probe


def run(*, quick: bool) -> list[dict]:
    r = carrier_probe("end_to_end", "--employees", "50")
    own = r["wall_s"] - r["carrier_clock_s"]
    steps = r["steps"]
    return [
        {
            "benchmark": "end to end",
            "case": f"{r['employees']} employees ({r['lives']} lives): finalize → {r['group']} "
            f"(file {r['transmission']}, {r['members_sent']} members)",
            "value": r["wall_s"],
            "unit": "s wall",
            "baseline": f"carrier clock {r['carrier_clock_s']:g} s (pickup + processing)",
            "ratio": round(r["wall_s"] / r["carrier_clock_s"], 2),
            "note": f"our own work {own:.2f} s = {own / r['wall_s']:.0%} of the wall time "
            f"(finalize {steps['finalize']} s, build + precheck {steps['build + precheck']} s, "
            f"upload {steps['upload']} s, {r['polls']} polls {steps['polls']} s of which the last, "
            f"which applies the result, {r['last_poll_s']} s); services called directly, no Celery worker",
        }
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(row)
