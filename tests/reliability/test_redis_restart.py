"""Redis killed (SIGKILL) and started again while a real worker process is busy with carrier calls and more
work waits in the queue.

- With the append-only file on, as ``docker-compose.yml`` runs Redis: the queued tasks and the one the
  worker held unacknowledged come back with Redis; everything is done once, with no sweep.
- Without persistence (the worst case: Redis's disk lost too): the queue comes back empty; the periodic
  sweeps (``enrollment.tasks.sweep_groups``, ``members.tasks.sweep_validations``, sent to the worker here
  as beat sends them) queue the stuck rows again; everything is done once.

"Once" is counted at the carrier: one carrier group per group, one validation per member.

Each test starts a Redis of its own (Debian's ``redis-server``), since it kills it.
"""

from __future__ import annotations

import time

import pytest
from celery import Celery

from enrollment.models import EmployerGroup
from members.models import Member
from sandbox.models import Group as CarrierGroup
from tests.end_to_end.test_enrollment_end_to_end import eventually
from tests.enrollment.conftest import make_complete_group
from tests.reliability.cases import open_enrollment_group
from tests.reliability.processes import (
    RedisServer,
    Worker,
    assert_each_member_validated_once,
    carrier_ready,
    new_queue,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
KEY = "redis-restart-key"
S = EmployerGroup.Status
GROUPS = 4


class Setup:
    def __init__(self, redis: RedisServer, worker: Worker, queue: str) -> None:
        self.redis, self.worker, self.queue = redis, worker, queue
        self.sender = Celery(broker=redis.url, set_as_current=False)

    def send(self, name: str, *args) -> None:
        self.sender.send_task(name, args=list(args), queue=self.queue)

    def restart_redis(self) -> None:
        self.sender.close()
        self.redis.kill()
        self.redis.start()
        self.sender = Celery(broker=self.redis.url, set_as_current=False)


def _setup(request, live_server, tmp_path, settings, *, persist: bool) -> Setup:
    api_base = carrier_ready(settings, live_server, KEY)
    redis = RedisServer(tmp_path / "redis", persist=persist)
    redis.start()
    queue = new_queue("redis-restart")
    env = worker_env(
        settings=settings,
        redis_url=redis.url,
        queue=queue,
        api_base=api_base,
        key=KEY,
        GROUP_SWEEP_STALE_SECONDS="1",
        MEMBERS_SWEEP_STALE_SECONDS="1",
    )
    worker = Worker(env, queue, tmp_path / "worker.log")
    setup = Setup(redis, worker, queue)
    request.addfinalizer(redis.stop)
    request.addfinalizer(worker.stop)
    request.addfinalizer(lambda: setup.sender.close())
    return setup


@pytest.fixture
def no_queueing(monkeypatch):
    """Work is sent to the test's worker explicitly; the services' own queueing goes nowhere."""
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda *a: None)


def _creating_groups(broker) -> list[EmployerGroup]:
    groups = [make_complete_group(broker, legal_name=f"Restart Employer {i} LLC") for i in range(GROUPS)]
    EmployerGroup.objects.filter(pk__in=[g.pk for g in groups]).update(status=S.CREATING)
    return groups


def _count(status: str, groups: list[EmployerGroup]) -> int:
    return EmployerGroup.objects.filter(pk__in=[g.pk for g in groups], status=status).count()


def _busy_then_restart(setup: Setup, groups: list[EmployerGroup], families: EmployerGroup, settings) -> None:
    """The worker creates groups one by one (each call 1 s at the carrier) with the rest and a validation
    queued behind them; Redis dies while it is inside the second call."""
    settings.SANDBOX_LATENCY_MS = 1000
    setup.worker.start()
    for group in groups:
        setup.send("enrollment.tasks.create_group", group.pk)
    setup.send("members.tasks.validate_group_members", families.pk)
    eventually(lambda: _count(S.OPEN_ENROLLMENT, groups) >= 1, "the worker created the first group", 60)
    time.sleep(0.4)  # inside the next call
    setup.restart_redis()
    settings.SANDBOX_LATENCY_MS = 0


def _done_once(groups: list[EmployerGroup], families: EmployerGroup) -> None:
    eventually(lambda: _count(S.OPEN_ENROLLMENT, groups) == GROUPS, "every group created", 120)
    eventually(
        lambda: Member.objects.filter(group=families, validation_status="VALID").count() == 5,
        "every member validated",
        120,
    )
    local = set(
        EmployerGroup.objects.filter(pk__in=[g.pk for g in groups]).values_list("humana_group_id", flat=True)
    )
    others = CarrierGroup.objects.exclude(group_id=families.humana_group_id)
    carrier = set(others.values_list("group_id", flat=True))
    assert local == carrier and len(carrier) == GROUPS  # one carrier group per group, none twice
    assert_each_member_validated_once(families)


def test_it_keeps_the_queued_work_through_a_redis_restart_with_its_append_only_file(
    request, live_server, tmp_path, settings, broker, no_queueing
):
    setup = _setup(request, live_server, tmp_path, settings, persist=True)
    families = open_enrollment_group(broker, legal_name="Restart Families LLC")
    groups = _creating_groups(broker)
    _busy_then_restart(setup, groups, families, settings)
    # no sweep: the queue and the unacknowledged task came back from the append-only file
    _done_once(groups, families)


def test_it_requeues_the_lost_work_with_the_sweeps_after_redis_comes_back_empty(
    request, live_server, tmp_path, settings, broker, no_queueing
):
    setup = _setup(request, live_server, tmp_path, settings, persist=False)
    families = open_enrollment_group(broker, legal_name="Restart Families LLC")
    groups = _creating_groups(broker)
    _busy_then_restart(setup, groups, families, settings)
    time.sleep(6)  # longer than the visibility timeout: nothing comes back on its own
    assert _count(S.CREATING, groups) >= 1  # the queued creates were lost with Redis
    assert not Member.objects.filter(group=families, validation_status="VALID").exists()
    setup.send("enrollment.tasks.sweep_groups")  # what beat sends every five minutes
    setup.send("members.tasks.sweep_validations")
    _done_once(groups, families)
