"""Child process of the pages benchmark: ``python benchmarks/pages_probe.py GROUPS [--requests N]``.

Generates GROUPS employer groups (10 members each: families of 1, 2, 3 and 4 lives) for one agency
with a broker and a principal, then times the portal's pages with Django's test ``Client``
(``force_login``): median and p95 of the server time over N requests, and the queries of one request
(``CaptureQueriesContext``). The baseline, ``/healthz``, is timed the same way in the same process.

Runs against a throw-away SQLite file (the parent sets DATABASE_URL), or, on PostgreSQL, inside a
transaction that is rolled back, so the development database is never touched. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

POSTGRES = connection.vendor == "postgresql"
MEMBERS_PER_GROUP = 10  # families of 1, 2, 3 and 4 lives


class _Rollback(Exception):
    pass


def _ssn(n: int) -> str:
    """A valid SSN (area 001-665, group 01-99, serial 0001-9999) distinct for each n < 665 * 99 * 9999."""
    serial = n % 9999 + 1
    group = (n // 9999) % 99 + 1
    area = (n // (9999 * 99)) % 665 + 1
    return f"{area:03d}{group:02d}{serial:04d}"


def generate(groups: int) -> dict:
    from django.contrib.auth import get_user_model

    from agencies.models import Agency, Broker
    from enrollment.generated import generated_groups
    from enrollment.models import EmployerGroup
    from members.models import Member

    user_model = get_user_model()
    agency = Agency.objects.create(name="Bench Agency")
    broker_user = user_model.objects.create(username="bench-broker", first_name="Ann", last_name="Broker")
    principal_user = user_model.objects.create(username="bench-principal", first_name="Pat", last_name="Lead")
    broker = Broker.objects.create(user=broker_user, agency=agency, npn="17000001")
    principal = Broker.objects.create(
        user=principal_user, agency=agency, npn="17000002", role=Broker.Role.PRINCIPAL
    )
    started = time.perf_counter()
    rows = generated_groups(
        owners=[broker, principal],
        count=groups,
        name="Employer {i} LLC",
        fein_base=610000000,
        group_id_base=200000,
    )
    EmployerGroup.objects.bulk_create(rows, batch_size=2000)
    group_ids = list(EmployerGroup.objects.order_by("id").values_list("id", flat=True))
    n = 0
    subscribers: list[Member] = []
    sizes: list[int] = []
    for gid in group_ids:
        for size in (1, 2, 3, 4):
            n += 1
            subscribers.append(
                Member(
                    group_id=gid,
                    member_ref=f"E-{n:07d}",
                    first_name=f"Given{n}",
                    last_name=f"Family{n}",
                    ssn=_ssn(n),
                    date_of_birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                    gender="FEMALE",
                    marital_status="MARRIED" if size > 1 else "SINGLE",
                    tobacco_use=False,
                    address_line1=f"{n} Main St",
                    city="Louisville",
                    state="KY",
                    zip5="40202",
                    county_fips="21111",
                    email=f"person{n}@example.com",
                    hire_date=date(2015, 1, 5),
                    hours_per_week=40,
                    employment_status="FULL_TIME",
                    validation_status="VALID" if n % 3 else "NOT_VALIDATED",
                )
            )
            sizes.append(size)
    Member.objects.bulk_create(subscribers, batch_size=2000)
    if subscribers[0].pk is None:  # a backend without RETURNING
        subscribers = list(Member.objects.filter(subscriber__isnull=True).order_by("id"))
    dependents: list[Member] = []
    offset = 10_000_000
    for sub, size in zip(subscribers, sizes, strict=True):
        for k in range(size - 1):
            offset += 1
            spouse = k == 0
            dependents.append(
                Member(
                    group_id=sub.group_id,
                    subscriber=sub,
                    member_ref=f"{sub.member_ref}-{'S' if spouse else f'C{k}'}",
                    relationship="SPOUSE" if spouse else "CHILD",
                    first_name=f"Dep{k}",
                    last_name=sub.last_name,
                    ssn=_ssn(offset),
                    date_of_birth=date(1972, 3, 3) if spouse else date(2012 + k, 5, 5),
                    gender="MALE",
                    covered_lines=["MEDICAL"],
                    validation_status=sub.validation_status,
                )
            )
    Member.objects.bulk_create(dependents, batch_size=2000)
    seconds = time.perf_counter() - started
    return {
        "principal": principal_user,
        "broker": broker_user,
        "group_ids": group_ids,
        "members": len(subscribers) + len(dependents),
        "generate_s": round(seconds, 1),
        "open_subscriber": next(s for s in subscribers if s.group_id == group_ids[1]),  # OPEN_ENROLLMENT
    }


def _time(client, url: str, requests: int) -> dict:
    client.get(url)  # warm up (template loading, caches)
    connection.queries_log.clear()  # a full log (9,000 entries, from the migrations) would hide new ones
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "queries": len(captured.captured_queries),
        "bytes": len(response.content),
    }


def probe(groups: int, requests: int) -> dict:
    from django.test import Client
    from django.utils import timezone

    from members.models import Invitation
    from members.self_service import token_hash

    data = generate(groups)
    group_ids = data["group_ids"]
    middle = group_ids[len(group_ids) // 2]
    token = "bench-token-" + "x" * 32
    Invitation.objects.create(
        subscriber=data["open_subscriber"],
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=14),
        sent_at=timezone.now(),
        sent_count=1,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the generated rows, as a live database has

    principal = Client()
    principal.force_login(data["principal"])
    anonymous = Client()
    pages = {
        "healthz": (anonymous, "/healthz"),
        "book": (principal, "/"),
        "book ?q=": (principal, "/?q=Employer+12"),
        "book ?sort=employer": (principal, "/?sort=employer"),
        "book page 50": (principal, "/?page=50"),
        "group page": (principal, f"/groups/{middle}/"),
        "member list": (principal, f"/groups/{middle}/members/"),
        "self-service start": (anonymous, f"/enroll/{token}/"),
    }
    results = {name: {"url": url, **_time(client, url, requests)} for name, (client, url) in pages.items()}
    return {
        "groups": len(group_ids),
        "members": data["members"],
        "generate_s": data["generate_s"],
        "requests": requests,
        "pages": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("groups", type=int)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    if not POSTGRES:
        call_command("migrate", verbosity=0)
    setup_test_environment()  # 'testserver' allowed, DEBUG off, e-mail kept in memory
    try:
        with transaction.atomic():
            result = probe(args.groups, args.requests)
            if POSTGRES:
                raise _Rollback
    except _Rollback:
        pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
