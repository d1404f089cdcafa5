"""``python -m loadtest.chaos [--groups N] [--fault-seconds S]``: every fault of issue 18 at once, in the
production shape, on loopback only, bounded (docs/reliability.md, "Every fault at once").

1. A PostgreSQL cluster of its own (initdb in a temporary folder, a free port; ``loadtest``'s
   ``throwaway_cluster``) with two databases: the portal's and the sandbox's. Redis on a free port with
   its append-only file (as ``docker-compose.yml`` runs it).
2. The sandbox as a process of its own (gunicorn, ``SANDBOX_ENABLED``), with its faults: a share of 503s
   (``SANDBOX_ERROR_RATE``), latency drawn in a range (``SANDBOX_LATENCY_MS``..``SANDBOX_LATENCY_MAX_MS``),
   429s over a rate (``SANDBOX_RATE_LIMIT_PER_MINUTE``), all switched off mid-run by deleting
   ``SANDBOX_FAULTS_FILE``.
3. The portal under gunicorn with ``DJANGO_ENV=production``; two Celery workers (prefork, concurrency 2,
   heartbeat, mingle and gossip on) and beat.
4. ``loadtest.chaos_drive drive``: N groups from draft to ENROLLED as a broker moves them (the submit over
   HTTP through gunicorn). Meanwhile one worker (its whole process group, as a container dies) is
   SIGKILLed every 15-30 s and started again 2 s later (what ``restart:`` does), and Redis is SIGKILLed
   once and started again on its append-only file. After ``--fault-seconds`` the kills stop and the
   carrier's faults are switched off: the clock of "time to settle" starts.
5. Settled: every group ENROLLED or flagged, no carrier operation OPEN, nothing waiting in the outbox,
   Redis's ``unacked`` hash empty. Then the checks, from the portal's database and the sandbox's own
   records: one carrier group per portal group; one carrier validation per member version; no OPEN
   operation; no unacknowledged message; both workers alive and none exited on its own; no 5xx answered
   to the broker and no exception in a broker's action.

Exit code 0 when every check holds; the figures as JSON with ``--json FILE``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from loadtest.__main__ import free_port, throwaway_cluster
from loadtest.chaos_drive import ISSUE_FAMILIES, ISSUE_MEMBERS, census_shape, issue_share

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
KEY = "chaos-partner-key-0001"
SENDER = "PORTALCHAOS"


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Process:
    """A child in a process group of its own (SIGKILL takes a prefork worker's pool with it)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], work: Path) -> None:
        self.name, self.cmd, self.env = name, cmd, env
        self.log_path = work / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.killed = 0
        self.died: list[int] = []  # exit codes of exits we did not cause

    def start(self) -> None:
        sink = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.killed += 1

    def check(self) -> None:
        """Note and restart a process that exited on its own (a supervisor's job)."""
        if self.process is not None and self.process.poll() is not None:
            self.died.append(self.process.returncode)
            log(f"{self.name} exited on its own (code {self.process.returncode}); started again")
            self.start()

    def stop(self) -> None:
        if self.process is None or not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def wait_for(url: str, limit: float = 90, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if urlopen(Request(url, headers=headers or {}), timeout=3).status == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer 200 within {limit:.0f} s")


def wait_port(port: int, limit: float = 20) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def run_step(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{what} failed ({result.returncode})")
    return result.stdout


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise SystemExit("redis-server is missing (Debian's redis-server package)")
    return found


def environments(work: Path, pg: str, redis_port: int, ports: dict[str, int], a: argparse.Namespace):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "SANDBOX_", "HUMANA_", "EDI_", "DATABASE_", "REDIS_"))
    }
    secret = "chaos-" + os.urandom(24).hex()
    base |= {
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": secret,
        "FIELD_ENCRYPTION_SALTS": os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": "consolemail://",
    }
    sandbox = base | {
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "SANDBOX_ENABLED": "true",
        "DATABASE_URL": f"{pg}/sandbox",
        "PORTAL_VAR_DIR": str(work / "sandbox-var"),
        "SITE_URL": f"http://127.0.0.1:{ports['sandbox']}",
        "SANDBOX_ERROR_RATE": str(a.error_rate),
        "SANDBOX_LATENCY_MS": str(a.latency_ms[0]),
        "SANDBOX_LATENCY_MAX_MS": str(a.latency_ms[1]),
        "SANDBOX_RATE_LIMIT_PER_MINUTE": str(a.rate_limit),
        "SANDBOX_FAULTS_FILE": str(work / "faults-on"),
        "SANDBOX_FILE_PICKUP_SECONDS": "2",
        "SANDBOX_FILE_PROCESSING_SECONDS": "4",
    }
    portal_url = f"http://127.0.0.1:{ports['portal']}"
    portal = base | {
        "DJANGO_ENV": "production",
        "DATABASE_URL": f"{pg}/portal",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PORTAL_VAR_DIR": str(work / "portal-var"),
        "SITE_URL": portal_url.replace("http:", "https:"),
        "CSRF_TRUSTED_ORIGINS": portal_url.replace("http:", "https:"),
        "TRUSTED_PROXY_ADDRESSES": "127.0.0.1",
        "TRUSTED_PROXY_COUNT": "1",
        "HUMANA_API_BASE_URL": f"http://127.0.0.1:{ports['sandbox']}/sandbox/groupsales/v1",
        "HUMANA_API_KEY": KEY,
        "HUMANA_SENDER_ID": SENDER,
        "HUMANA_USAGE_INDICATOR": "T",  # the carrier's test environment (the sandbox) takes test files
        "HUMANA_API_READ_TIMEOUT": "10",
        "EDI_POLL_FIRST_SECONDS": "3",
        "EDI_POLL_MAX_SECONDS": "10",
    }
    return sandbox, portal


def prepare(work: Path, pg_bin: Path, pg_port: int, sandbox: dict, portal: dict) -> None:
    subprocess.run(
        [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "sandbox"],
        check=True,
    )
    started = time.perf_counter()
    run_step([PYTHON, "manage.py", "migrate", "--no-input"], sandbox, "migrate (sandbox)")
    run_step([PYTHON, "manage.py", "migrate", "--no-input"], portal, "migrate (portal)")
    samples = work / "samples"
    rate_file = run_step(
        [PYTHON, "-c", f"import groupsales.demo_etss as d; print(d.write_etss_file({str(samples)!r}))"],
        portal, "rate file",
    ).strip()  # fmt: skip
    run_step(
        [PYTHON, "manage.py", "sandbox_key", "Chaos", "--sender-id", SENDER, "--key", KEY], sandbox, "key"
    )
    run_step([PYTHON, "manage.py", "sandbox_load_etss", rate_file], sandbox, "sandbox rates")
    run_step([PYTHON, "manage.py", "import_etss", rate_file], portal, "portal rates")
    run_step([PYTHON, "manage.py", "collectstatic", "--no-input"], portal, "collectstatic")  # as the image
    log(f"databases migrated and loaded in {time.perf_counter() - started:.0f} s")


def gunicorn(name: str, port: int, env: dict, work: Path, workers: int, threads: int) -> Process:
    cmd = [str(BIN / "gunicorn"), "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
           "--threads", str(threads), "--timeout", "120", "--log-level", "warning"]  # fmt: skip
    return Process(name, cmd, env, work)


def redis_unacked(port: int, older_than: float = 0) -> int:
    """Messages delivered and not acknowledged (``older_than`` seconds ago or more); -1: Redis is down."""
    import redis

    try:
        client = redis.Redis(port=port, socket_timeout=3)
        if not older_than:
            return int(client.hlen("unacked"))
        return len(client.zrangebyscore("unacked_index", 0, time.time() - older_than))
    except Exception:  # noqa: BLE001 - Redis down: unknown
        return -1


def unacked_tasks(port: int) -> list[str]:
    """The task names of the messages still unacknowledged."""
    import redis

    try:
        payloads = redis.Redis(port=port, socket_timeout=3).hvals("unacked")
    except Exception:  # noqa: BLE001
        return ["(Redis unreachable)"]
    return [str(json.loads(p)[0].get("headers", {}).get("task")) for p in payloads]


def portal_waiting(database_url: str) -> tuple[int, int]:
    """(carrier operations OPEN, outbox rows not queued), read straight from the portal's database."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), connect_timeout=5) as conn:
        open_ops = conn.execute(
            "SELECT count(*) FROM carrier_carrieroperation WHERE status = 'OPEN'"
        ).fetchone()
        waiting = conn.execute("SELECT count(*) FROM carrier_outboxtask WHERE queued_at IS NULL").fetchone()
    assert open_ops is not None and waiting is not None  # count(*) answers one row
    return int(open_ops[0]), int(waiting[0])


def inspect(kind: str, env: dict) -> dict[str, Any]:
    out = run_step([PYTHON, "-m", "loadtest.chaos_drive", kind], env, kind)
    return json.loads(out.strip().splitlines()[-1])


def checks(portal: dict, sandbox: dict, drive: dict, workers: list[Process], unacked: int) -> dict[str, Any]:
    by_fein: dict[str, list[str]] = {}
    for g in sandbox["groups"]:
        by_fein.setdefault(g["fein"], []).append(g["group_id"])
    groups = portal["groups"]
    one_group_each = all(
        by_fein.get(g["fein"], []) == [g["humana_group_id"]] for g in groups if g["humana_group_id"]
    )
    made, held = sandbox["validations_made"], sandbox["validations_held"]
    extra = {ref: made[ref] - held.get(ref, 0) for ref in made if made[ref] != held.get(ref, 0)}
    current = {(g, ref): vid for g, ref, vid in sandbox["current"]}
    members = portal["members"]
    ours = all(
        current.get((m["group"], m["ref"])) == m["validation_id"] for m in members if m["status"] == "VALID"
    )
    flagged = drive.get("flagged", {})
    ended = all(g["status"] == "ENROLLED" or str(g["pk"]) in flagged for g in groups)
    enrolled_members_ok = all(
        m["enrollment"] == "ACCEPTED" and m["humana_member_id"]
        for m in members
        if next(g for g in groups if g["humana_group_id"] == m["group"])["status"] == "ENROLLED"
    )
    http = drive.get("http", {})
    server_errors = sum(v for k, v in http.items() if int(k) >= 500)
    result = {
        "every group ENROLLED or flagged with a reason": ended,
        "one carrier group per portal group": one_group_each and len(sandbox["groups"]) == len(groups),
        "one carrier validation per member version": not extra and all(m["keys"] <= 1 for m in members),
        "the carrier's validation of each member is ours": ours,
        "every member of an enrolled group in its file, accepted": enrolled_members_ok,
        "no carrier operation OPEN": not portal["open_operations"],
        "nothing waiting in the outbox": portal["outbox_waiting"] == 0,
        "no unacknowledged message (Redis unacked hash empty)": unacked == 0,
        "workers alive, none exited on its own": all(w.alive() and not w.died for w in workers),
        "no 5xx to the broker, no exception in a broker's action": server_errors == 0
        and not drive.get("errors"),
        # A result left RETRY is fine only if its work is done: the same task with the same arguments
        # succeeded under another id (its retry message was lost with a killed worker: a sweep's run did
        # it), or it succeeded itself and Celery marked it RETRY afterwards (its ack could not reach a
        # lost connection: the worker cancels such requests, acks_late, and records them RETRY).
        "every task result final, or its work done (the same task succeeded)": all(
            r["same work succeeded under another id"] or any(" succeeded in " in x for x in r.get("log", []))
            for r in portal.get("unfinished_results", [])
        ),
    }
    details = {
        "validations counted twice": extra,
        "member versions with more than one key": [m for m in members if m["keys"] > 1][:10],
        "open operations": portal["open_operations"][:10],
        "http": http,
        "action errors": drive.get("errors", [])[:10],
        "flagged": flagged,
    }
    return {"checks": result, "details": details}


def traced(unfinished: list[dict[str, Any]], work: Path) -> list[dict[str, Any]]:
    """Each task result left not final, with the lines of the workers' logs that name its id (received,
    retry, succeeded, a worker lost ...): what happened to it, kept in the report after the logs go."""
    for result in unfinished:
        lines: list[str] = []
        for log_path in sorted(work.glob("worker*.log")):
            with log_path.open(errors="replace") as f:
                lines += [f"{log_path.stem}: {x.strip()[:300]}" for x in f if result["task_id"] in x]
        result["log"] = lines[:20]
    return unfinished


def arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m loadtest.chaos", description=__doc__.split("\n\n")[0])
    p.add_argument("--groups", type=int, default=24)
    p.add_argument(
        "--families", type=int,
        help="families over all groups, of mixed sizes (default: the issue's share, 136 for 24 groups)",
    )  # fmt: skip
    p.add_argument(
        "--members", type=int, help="members over all groups (default: the issue's share, 357 for 24)"
    )
    p.add_argument(
        "--fault-seconds", type=float, default=180, help="how long the kills and carrier faults last"
    )
    p.add_argument("--limit", type=float, default=1200, help="give up (fail) after this many seconds in all")
    p.add_argument("--error-rate", type=float, default=0.25)
    p.add_argument("--latency-ms", type=lambda s: tuple(int(x) for x in s.split("-")), default=(1000, 3000))
    p.add_argument("--rate-limit", type=int, default=240, help="requests a minute before 429s")
    p.add_argument("--kill-every", type=lambda s: tuple(float(x) for x in s.split("-")), default=(15.0, 30.0))
    p.add_argument("--redis-at", type=float, default=20, help="seconds into the run Redis is SIGKILLed")
    p.add_argument("--redis-down", type=float, default=8)
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = arguments(argv)
    a.families = a.families or issue_share(ISSUE_FAMILIES, a.groups)
    a.members = a.members or issue_share(ISSUE_MEMBERS, a.groups)
    census_shape(groups=a.groups, families=a.families, members=a.members, seed=a.seed)  # refuse it early
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="chaos."))
    processes: list[Process] = []
    log(f"work folder {work}")
    try:
        with throwaway_cluster() as (pg_url, _postmaster):
            pg = pg_url.rsplit("/", 1)[0]
            pg_port = int(pg.rsplit(":", 1)[1])
            pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
            redis_port = free_port()
            ports = {"sandbox": free_port(), "portal": free_port()}
            sandbox_env, portal_env = environments(work, pg, redis_port, ports, a)
            prepare(work, pg_bin, pg_port, sandbox_env, portal_env)
            (work / "redis").mkdir()
            redis = Process(
                "redis",
                [redis_binary(), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--dir", str(work / "redis"), "--appendonly", "yes"],
                portal_env, work,
            )  # fmt: skip
            sandbox = gunicorn("sandbox", ports["sandbox"], sandbox_env, work, workers=2, threads=8)
            web = gunicorn("web", ports["portal"], portal_env, work, workers=2, threads=4)
            celery = [PYTHON, "-m", "celery", "-A", "portal"]
            workers = [
                Process(f"worker{n}", [*celery, "worker", "--pool=prefork", "--concurrency=2", "-l", "INFO",
                                       "-n", f"chaos{n}@%h"], portal_env, work)
                for n in (1, 2)
            ]  # fmt: skip
            beat = Process("beat", [*celery, "beat", "--loglevel=INFO", "-s", str(work / "beat-schedule")],
                           portal_env, work)  # fmt: skip
            processes = [redis, sandbox, web, *workers, beat]
            redis.start()
            wait_port(redis_port)
            (work / "faults-on").touch()
            for process in processes[1:]:
                process.start()
            wait_for(f"http://127.0.0.1:{ports['sandbox']}/healthz")
            wait_for(f"http://127.0.0.1:{ports['portal']}/healthz", headers={"X-Forwarded-Proto": "https"})
            log(f"up: sandbox :{ports['sandbox']}, portal :{ports['portal']} (production), 2 workers, beat")
            return chaos(a, rng, work, portal_env, sandbox_env, redis, workers, beat, ports, redis_port)
    finally:
        for process in reversed(processes):
            process.stop()
        if a.keep:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def chaos(a, rng, work, portal_env, sandbox_env, redis, workers, beat, ports, redis_port) -> int:  # noqa: PLR0913
    driver = Process(
        "drive",
        [PYTHON, "-m", "loadtest.chaos_drive", "drive", "--groups", str(a.groups),
         "--families", str(a.families), "--members", str(a.members), "--seed", str(a.seed),
         "--portal", f"http://127.0.0.1:{ports['portal']}", "--limit", str(a.limit)],
        portal_env, work,
    )  # fmt: skip
    driver.start()
    started = time.monotonic()
    next_kill = started + rng.uniform(*a.kill_every)
    redis_killed_at: float | None = None
    faults_off_at: float | None = None
    restarts: list[tuple[float, Process]] = []
    settled_at: float | None = None
    kills = 0
    deadline = started + a.limit
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        now = time.monotonic()
        t = now - started
        for when, process in list(restarts):
            if now >= when:
                process.start()
                restarts.remove((when, process))
        pending = {p for _, p in restarts}
        for process in (*workers, beat):
            if process not in pending:
                process.check()
        if redis not in pending and not redis.alive():
            redis.check()
        if faults_off_at is None:
            if redis_killed_at is None and t >= a.redis_at:
                log("SIGKILL redis")
                redis.kill()
                redis_killed_at = t
                restarts.append((now + a.redis_down, redis))
            if now >= next_kill:
                victim = rng.choice([w for w in workers if w.alive()] or workers)
                log(f"SIGKILL {victim.name} (process group)")
                victim.kill()
                kills += 1
                restarts.append((now + 2, victim))
                next_kill = now + rng.uniform(*a.kill_every)
            if t >= a.fault_seconds and not restarts:
                (work / "faults-on").unlink()
                faults_off_at = t
                log(f"faults stop at {t:.0f} s: no more kills, the carrier answers at once")
        lines = driver.log_path.read_text().splitlines() if driver.log_path.exists() else []
        progress = [line for line in lines if line.startswith("{")]
        if progress:
            last = json.loads(progress[-1])
        if faults_off_at is not None and not driver.alive():
            open_ops, waiting = portal_waiting(portal_env["DATABASE_URL"])
            held = redis_unacked(redis_port, older_than=30)  # a task running now is unacknowledged too
            if open_ops == 0 and waiting == 0 and held == 0:
                settled_at = time.monotonic() - started
                break
            if int(t) % 20 < 2:
                log(f"settling: {open_ops} operations OPEN, {waiting} in the outbox, {held} unacknowledged")
        time.sleep(2)
        if int(t) % 20 < 2:
            log(f"t={t:.0f}s {last}")
    summary_lines = [x for x in driver.log_path.read_text().splitlines() if x.startswith("SUMMARY ")]
    drive = json.loads(summary_lines[-1][8:]) if summary_lines else {}
    driver.stop()
    beat.stop()  # nothing new is sent; what runs or waits for its ETA now ends and is acknowledged
    # Beat's orphan sweep stops with it, but a message the last killed worker held may be younger than
    # the sweep's age (30 s) when the run settled: the run plays that sweep itself meanwhile, as beat
    # goes on doing in production (without it, 3 such messages were left in the 24-group run).
    drain_started = time.monotonic()
    swept_at = 0.0
    restored = 0
    while redis_unacked(redis_port) != 0 and time.monotonic() - drain_started < 120:
        if time.monotonic() - swept_at >= 10:
            restored += int(inspect("restore-orphans", portal_env).get("restored", 0))
            swept_at = time.monotonic()
        time.sleep(2)
    drained = round(time.monotonic() - drain_started, 1)
    left = unacked_tasks(redis_port)
    portal = inspect("inspect-portal", portal_env)
    sandbox = inspect("inspect-sandbox", sandbox_env)
    unacked = redis_unacked(redis_port)
    unfinished = traced(portal.get("unfinished_results", []), work)  # before the checks: they read it
    verdict = checks(portal, sandbox, drive, workers, unacked)
    enrolled_at = sorted(drive.get("enrolled_at", {}).values())
    figures = {
        "groups": a.groups,
        "families": a.families,
        "family sizes (members: families)": dict(
            sorted(
                Counter(
                    size
                    for sizes in census_shape(
                        groups=a.groups, families=a.families, members=a.members, seed=a.seed
                    )
                    for size in sizes
                ).items()
            )
        ),
        "members": len(portal["members"]),
        "enrolled": sum(1 for g in portal["groups"] if g["status"] == "ENROLLED"),
        "flagged": len(drive.get("flagged", {})),
        "worker kills": kills,
        "worker exits on their own": sum(len(w.died) for w in workers),
        "redis killed at s": redis_killed_at,
        "faults stopped at s": faults_off_at,
        "last group ended at s": enrolled_at[-1] if enrolled_at else None,
        "median group ended at s": enrolled_at[len(enrolled_at) // 2] if enrolled_at else None,
        "settled at s": settled_at,
        "time to settle after the faults stopped, s": (
            round(max(settled_at - faults_off_at, 0), 1) if settled_at is not None and faults_off_at else None
        ),
        "carrier groups": len(sandbox["groups"]),
        "carrier validations made": sum(sandbox["validations_made"].values()),
        "operations": portal["operations"],
        "task results": portal["results"],
        "task results not final": unfinished,
        "load average (1, 5, 15 min) at the end": [round(x, 2) for x in os.getloadavg()],
        "files": portal["files"],
        "unacked at the end": unacked,
        "unacked drained after beat stopped, s": drained,
        "orphaned messages restored by the run after beat stopped": restored,
        "unacked left": left,
        "http": drive.get("http", {}),
    }
    report = {"figures": figures, **verdict}
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if a.json:
        a.json.write_text(text)
    ok = settled_at is not None and all(verdict["checks"].values())
    log("every check holds" if ok else "FAILED: see the checks above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
