"""Real processes for the reliability tests: a Redis server of the test's own (to restart), a Celery worker
process (to kill), and the environment that points the worker at this test's database and sandbox."""

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
from django.core.management import call_command
from django.db import connection

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
RATE_FILE = "HUM_ETSS_SG_KY_20261101_000001.txt"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_server_binary() -> str:
    server = shutil.which("redis-server")
    if server is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is missing")
        pytest.skip("needs Debian's redis-server to start a Redis of the test's own")
    return server


def _wait_for_port(port: int, limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class RedisServer:
    """``redis-server`` on a port of its own; ``persist`` turns the append-only file on (as in
    docker-compose.yml), so what was queued survives a restart."""

    def __init__(self, data_dir: Path, *, persist: bool) -> None:
        self.binary = redis_server_binary()
        self.port = free_port()
        self.data_dir = data_dir
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        persistence = ["yes", "--appendfsync", "always"] if self.persist else ["no"]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--dir", str(self.data_dir), "--appendonly", *persistence],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, as when the machine or the container dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


SOLO = ("--pool=solo", "--without-heartbeat", "--without-mingle", "--without-gossip")
# As docker-compose.yml runs it: prefork, heartbeat, mingle and gossip on.
PRODUCTION_SHAPE = ("--pool=prefork", "--concurrency=2")


class Worker:
    """``celery -A portal worker`` in its own process (by default the solo pool: one process to kill;
    ``options=PRODUCTION_SHAPE`` for the pool production runs). ``include``: more task modules."""

    def __init__(
        self, env: dict[str, str], queue: str, log: Path, *, options=SOLO, include: str = ""
    ) -> None:
        self.env, self.queue, self.log = env, queue, log
        self.options, self.include = tuple(options), include
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        extra = ["-I", self.include] if self.include else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", *self.options, "-Q", self.queue,
             "--loglevel=INFO", *extra],
            cwd=ROOT, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

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


def carrier_ready(settings, live_server, key: str) -> str:
    """The sandbox with a partner key and the sample rate file, the portal's catalogue from the same file,
    and this process's settings pointed at the sandbox. Returns the API's base URL."""
    rate_file = str(settings.SAMPLES_DIR / RATE_FILE)
    partner = ["Reliability", "--sender-id", settings.HUMANA_SENDER_ID, "--key", key]
    call_command("sandbox_key", *partner, stdout=StringIO())
    call_command("sandbox_load_etss", rate_file, stdout=StringIO())
    call_command("import_etss", rate_file, stdout=StringIO())
    base = live_server.url + "/sandbox/groupsales/v1"
    settings.HUMANA_API_BASE_URL = base
    settings.HUMANA_API_KEY = key
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0
    return base


def worker_env(
    *, settings, redis_url: str, queue: str, api_base: str, key: str, **extra: str
) -> dict[str, str]:
    """The worker's environment: this test's database, the Redis given, short claims and visibility (a
    task a dead worker held is delivered again after 4 s), its own queue for what it queues itself."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": "4",  # Redis gives an unacknowledged task to another worker after 4 s
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",  # and the new worker looks for such tasks every second
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "CELERY_UNACKED_MUTEX_EXPIRE": "2",  # a lock the dead worker held does not stop the new one
        "GROUP_CREATE_CLAIM_SECONDS": "3",
        "MEMBERS_VALIDATION_CLAIM_SECONDS": "3",
        "CELERY_TASK_DEFAULT_QUEUE": queue,  # the worker's own follow-up tasks (polls, sweeps) stay with it
        "HUMANA_API_BASE_URL": api_base,
        "HUMANA_API_KEY": key,
        "HUMANA_API_READ_TIMEOUT": "30",
        "SANDBOX_TODAY": settings.SANDBOX_TODAY,
        "EDI_POLL_FIRST_SECONDS": "0.2",
        "EDI_POLL_MAX_SECONDS": "0.5",
        **extra,
    }


def new_queue(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"


def assert_each_member_validated_once(group) -> None:
    """One validation per member at the carrier: each member's one validate operation, one stored carrier
    answer per key (a second validation would need a second key), and the carrier's validation IDs are
    the ones we hold."""
    from carrier.models import CarrierOperation
    from members.models import Member
    from sandbox.models import IdempotentAnswer, MemberValidation

    members = list(Member.objects.filter(group=group))
    subjects = [f"member:{m.pk}:v{m.edit_version}" for m in members]
    operations = CarrierOperation.objects.filter(kind="validate_member", subject__in=subjects)
    assert sorted(operations.values_list("subject", flat=True)) == sorted(subjects)
    keys = list(operations.values_list("idempotency_key", flat=True))
    assert IdempotentAnswer.objects.filter(key__in=keys).count() == len(members)
    carrier = MemberValidation.objects.filter(group__group_id=group.humana_group_id)
    assert sorted(carrier.values_list("validation_id", flat=True)) == sorted(m.validation_id for m in members)
