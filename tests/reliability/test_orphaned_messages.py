"""Issue 18 item 4: a message a SIGKILLed worker took and never acknowledged stays in Redis's ``unacked``
hash, held by no live worker, until the visibility timeout (900 s) gives it to another worker. The
orphan sweep (``portal.tasks.unacked_orphans_restore``, beat every 30 s) puts it back on its queue as
soon as no live worker holds its task, and the restarted worker runs it."""

from __future__ import annotations

import time

import pytest
from celery import Celery
from django_celery_results.models import TaskResult

from portal.tasks import unacked_orphans_restore
from tests.end_to_end.test_enrollment_end_to_end import eventually
from tests.reliability.processes import RedisServer, Worker, new_queue, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


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
    first = Worker(env, queue, log, include="tests.reliability.napping")
    request.addfinalizer(first.stop)
    first.start()
    sender = Celery(broker=redis.url, set_as_current=False)
    request.addfinalizer(sender.close)
    task_id = sender.send_task("tests.nap", args=[6, "orphan"], queue=queue).id
    client = sender.connection_for_write().default_channel.client
    eventually(lambda: client.hlen("unacked") == 1, "the worker took the task", 60)
    time.sleep(1)
    first.kill()  # mid-task: no ack, no restore
    second = Worker(env, queue, log, include="tests.reliability.napping")
    request.addfinalizer(second.stop)
    second.start()
    time.sleep(12)  # the second worker is up; the message is still held by nobody
    assert client.hlen("unacked") == 1 and not TaskResult.objects.filter(task_id=task_id).exists()

    assert unacked_orphans_restore(min_age=0, app=sender) == 1
    eventually(
        lambda: TaskResult.objects.filter(task_id=task_id, status="SUCCESS").exists(), "run by the second", 60
    )
    eventually(lambda: client.hlen("unacked") == 0, "acknowledged", 10)
    assert unacked_orphans_restore(min_age=0, app=sender) == 0
