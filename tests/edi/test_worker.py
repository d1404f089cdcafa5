"""The upload and poll tasks on a real Celery worker (fake carrier client): retries send ONE file."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError
from django.test import override_settings

from edi import services
from edi.models import Transmission

from .conftest import accepted

ALL_REFS = ["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"]


def wait_for(transmission: Transmission, statuses: set[str], limit: float = 30) -> Transmission:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            transmission.refresh_from_db()
        except OperationalError:  # SQLite's shared in-memory test database: "table is locked"; read again
            pass
        if transmission.status in statuses:
            return transmission
        time.sleep(0.2)
    return transmission


@pytest.mark.worker
@override_settings(EDI_UPLOAD_RETRY_FIRST_SECONDS=0.1, EDI_POLL_FIRST_SECONDS=0.1, EDI_POLL_MAX_SECONDS=0.4)
def test_it_retries_a_transient_upload_failure_and_sends_one_file(
    celery_worker_thread, finalized_group, members_source, fake_carrier
):
    fake_carrier.transient_uploads = 2
    fake_carrier.statuses = [{"status": "PROCESSING"}]
    fake_carrier.final = accepted(ALL_REFS)
    transmission = services.transmission_start(group=finalized_group)
    transmission = wait_for(transmission, {"ACCEPTED", "UPLOAD_FAILED", "STUCK"})
    assert transmission.status == "ACCEPTED"
    assert len(fake_carrier.upload_calls) == 3
    assert len(set(fake_carrier.upload_calls)) == 1  # the same idempotency key every time
    assert len(fake_carrier.files) == 1
    assert transmission.upload_attempts == 3
    assert transmission.members.filter(humana_member_id="").count() == 0


@pytest.mark.worker
@override_settings(EDI_UPLOAD_RETRY_FIRST_SECONDS=0.05, EDI_UPLOAD_MAX_RETRIES=2)
def test_it_marks_the_upload_failed_when_the_retries_run_out(
    celery_worker_thread, finalized_group, members_source, fake_carrier
):
    fake_carrier.transient_uploads = 10
    transmission = services.transmission_start(group=finalized_group)
    transmission = wait_for(transmission, {"UPLOAD_FAILED", "RECEIVED"})
    assert transmission.status == "UPLOAD_FAILED"
    assert len(fake_carrier.upload_calls) == 3
    assert "3 attempts" in transmission.status_reason
