"""A group from draft to ENROLLED through the portal's own services and a real Celery worker, against the
carrier sandbox over HTTP (live server): create, validate every member, finalize, send the 834, poll."""

from __future__ import annotations

import time
from collections.abc import Callable
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings

from edi import services as edi_services
from edi.models import Transmission
from enrollment import finalize
from enrollment import services as group_services
from enrollment.models import EmployerGroup
from members import services as member_services
from members.models import Member
from tests.enrollment.conftest import make_complete_group
from tests.members.conftest import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
KEY = "end-to-end-partner-key"
RATE_FILE = "HUM_ETSS_SG_KY_20261101_000001.txt"
S = EmployerGroup.Status


@pytest.fixture
def sandbox(live_server, celery_worker_thread):
    call_command(
        "sandbox_key", "End to end", "--sender-id", settings.HUMANA_SENDER_ID, "--key", KEY, stdout=StringIO()
    )
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())
    call_command(
        "import_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO()
    )  # the portal's catalogue
    with override_settings(
        HUMANA_API_BASE_URL=live_server.url + "/sandbox/groupsales/v1",
        HUMANA_API_KEY=KEY,
        EDI_POLL_FIRST_SECONDS=0.2,
        EDI_POLL_MAX_SECONDS=0.5,
    ):
        yield live_server


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


def status_of(group: EmployerGroup) -> str:
    return EmployerGroup.objects.values_list("status", flat=True).get(pk=group.pk)


def test_it_takes_a_group_from_draft_to_enrolled(sandbox, broker):
    group = make_complete_group(broker)
    group_services.group_submit(group=group, by=broker.user)
    eventually(lambda: status_of(group) == S.OPEN_ENROLLMENT, "the carrier created the group")
    group.refresh_from_db()
    assert group.humana_group_id

    member_services.family_save(
        group=group,
        subscriber_data=ANN,
        dependents_data=ANN_DEPENDENTS,
        elections=ANN_ELECTIONS,
        by=broker.user,
    )
    member_services.family_save(
        group=group, subscriber_data=LUIS, dependents_data=[], elections=LUIS_ELECTIONS, by=broker.user
    )
    eventually(
        lambda: Member.objects.filter(group=group, validation_status="VALID").count() == 5,
        "every member validated",
    )

    readiness = finalize.group_readiness(group=group)
    assert readiness.ready, (readiness.items, readiness.problems)
    finalize.group_request_finalize(group=group, by=broker.user, confirm_open_enrollment_over=True)
    eventually(lambda: status_of(group) == S.FINALIZED, "the carrier finalized the group")
    group.refresh_from_db()
    assert group.final_monthly_premium and group.final_rates
    comparison = finalize.rate_comparison(group=group)
    assert {row["plan_id"] for row in comparison} == {"12345KY0010001", "12345KY0020001", "12345KY0030001"}
    medical = next(row for row in comparison if row["line"] == "MEDICAL")
    assert medical["estimated"] is not None and medical["difference"] is not None

    transmission = edi_services.transmission_start(group=group, by=broker.user)
    final = {
        Transmission.Status.ACCEPTED,
        Transmission.Status.ACCEPTED_WITH_ERRORS,
        Transmission.Status.REJECTED,
    }
    eventually(
        lambda: Transmission.objects.values_list("status", flat=True).get(pk=transmission.pk) in final,
        "the file ended",
    )
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.ACCEPTED, transmission.__dict__
    eventually(lambda: status_of(group) == S.ENROLLED, "the group enrolled")
    members = Member.objects.filter(group=group)
    assert all(m.humana_member_id for m in members)
    assert {m.enrollment_status for m in members} == {"ACCEPTED"}
