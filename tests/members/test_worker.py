"""The validation task on a real Celery worker thread (the carrier is the fake client)."""

from __future__ import annotations

import time

import pytest

from members import services
from members.models import Member

from .conftest import ANN, ANN_DEPENDENTS, ANN_ELECTIONS

pytestmark = pytest.mark.worker


def wait_for(group_id, status, deadline_seconds=60):
    end = time.monotonic() + deadline_seconds
    while time.monotonic() < end:
        statuses = set(Member.objects.filter(group_id=group_id).values_list("validation_status", flat=True))
        if statuses == {status}:
            return
        time.sleep(0.1)
    raise AssertionError(f"members of group {group_id} are {statuses}, not {status}")


def test_it_validates_a_saved_family_through_a_503_on_the_worker(celery_worker_thread, group, fake_client):
    fake_client.unavailable = 1
    services.family_save(
        group=group,
        subscriber_data=ANN,
        dependents_data=[dict(d) for d in ANN_DEPENDENTS],
        elections=ANN_ELECTIONS,
        by=None,
    )
    wait_for(group.pk, Member.ValidationStatus.VALID)
    assert {ref: len(keys) for ref, keys in fake_client.validated.items()} == {
        "E-001": 1,
        "E-001-S": 1,
        "E-001-C1": 1,
        "E-001-C2": 1,
    }
