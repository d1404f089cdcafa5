"""Carrier faults through the sandbox's own settings, against a live server and a real worker: every
enrollment step ends right, and the carrier never sees a second group, validation or file.

- a read timeout after the carrier already acted (the answer is lost on the way back);
- a 503 storm while members are validated;
- a worker that dies between the carrier's answer and our commit (no ``except`` runs).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from carrier.models import ApiCall
from enrollment import services as group_services
from enrollment.models import EmployerGroup
from enrollment.sweep import groups_sweep
from members import services as member_services
from members.models import Member
from sandbox.models import Group as CarrierGroup
from sandbox.models import MemberValidation as CarrierValidation
from tests.end_to_end.test_enrollment_end_to_end import eventually, sandbox, status_of  # noqa: F401
from tests.enrollment.conftest import make_complete_group
from tests.members.conftest import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
S = EmployerGroup.Status


def test_it_creates_one_carrier_group_when_the_answers_time_out(sandbox, broker, settings):  # noqa: F811
    settings.SANDBOX_LATENCY_MS = 800  # the sandbox acts, then answers too late for the client
    with override_settings(
        HUMANA_API_READ_TIMEOUT=0.3, HUMANA_API_MAX_ATTEMPTS=2, GROUP_CREATE_RETRY_COUNTDOWNS=(1,)
    ):
        group = make_complete_group(broker)
        group_services.group_submit(group=group, by=broker.user)
        eventually(
            lambda: ApiCall.objects.filter(subject=f"group:{group.pk}", method="POST").count() >= 2,
            "timeouts",
        )
        assert status_of(group) == S.CREATING
        eventually(lambda: CarrierGroup.objects.count() == 1, "the carrier acted on the first call")
        settings.SANDBOX_LATENCY_MS = 0
        eventually(lambda: status_of(group) == S.OPEN_ENROLLMENT, "created after the timeouts")
    group.refresh_from_db()
    assert [g.group_id for g in CarrierGroup.objects.all()] == [group.humana_group_id]
    keys = set(
        ApiCall.objects.filter(subject=f"group:{group.pk}", method="POST").values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == {group.idempotency_key}


def test_it_validates_every_member_once_through_a_503_storm(sandbox, broker, settings):  # noqa: F811
    group = make_complete_group(broker)
    group_services.group_submit(group=group, by=broker.user)
    eventually(lambda: status_of(group) == S.OPEN_ENROLLMENT, "created")
    group.refresh_from_db()
    settings.SANDBOX_ERROR_RATE = 1.0
    with override_settings(HUMANA_API_MAX_ATTEMPTS=2):
        member_services.family_save(
            group=group, subscriber_data=ANN, dependents_data=ANN_DEPENDENTS, elections=ANN_ELECTIONS, by=None
        )
        member_services.family_save(
            group=group, subscriber_data=LUIS, dependents_data=[], elections=LUIS_ELECTIONS, by=None
        )
        eventually(
            lambda: Member.objects.filter(group=group, validation_status="CARRIER_UNREACHABLE").count() == 5,
            "members shown as waiting for the carrier",
        )
        assert not CarrierValidation.objects.exists()
        settings.SANDBOX_ERROR_RATE = 0.0
        eventually(
            lambda: Member.objects.filter(group=group, validation_status="VALID").count() == 5,
            "every member validated after the storm",
            limit=90,
        )
    carrier_group = CarrierGroup.objects.get(group_id=group.humana_group_id)
    assert carrier_group.validations.filter(valid=True).count() == 5
    succeeded = ApiCall.objects.filter(path__contains="member-validations", method="POST", status_code=200)
    replayed_or_sent = {call.idempotency_key for call in succeeded}
    assert len(replayed_or_sent) == succeeded.count()  # no key answered twice: each validation sent once


class WorkerDied(BaseException):
    """Like SIGKILL: not an Exception, so no handler of ours runs."""


def test_it_recovers_a_create_whose_worker_died_after_the_carrier_answered(sandbox, broker, monkeypatch):  # noqa: F811
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(status=S.CREATING)

    def die(**kwargs):
        raise WorkerDied

    monkeypatch.setattr("carrier.services.operation_mark_succeeded", die)
    with pytest.raises(WorkerDied):
        group_services.group_create_with_carrier(group_id=group.pk)
    monkeypatch.undo()
    assert CarrierGroup.objects.count() == 1  # the carrier acted; we never recorded it
    assert status_of(group) == S.CREATING

    # the claim ages, the sweep queues the task again, the worker replays the same idempotency key
    EmployerGroup.objects.filter(pk=group.pk).update(
        create_claimed_at=timezone.now() - timedelta(hours=1), updated_at=timezone.now() - timedelta(hours=1)
    )
    assert groups_sweep()["create"] == 1
    eventually(lambda: status_of(group) == S.OPEN_ENROLLMENT, "created by the swept task")
    group.refresh_from_db()
    assert [g.group_id for g in CarrierGroup.objects.all()] == [group.humana_group_id]
    replay = ApiCall.objects.filter(subject=f"group:{group.pk}", method="POST").order_by("id").last()
    assert replay.status_code == 201
