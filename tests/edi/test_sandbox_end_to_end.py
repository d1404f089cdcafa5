"""End to end over the carrier sandbox (live_server) with a real Celery worker.

The group is created, its members validated and the group finalized through the carrier client (the
enrollment and members apps do the same in the portal); the portal's group is then FINALIZED with the
Humana Group ID, and its validated members come from ``groupsales.rules.testing.blue_heron_members``
through the test-only member source of ``edi.sources``.
"""

from __future__ import annotations

import copy
import time
import uuid
from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings

from edi import services, sources
from edi.models import Transmission
from groupsales.rules.testing import blue_heron_group, blue_heron_members
from tests.factories import EmployerGroupFactory

S = Transmission.Status
API_KEY = "edi-e2e-key-0001"
FINAL = {S.ACCEPTED, S.ACCEPTED_WITH_ERRORS, S.REJECTED, S.STUCK, S.UPLOAD_FAILED, S.PRECHECK_FAILED}

pytestmark = [pytest.mark.worker]


@pytest.fixture
def sandbox(live_server, celery_worker_thread, transactional_db):
    call_command("sandbox_key", "EDI E2E", "--sender-id", settings.HUMANA_SENDER_ID, "--key", API_KEY)
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt"))
    with override_settings(
        HUMANA_API_BASE_URL=live_server.url + "/sandbox/groupsales/v1",
        HUMANA_API_KEY=API_KEY,
        EDI_POLL_FIRST_SECONDS=0.2,
        EDI_POLL_MAX_SECONDS=0.5,
        EDI_UPLOAD_RETRY_FIRST_SECONDS=0.2,
    ):
        yield live_server


def carrier_group(broker, *, fein: str = "123456789", bodies: list[dict] | None = None):
    """Create, validate and finalize the Blue Heron group at the sandbox; the portal's FINALIZED group."""
    from carrier.client import get_client

    body = copy.deepcopy(blue_heron_group())
    body["employer"]["fein"] = fein
    bodies = bodies if bodies is not None else blue_heron_members()
    with get_client() as client:
        created = client.create_group(body, idempotency_key=uuid.uuid4().hex)
        result = client.validate_members(created.group_id, bodies, idempotency_key=uuid.uuid4().hex)
        assert not result.invalid, result.invalid
        client.finalize_group(created.group_id, idempotency_key=uuid.uuid4().hex)
    return EmployerGroupFactory(
        broker=broker,
        status="FINALIZED",
        humana_group_id=created.group_id,
        legal_name=body["employer"]["legalName"],
        fein=fein,
        agent_npn=body["writingAgent"]["npn"],
        agent_first_name=body["writingAgent"]["firstName"],
        agent_last_name=body["writingAgent"]["lastName"],
        requested_effective_date=date.fromisoformat(body["requestedEffectiveDate"]),
    )


def eventually(condition, limit: float = 15) -> bool:
    """Whether ``condition()`` holds within ``limit`` seconds (a deadline against hanging, not a timing)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def wait_until_final(transmission: Transmission, limit: float = 60) -> Transmission:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            transmission.refresh_from_db()
        except OperationalError:  # SQLite's shared in-memory test database: "table is locked"; read again
            pass
        if transmission.status in FINAL:
            return transmission
        time.sleep(0.2)
    return transmission


def wait_for_acknowledgment(transmission: Transmission, limit: float = 30) -> Transmission:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not transmission.ack_999:
        time.sleep(0.2)
        try:
            transmission.refresh_from_db()
        except OperationalError:
            pass
    return transmission


def test_it_enrolls_the_group_over_the_sandbox(sandbox, broker):
    bodies = blue_heron_members()
    group = carrier_group(broker, bodies=bodies)
    with sources.use_member_source(lambda g: copy.deepcopy(bodies)):
        transmission = wait_until_final(services.transmission_start(group=group))
    assert transmission.status == S.ACCEPTED, (transmission.status_reason, transmission.file_errors)
    assert transmission.members.exclude(humana_member_id="").count() == 5
    # The 999 is fetched just after the final status is committed: wait for it as for the status.
    transmission = wait_for_acknowledgment(transmission)
    assert transmission.ack_999.startswith("ISA") and "AK9*A" in transmission.ack_999
    group.refresh_from_db()
    assert group.status == "ENROLLED"
    # the worker e-mails the broker just after it records the final status
    assert eventually(lambda: any("accepted" in m.subject.lower() for m in mail.outbox))


def validate_again(group, body: dict) -> None:
    """The member corrected: validated again at the sandbox (a correction, the group ENROLLED)."""
    from carrier.client import get_client

    with get_client() as client:
        client.validate_member(group.humana_group_id, body, idempotency_key=uuid.uuid4().hex)


def test_it_follows_up_only_corrected_members_until_they_are_accepted_over_the_sandbox(sandbox, broker):
    """Issue 15 item 5: an uncorrected rejected member is not sent again; a corrected one goes in a
    follow-up; a follow-up whose member is rejected again (member level) leads to another follow-up."""
    bodies = blue_heron_members()
    luis = next(b for b in bodies if b["memberRef"] == "E-002")
    luis["lastName"] = "Rejectsmith"
    group = carrier_group(broker, bodies=bodies)
    with sources.use_member_source(lambda g: copy.deepcopy(bodies)):
        first = wait_until_final(services.transmission_start(group=group))
        assert first.status == S.ACCEPTED_WITH_ERRORS, (first.status_reason, first.file_errors)
        assert set(first.members.filter(status="REJECTED").values_list("member_ref", flat=True)) == {"E-002"}
        with pytest.raises(services.TransmissionRefused, match="changed since"):
            services.transmission_start(group=group, purpose="FOLLOW_UP")  # Luis unchanged

        luis["middleName"] = "Javier"  # changed, but still a Rejectsmith: rejected again, at member level
        validate_again(group, luis)
        second = wait_until_final(services.transmission_start(group=group, purpose="FOLLOW_UP"))
        assert list(second.members.values_list("member_ref", flat=True)) == ["E-002"]
        assert second.status == S.REJECTED and second.follows == first
        assert not services.follow_up.follow_up_plan(group=group).can_resubmit  # others are enrolled

        luis["lastName"] = "Ortiz"
        validate_again(group, luis)
        third = wait_until_final(services.transmission_start(group=group, purpose="FOLLOW_UP"))
    assert list(third.members.values_list("member_ref", flat=True)) == ["E-002"]
    assert third.status == S.ACCEPTED, (third.status_reason, third.file_errors)
    assert third.follows == second
    group.refresh_from_db()
    assert group.status == "ENROLLED"


def test_it_resubmits_after_a_rejected_file_over_the_sandbox(sandbox, broker):
    bodies = blue_heron_members()
    group = carrier_group(broker, fein="972345678", bodies=bodies)
    with sources.use_member_source(lambda g: copy.deepcopy(bodies)):
        first = wait_until_final(services.transmission_start(group=group))
        assert first.status == S.REJECTED
        assert [e["code"] for e in first.file_errors] == ["FIL-900"]
        group.refresh_from_db()
        assert group.status == "FINALIZED"
        again = wait_until_final(services.transmission_start(group=group, purpose="RESUBMISSION"))
    assert again.status == S.ACCEPTED, (again.status_reason, again.file_errors)
    assert "BGN*15*" in again.content
    group.refresh_from_db()
    assert group.status == "ENROLLED"


def test_it_flags_a_file_the_sandbox_keeps_processing_as_stuck(sandbox, broker):
    bodies = blue_heron_members()
    group = carrier_group(broker, fein="962345678", bodies=bodies)
    with override_settings(EDI_POLL_MAX_AGE_SECONDS=1.5):
        with sources.use_member_source(lambda g: copy.deepcopy(bodies)):
            transmission = wait_until_final(services.transmission_start(group=group))
    assert transmission.status == S.STUCK
