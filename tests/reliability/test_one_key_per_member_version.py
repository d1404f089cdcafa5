"""One member version, one carrier operation key, always (issue 18 item 2), and every OPEN operation is
closed (item 3): a validation whose worker died after the carrier acted is sent again by a redelivered
task and by a swept one, while a new family makes the next run's batch a different one. The carrier
sees each member version under one key: one validation each, its stored answer replayed."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from carrier.models import ApiCall, CarrierOperation
from carrier.resume import operations_sweep
from members import services as member_services
from members.models import Member
from sandbox.models import IdempotentAnswer
from sandbox.models import MemberValidation as CarrierValidation
from tests.reliability.cases import open_enrollment_group
from tests.reliability.test_carrier_faults import WorkerDied, carrier_only  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]

MARIA = {
    "member_ref": "E-003",
    "first_name": "Maria",
    "last_name": "Lopez",
    "ssn": "123456785",
    "date_of_birth": "1990-03-04",
    "gender": "FEMALE",
    "marital_status": "SINGLE",
    "tobacco_use": False,
    "address_line1": "12 Pine St",
    "city": "Louisville",
    "state": "KY",
    "zip5": "40204",
    "county_fips": "21111",
    "hire_date": "2024-05-01",
    "hours_per_week": 40,
    "employment_status": "FULL_TIME",
}


def carrier_validations() -> dict[str, set[str]]:
    """Every validation the carrier made, from its own stored answers: memberRef → validation IDs (a
    replayed key answers the stored one again, so a member validated twice has two IDs)."""
    made: dict[str, set[str]] = defaultdict(set)
    for answer in IdempotentAnswer.objects.filter(status=200):
        body = json.loads(answer.content or "{}")
        for result in body.get("results", [body]):
            if result.get("validationId"):
                made[result["memberRef"]].add(result["validationId"])
    return dict(made)


WAIVED = {"waived": True, "waiver_reason": "OTHER_GROUP_COVERAGE"}


def test_a_member_version_keeps_its_key_through_a_redelivered_task_and_a_sweep(
    carrier_only,  # noqa: F811
    broker,
    monkeypatch,
    settings,
):
    from datetime import date

    settings.MEMBERS_BATCH_THRESHOLD = 1  # Ann's family and Luis go in one batch
    group = open_enrollment_group(broker)
    die = lambda *a, **k: (_ for _ in ()).throw(WorkerDied())  # noqa: E731
    monkeypatch.setattr("members.services.validation._store_result_valid", die)
    with pytest.raises(WorkerDied):  # the carrier validated the batch; the worker died before our record
        member_services.group_validate_members(group_id=group.pk)
    monkeypatch.undo()
    first = carrier_validations()
    assert len(first) == 5 and all(len(ids) == 1 for ids in first.values())
    batch = CarrierOperation.objects.get(kind="validate_members", status="OPEN")
    assert len(batch.covers) == 5

    # Meanwhile a new employee arrives: a run now has six members waiting, a different batch.
    maria = {**MARIA, "date_of_birth": date(1990, 3, 4), "hire_date": date(2024, 5, 1)}
    elections = {"MEDICAL": {"plan_id": "12345KY0010001"}, "DENTAL": WAIVED, "VISION": WAIVED}
    member_services.family_save(
        group=group, subscriber_data=maria, dependents_data=[], elections=elections, by=None
    )
    # The dead worker's claim ages; the sweep queues the group again, and the task comes back redelivered.
    old = timezone.now() - timedelta(hours=1)
    Member.objects.filter(group=group).update(validation_claimed_at=old, updated_at=old)
    queued: list[int] = []
    monkeypatch.setattr("members.tasks.validate_group_members.delay", queued.append)
    assert member_services.members_sweep() == 1 and queued == [group.pk]
    member_services.group_validate_members(group_id=group.pk)  # the redelivered task
    member_services.group_validate_members(group_id=group.pk)  # the swept one

    assert Member.objects.filter(group=group, validation_status="VALID").count() == 6
    made = carrier_validations()
    assert {ref: len(ids) for ref, ids in made.items()} == {ref: 1 for ref in made}  # once each
    assert len(made) == 6 and all(made[ref] == ids for ref, ids in first.items())
    batch.refresh_from_db()
    assert batch.status == "SUCCEEDED"  # closed with the carrier's stored answer to its key
    calls = ApiCall.objects.filter(idempotency_key=batch.idempotency_key, status_code=200)
    assert calls.count() == 2  # the first call and its replay, one key
    assert not CarrierOperation.objects.filter(status="OPEN").exists()
    carrier = CarrierValidation.objects.filter(group__group_id=group.humana_group_id)
    assert set(carrier.values_list("validation_id", flat=True)) == {
        m.validation_id for m in Member.objects.filter(group=group)
    }


def test_the_sweep_closes_an_operation_the_carrier_answered_with_its_stored_answer(
    carrier_only,  # noqa: F811
    broker,
    monkeypatch,
):
    group = open_enrollment_group(broker)  # 5 members: one by one, one operation each
    die = lambda *a, **k: (_ for _ in ()).throw(WorkerDied())  # noqa: E731
    monkeypatch.setattr("members.services.validation._store_result_valid", die)
    with pytest.raises(WorkerDied):  # the carrier validated Ann; her worker died before our record
        member_services.group_validate_members(group_id=group.pk)
    monkeypatch.undo()
    operation = CarrierOperation.objects.get(status="OPEN")
    first = carrier_validations()
    assert list(first) == ["E-001"]
    # No task is left for it, and the dead run's claim holds the members for MEMBERS_VALIDATION_CLAIM_SECONDS.
    assert member_services.group_validate_members(group_id=group.pk)["busy_seconds"] > 30
    assert operations_sweep()["queued"] == 0  # fresh: its worker may still be on it

    old = timezone.now() - timedelta(minutes=5)
    CarrierOperation.objects.filter(pk=operation.pk).update(created_at=old, updated_at=old)
    ApiCall.objects.update(created_at=old)
    queued: list[int] = []
    monkeypatch.setattr("members.tasks.validate_group_members.delay", queued.append)
    assert operations_sweep() == {"queued": 1, "superseded": 0, "waiting": 0, "busy": 0, "unowned": 0}
    assert queued == [group.pk]
    member_services.group_validate_members(group_id=group.pk)  # the task the sweep queued
    for _ in range(2):  # the dependents, released once Ann is valid
        member_services.group_validate_members(group_id=group.pk)

    operation.refresh_from_db()
    assert operation.status == "SUCCEEDED"
    assert operation.response["validationId"] in first["E-001"]  # closed with the carrier's first answer
    made = carrier_validations()
    assert len(made) == 5 and all(len(ids) == 1 for ids in made.values())  # no second effect
    assert made["E-001"] == first["E-001"]
    ann = Member.objects.get(group=group, member_ref="E-001")
    assert ann.validation_status == "VALID" and {ann.validation_id} == first["E-001"]
    assert not CarrierOperation.objects.filter(status="OPEN").exists()
    assert operations_sweep(stale=0)["queued"] == 0
