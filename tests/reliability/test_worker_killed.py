"""A real Celery worker process on Redis, killed with SIGKILL in the middle of the create-group call and
started again: the task was acknowledged late, so Redis delivers it again; the new worker waits out the
dead worker's claim and replays the stored idempotency key; the carrier holds exactly one group.

Needs Redis (``REDIS_URL``, as in CI, or Debian's ``redis-server`` to start one here) and the test
database on a file or a server the worker process can open (PostgreSQL in CI, the SQLite file here).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from enrollment.models import EmployerGroup
from sandbox.models import Group as CarrierGroup
from tests.conftest import REQUIRE_SERVICES
from tests.end_to_end.test_enrollment_end_to_end import eventually, status_of
from tests.enrollment.conftest import make_complete_group

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
KEY = "worker-killed-key"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url():
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is missing")
        pytest.skip("needs Redis: REDIS_URL, or Debian's redis-server to start one")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


class Worker:
    """``celery -A portal worker`` in its own process (solo pool: one process to kill)."""

    def __init__(self, env: dict[str, str], queue: str, log: Path) -> None:
        self.env, self.queue, self.log = env, queue, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-Q", self.queue,
             "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"],
            cwd=ROOT, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(live_server, redis_url, tmp_path):
    rate_file = str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt")
    call_command(
        "sandbox_key", "Killed", "--sender-id", settings.HUMANA_SENDER_ID, "--key", KEY, stdout=StringIO()
    )
    call_command("sandbox_load_etss", rate_file, stdout=StringIO())
    call_command("import_etss", rate_file, stdout=StringIO())
    queue = f"killed-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": "4",  # Redis gives an unacknowledged task to another worker after 4 s
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",  # and the new worker looks for such tasks every second
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "CELERY_UNACKED_MUTEX_EXPIRE": "2",  # a lock the dead worker held does not stop the new one
        "GROUP_CREATE_CLAIM_SECONDS": "3",
        "HUMANA_API_BASE_URL": live_server.url + "/sandbox/groupsales/v1",
        "HUMANA_API_KEY": KEY,
        "HUMANA_API_READ_TIMEOUT": "30",
        "SANDBOX_TODAY": settings.SANDBOX_TODAY,
    }
    process = Worker(env, queue, tmp_path / "worker.log")
    sender = Celery(broker=redis_url)
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
