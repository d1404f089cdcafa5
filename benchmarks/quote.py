"""Quote benchmark: 50 employees × 40 plans and 100 × 150 plans (generated), per-quote ms and queries.

Baseline: the same arithmetic (``price_plan`` over every plan) on rates already in memory.
``python -m benchmarks.quote [--quick]``.
"""

from __future__ import annotations

from benchmarks.rate_import import _probe


def run(*, quick: bool) -> list[dict]:
    rows = []
    for employees, plans in ((50, 40), (100, 150)):
        result = _probe("quote", str(employees), str(plans))
        rows.append(
            {
                "benchmark": "quote",
                "case": f"{employees} employees (+ spouses) × {plans} plans",
                "value": result["ms"],
                "unit": "ms/quote",
                "baseline": f"in-memory arithmetic {result['baseline_ms']} ms",
                "ratio": round(result["ms"] / result["baseline_ms"], 2) if result["baseline_ms"] else None,
                "note": f"{result['queries']} queries",
            }
        )
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(row)
