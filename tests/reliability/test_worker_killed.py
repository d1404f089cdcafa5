"""A real Celery worker process on Redis, killed with SIGKILL in the middle of each carrier call (create,
validate, finalize, upload, poll) and started again: the task was acknowledged late, so Redis delivers it
again; the new worker waits out the dead worker's claim where there is one and replays the stored
idempotency key; the carrier holds exactly one group, one validation per member, one finalize, one file.

Needs Redis (``REDIS_URL``, as in CI, or Debian's ``redis-server`` to start one here) and the test
database on a file or a server the worker process can open (PostgreSQL in CI, the SQLite file here).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from celery import Celery

from enrollment.models import EmployerGroup
from members.models import Member
from sandbox.models import Group as CarrierGroup
from tests.end_to_end.test_enrollment_end_to_end import eventually, status_of
from tests.enrollment.conftest import make_complete_group
from tests.reliability.cases import finalized_group, open_enrollment_group, validated_group
from tests.reliability.processes import (
    RedisServer,
    Worker,
    assert_each_member_validated_once,
    carrier_ready,
    new_queue,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
KEY = "worker-killed-key"


@pytest.fixture
def redis_url():
    """CI's Redis (REDIS_URL), or a Redis of the test's own."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = RedisServer(Path(tempfile.mkdtemp(prefix="redis.")), persist=False)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture
def worker(live_server, redis_url, tmp_path, settings):
    api_base = carrier_ready(settings, live_server, KEY)
    queue = new_queue("killed")
    env = worker_env(settings=settings, redis_url=redis_url, queue=queue, api_base=api_base, key=KEY)
    process = Worker(env, queue, tmp_path / "worker.log")
    sender = Celery(broker=redis_url, set_as_current=False)
    yield process, lambda name, *args: sender.send_task(name, args=list(args), queue=queue)
    process.stop()
    sender.close()


def test_it_creates_one_carrier_group_when_the_worker_is_killed_during_the_call(worker, broker, settings):
    process, send = worker
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.CREATING)
    settings.SANDBOX_LATENCY_MS = 2500  # the call is in flight long enough to kill the worker inside it
    process.start()
    sent = send("enrollment.tasks.create_group", group.pk)
    eventually(
        lambda: EmployerGroup.objects.filter(pk=group.pk, create_claimed_at__isnull=False).exists(),
        "the worker took the task and claimed the group",
        limit=60,
    )
    time.sleep(0.5)  # inside the carrier call (2.5 s of latency)
    process.kill()
    assert status_of(group) == EmployerGroup.Status.CREATING
    eventually(
        lambda: CarrierGroup.objects.count() == 1, "the carrier finished the call the dead worker made"
    )

    settings.SANDBOX_LATENCY_MS = 0
    process.start()  # Redis delivers the unacknowledged task again; the claim expires; the key is replayed
    eventually(
        lambda: status_of(group) == EmployerGroup.Status.OPEN_ENROLLMENT,
        "created after the restart",
        limit=90,
    )
    group.refresh_from_db()
    assert [g.group_id for g in CarrierGroup.objects.all()] == [group.humana_group_id]
    # The task that succeeded is the one sent before the kill, delivered again (not a new one).
    from django_celery_results.models import TaskResult

    eventually(lambda: TaskResult.objects.filter(task_id=sent.id, status="SUCCESS").exists(), "its result")
    assert TaskResult.objects.get(task_id=sent.id).result == '"created"'


# --------------------------------------------------------------------------- validate, finalize, upload, poll


@pytest.fixture
def no_queueing(monkeypatch):
    """The setup below calls the services itself: nothing it does is queued for the worker."""
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda *a: None)
    monkeypatch.setattr("edi.services.transmissions.queue_upload", lambda **kw: None)
    monkeypatch.setattr("edi.services.transmissions.queue_poll", lambda **kw: None)


def _open_operation(kind: str, subject: str) -> bool:
    from carrier.models import CarrierOperation

    return CarrierOperation.objects.filter(kind=kind, subject=subject, status="OPEN").exists()


def _answers_stored(key: str) -> int:
    from sandbox.models import IdempotentAnswer

    return IdempotentAnswer.objects.filter(key=key).count()


def test_it_validates_each_member_once_when_the_worker_is_killed_during_a_call(
    worker, broker, settings, no_queueing
):
    from sandbox.models import MemberValidation

    process, send = worker
    group = open_enrollment_group(broker)
    members = Member.objects.filter(group=group)
    settings.SANDBOX_LATENCY_MS = 2500
    process.start()
    sent = send("members.tasks.validate_group_members", group.pk)
    eventually(lambda: members.filter(validation_status="PENDING").exists(), "the worker claimed them", 60)
    time.sleep(0.5)  # inside the first member's call
    process.kill()
    eventually(lambda: MemberValidation.objects.count() == 1, "the carrier finished the dead worker's call")
    assert not members.filter(validation_status="VALID").exists()

    settings.SANDBOX_LATENCY_MS = 0
    process.start()  # redelivered; the dead worker's claim expires; the first key is replayed
    eventually(lambda: members.filter(validation_status="VALID").count() == 5, "every member valid", 90)
    assert MemberValidation.objects.count() == 5
    assert_each_member_validated_once(group)
    from django_celery_results.models import TaskResult

    eventually(lambda: TaskResult.objects.filter(task_id=sent.id, status="SUCCESS").exists(), "its result")


def test_it_finalizes_once_when_the_worker_is_killed_during_the_call(worker, broker, settings, no_queueing):
    from carrier.models import CarrierOperation

    process, send = worker
    group = validated_group(broker)
    settings.SANDBOX_LATENCY_MS = 2500
    process.start()
    send("enrollment.tasks.finalize_group", group.pk)
    subject = f"group:{group.pk}"
    eventually(lambda: _open_operation("finalize_group", subject), "the worker opened the finalize", 60)
    time.sleep(0.5)
    process.kill()
    eventually(
        lambda: CarrierGroup.objects.get(group_id=group.humana_group_id).status == "FINALIZED",
        "the carrier finalized on the dead worker's call",
    )
    assert status_of(group) == EmployerGroup.Status.FINALIZING

    settings.SANDBOX_LATENCY_MS = 0
    process.start()
    eventually(lambda: status_of(group) == EmployerGroup.Status.FINALIZED, "finalized after the restart", 90)
    group.refresh_from_db()
    assert group.final_rates
    operations = CarrierOperation.objects.filter(kind="finalize_group", subject=subject)
    assert operations.count() == 1 and operations.get().status == "SUCCEEDED"
    assert _answers_stored(operations.get().idempotency_key) == 1  # the carrier acted on one key, once


def test_it_uploads_one_file_when_the_worker_is_killed_during_the_upload(
    worker, broker, settings, no_queueing
):
    from edi import services as edi_services
    from edi.models import Transmission
    from sandbox.models import EnrollmentFile

    process, send = worker
    group = finalized_group(broker)
    transmission = edi_services.transmission_start(group=group, by=None)
    settings.SANDBOX_LATENCY_MS = 2500
    process.start()
    send("edi.upload_transmission", transmission.pk)
    subject = f"transmission:{transmission.pk}"
    eventually(lambda: _open_operation("upload_834", subject), "the worker opened the upload", 60)
    time.sleep(0.5)
    process.kill()
    eventually(lambda: EnrollmentFile.objects.count() == 1, "the carrier received the dead worker's file")

    settings.SANDBOX_LATENCY_MS = 0
    process.start()  # redelivered: the same key, the carrier's first answer; then the worker polls
    eventually(
        lambda: Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.ACCEPTED,
        "the file accepted after the restart",
        90,
    )
    transmission.refresh_from_db()
    assert EnrollmentFile.objects.count() == 1
    assert transmission.file_id == EnrollmentFile.objects.get().file_id
    assert status_of(group) == EmployerGroup.Status.ENROLLED


def test_it_carries_on_polling_when_the_worker_is_killed_during_a_poll(worker, broker, settings, no_queueing):
    from edi import services as edi_services
    from edi.models import Transmission

    process, send = worker
    group = finalized_group(broker)
    transmission = edi_services.transmission_start(group=group, by=None)
    transmission = edi_services.transmission_upload(transmission_id=transmission.pk)
    assert transmission.status == Transmission.Status.RECEIVED
    settings.SANDBOX_LATENCY_MS = 2500
    process.start()
    send("edi.poll_transmission", transmission.pk, 0)  # the poll chain's first task: token 0
    eventually(
        lambda: Transmission.objects.get(pk=transmission.pk).poll_attempts == 1,
        "the worker took poll token 0",
        60,
    )
    time.sleep(0.5)  # inside the status call
    process.kill()
    assert Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.RECEIVED

    settings.SANDBOX_LATENCY_MS = 0
    process.start()  # redelivered with token 0: its own claim, so the chain goes on (not stopped as stale)
    eventually(
        lambda: Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.ACCEPTED,
        "the file's end read after the restart",
        90,
    )
    assert status_of(group) == EmployerGroup.Status.ENROLLED
