from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from carrier.errors import CarrierTransientError
from carrier.models import CarrierOperation
from members import services, tasks
from members.models import Member

pytestmark = pytest.mark.django_db

V = Member.ValidationStatus
MBR_005 = {"code": "MBR-005", "pointer": "/dateOfBirth", "message": "Over the age limit."}


def statuses(group):
    return dict(Member.objects.filter(group=group).values_list("member_ref", "validation_status"))


def test_it_validates_each_member_and_stores_the_validation(ann, luis, fake_client):
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        counts = services.group_validate_members(group_id=ann.group_id)
    assert counts["valid"] == 5
    assert set(statuses(ann.group).values()) == {V.VALID}
    assert Member.objects.get(member_ref="E-001-S").validation_id == "val-E-001-S"
    assert [c[0] for c in fake_client.calls] == ["one"] * 5
    assert fake_client.closed == 1


def test_it_sends_subscribers_before_dependents(ann, luis, fake_client):
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        services.group_validate_members(group_id=ann.group_id)
    refs = [c[1][0] for c in fake_client.calls]
    assert refs[:2] == ["E-001", "E-002"]
    assert set(refs[2:]) == {"E-001-S", "E-001-C1", "E-001-C2"}


def test_it_uses_the_batch_endpoint_above_the_threshold(ann, luis, fake_client):
    with override_settings(MEMBERS_BATCH_THRESHOLD=4):
        services.group_validate_members(group_id=ann.group_id)
    assert len(fake_client.calls) == 1
    method, refs, _key = fake_client.calls[0]
    assert method == "batch"
    assert refs[:2] == ["E-001", "E-002"]
    assert set(statuses(ann.group).values()) == {V.VALID}


@pytest.mark.parametrize("threshold", [10, 4])
def test_it_stores_the_carriers_errors_on_the_member(ann, luis, fake_client, threshold):
    fake_client.fail = {"E-001-C1": [MBR_005]}
    with override_settings(MEMBERS_BATCH_THRESHOLD=threshold):
        services.group_validate_members(group_id=ann.group_id)
    child = Member.objects.get(member_ref="E-001-C1")
    assert child.validation_status == V.INVALID
    assert [e["code"] for e in child.carrier_errors] == ["MBR-005"]
    assert Member.objects.get(member_ref="E-001").carrier_errors == []
    problems = services.member_carrier_problems(member=child)
    assert [(p.code, p.field, p.source) for p in problems] == [("MBR-005", "date_of_birth", "carrier")]


def test_it_marks_members_unreachable_on_503_and_validates_each_once_on_retry(ann, luis, fake_client):
    fake_client.unavailable = 1
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        with pytest.raises(CarrierTransientError):
            services.group_validate_members(group_id=ann.group_id)
        assert set(statuses(ann.group).values()) == {V.CARRIER_UNREACHABLE}
        services.group_validate_members(group_id=ann.group_id)
    assert set(statuses(ann.group).values()) == {V.VALID}
    # the retry reuses each member's idempotency key: one validation per member
    assert {ref: len(keys) for ref, keys in fake_client.validated.items()} == dict.fromkeys(
        statuses(ann.group), 1
    )
    first_key = fake_client.calls[0][2]
    retried = [c for c in fake_client.calls if c[1] == ["E-001"]]
    assert [c[2] for c in retried] == [first_key, first_key]
    assert Member.objects.get(member_ref="E-001").validation_attempts == 2


def test_it_ignores_a_result_for_a_stale_edit_version(ann, fake_client):
    def edit_during_call(body):
        if body["memberRef"] == "E-001-C1":
            Member.objects.filter(member_ref="E-001-C1").update(
                edit_version=99, validation_status=V.NOT_VALIDATED, first_name="Mayah"
            )

    fake_client.on_call = edit_during_call
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        counts = services.group_validate_members(group_id=ann.group_id)
    child = Member.objects.get(member_ref="E-001-C1")
    assert child.validation_status == V.NOT_VALIDATED
    assert child.validation_id == ""
    assert counts["stale"] == 1


def test_it_does_not_send_a_member_twice_while_claimed(ann, fake_client):
    Member.objects.filter(group=ann.group).update(validation_status=V.VALID)
    services.group_validate_members(group_id=ann.group_id)
    assert fake_client.calls == []


def test_it_keys_each_validation_by_member_and_edit_version(luis, fake_client):
    services.group_validate_members(group_id=luis.group_id)
    operation = CarrierOperation.objects.get(subject=f"member:{luis.pk}:v{luis.edit_version}")
    assert fake_client.calls[0][2] == operation.idempotency_key
    assert operation.status == CarrierOperation.Status.SUCCEEDED


def test_it_retries_with_backoff_and_then_leaves_members_unreachable(luis, monkeypatch, fake_client):
    fake_client.unavailable = 100
    assert [tasks.validate_countdown(n) for n in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert tasks.validate_countdown(0, retry_after=30) == 30
    with override_settings(MEMBERS_VALIDATE_MAX_RETRIES=0):
        result = tasks.validate_group_members.apply(args=[luis.group_id]).get()
    assert "unreachable" in result
    assert Member.objects.get(pk=luis.pk).validation_status == V.CARRIER_UNREACHABLE


def test_it_retries_the_task_on_a_transient_error(luis, monkeypatch, fake_client):
    fake_client.unavailable = 1
    retried = []

    def retry(self, exc=None, countdown=None, **kw):
        retried.append(countdown)
        raise exc

    monkeypatch.setattr(tasks.validate_group_members, "retry", retry.__get__(tasks.validate_group_members))
    with pytest.raises(CarrierTransientError):
        tasks.validate_group_members.apply(args=[luis.group_id], throw=True)
    assert retried == [2]


def test_it_says_how_long_another_workers_claim_holds(luis, fake_client, settings):
    settings.MEMBERS_VALIDATION_CLAIM_SECONDS = 30
    claimed = {"validation_status": V.PENDING, "validation_claimed_at": timezone.now()}
    Member.objects.filter(pk=luis.pk).update(**claimed)
    counts = services.group_validate_members(group_id=luis.group_id)
    assert counts["sent"] == 0
    assert 1 <= counts["busy_seconds"] <= 30
    assert fake_client.calls == []

    # the claim of a worker that died expires: the next task claims the member and validates it
    Member.objects.filter(pk=luis.pk).update(validation_claimed_at=timezone.now() - timedelta(seconds=31))
    counts = services.group_validate_members(group_id=luis.group_id)
    assert counts["sent"] == 1 and counts["valid"] == 1
    assert Member.objects.get(pk=luis.pk).validation_status == V.VALID
    assert services.group_validate_members(group_id=luis.group_id).get("busy_seconds") == 0
