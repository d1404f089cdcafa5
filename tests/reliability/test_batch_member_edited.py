"""A member-validation batch one of whose members is edited (a new member version) before its answer is
recorded (issue 18): the batch is finished as it was sent (its stored bodies, its key: the carrier
replays its answer), its other members take their results, and the edited member is validated under
its new version's key. Before, the batch was closed FAILED ("Superseded") and its other members were
sent anew under a new key: the carrier validated each of them a second time."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from carrier.models import ApiCall, CarrierOperation
from members import services as member_services
from members.examples import LUIS, LUIS_ELECTIONS
from members.models import Member
from sandbox.models import MemberValidation as CarrierValidation
from tests.reliability.cases import open_enrollment_group
from tests.reliability.test_carrier_faults import WorkerDied, carrier_only  # noqa: F401
from tests.reliability.test_one_key_per_member_version import carrier_validations

pytestmark = [pytest.mark.django_db(transaction=True)]


def edit_luis(group) -> Member:
    luis = Member.objects.get(group=group, member_ref="E-002")
    before = luis.edit_version
    member_services.family_save(
        group=group, subscriber_data={**LUIS, "address_line1": "11 Oak Ave"}, dependents_data=[],
        elections=LUIS_ELECTIONS, by=None, subscriber=luis,
    )  # fmt: skip
    luis.refresh_from_db()
    assert luis.edit_version == before + 1 and luis.validation_status == "NOT_VALIDATED"
    return luis


def keys_per_member_version() -> Counter:
    keys: Counter = Counter()
    for op in CarrierOperation.objects.filter(kind__in=["validate_member", "validate_members"]).exclude(
        status="FAILED", calls__isnull=True
    ):
        for subject in op.covers if op.kind == "validate_members" else [op.subject]:
            keys[subject] += 1
    return keys


def test_a_batch_whose_member_was_edited_after_the_carrier_acted_is_finished_as_it_was_sent(
    carrier_only,  # noqa: F811
    broker,
    monkeypatch,
    settings,
):
    settings.MEMBERS_BATCH_THRESHOLD = 1  # Ann's family and Luis in one batch
    group = open_enrollment_group(broker)
    die = lambda *a, **k: (_ for _ in ()).throw(WorkerDied())  # noqa: E731
    monkeypatch.setattr("members.services.validation._store_result_valid", die)
    with pytest.raises(WorkerDied):  # the carrier validated the batch; the worker died before our record
        member_services.group_validate_members(group_id=group.pk)
    monkeypatch.undo()
    first = carrier_validations()
    batch = CarrierOperation.objects.get(kind="validate_members", status="OPEN")
    assert len(first) == 5 and batch.sent_bodies  # the bodies as sent, kept while it is OPEN
    assert "123456782" in batch.sent_bodies  # (encrypted in the column: tests/portal/test_raw_database.py)

    luis = edit_luis(group)  # meanwhile the broker corrects Luis's address: a new version
    lapsed = timezone.now() - timedelta(minutes=5)
    Member.objects.filter(group=group, validation_status="PENDING").update(validation_claimed_at=lapsed)
    for _ in range(3):  # the redelivered task, then whatever it queued
        member_services.group_validate_members(group_id=group.pk)

    batch.refresh_from_db()
    assert batch.status == "SUCCEEDED", batch.error  # finished with the carrier's stored answer
    assert batch.sent_bodies is None  # not kept once closed
    assert ApiCall.objects.filter(idempotency_key=batch.idempotency_key, status_code=200).count() == 2
    made = carrier_validations()
    others = [ref for ref in first if ref != "E-002"]
    assert {ref: made[ref] for ref in others} == {ref: first[ref] for ref in others}  # once each
    assert len(made["E-002"]) == 2 and first["E-002"] < made["E-002"]  # v1 (the batch), then v2
    statuses = Counter(Member.objects.filter(group=group).values_list("validation_status", flat=True))
    assert statuses == {"VALID": 5}
    luis.refresh_from_db()
    current = dict(
        CarrierValidation.objects.filter(group__group_id=group.humana_group_id).values_list(
            "member_ref", "validation_id"
        )
    )
    assert current == dict(Member.objects.filter(group=group).values_list("member_ref", "validation_id"))
    assert current["E-002"] not in first["E-002"]  # the carrier's current is Luis's new version
    assert max(keys_per_member_version().values()) == 1  # one key per member version
    assert not CarrierOperation.objects.filter(status="OPEN").exists()


def test_a_batch_the_carrier_cannot_have_acted_on_is_closed_and_its_members_sent_anew(
    carrier_only,  # noqa: F811
    broker,
    monkeypatch,
    settings,
):
    from carrier.errors import CarrierTransientError

    settings.MEMBERS_BATCH_THRESHOLD = 1
    group = open_enrollment_group(broker)
    calls: list[str] = []

    def unavailable(self, group_id, bodies, *, idempotency_key, subject=""):
        calls.append(idempotency_key)  # nothing went out: no digest, no attempt
        raise CarrierTransientError("unavailable", status=503)

    monkeypatch.setattr("carrier.client.GroupSalesClient.validate_members", unavailable)
    with pytest.raises(CarrierTransientError):
        member_services.group_validate_members(group_id=group.pk)
    monkeypatch.undo()
    batch = CarrierOperation.objects.get(kind="validate_members", status="OPEN")
    edit_luis(group)
    for _ in range(3):
        member_services.group_validate_members(group_id=group.pk)
    batch.refresh_from_db()
    assert batch.status == "FAILED" and batch.error.startswith("Superseded")
    made = carrier_validations()
    assert len(made) == 5 and all(len(ids) == 1 for ids in made.values())  # each validated once
    assert Counter(Member.objects.filter(group=group).values_list("validation_status", flat=True)) == {
        "VALID": 5
    }
    assert not CarrierOperation.objects.filter(status="OPEN").exists()
