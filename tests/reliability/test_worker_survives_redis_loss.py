"""Issue 18 item 1: a prefork worker (as ``docker-compose.yml`` runs it: heartbeat, mingle and gossip on)
with late-acknowledged work in flight loses Redis (SIGKILL), Redis stays down while the work finishes,
then comes back. The worker must not exit, and must consume what is sent afterwards.

Before the fix (settings ``CELERY_BROKER_CONNECTION_MAX_RETRIES = None``,
``CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS``) a worker gave up after its reconnection
tries, or acknowledged finished work on the channel of the lost connection.
"""

from __future__ import annotations

import time

import pytest
from celery import Celery
from django_celery_results.models import TaskResult

from tests.end_to_end.test_enrollment_end_to_end import eventually
from tests.reliability.processes import PRODUCTION_SHAPE, RedisServer, Worker, new_queue, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _succeeded(task_id: str) -> bool:
    return TaskResult.objects.filter(task_id=task_id, status="SUCCESS").exists()


def test_a_prefork_worker_rides_out_a_redis_loss_and_consumes_afterwards(request, tmp_path, settings):
    redis = RedisServer(tmp_path / "redis", persist=True)
    redis.start()
    request.addfinalizer(redis.stop)
    queue = new_queue("redis-loss")
    env = worker_env(
        settings=settings, redis_url=redis.url, queue=queue, api_base="http://127.0.0.1:9", key="k"
    )
    log = tmp_path / "worker.log"
    worker = Worker(env, queue, log, options=PRODUCTION_SHAPE, include="tests.reliability.napping")
    request.addfinalizer(worker.stop)
    worker.start()

    def send(*args) -> str:
        sender = Celery(broker=redis.url, set_as_current=False)
        try:
            return sender.send_task("tests.nap", args=list(args), queue=queue).id
        finally:
            sender.close()

    first = send(0, "before")
    eventually(lambda: _succeeded(first), "the worker consumed before the loss", 90)
    in_flight = [send(2, f"in-flight-{n}") for n in range(2)]
    time.sleep(0.5)  # both taken by the pool's two processes
    redis.kill()
    time.sleep(6)  # Redis stays down while the work in flight ends (its ack cannot reach Redis)
    assert worker.alive(), log.read_text()[-3000:]
    redis.start()  # the same append-only file: what was queued or unacknowledged comes back
    after = send(0, "after")
    eventually(lambda: _succeeded(after), "the worker consumed after Redis came back", 120)
    assert worker.alive()
    text = log.read_text()
    assert "Unrecoverable error" not in text
    assert "Connection to broker lost" in text  # the loss did happen under the worker
    # the work in flight was not lost: unacknowledged, it came back (visibility timeout 4 s here) and ran
    for task_id in in_flight:
        eventually(lambda task_id=task_id: _succeeded(task_id), "the work in flight ran", 120)
