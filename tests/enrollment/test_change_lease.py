# ruff: noqa: F811 (the fixtures of test_changes, imported by name, are parameters here)
"""The group-change (PATCH) claim is a lease, as the create and validation claims are (issue 18): a live
worker keeps it however long the carrier takes (its run renews it), a killed worker's lapses a claim's
length after its last renewal and the redelivered task (or the sweep) sends the patch, and a call the
carrier did not answer lets go of it so the task's retry is not held back as "busy"."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from carrier.errors import CarrierTransientError
from enrollment import changes
from enrollment.models import EmployerGroup
from enrollment.sweep import groups_sweep
from tests.enrollment.test_changes import (  # noqa: F401
    PatchClient,
    carrier,
    carrier_detail,
    change_contribution,
    created,
    send,
    sent,
)
from tests.members.conftest import group, queued, rule_facts  # noqa: F401

C = EmployerGroup.ChangeState


def sending(broker_client, group, django_capture_on_commit_callbacks) -> EmployerGroup:  # noqa: F811
    assert change_contribution(broker_client, group).status_code == 302
    assert send(broker_client, group, django_capture_on_commit_callbacks).status_code == 302
    group = EmployerGroup.objects.get(pk=group.pk)
    assert group.change_state == C.SENDING
    return group


@pytest.mark.django_db(transaction=True)  # the lease's thread writes through its own connection
def test_a_live_workers_patch_claim_outlasts_its_length_while_the_carrier_is_slow(
    broker_client,
    created,
    sent,
    django_capture_on_commit_callbacks,
    settings,
    monkeypatch,  # noqa: F811
):
    settings.GROUP_CREATE_CLAIM_SECONDS = 1.5  # renewed every 0.5 s
    group = sending(broker_client, created, django_capture_on_commit_callbacks)
    seen: list[str] = []

    class SlowCarrier(PatchClient):
        def patch_group(self, group_id, patch, *, subject=""):
            if not seen:  # the first worker's call, slow; a second worker tries meanwhile
                seen.append("slow")
                time.sleep(2.5)  # longer than the claim: without the lease, the second takes it over
                seen.append(changes.group_patch_with_carrier(group_id=group.pk))
            return super().patch_group(group_id, patch, subject=subject)

    client = SlowCarrier(carrier_detail(), carrier_detail())
    monkeypatch.setattr("carrier.client.get_client", lambda: client)
    assert changes.group_patch_with_carrier(group_id=group.pk) == "patched"
    assert seen == ["slow", "busy"]  # the live claim held: the second worker did not send it
    assert len(client.patches) == 1
    group = EmployerGroup.objects.get(pk=group.pk)
    assert group.change_state == C.NONE and group.change_claimed_at is None


@pytest.mark.django_db
def test_a_killed_workers_patch_claim_lapses_and_the_patch_is_sent_once(
    broker_client,
    created,
    carrier,
    sent,
    django_capture_on_commit_callbacks,
    settings,  # noqa: F811
):
    settings.GROUP_CREATE_CLAIM_SECONDS = 60
    group = sending(broker_client, created, django_capture_on_commit_callbacks)
    client = carrier(carrier_detail())
    # A worker claimed it and was killed: its last renewal 30 s ago, so the claim still holds ...
    EmployerGroup.objects.filter(pk=group.pk).update(change_claimed_at=timezone.now() - timedelta(seconds=30))
    assert changes.group_patch_with_carrier(group_id=group.pk) == "busy"
    # ... and lapses 60 s after it: the redelivered task sends the patch.
    EmployerGroup.objects.filter(pk=group.pk).update(change_claimed_at=timezone.now() - timedelta(seconds=61))
    assert changes.group_patch_with_carrier(group_id=group.pk) == "patched"
    assert len(client.patches) == 1
    # Its message lost too: the sweep queues a SENDING group whose claim lapsed.
    EmployerGroup.objects.filter(pk=group.pk).update(
        change_state=C.SENDING,
        change_claimed_at=timezone.now() - timedelta(minutes=10),
        updated_at=timezone.now() - timedelta(minutes=10),
    )
    sent.clear()
    assert groups_sweep()["patch"] == 1 and sent == [group.pk]


@pytest.mark.django_db
def test_a_patch_the_carrier_did_not_answer_lets_go_of_its_claim(
    broker_client,
    created,
    carrier,
    sent,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    group = sending(broker_client, created, django_capture_on_commit_callbacks)
    client = carrier(CarrierTransientError("unavailable", status=503), carrier_detail())
    with pytest.raises(CarrierTransientError):
        changes.group_patch_with_carrier(group_id=group.pk)
    group = EmployerGroup.objects.get(pk=group.pk)
    assert group.change_state == C.SENDING and group.change_claimed_at is None  # free for the retry
    assert changes.group_patch_with_carrier(group_id=group.pk) == "patched"  # the task's retry, 5 s later
    assert len(client.patches) == 2
