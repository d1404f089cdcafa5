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
from tests.reliability.cases import finalized_group, open_enrollment_group, validated_group

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

    def die(*args, **kwargs):  # after the carrier's answer and the operation's close, before the group moves
        raise WorkerDied

    monkeypatch.setattr("enrollment.services.creation._created", die)
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


# --------------------------------------------------------------------------- a worker dies mid-step
# Without a worker thread: the steps are called as the tasks would call them, and the "death" is a
# BaseException raised right after the carrier answered and before we recorded the answer.


@pytest.fixture
def carrier_only(live_server, settings):
    from io import StringIO

    from django.core.management import call_command

    rate_file = str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt")
    call_command(
        "sandbox_key",
        "Faults",
        "--sender-id",
        settings.HUMANA_SENDER_ID,
        "--key",
        "faults-key",
        stdout=StringIO(),
    )
    call_command("sandbox_load_etss", rate_file, stdout=StringIO())
    call_command("import_etss", rate_file, stdout=StringIO())
    settings.HUMANA_API_BASE_URL = live_server.url + "/sandbox/groupsales/v1"
    settings.HUMANA_API_KEY = "faults-key"
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0
    return live_server


def test_it_resumes_a_validation_whose_worker_died_after_the_carrier_answered(
    carrier_only, broker, monkeypatch
):
    group = open_enrollment_group(broker)
    die = lambda *a, **k: (_ for _ in ()).throw(WorkerDied())  # noqa: E731
    monkeypatch.setattr("members.services.validation._store_valid", die)
    with pytest.raises(WorkerDied):
        member_services.group_validate_members(group_id=group.pk)
    monkeypatch.undo()
    carrier_group = CarrierGroup.objects.get(group_id=group.humana_group_id)
    before = set(carrier_group.validations.values_list("validation_id", flat=True))
    assert before  # the carrier validated the first member; we recorded nothing
    assert not Member.objects.filter(group=group, validation_status="VALID").exists()

    Member.objects.filter(group=group).update(validation_claimed_at=timezone.now() - timedelta(hours=1))
    member_services.group_validate_members(group_id=group.pk)  # what the swept task does
    assert Member.objects.filter(group=group, validation_status="VALID").count() == 5
    ids = set(carrier_group.validations.values_list("validation_id", flat=True))
    assert len(ids) == 5 and before <= ids  # the same key was replayed: the first validation was not redone
    stored = {m.validation_id for m in Member.objects.filter(group=group)}
    assert stored == ids


def test_it_resumes_a_finalize_whose_worker_died_after_the_carrier_answered(
    carrier_only, broker, monkeypatch
):
    from enrollment.finalize import group_finalize_with_carrier

    group = validated_group(broker)

    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr("enrollment.finalize._finalized", die)
    with pytest.raises(WorkerDied):
        group_finalize_with_carrier(group_id=group.pk)
    monkeypatch.undo()
    assert CarrierGroup.objects.get(group_id=group.humana_group_id).status == "FINALIZED"
    assert status_of(group) == S.FINALIZING

    EmployerGroup.objects.filter(pk=group.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(
        "enrollment.tasks.finalize_group.delay", lambda pk: group_finalize_with_carrier(group_id=pk)
    )
    assert groups_sweep()["finalize"] == 1
    group.refresh_from_db()
    assert group.status == S.FINALIZED and group.final_rates


def test_it_resumes_an_upload_whose_worker_died_after_the_carrier_received_the_file(
    carrier_only, broker, monkeypatch
):
    from edi import services as edi_services
    from edi.models import Transmission
    from sandbox.models import EnrollmentFile

    group = finalized_group(broker)
    monkeypatch.setattr("edi.services.transmissions.queue_upload", lambda **kw: None)
    monkeypatch.setattr("edi.services.transmissions.queue_poll", lambda **kw: None)
    transmission = edi_services.transmission_start(group=group, by=None)

    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr("edi.services.transmissions._received", die)
    with pytest.raises(WorkerDied):
        edi_services.transmission_upload(transmission_id=transmission.pk)
    monkeypatch.undo()
    monkeypatch.setattr("edi.services.transmissions.queue_poll", lambda **kw: None)
    assert EnrollmentFile.objects.count() == 1  # the carrier has the file; we recorded nothing
    assert Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.UPLOADING

    again = edi_services.transmission_upload(transmission_id=transmission.pk)  # the redelivered task
    assert again.status == Transmission.Status.RECEIVED
    assert again.file_id == EnrollmentFile.objects.get().file_id
    assert EnrollmentFile.objects.count() == 1  # never a second file
    for _ in range(5):
        if edi_services.transmission_poll(transmission_id=transmission.pk) is None:
            break
    assert Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.ACCEPTED
