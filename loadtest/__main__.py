"""``python -m loadtest [--short]``: the load test of issue 8 (docs/load.md).

1. PostgreSQL: a throw-away database ``loadtest_<pid>`` on the server of ``DATABASE_URL`` when that names
   PostgreSQL (dropped at the end), else a throw-away cluster started as ``.ci/run`` does (initdb +
   pg_ctl as the postgres user, a free port, fsync off), stopped and removed at the end.
2. ``migrate``, ``seed_demo`` and ``python -m loadtest.seed`` (1,000 book groups, N invited employees).
3. gunicorn (``-w 2 --threads 4``) on 127.0.0.1 and a free port, DJANGO_ENV=development with DEBUG off.
4. The driver (threads + requests): E employees walking their link (start, details, family, coverage,
   review, sign, done) and B brokers (log in once, then the book, a page of it, a search, a group
   page), each with a think time between requests, for a bounded time.
5. A table per page: requests, throughput, p50/p95/p99 and errors; ``--json`` writes it as JSON; a full
   run (not ``--short``) also writes it into docs/load.md.

An error is an exception (connection, timeout) or an answer other than the one expected: a status of
400 or more, or a form POST answered 200 (the form shown again, i.e. refused) where a redirect is due.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DOCS = ROOT / "docs" / "load.md"
RESULTS_START = "<!-- results: written by python -m loadtest -->"
RESULTS_END = "<!-- /results -->"
DEMO_PASSWORD = "enroll-demo-2026"
TIMEOUT = 30  # seconds, per request

# The pages of the report, in order (employee pages first).
PAGES = [
    "employee start",
    "employee details GET",
    "employee details POST",
    "employee family GET",
    "employee family POST",
    "employee coverage GET",
    "employee coverage POST",
    "employee review GET",
    "employee review POST (sign)",
    "employee done",
    "broker login GET",
    "broker login POST",
    "book /",
    "book /?page=N",
    "book /?q=",
    "group page",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------- PostgreSQL


def _is_postgres(url: str) -> bool:
    return url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql", "postgis")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """A database of its own on the server of ``url`` (never the one ``url`` names), dropped at the end."""
    import psycopg

    name = f"loadtest_{os.getpid()}"
    conninfo = url.replace("postgis://", "postgresql://").replace("pgsql://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"PostgreSQL: database {name} on the server of DATABASE_URL")
    try:
        yield _with_database(url, name)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of its own, as .ci/run starts one; stopped and removed at the end."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        raise SystemExit("No PostgreSQL here (/usr/lib/postgresql/*/bin): set DATABASE_URL or install it.")
    pg_bin = bins[-1]
    data = Path(tempfile.mkdtemp(prefix="loadtest-pgdata."))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    started = False
    try:
        subprocess.run(
            _as_postgres(
                [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60"]
                + ["-o", options, "start"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        subprocess.run(
            [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "portal"],
            check=True,
        )
        log(f"PostgreSQL: throw-away cluster {pg_bin.parent.name} on 127.0.0.1:{port} (fsync off)")
        yield f"postgres://postgres@127.0.0.1:{port}/portal"
    finally:
        if started:
            subprocess.run(
                _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(data, ignore_errors=True)


def postgres() -> contextlib.AbstractContextManager[str]:
    url = os.environ.get("DATABASE_URL", "")
    return throwaway_database(url) if _is_postgres(url) else throwaway_cluster()


# --------------------------------------------------------------------------------------------- the portal


def portal_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of every child (manage.py, the seed, gunicorn): the development settings with
    DEBUG off, this run's database, a var/ of its own (the file-system Celery broker, where the
    validation queued by each signature waits: no worker runs) and e-mail kept in memory."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        DJANGO_ENV="development",
        DEBUG="false",
        DATABASE_URL=database_url,
        PORTAL_VAR_DIR=str(var_dir),
        EMAIL_URL="memorymail://",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_step(args: list[str], env: dict[str, str], what: str) -> None:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{what} failed ({result.returncode})")
    if "FAILED" in result.stdout:
        sys.stderr.write(result.stdout[-4000:])
        raise SystemExit(f"{what} reported a failure")
    last = result.stdout.strip().splitlines()[-1:] or [""]
    log(f"{what}: {time.perf_counter() - started:.1f} s {last[0] if what == 'seed' else ''}".rstrip())


def cpu_seconds(master: int) -> float:
    """CPU time (user + system) used so far by gunicorn's master and its workers (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@contextlib.contextmanager
def gunicorn(env: dict[str, str], work: Path, workers: int, threads: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    errors = work / "gunicorn.log"
    cmd = [
        str(Path(PYTHON).parent / "gunicorn"),
        "portal.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "--error-logfile",
        str(errors),
        "--log-level",
        "warning",
    ]
    with open(errors, "ab") as sink:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                sys.stderr.write(errors.read_text()[-4000:])
                raise SystemExit("gunicorn did not start")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.3)
        log(f"gunicorn: {base} (-w {workers} --threads {threads})")
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        tail = errors.read_text()[-3000:] if errors.exists() else ""
        if "Traceback" in tail or "ERROR" in tail:
            sys.stderr.write("gunicorn's log ends with:\n" + tail + "\n")


# --------------------------------------------------------------------------------------------- HTML forms


class FormParser(HTMLParser):
    """The fields a browser would submit from the page's main POST form: the first ``<form method=post>``
    without an ``action`` (the self-service steps) or, with ``action``, the one posting there. Radio
    buttons are also listed by name (``radios``) so the driver can choose one."""

    def __init__(self, action: str | None = None):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self.radios: dict[str, list[str]] = defaultdict(list)
        self._in = False
        self._done = False
        self._select: str | None = None
        self._select_value: str | None = None
        self._select_first: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and not self._done and a.get("method", "").lower() == "post":
            action = a.get("action")
            self._in = (action or None) == self.action
            return
        if not self._in:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind == "radio":
                self.radios[name].append(a.get("value", "on"))
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind == "checkbox":
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            else:
                self.fields.append((name, a.get("value", "")))
        elif tag == "select" and name and "disabled" not in a:
            self._select, self._select_value, self._select_first = name, None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option = value
            self._text = []
            if value is not None:
                if self._select_first is None:
                    self._select_first = value
                if "selected" in a:
                    self._select_value = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self._in:
            return
        if tag == "form":
            self._in, self._done = False, True
        elif tag == "select" and self._select is not None:
            value = self._select_value if self._select_value is not None else self._select_first
            self.fields.append((self._select, value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def form_of(html: str, action: str | None = None) -> FormParser:
    parser = FormParser(action)
    parser.feed(html)
    if not parser.fields:
        raise ValueError("no form on the page")
    return parser


# --------------------------------------------------------------------------------------------- the driver


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    starts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    signed: int = 0
    last_signed: float = 0.0  # time.monotonic() of the last signature
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.times[page].append(ms)
            self.starts[page].append(time.monotonic() - ms / 1000)
            if error:
                self.errors[page] += 1
                sample = f"{page}: {error}"
                if len(self.samples) < 10 and sample not in self.samples:
                    self.samples.append(sample)


class Failed(Exception):
    pass


class User(ABC):
    def __init__(self, base: str, stats: Stats, deadline: float, think: float, rng: random.Random):
        self.base = base
        self.stats = stats
        self.deadline = deadline
        self.think_s = think
        self.rng = rng
        self.session = requests.Session()

    def think(self) -> None:
        if self.think_s > 0:
            pause = self.rng.uniform(0.5 * self.think_s, 1.5 * self.think_s)
            time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))

    def request(
        self, page: str, method: str, path: str, *, data=None, expect: tuple[int, ...] = (200,)
    ) -> requests.Response:
        """One timed request (redirects are not followed: the redirect IS the expected answer)."""
        if time.monotonic() >= self.deadline:
            raise TimeoutError
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, data=data, allow_redirects=False, timeout=TIMEOUT
            )
            response.content  # noqa: B018 - read the whole body inside the timing
        except requests.RequestException as exc:
            self.stats.add(page, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")
            raise Failed from exc
        ms = (time.perf_counter() - started) * 1000
        if response.status_code not in expect:
            shown = re.sub(r"/enroll/[^/]+", "/enroll/<token>", path)
            detail = f"{method} {shown} answered {response.status_code}"
            if response.status_code == 200 and method == "POST":
                errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', response.text, re.S)
                detail += " (form refused: " + re.sub(r"<[^>]+>|\s+", " ", " ".join(errors))[:300] + ")"
            self.stats.add(page, ms, detail)
            raise Failed(detail)
        self.stats.add(page, ms, None)
        return response

    def run(self, ramp: float = 0.0) -> None:
        if ramp > 0:  # users arrive spread over the ramp
            time.sleep(self.rng.uniform(0, ramp))
        else:  # or over the first think time
            self.think()
        while time.monotonic() < self.deadline:
            try:
                self.iteration()
            except TimeoutError:
                return
            except Failed:
                pass
            except Exception as exc:  # e.g. a page without its form: counted, the user goes on
                self.stats.add("driver exception", 0.0, f"{type(exc).__name__}: {exc}")
            self.think()

    @abstractmethod
    def iteration(self) -> None:
        """One round of this kind of user's requests (an employee's walk, a broker's browse)."""


class Employee(User):
    """Walks the invitation link to the signature; once signed, opens the link again (start -> done)."""

    def __init__(self, link: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.link = link.rstrip("/")
        self.signed = False

    def step(self, name: str, fill) -> None:
        url = f"{self.link}/{name}"
        page = self.request(f"employee {name} GET", "GET", url)
        self.think()
        form = form_of(page.text)
        data = fill(form)
        label = "employee review POST (sign)" if name == "review" else f"employee {name} POST"
        self.request(label, "POST", url, data=data, expect=(302,))
        self.think()

    def iteration(self) -> None:
        start = self.request("employee start", "GET", self.link + "/", expect=(200, 302))
        self.think()
        if start.status_code == 302 or self.signed:
            self.request("employee done", "GET", f"{self.link}/done")
            return
        self.step("details", lambda form: form.fields)
        self.step("family", lambda form: form.fields)
        self.step("coverage", self.choose_plans)
        self.step("review", self.sign)
        self.signed = True
        with self.stats.lock:
            self.stats.signed += 1
            self.stats.last_signed = time.monotonic()
        self.request("employee done", "GET", f"{self.link}/done")

    def choose_plans(self, form: FormParser) -> list[tuple[str, str]]:
        chosen = {
            name: next((v for v in values if v != "WAIVE"), values[0]) for name, values in form.radios.items()
        }
        return [(k, v) for k, v in form.fields if k not in chosen] + list(chosen.items())

    def sign(self, form: FormParser) -> list[tuple[str, str]]:
        keep = [(k, v) for k, v in form.fields if k not in ("signed_name", "agree")]
        return keep + [("signed_name", "Load Test Employee"), ("agree", "on")]


class Broker(User):
    """Logs in once (django-axes counts failures only), then browses the book of business."""

    def __init__(self, group_ids: list[int], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_ids = group_ids
        self.logged_in = False

    def iteration(self) -> None:
        if not self.logged_in:
            page = self.request("broker login GET", "GET", "/accounts/login/")
            form = form_of(page.text, action="/accounts/login/")
            data = [(k, v) for k, v in form.fields if k not in ("username", "password")]
            data += [("username", "broker"), ("password", DEMO_PASSWORD)]
            self.request("broker login POST", "POST", "/accounts/login/", data=data, expect=(302,))
            self.logged_in = True
            self.think()
        self.request("book /", "GET", "/")
        self.think()
        pages = max(1, len(self.group_ids) // 25)
        self.request("book /?page=N", "GET", f"/?page={self.rng.randint(2, max(2, pages))}")
        self.think()
        self.request("book /?q=", "GET", f"/?q=Load+Employer+{self.rng.randint(1, 99)}")
        self.think()
        self.request("group page", "GET", f"/groups/{self.rng.choice(self.group_ids)}/")


WARM_UP = 2  # extra employees (seeded for it) who walk the whole path before the clock starts


def warm_up(base: str, links: list[str], group_ids: list[int]) -> None:
    """Untimed: a few complete walks and a broker's pages, so that each gunicorn worker has loaded its
    templates and code before the clock starts (requests land on either worker)."""
    far = time.monotonic() + 120
    rng = random.Random(0)
    stats = Stats()
    try:
        for link in links:
            walker = Employee(link, base, stats, far, 0.0, rng)
            walker.iteration()
            walker.iteration()
        broker = Broker(group_ids, base, stats, far, 0.0, rng)
        for _ in range(3):
            broker.iteration()
    except Failed:  # the timed run meets the same error and counts it
        log(f"warm-up: {stats.samples[0] if stats.samples else 'failed'}")


def drive(
    base: str,
    links: list[str],
    group_ids: list[int],
    brokers: int,
    seconds: float,
    think: float,
    ramp: float = 0.0,
) -> dict:
    stats = Stats()
    deadline = time.monotonic() + seconds
    rng = random.Random(8)
    users: list[User] = [
        Employee(link, base, stats, deadline, think, random.Random(rng.random())) for link in links
    ]
    users += [
        Broker(group_ids, base, stats, deadline, think, random.Random(rng.random())) for _ in range(brokers)
    ]
    threads = [
        threading.Thread(target=u.run, args=(ramp,), name=type(u).__name__, daemon=True) for u in users
    ]
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + TIMEOUT + 10)
    elapsed = time.monotonic() - started
    return summarize(
        stats,
        elapsed,
        employees=len(links),
        brokers=brokers,
        think=think,
        ramp=ramp,
        clock_start=started,
        driver_cpu_s=round(time.process_time() - cpu_before, 1),
        load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)],
    )


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summarize(stats: Stats, elapsed: float, **run) -> dict:
    """Per page, and p95 of the requests that started after the last employee signed ("after the
    walks": what the brokers and the signed links see once the 50 walks are over)."""
    clock_start = run.pop("clock_start", 0.0)
    pages = {}
    all_signed = stats.signed and stats.signed == run.get("employees")
    after_all: list[float] = []
    for name in PAGES + sorted(set(stats.times) - set(PAGES)):
        times = stats.times.get(name, [])
        after = (
            [ms for ms, t0 in zip(times, stats.starts.get(name, []), strict=True) if t0 > stats.last_signed]
            if all_signed
            else []
        )
        after_all += after
        pages[name] = {
            "p95_after_walks_ms": round(percentile(after, 95), 1) if after else None,
            "after_walks_requests": len(after),
            "requests": len(times),
            "rps": round(len(times) / elapsed, 2),
            "p50_ms": round(percentile(times, 50), 1) if times else None,
            "p95_ms": round(percentile(times, 95), 1) if times else None,
            "p99_ms": round(percentile(times, 99), 1) if times else None,
            "errors": stats.errors.get(name, 0),
        }
    everything = [ms for times in stats.times.values() for ms in times]
    total = len(everything)
    errors = sum(stats.errors.values())
    return {
        **run,
        "seconds": round(elapsed, 1),
        "pages": pages,
        "total": {
            "requests": total,
            "rps": round(total / elapsed, 2),
            "p50_ms": round(percentile(everything, 50), 1) if everything else None,
            "p95_ms": round(percentile(everything, 95), 1) if everything else None,
            "p99_ms": round(percentile(everything, 99), 1) if everything else None,
            "errors": errors,
            "error_rate": round(errors / total, 4) if total else None,
            "p95_after_walks_ms": round(percentile(after_all, 95), 1) if after_all else None,
            "after_walks_requests": len(after_all),
        },
        "walks_s": round(stats.last_signed - clock_start, 1) if all_signed else None,
        "signed": stats.signed,
        "error_samples": stats.samples,
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def table(result: dict) -> str:
    def cell(value) -> str:
        return "–" if value is None else f"{value}"

    lines = [
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p95 ms after the walks (requests) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = list(result["pages"].items()) + [("**all**", result["total"])]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['requests']} | {r['rps']} | {cell(r['p50_ms'])} | {cell(r['p95_ms'])} "
            f"| {cell(r['p99_ms'])} | {r['errors']} | {cell(r['p95_after_walks_ms'])} "
            f"({r['after_walks_requests']}) |"
        )
    return "\n".join(lines)


def report(result: dict, command: str) -> str:
    t = result["total"]
    rate = f"{100 * t['error_rate']:.2f} %" if t["error_rate"] is not None else "–"
    arrivals = f"spread over {result['ramp']:g} s" if result["ramp"] else "within the first think time"
    load = result["load_average"]
    return "\n".join(
        [
            f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
            "",
            f"Machine: {result['machine']}",
            "",
            f"{result['employees']} employees and {result['brokers']} brokers for {result['seconds']} s, "
            f"think time {result['think']} s (±50 %), arrivals {arrivals}; {result['signed']} of "
            f"{result['employees']} employees signed"
            + (f" (the last {result['walks_s']} s after the start)" if result.get("walks_s") else "")
            + f"; error rate {rate}. CPU used during the run: "
            f"gunicorn {result.get('gunicorn_cpu_s', '?')} s, the driver {result['driver_cpu_s']} s "
            f"(same machine); 1-minute load average {load[0]} before the run, {load[1]} after.",
            "",
            table(result),
        ]
    )


def write_docs(text: str) -> None:
    block = f"{RESULTS_START}\n{text}\n{RESULTS_END}"
    if DOCS.exists() and RESULTS_START in DOCS.read_text():
        before, rest = DOCS.read_text().split(RESULTS_START, 1)
        after = rest.split(RESULTS_END, 1)[1] if RESULTS_END in rest else ""
        DOCS.write_text(before + block + after)
    else:
        DOCS.write_text(f"# Load test\n\n## The last full run\n\n{block}\n")
    log(f"wrote {DOCS.relative_to(ROOT)}")


# --------------------------------------------------------------------------------------------- the command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI form: 10 s, 10 employees, 2 brokers")
    parser.add_argument("--seconds", type=float, help="how long to drive (60; --short: 10)")
    parser.add_argument("--employees", type=int, help="employees (50; --short: 10)")
    parser.add_argument("--brokers", type=int, help="brokers (10; --short: 2)")
    parser.add_argument("--groups", type=int, help="groups added to the book (1000; --short: 200)")
    parser.add_argument(
        "--think", type=float, help="mean think time between requests, s (1.0; --short: 0.25)"
    )
    parser.add_argument("--ramp", type=float, default=0.0, help="spread arrivals over this many s (0)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", help="also write the result as JSON to this file")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/load.md")
    args = parser.parse_args(argv)
    short = args.short
    seconds = args.seconds or (10 if short else 60)
    employees = args.employees or (10 if short else 50)
    brokers = args.brokers if args.brokers is not None else (2 if short else 10)
    think = args.think if args.think is not None else (0.25 if short else 1.0)
    groups = args.groups if args.groups is not None else (200 if short else 1000)
    command = "python -m loadtest " + " ".join(argv if argv is not None else sys.argv[1:])

    work = Path(tempfile.mkdtemp(prefix="loadtest."))
    try:
        with postgres() as database_url:
            env = portal_env(database_url, work / "var")
            run_step([PYTHON, "manage.py", "migrate", "--no-input"], env, "migrate")
            run_step([PYTHON, "manage.py", "seed_demo"], env, "seed_demo")
            seed_file = work / "seed.json"
            run_step(
                [PYTHON, "-m", "loadtest.seed", f"--employees={employees + WARM_UP}", f"--groups={groups}"]
                + [f"--out={seed_file}"],
                env,
                "seed",
            )
            seed = json.loads(seed_file.read_text())
            with gunicorn(env, work, args.workers, args.threads) as (base, master):
                log(f"driving {employees} employees and {brokers} brokers for {seconds:g} s")
                links = seed["links"]
                warm_up(base, links[employees:], seed["group_ids"])
                cpu_before = cpu_seconds(master)
                result = drive(base, links[:employees], seed["group_ids"], brokers, seconds, think, args.ramp)
                result["gunicorn_cpu_s"] = round(cpu_seconds(master) - cpu_before, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    text = report(result, command.strip())
    print(text)
    for sample in result["error_samples"]:
        print(f"  error: {sample}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if not short and not args.no_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
