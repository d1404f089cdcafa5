"""Run the benchmarks and print one table: ``python -m benchmarks [--quick] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import django

# Modules in the order they run; each exposes run(*, quick: bool) -> list[dict].
MODULES = ["rate_import", "quote", "x12", "pages", "validation", "end_to_end", "selling"]
COLUMNS = ["benchmark", "case", "value", "unit", "baseline", "ratio", "note"]


def _format_table(rows: list[dict]) -> str:
    cells = [[str(row.get(col, "") if row.get(col) is not None else "") for col in COLUMNS] for row in rows]
    widths = [
        max(len(col), *(len(r[i]) for r in cells)) if cells else len(col) for i, col in enumerate(COLUMNS)
    ]
    line = "| " + " | ".join(col.ljust(w) for col, w in zip(COLUMNS, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    return "\n".join([line, rule, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data sizes (a minute, not the full run)")
    parser.add_argument("--only", nargs="*", default=None, help=f"some of: {', '.join(MODULES)}")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.conf import settings

    rows: list[dict] = []
    for name in args.only or MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"benchmarks.{name}":
                raise
            print(f"(benchmark {name!r} is not written yet)", file=sys.stderr)
            continue
        started = time.perf_counter()
        print(f"running {name} …", file=sys.stderr, flush=True)
        rows.extend(module.run(quick=args.quick))
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    machine = f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"machine: {machine}, db={engine}")
    print(_format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
