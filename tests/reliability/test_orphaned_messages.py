"""Issue 18 item 4: a message a SIGKILLed worker took and never acknowledged stays in Redis's ``unacked``
hash, held by no live worker, until the visibility timeout (900 s) gives it to another worker. The
orphan sweep (``portal.tasks.unacked_orphans_restore``, beat every 30 s) puts it back on its queue as
soon as no live worker holds its task, and the restarted worker runs it."""

from __future__ import annotations

import json
import time

import pytest
from celery import Celery
from django_celery_results.models import TaskResult

from portal.tasks import unacked_orphans_restore
from tests.end_to_end.test_enrollment_end_to_end import eventually
from tests.reliability.processes import PRODUCTION_SHAPE, RedisServer, Worker, new_queue, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def unacked_task_ids(client) -> set[str]:
    """The task ids of the messages Redis holds as delivered and not acknowledged."""
    return {json.loads(payload)[0]["headers"]["id"] for payload in client.hvals("unacked")}


def test_the_sweep_gives_a_killed_workers_unacknowledged_message_back(request, tmp_path, settings):
    redis = RedisServer(tmp_path / "redis", persist=True)
    redis.start()
    request.addfinalizer(redis.stop)
    queue = new_queue("orphans")
    env = worker_env(
        settings=settings, redis_url=redis.url, queue=queue, api_base="http://127.0.0.1:9", key="k",
        CELERY_VISIBILITY_TIMEOUT="900",  # as in production: Redis alone would wait 15 minutes
    )  # fmt: skip
    log = tmp_path / "worker.log"
    # prefork, as production runs it: the main process answers the sweep's inspection while a child works
    first = Worker(env, queue, log, options=PRODUCTION_SHAPE, include="tests.reliability.napping")
    request.addfinalizer(first.stop)
    first.start()
    sender = Celery(broker=redis.url, set_as_current=False)
    request.addfinalizer(sender.close)
    task_id = sender.send_task("tests.nap", args=[6, "orphan"], queue=queue).id
    client = sender.connection_for_write().default_channel.client
    eventually(lambda: task_id in unacked_task_ids(client), "the worker took the task", 60)
    time.sleep(1)
    first.kill()  # mid-task: no ack, no restore
    second = Worker(env, queue, log, options=PRODUCTION_SHAPE, include="tests.reliability.napping")
    request.addfinalizer(second.stop)
    second.start()
    time.sleep(12)  # the second worker is up; the message is still held by nobody
    assert task_id in unacked_task_ids(client) and not TaskResult.objects.filter(task_id=task_id).exists()

    # The nap, and the dead worker's own start-up sweep if it still held it (an ETA task); the second
    # worker's start-up sweep is held by a live worker and left alone. A sweep whose inspection a worker
    # answers late restores nothing, so it is repeated as beat would repeat it.
    restored: list[int] = []

    def sweep() -> int:
        restored.append(unacked_orphans_restore(min_age=0, app=sender))
        return sum(restored)

    eventually(sweep, "a sweep that restores", 60)
    assert sum(restored) in (1, 2), restored
    eventually(
        lambda: TaskResult.objects.filter(task_id=task_id, status="SUCCESS").exists(), "run by the second", 60
    )
    eventually(lambda: task_id not in unacked_task_ids(client), "acknowledged", 10)
    assert unacked_orphans_restore(min_age=0, app=sender) == 0
