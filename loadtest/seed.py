"""Seed of the load test: ``python -m loadtest.seed --employees N --groups G --out links.json``.

Run by ``python -m loadtest`` after ``migrate`` and ``seed_demo`` (the demo agency, the logins
``broker``/``principal``, the sample rates and a group at every stage, "Cardinal Coffee Co" in open
enrollment among them), in a child process with the load test's DATABASE_URL. It adds:

* ``G`` employer groups to the demo broker's book (``enrollment.generated.generated_groups``,
  ``bulk_create``);
* ``N`` employees of "Cardinal Coffee Co" (every other one with a spouse), each stored with
  ``members.services.family_save`` and invited with ``members.self_service.invitation_send``, whose
  plain token (never stored: only its sha256 is) is on the returned invitation.

Writes JSON: {"links": ["/enroll/<token>/", ...], "group_ids": [...], "cardinal": id}. Safe to run
once per database only (the member refs and the groups' FEINs are fixed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

OPEN_GROUP = "Cardinal Coffee Co"
DEMO_BROKER = "broker"


def _ssn(n: int) -> str:
    """A valid, distinct SSN for each n (area 700+ is never issued, so use 400-499 here)."""
    return f"{400 + n // 9999 % 100:03d}{(n // 99) % 99 + 1:02d}{n % 9999 + 1:04d}"


def _letters(n: int) -> str:
    """n in letters (names allow letters, spaces, apostrophes, hyphens and periods only): 1 -> "b"."""
    out = ""
    while True:
        n, digit = divmod(n, 26)
        out = chr(ord("a") + digit) + out
        if n == 0:
            return out


def book_groups(broker, count: int) -> list[int]:
    from enrollment.generated import generated_groups
    from enrollment.models import EmployerGroup

    rows = generated_groups(
        owners=[broker], count=count, name="Load Employer {i} LLC", fein_base=660000000, group_id_base=300000
    )
    EmployerGroup.objects.bulk_create(rows, batch_size=1000)
    return list(
        EmployerGroup.objects.filter(broker=broker, legal_name__startswith="Load Employer ")
        .order_by("id")
        .values_list("id", flat=True)
    )


def employee(n: int) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
    """The n-th employee's fields (as tests/members/conftest.py LUIS) and dependents (a spouse for odd n)."""
    married = n % 2 == 1
    subscriber = {
        "member_ref": f"L-{n:04d}",
        "first_name": f"Worker {_letters(n).title()}",
        "last_name": f"Loadtest-{_letters(n)}",
        "ssn": _ssn(n),
        "date_of_birth": date(1965 + n % 35, 1 + n % 12, 1 + n % 28),
        "gender": "FEMALE" if n % 3 else "MALE",
        "marital_status": "MARRIED" if married else "SINGLE",
        "tobacco_use": False,
        "address_line1": f"{100 + n} Bardstown Rd",
        "city": "Louisville",
        "state": "KY",
        "zip5": "40204",
        "county_fips": "21111",
        "phone": f"502555{n % 10000:04d}",
        "email": f"worker{n}@cardinal.example",
        "hire_date": date(2020, 3, 2),
        "hours_per_week": 40,
        "employment_status": "FULL_TIME",
    }
    dependents: list[Mapping[str, Any]] = []
    if married:
        dependents.append(
            {
                "member_ref": f"L-{n:04d}-S",
                "relationship": "SPOUSE",
                "first_name": f"Partner {_letters(n).title()}",
                "last_name": f"Loadtest-{_letters(n)}",
                "ssn": _ssn(50_000 + n),
                "date_of_birth": date(1968 + n % 30, 2 + n % 10, 3 + n % 25),
                "gender": "MALE" if n % 3 else "FEMALE",
                "tobacco_use": False,
            }
        )
    return subscriber, dependents


def employees(group, count: int) -> list[str]:
    from members import self_service, services

    links = []
    for n in range(1, count + 1):
        subscriber_data, dependents = employee(n)
        subscriber = services.family_save(
            group=group, subscriber_data=subscriber_data, dependents_data=dependents, elections={}, by=None
        )
        invitation = self_service.invitation_send(subscriber=subscriber, by=None)
        links.append(f"/enroll/{invitation.token}/")
    return links


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.seed")
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import connection

    from agencies.models import Broker
    from enrollment.models import EmployerGroup

    started = time.perf_counter()
    broker = Broker.objects.select_related("agency").get(user__username=DEMO_BROKER)
    group = EmployerGroup.objects.filter(broker=broker, legal_name=OPEN_GROUP).first()
    if group is None or group.status != EmployerGroup.Status.OPEN_ENROLLMENT:
        state = "missing" if group is None else group.status
        raise SystemExit(f"seed_demo did not leave {OPEN_GROUP!r} in open enrollment ({state})")
    group_ids = book_groups(broker, args.groups)
    links = employees(group, args.employees)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the new rows, as a live database has
    Path(args.out).write_text(
        json.dumps({"links": links, "group_ids": group_ids + [group.pk], "cardinal": group.pk}, indent=1)
    )
    print(
        f"seed: {len(group_ids)} book groups, {len(links)} invited employees of {OPEN_GROUP} "
        f"(group {group.pk}) in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
