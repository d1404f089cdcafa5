"""Child process of the carrier benchmarks: ``python benchmarks/carrier_probe.py validation|end_to_end``.

The portal's WSGI application is served over real HTTP in a thread (``wsgiref`` with a threading
server, port 0) and ``HUMANA_API_BASE_URL`` points at its sandbox; the partner key and the sample ETSS
rate file are loaded into the sandbox first. Always a throw-away SQLite file (the parent sets
DATABASE_URL): the server thread must see committed rows, so the rolled-back transaction of the other
probes cannot be used here. Prints one JSON line.

* ``validation [--employees 100] [--repeat 1]``: a group of EMPLOYEES employees (families of 1, 2, 3
  and 4 lives in turn, ~2.5 lives each) validated (a) one call per life (``validate_member``) and (b)
  in batches of up to 200 (``validate_members``), each on its own fresh sandbox group; baseline: the
  sandbox's in-process rule check (``check_member`` with ``CarrierFacts``) of the same bodies.
* ``end_to_end [--employees 50]``: the group validated at the sandbox, then through the portal's
  services: finalize, build + precheck + upload the 834, poll until final (default sandbox clock).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import socketserver
import statistics
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "false")  # as in production: no query log kept in memory

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402

API_KEY = "benchmark-partner-key-0001"
MAX_BATCH = 200
PLANS = {"MEDICAL": "12345KY0010001", "DENTAL": "12345KY0020001", "VISION": "12345KY0030001"}
ADDRESS = {
    "line1": "100 Main St",
    "line2": None,
    "city": "Louisville",
    "state": "KY",
    "zip5": "40202",
    "zip4": None,
    "countyFips": "21111",
}


# --------------------------------------------------------------------------- the sandbox over HTTP


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def sandbox_over_http():
    """Serve the portal (and its sandbox) on 127.0.0.1, port 0; the client settings point at it."""
    from django.core.wsgi import get_wsgi_application

    from groupsales.demo_etss import write_etss_file
    from sandbox.models import RuleThresholds
    from sandbox.rates import rate_file_load
    from sandbox.services_admin import partner_add_key

    call_command("migrate", verbosity=0)
    partner_add_key(name="Benchmark", sender_id=settings.HUMANA_SENDER_ID, raw_key=API_KEY)
    rate_file_load(path=write_etss_file(settings.SAMPLES_DIR))
    # KY's small-group limit is 50 eligible employees (GRP-008); the sandbox's own thresholds (the admin's
    # RuleThresholds row) let the 100-employee group of issue 6 through, as CA/CO/NY/VT would.
    RuleThresholds.objects.create(values={"size_limit_by_state": {"KY": 100}}, note="benchmark")
    server = make_server("127.0.0.1", 0, get_wsgi_application(), _ThreadingServer, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/sandbox/groupsales/v1"
    try:
        with override_settings(HUMANA_API_BASE_URL=base, HUMANA_API_KEY=API_KEY):
            yield base
    finally:
        server.shutdown()
        server.server_close()


def client():
    from carrier.client import GroupSalesClient

    return GroupSalesClient(settings.HUMANA_API_BASE_URL, settings.HUMANA_API_KEY)


# --------------------------------------------------------------------------- bodies


def _letters(n: int) -> str:
    """0 → 'a', 25 → 'z', 26 → 'ba': names may hold letters only (MBR-001)."""
    out = ""
    while True:
        out = chr(97 + n % 26) + out
        n //= 26
        if not n:
            return out


def _ssn(n: int) -> str:
    """Distinct valid SSNs: area 201-665, group 10-99, serial 1000-9999."""
    return f"{201 + n // 810000:03d}{10 + (n // 9000) % 90:02d}{1000 + n % 9000:04d}"


def family_sizes(employees: int) -> list[int]:
    return [(1, 2, 3, 4)[i % 4] for i in range(employees)]


def members(employees: int) -> list[dict[str, Any]]:
    """Validation bodies in the shape of ``blue_heron_members()``: each subscriber, then its dependents.

    Families of 1 (medical EMP, dental and vision waived), 2 (ESP on all lines), 3 and 4 (FAM)."""
    bodies: list[dict[str, Any]] = []
    n = 0
    for i, size in enumerate(family_sizes(employees)):
        ref = f"E-{i + 1:03d}"
        last = "Lee" + _letters(i)
        tier = {1: "EMP", 2: "ESP"}.get(size, "FAM")
        if size == 1:
            coverage = [
                {"line": "MEDICAL", "planId": PLANS["MEDICAL"], "coverageTier": "EMP"},
                {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
                {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
            ]
        else:
            coverage = [{"line": line, "planId": plan, "coverageTier": tier} for line, plan in PLANS.items()]
        n += 1
        bodies.append(
            {
                "memberRef": ref,
                "subscriberRef": ref,
                "relationship": "SUBSCRIBER",
                "firstName": "Ann" + _letters(i),
                "middleName": None,
                "lastName": last,
                "suffix": None,
                "ssn": _ssn(n),
                "dateOfBirth": date(1960 + i % 40, 1 + i % 12, 1 + i % 28).isoformat(),
                "gender": "FEMALE" if i % 2 else "MALE",
                "maritalStatus": "MARRIED" if size > 1 else "SINGLE",
                "tobaccoUse": False,
                "disabled": False,
                "isOwner": i == 0,
                "isOwnerSpouse": False,
                "address": dict(ADDRESS),
                "phone": "5025550111",
                "email": f"employee{i + 1}@example.com",
                "employment": {"hireDate": "2019-06-10", "hoursPerWeek": 40, "status": "FULL_TIME"},
                "coverage": coverage,
            }
        )
        for k in range(size - 1):
            spouse = k == 0
            n += 1
            bodies.append(
                {
                    "memberRef": f"{ref}-S" if spouse else f"{ref}-C{k}",
                    "subscriberRef": ref,
                    "relationship": "SPOUSE" if spouse else "CHILD",
                    "firstName": ("David" if spouse else "Maya") + _letters(k),
                    "middleName": None,
                    "lastName": last,
                    "suffix": None,
                    "ssn": _ssn(n),
                    "dateOfBirth": (date(1975, 11, 30) if spouse else date(2010 + k, 6, 5)).isoformat(),
                    "gender": "MALE" if spouse else "FEMALE",
                    "tobaccoUse": False,
                    "disabled": False,
                    "phone": None,
                    "email": None,
                    "coverage": [{"line": line} for line in PLANS],
                }
            )
    return bodies


def group_body(bodies: list[dict[str, Any]], *, fein: str) -> dict[str, Any]:
    """``blue_heron_group()`` widened to the employees of ``bodies`` (workforce and census)."""
    from groupsales.rules.testing import blue_heron_group

    body = blue_heron_group()
    body["employer"]["fein"] = fein
    subscribers = [b for b in bodies if b["relationship"] == "SUBSCRIBER"]
    body["workforce"] = {"totalEmployees": len(subscribers) + 2, "eligibleEmployees": len(subscribers)}
    census = []
    for sub in subscribers:
        deps = [b for b in bodies if b["subscriberRef"] == sub["memberRef"] and b is not sub]
        census.append(
            {
                "memberRef": sub["memberRef"],
                "dateOfBirth": sub["dateOfBirth"],
                "gender": sub["gender"],
                "zip5": "40202",
                "tobaccoUse": False,
                "isOwner": sub["isOwner"],
                "isOwnerSpouse": False,
                "coverageTier": sub["coverage"][0]["coverageTier"],
                "dependents": [
                    {"relationship": d["relationship"], "dateOfBirth": d["dateOfBirth"], "tobaccoUse": False}
                    for d in deps
                ],
            }
        )
    body["census"] = census
    return body


def create_group(body: dict[str, Any]) -> str:
    with client() as c:
        return c.create_group(body, idempotency_key=uuid.uuid4().hex).group_id


def batches(bodies: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [bodies[i : i + MAX_BATCH] for i in range(0, len(bodies), MAX_BATCH)]


# --------------------------------------------------------------------------- validation (issue 6)


def _in_process(group_id: str, bodies: list[dict[str, Any]]) -> float:
    """The sandbox's rule check of every body, in process: no HTTP, no storage. Seconds."""
    from groupsales.rules import check_member
    from sandbox.models import Group
    from sandbox.rates import CarrierFacts

    group = Group.objects.get(group_id=group_id).body
    started = time.perf_counter()
    facts = CarrierFacts()
    valid: list[dict[str, Any]] = []
    for body in bodies:
        subscriber = next(
            (
                v
                for v in valid
                if v["relationship"] == "SUBSCRIBER" and v["memberRef"] == body["subscriberRef"]
            ),
            None,
        )
        others = [
            v
            for v in valid
            if v["subscriberRef"] == body["subscriberRef"] and v["relationship"] != "SUBSCRIBER"
        ]
        violations = check_member(
            body,
            group=group,
            ctx=facts,
            subscriber=subscriber if body["relationship"] != "SUBSCRIBER" else None,
            other_dependents=others,
            ssn_members={v["ssn"]: v["memberRef"] for v in valid if v.get("ssn")},
        )
        errors = [v for v in violations if v.severity != "warning"]
        if errors:
            raise SystemExit(f"in-process check refused {body['memberRef']}: {errors[:3]}")
        valid.append(body)
    return time.perf_counter() - started


def probe_validation(employees: int, repeat: int) -> dict[str, Any]:
    bodies = members(employees)
    single_s, batch_s, base_s, calls = [], [], [], {}
    with sandbox_over_http():
        for r in range(repeat):
            group_id = create_group(group_body(bodies, fein=f"12345{r:04d}"))
            with client() as c:
                started = time.perf_counter()
                for body in bodies:
                    c.validate_member(group_id, body, idempotency_key=uuid.uuid4().hex)
                single_s.append(time.perf_counter() - started)
            calls["single"] = len(bodies)

            group_id = create_group(group_body(bodies, fein=f"12346{r:04d}"))
            with client() as c:
                started = time.perf_counter()
                for chunk in batches(bodies):
                    result = c.validate_members(group_id, chunk, idempotency_key=uuid.uuid4().hex)
                    if result.invalid:
                        raise SystemExit(f"batch refused members: {result.invalid[:3]}")
                batch_s.append(time.perf_counter() - started)
            calls["batch"] = len(batches(bodies))
            base_s.append(_in_process(group_id, bodies))
    return {
        "employees": employees,
        "lives": len(bodies),
        "repeat": repeat,
        "calls": calls,
        "single_s": round(statistics.median(single_s), 3),
        "batch_s": round(statistics.median(batch_s), 3),
        "baseline_s": round(statistics.median(base_s), 3),
    }


# --------------------------------------------------------------------------- end to end (issue 9)


def probe_end_to_end(employees: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from agencies.models import Agency, Broker
    from edi import services as edi_services
    from edi import sources
    from edi.models import Transmission
    from enrollment.finalize import group_finalize_with_carrier
    from enrollment.models import EmployerGroup
    from enrollment.states import group_transition

    final = {
        Transmission.Status.ACCEPTED,
        Transmission.Status.ACCEPTED_WITH_ERRORS,
        Transmission.Status.REJECTED,
        Transmission.Status.STUCK,
        Transmission.Status.UPLOAD_FAILED,
        Transmission.Status.PRECHECK_FAILED,
    }
    bodies = members(employees)
    pickup = float(settings.SANDBOX_FILE_PICKUP_SECONDS)
    processing = float(settings.SANDBOX_FILE_PROCESSING_SECONDS)
    steps: dict[str, float] = {}
    polls = 0
    # The tasks' queueing is replaced by direct calls (no Celery worker): the upload and each poll
    # are called here, the poll again after the delay it asks for. Polling every 0.25 s keeps the
    # slack between the carrier's end and our next look small.
    no_queue = (
        mock.patch.object(edi_services, "queue_upload", lambda **kw: None),
        mock.patch.object(edi_services, "queue_poll", lambda **kw: None),
    )
    with sandbox_over_http(), no_queue[0], no_queue[1]:
        with override_settings(EDI_POLL_FIRST_SECONDS=0.25, EDI_POLL_MAX_SECONDS=0.25):
            body = group_body(bodies, fein="123456789")
            group_id = create_group(body)
            with client() as c:
                for chunk in batches(bodies):
                    result = c.validate_members(group_id, chunk, idempotency_key=uuid.uuid4().hex)
                    if result.invalid:
                        raise SystemExit(f"batch refused members: {result.invalid[:3]}")
            user = get_user_model().objects.create(
                username="bench-broker", first_name="Sam", last_name="Ortiz"
            )
            agency = Agency.objects.create(name="Bench Agency")
            broker = Broker.objects.create(user=user, agency=agency, npn=body["writingAgent"]["npn"])
            group = EmployerGroup.objects.create(
                agency=agency,
                broker=broker,
                status=EmployerGroup.Status.OPEN_ENROLLMENT,
                humana_group_id=group_id,
                legal_name=body["employer"]["legalName"],
                fein=body["employer"]["fein"],
                agent_npn=body["writingAgent"]["npn"],
                agent_first_name=body["writingAgent"]["firstName"],
                agent_last_name=body["writingAgent"]["lastName"],
                requested_effective_date=date.fromisoformat(body["requestedEffectiveDate"]),
                eligible_employees=employees,
                total_employees=employees + 2,
                carrier_status="CREATED",
            )

            wall = time.perf_counter()
            started = time.perf_counter()
            group = group_transition(group=group, to=EmployerGroup.Status.FINALIZING, reason="benchmark")
            outcome = group_finalize_with_carrier(group_id=group.pk)
            steps["finalize"] = time.perf_counter() - started
            if outcome != "finalized":
                group.refresh_from_db()
                raise SystemExit(f"finalize: {outcome} {group.carrier_errors} {group.status_reason}")
            group.refresh_from_db()
            with sources.use_member_source(lambda g: copy.deepcopy(bodies)):
                started = time.perf_counter()
                transmission = edi_services.transmission_start(group=group)
                steps["build + precheck"] = time.perf_counter() - started
                if transmission.status != Transmission.Status.READY:
                    raise SystemExit(
                        f"transmission {transmission.status}: {transmission.precheck_errors[:3]}"
                    )
                started = time.perf_counter()
                transmission = edi_services.transmission_upload(transmission_id=transmission.pk)
                steps["upload"] = time.perf_counter() - started
                poll_s = sleep_s = last_poll_s = 0.0
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    started = time.perf_counter()
                    delay = edi_services.transmission_poll(transmission_id=transmission.pk)
                    last_poll_s = time.perf_counter() - started
                    poll_s += last_poll_s
                    polls += 1
                    if delay is None:
                        break
                    started = time.perf_counter()
                    time.sleep(delay)
                    sleep_s += time.perf_counter() - started
            wall_s = time.perf_counter() - wall
            transmission.refresh_from_db()
            group.refresh_from_db()
            steps["polls"] = poll_s
    if transmission.status not in final:
        raise SystemExit(f"the file did not end: {transmission.status}")
    return {
        "employees": employees,
        "lives": len(bodies),
        "wall_s": round(wall_s, 2),
        "carrier_clock_s": pickup + processing,
        "sleep_s": round(sleep_s, 2),
        "steps": {k: round(v, 3) for k, v in steps.items()},
        "polls": polls,
        "last_poll_s": round(last_poll_s, 3),
        "transmission": transmission.status,
        "group": group.status,
        "members_sent": transmission.member_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["validation", "end_to_end"])
    parser.add_argument("--employees", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.phase == "validation":
        result = probe_validation(args.employees or 100, args.repeat)
    else:
        result = probe_end_to_end(args.employees or 50)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
