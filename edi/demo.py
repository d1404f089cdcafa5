"""Demo data of the whole enrollment lifecycle: four groups of the demo broker beyond the draft (Blue Heron
Bakery, ``enrollment/demo.py``), each taken through the portal's REAL services against the REAL carrier
sandbox over HTTP:

* Cardinal Coffee Co: open enrollment, two families validated by the carrier;
* Bourbon Street Bikes LLC: finalized (rates fixed);
* Derby Day Bakery LLC: enrolled (its 834 ACCEPTED), so ``export_834`` has something to write;
* Mammoth Cave Outfitters: enrolled, its second family (last name Rejectsmith, a sandbox scenario)
  REJECTED with FIL-901, the file ACCEPTED_WITH_ERRORS.

During seeding no web server runs, so the sandbox is served by the project's WSGI app in a background
thread for the time of the seeding. The services are called synchronously (no Celery worker is needed);
the tasks they queue on commit find nothing left to do when a worker later runs them.

Idempotent: a stage whose group (by legal name, for the demo broker) exists is skipped. A stage that
fails is reported and the others still run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from agencies.models import Broker
from carrier.rules import carrier_today
from enrollment import finalize
from enrollment import services as group_services
from enrollment.demo import DEMO_CENSUS, blue_heron_fields
from enrollment.models import EmployerGroup
from enrollment.states import group_transition
from members import services as member_services
from members.examples import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS
from members.models import Member

from .models import FINAL_STATUSES, Transmission
from .services import transmission_poll, transmission_start, transmission_upload

DEMO_BROKER_NPN = "17012345"
POLL_LIMIT_SECONDS = 60
POLL_INTERVAL_SECONDS = 0.2

# --------------------------------------------------------------------------- the data

# The sandbox rejects a subscriber of this last name and their dependents at enrollment (FIL-901).
REJECTED_LAST_NAME = "Rejectsmith"

OPEN_ENROLLMENT = "OPEN_ENROLLMENT"
FINALIZED = "FINALIZED"
ENROLLED = "ENROLLED"


@dataclass(frozen=True)
class Stage:
    legal_name: str
    dba_name: str
    fein: str  # never 95-98 (sandbox scenarios); passes GRP-002
    target: str  # OPEN_ENROLLMENT, FINALIZED or ENROLLED
    contact: tuple[str, str, str]  # first, last, e-mail
    second_last_name: str = "Ortiz"  # Luis's last name (REJECTED_LAST_NAME: the sandbox rejects him)
    expect_file: str = "ACCEPTED"
    extra: dict[str, Any] = field(default_factory=dict)


STAGES = [
    Stage(
        "Cardinal Coffee Co",
        "Cardinal Coffee",
        "611234567",
        OPEN_ENROLLMENT,
        ("Carla", "Reyes", "carla@cardinal.example"),
    ),
    Stage(
        "Bourbon Street Bikes LLC",
        "Bourbon Street Bikes",
        "621234567",
        FINALIZED,
        ("Ben", "Hart", "ben@bourbonbikes.example"),
    ),
    Stage(
        "Derby Day Bakery LLC",
        "Derby Day Bakery",
        "631234567",
        ENROLLED,
        ("Dora", "Quinn", "dora@derbyday.example"),
    ),
    Stage(
        "Mammoth Cave Outfitters",
        "Mammoth Cave",
        "641234567",
        ENROLLED,
        ("Milo", "Grant", "milo@mammothcave.example"),
        second_last_name=REJECTED_LAST_NAME,
        expect_file="ACCEPTED_WITH_ERRORS",
    ),
]


def _effective_date(today: date) -> date:
    """1 January next (the open-enrollment date) when the carrier takes it today, else next month's first."""
    first_of_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    january = date(today.year + 1, 1, 1)
    return january if january <= today + timedelta(days=90) else first_of_next


def group_fields(stage: Stage) -> dict[str, Any]:
    """The demo's complete Blue Heron group, renamed and re-dated for ``stage``."""
    today = carrier_today()
    first, last, email = stage.contact
    return (
        blue_heron_fields()
        | {
            "legal_name": stage.legal_name,
            "dba_name": stage.dba_name,
            "fein": stage.fein,
            "contact_first_name": first,
            "contact_last_name": last,
            "contact_email": email,
            "requested_effective_date": _effective_date(today),
            "attestation_signed_by": f"{first} {last}",
            "attestation_signed_at": timezone.make_aware(datetime.combine(today, clock_time(9, 0))),
        }
        | stage.extra
    )


# --------------------------------------------------------------------------- the sandbox, over HTTP


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def handle(self) -> None:
        try:
            super().handle()
        finally:
            connections.close_all()  # this request's thread ends here; so do its connections


@contextmanager
def sandbox_over_http() -> Iterator[str]:
    """The project's WSGI app on 127.0.0.1 (a free port) in a daemon thread; yields the API base URL
    with the settings that point the carrier client at it and make the sandbox process files at once."""
    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="demo-sandbox", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}/sandbox/groupsales/v1"
    try:
        with override_settings(
            HUMANA_API_BASE_URL=base_url,
            SANDBOX_FILE_PICKUP_SECONDS=0,
            SANDBOX_FILE_PROCESSING_SECONDS=0,
            # The broker's "file accepted" e-mails of demo files would flood the console backend.
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ):
            yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------- the stages


class StageFailed(Exception):
    pass


def _demo_broker() -> Broker | None:
    return (
        Broker.objects.filter(npn=DEMO_BROKER_NPN).select_related("user", "agency").first()
        or Broker.objects.filter(user__username="broker").select_related("user", "agency").first()
    )


def _create_open_group(stage: Stage, broker: Broker):
    """A complete draft, created by the carrier (open enrollment), with both families validated."""
    S = EmployerGroup.Status
    group = group_services.group_create_draft(broker=broker, legal_name=stage.legal_name)
    group_services.group_update(group=group, fields=group_fields(stage))
    group_services.census_replace(group=group, rows=[dict(r) for r in DEMO_CENSUS])
    group = group_transition(group=group, to=S.CREATING, reason="Submitted to the carrier (demo data)")
    outcome = group_services.group_create_with_carrier(group_id=group.pk)
    group.refresh_from_db()
    if outcome != "created":
        codes = ", ".join(sorted({e.get("code", "?") for e in group.carrier_errors}))
        detail = f"{outcome}: {codes}" if codes else outcome
        raise StageFailed(f"the carrier did not create the group ({detail})")

    member_services.family_save(
        group=group,
        subscriber_data=dict(ANN),
        dependents_data=[dict(d) for d in ANN_DEPENDENTS],
        elections=ANN_ELECTIONS,
        by=None,
    )
    member_services.family_save(
        group=group,
        subscriber_data=dict(LUIS, last_name=stage.second_last_name),
        dependents_data=[],
        elections=LUIS_ELECTIONS,
        by=None,
    )
    member_services.group_validate_members(group_id=group.pk)
    members = Member.objects.filter(group=group, withdrawn_at__isnull=True)
    invalid = [m.member_ref for m in members if m.validation_status != "VALID"]
    if invalid:
        raise StageFailed(f"members not validated by the carrier: {', '.join(invalid)}")
    return group


def _finalize(group):
    group = group_transition(
        group=group, to=EmployerGroup.Status.FINALIZING, reason="Finalize requested (demo data)"
    )
    outcome = finalize.group_finalize_with_carrier(group_id=group.pk)
    group.refresh_from_db()
    if outcome != "finalized":
        codes = ", ".join(sorted({e.get("code", "?") for e in group.carrier_errors}))
        detail = f"{outcome}: {codes}" if codes else outcome
        raise StageFailed(f"the carrier did not finalize the group ({detail})")
    return group


def _send_834(group):
    transmission = transmission_start(group=group, by=None)
    if transmission.status != Transmission.Status.READY:
        problems = "; ".join(p.get("message", "") for p in transmission.precheck_errors or [])
        raise StageFailed(f"the 834 did not pass the precheck ({transmission.status}): {problems}")
    transmission = transmission_upload(transmission_id=transmission.pk)
    if transmission.status not in (Transmission.Status.RECEIVED, Transmission.Status.PROCESSING):
        raise StageFailed(f"the 834 was not received ({transmission.status}): {transmission.status_reason}")
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        transmission_poll(transmission_id=transmission.pk)
        transmission.refresh_from_db()
        if transmission.status in FINAL_STATUSES:
            break
        if transmission.status not in (Transmission.Status.RECEIVED, Transmission.Status.PROCESSING):
            raise StageFailed(f"the 834 stopped at {transmission.status}: {transmission.status_reason}")
        if time.monotonic() > deadline:
            raise StageFailed(f"the 834 did not end within {POLL_LIMIT_SECONDS} s ({transmission.status})")
        time.sleep(POLL_INTERVAL_SECONDS)
    group.refresh_from_db()
    return transmission


def run_stage(stage: Stage, broker: Broker) -> str:
    """Take a new group to ``stage.target``; a line describing the result."""
    group = _create_open_group(stage, broker)
    if stage.target == OPEN_ENROLLMENT:
        return f"open enrollment, Humana Group ID {group.humana_group_id}, 2 families validated"
    group = _finalize(group)
    if stage.target == FINALIZED:
        return f"finalized, Humana Group ID {group.humana_group_id}, ${group.final_monthly_premium}/month"
    transmission = _send_834(group)
    group.refresh_from_db()
    line = (
        f"{group.get_status_display().lower()}, Humana Group ID {group.humana_group_id}, "
        f"file {transmission.file_id} {transmission.status}"
    )
    if transmission.status != stage.expect_file:
        raise StageFailed(f"{line} (expected {stage.expect_file})")
    return f"{line}; try: python manage.py export_834 {group.humana_group_id} -o /tmp/x.834"


def seed(*, stdout) -> None:
    if not getattr(settings, "SANDBOX_ENABLED", False):
        stdout.write("edi: the carrier sandbox is off; skipped the lifecycle demo groups")
        return
    broker = _demo_broker()
    if broker is None:
        stdout.write("edi: no demo broker yet; skipped the lifecycle demo groups")
        return
    todo = []
    for stage in STAGES:
        existing = EmployerGroup.objects.filter(broker=broker, legal_name=stage.legal_name).first()
        if existing is not None:
            status = existing.get_status_display()
            stdout.write(f"edi: {stage.legal_name}: already there (group {existing.pk}, {status})")
        else:
            todo.append(stage)
    if not todo:
        return
    with sandbox_over_http():
        for stage in todo:
            try:
                line = run_stage(stage, broker)
            except Exception as exc:  # one stage's failure must not stop the others
                stdout.write(f"edi: {stage.legal_name}: FAILED: {type(exc).__name__}: {exc}")
            else:
                stdout.write(f"edi: {stage.legal_name}: {line}")
