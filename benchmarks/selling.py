"""Selling benchmark (issue 23): a quote with three contribution scenarios, its page and its proposal PDF.

Baseline: the quote alone (``quote_census`` with one contribution set) on the same census and rates.
``python -m benchmarks.selling [--quick]``; the child process is ``benchmarks/selling_probe.py``.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.rate_import import _probe as probe_in_child

PROBE = Path(__file__).with_name("selling_probe.py")


def _probe(*args: str) -> dict:
    return probe_in_child(*args, script=PROBE)


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
