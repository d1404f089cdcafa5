"""The portal's changes after enrollment against the carrier sandbox over HTTP (live server).

Blue Heron is enrolled at the sandbox through its own API (created, finalized, the sample 834 accepted);
the portal's group is the broker's complete group with Ann's and Luis's families saved the way the
broker saves them, then ENROLLED with the carrier's Humana Group ID and member IDs, as the 834's results
leave it. The carrier's day is ``SANDBOX_TODAY`` (the live server runs in this process).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings

from carrier.client import get_client
from enrollment.models import EmployerGroup
from members import services as member_services
from members.examples import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS
from members.models import Member
from tests.enrollment.conftest import make_complete_group
from tests.renewals.conftest import carrier_enrolled
from tests.sandbox.conftest import RATE_FILE, Api

KEY = "maintenance-partner-key"


@pytest.fixture
def sandbox(live_server, transactional_db, settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0
    settings.SANDBOX_TODAY = "2026-11-23"
    settings.HUMANA_SENDER_ID = "PARTNER01"  # the sample 834's sender, and the change files'
    call_command("sandbox_key", "Maintenance", "--sender-id", "PARTNER01", "--key", KEY, stdout=StringIO())
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())
    call_command("import_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())
    with override_settings(
        HUMANA_API_BASE_URL=live_server.url + "/sandbox/groupsales/v1", HUMANA_API_KEY=KEY
    ):
        yield Api(KEY, "PARTNER01")


def on(day: str) -> None:
    """The carrier's day (its request dates, its send-by checks, its roster's default ``asOf``)."""
    django_settings.SANDBOX_TODAY = day


@pytest.fixture
def enrolled(sandbox, broker, monkeypatch):
    """The portal's Blue Heron, ENROLLED, its members as the accepted 834 left them."""
    humana_id = carrier_enrolled(sandbox)
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.OPEN_ENROLLMENT, humana_group_id=humana_id
    )
    group.refresh_from_db()
    with monkeypatch.context() as m:  # the families were validated during open enrollment
        m.setattr("members.tasks.validate_group_members.delay", lambda group_id: None)
        member_services.family_save(
            group=group, subscriber_data=ANN, dependents_data=[dict(d) for d in ANN_DEPENDENTS],
            elections=ANN_ELECTIONS, by=broker.user,
        )  # fmt: skip
        member_services.family_save(
            group=group, subscriber_data=LUIS, dependents_data=[], elections=LUIS_ELECTIONS, by=broker.user
        )
    with get_client() as client:
        roster = {m.member_ref: m for m in client.iter_group_members(humana_id)}
    for member in Member.objects.filter(group=group):
        Member.objects.filter(pk=member.pk).update(
            validation_status="VALID", enrollment_status="ACCEPTED",
            humana_member_id=roster[member.member_ref].humana_member_id or "",
        )  # fmt: skip
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.ENROLLED)
    group.refresh_from_db()
    return group


def eventually(condition: Callable[[], object], what: str, limit: float = 60) -> None:
    """Wait for the worker (a deadline against hanging, not a timed assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OperationalError:  # SQLite: "database table is locked" while the worker writes
            pass
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")
