"""``python -m loadtest [--short]``: the load test (docs/load.md).

1. PostgreSQL: a throw-away database ``loadtest_<pid>`` on the server of ``DATABASE_URL`` when that names
   PostgreSQL (dropped at the end), else a throw-away cluster started as ``.ci/run`` does (initdb +
   pg_ctl as the postgres user, a free port, fsync off), stopped and removed at the end.
2. ``migrate``, ``seed_demo`` and ``python -m loadtest.seed`` (1,000 book groups, N invited employees).
3. Two gunicorn pools on 127.0.0.1, DJANGO_ENV=development with DEBUG off: the pages (``-w 2 --threads
   4``) and the logins (``-w 1 --threads 1``: the password hash, as nginx routes it in production).
4. Locust (``loadtest/locustfile.py``, headless, a child process): an untimed warm-up, then E employees
   walking their link and B brokers browsing the book, with a think time between requests.
5. A table per page: requests, throughput, p50/p95/p99, errors and gunicorn's CPU time per request;
   the machine's load average before and after and what else used its CPUs. ``--json`` writes it as
   JSON; a full run (not ``--short``) also writes it into docs/load.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DOCS = ROOT / "docs" / "load.md"
RESULTS_START = "<!-- results: written by python -m loadtest -->"
RESULTS_END = "<!-- /results -->"
TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP = 2  # extra employees (seeded for it) who walk the whole path before the clock starts

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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process, its children alive now and those it has reaped (Linux)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == pid:
                total += sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime
            elif int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs; /proc/stat less idle and iowait)."""
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(jiffies[:8]) - jiffies[3] - jiffies[4]) / TICKS


# --------------------------------------------------------------------------------------------- PostgreSQL


@contextlib.contextmanager
def throwaway_database(url: str) -> Iterator[tuple[str, int]]:
    """A database of its own on the server of ``url`` (never the one ``url`` names), dropped at the end;
    with the server's postmaster pid (the parent of a backend) when the server runs on this machine."""
    import psycopg

    name = f"loadtest_{os.getpid()}"
    conninfo = url.replace("postgis://", "postgresql://").replace("pgsql://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
        backend = conn.info.backend_pid
    try:
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        postmaster = 0
    log(f"PostgreSQL: database {name} on the server of DATABASE_URL")
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}")), postmaster
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[tuple[str, int]]:
    """A PostgreSQL cluster of its own, as .ci/run starts one; stopped and removed at the end."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        raise SystemExit("No PostgreSQL here (/usr/lib/postgresql/*/bin): set DATABASE_URL or install it.")
    pg = bins[-1]
    data = Path(tempfile.mkdtemp(prefix="loadtest-pgdata."))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = free_port()

    def quiet(args: list[str]) -> None:
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)

    quiet(_as_postgres([f"{pg}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]))
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    pg_ctl = [f"{pg}/pg_ctl", "-D", str(data)]
    try:
        quiet(_as_postgres([*pg_ctl, "-l", f"{data}/server.log", "-w", "-o", options, "start"]))
        quiet([f"{pg}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "portal"])
        log(f"PostgreSQL: throw-away cluster {pg.parent.name} on 127.0.0.1:{port} (fsync off)")
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        yield f"postgres://postgres@127.0.0.1:{port}/portal", postmaster
    finally:
        subprocess.run(_as_postgres([*pg_ctl, "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def postgres() -> contextlib.AbstractContextManager[tuple[str, int]]:
    url = os.environ.get("DATABASE_URL", "")
    is_postgres = url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql", "postgis")
    return throwaway_database(url) if is_postgres else throwaway_cluster()


# --------------------------------------------------------------------------------------------- the portal


def portal_env(database_url: str, work: Path) -> dict[str, str]:
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
        PORTAL_VAR_DIR=str(work / "var"),
        EMAIL_URL="memorymail://",
        PYTHONUNBUFFERED="1",
        LOADTEST_CPU_LOG=str(work / "cpu.log"),
    )
    return env


def run_step(args: list[str], env: dict[str, str], what: str) -> None:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{what} failed ({result.returncode})")
    log(f"{what}: {time.perf_counter() - started:.1f} s")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], work: Path, workers: int, threads: int) -> Iterator[tuple[str, int]]:
    """A gunicorn pool of the portal on a free loopback port: (its address, the master's pid)."""
    port = free_port()
    errors = work / f"gunicorn-{port}.log"
    flags = f"-c python:loadtest.gunicorn_cpu -b 127.0.0.1:{port} -w {workers} --threads {threads}"
    cmd = [str(BIN / "gunicorn"), "portal.wsgi", *flags.split(), "--log-level", "warning"]
    cmd += ["--error-logfile", str(errors)]
    with open(errors, "ab") as sink:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if urlopen(f"{base}/healthz", timeout=2).status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write(errors.read_text()[-4000:])
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


def locust(work: Path, env: dict[str, str], links: list[str], brokers: int, seconds: float, think: float,
           ramp: float = 0.0) -> dict:  # fmt: skip
    """One headless Locust run of ``loadtest/locustfile.py`` against ``env["LOADTEST_HOST"]``: every
    request and signature as the locustfile wrote them, and the CPU time Locust used."""
    seed, out = work / "users.json", work / "requests.json"
    seed.write_text(json.dumps({"links": links, "group_ids": json.loads(env["LOADTEST_GROUPS"])}))
    users = len(links) + brokers
    env = {
        **env,
        "LOADTEST_SEED": str(seed),
        "LOADTEST_OUT": str(out),
        "LOADTEST_THINK": str(think),
        "LOADTEST_EMPLOYEES": str(len(links)),
        "LOADTEST_BROKERS": str(brokers),
    }
    flags = f"--headless --only-summary -u {users} -r {users / ramp if ramp else users:g} -t {seconds:g}s"
    flags += " --stop-timeout 0 --loglevel WARNING --exit-code-on-error 0"
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), "-H", env["LOADTEST_HOST"]]
    cmd += flags.split()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0 or not out.exists():
        sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
        raise SystemExit(f"locust failed ({run.returncode})")
    result = json.loads(out.read_text())
    result["cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    return result


# --------------------------------------------------------------------------------------------- the report


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return round(ordered[max(1, int(-(-len(ordered) * p // 100))) - 1], 1) if ordered else None


def summarize(run: dict, cpu_log: Path, seconds: float, employees: int) -> dict:
    """Per page, and the p95 of the requests that started after the last employee signed ("after the
    walks": what the brokers and the signed links see once the walks are over)."""
    times: defaultdict[str, list[float]] = defaultdict(list)
    after: defaultdict[str, list[float]] = defaultdict(list)
    errors: defaultdict[str, int] = defaultdict(int)
    samples: list[str] = []
    last_signed = max(run["signed"]) if len(run["signed"]) == employees else None
    for page, start, ms, error in run["records"]:
        times[page].append(ms)
        if last_signed and start > last_signed:
            after[page].append(ms)
        if error:
            errors[page] += 1
            if len(samples) < 10 and f"{page}: {error}" not in samples:
                samples.append(f"{page}: {error}")
    cpu = defaultdict(list)
    for line in cpu_log.read_text().splitlines() if cpu_log.exists() else []:
        page, ms = line.rsplit("\t", 1)
        cpu[page].append(float(ms))

    def row(t: list[float], a: list[float], e: int, c: list[float]) -> dict:
        return {
            "requests": len(t), "rps": round(len(t) / seconds, 2), "p50_ms": percentile(t, 50),
            "p95_ms": percentile(t, 95), "p99_ms": percentile(t, 99), "errors": e,
            "cpu_ms_per_request": round(sum(c) / len(c), 1) if c else None, "cpu_s": round(sum(c) / 1000, 2),
            "p95_after_walks_ms": percentile(a, 95), "after_walks_requests": len(a),
        }  # fmt: skip

    pages = {p: row(times[p], after[p], errors[p], cpu[p]) for p in PAGES + sorted(set(times) - set(PAGES))}
    flat = [[v for values in d.values() for v in values] for d in (times, after, cpu)]
    total = row(flat[0], flat[1], sum(errors.values()), flat[2])
    total["error_rate"] = round(total["errors"] / len(flat[0]), 4) if flat[0] else None
    first = min((start for _page, start, _ms, _e in run["records"]), default=0)
    return {
        "pages": pages,
        "total": total,
        "signed": len(run["signed"]),
        "walks_s": round(last_signed - first, 1) if last_signed else None,
        "error_samples": samples,
    }


def table(result: dict) -> str:
    def cell(value) -> str:
        return "–" if value is None else f"{value}"

    lines = [
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/request "
        "| p95 ms after the walks (requests) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in [*result["pages"].items(), ("**all**", result["total"])]:
        lines.append(
            f"| {name} | {r['requests']} | {r['rps']} | {cell(r['p50_ms'])} | {cell(r['p95_ms'])} "
            f"| {cell(r['p99_ms'])} | {r['errors']} | {cell(r['cpu_ms_per_request'])} "
            f"| {cell(r['p95_after_walks_ms'])} ({r['after_walks_requests']}) |"
        )
    return "\n".join(lines)


def report(r: dict, command: str) -> str:
    t, c, load = r["total"], r["cpu_s"], r["load_average"]
    rate = f"{100 * t['error_rate']:.2f} %" if t["error_rate"] is not None else "–"
    arrivals = f"spread over {r['ramp']:g} s" if r["ramp"] else "within the first think time"
    login = f"a login pool of {r['login_threads']} thread(s)" if r["login_threads"] else "no login pool"
    walks = f" (the last {r['walks_s']} s after the start)" if r["walks_s"] else ""
    others = round(c["machine"] - c["gunicorn"] - c["postgres"] - c["locust"], 1)
    run = (
        f"{r['employees']} employees and {r['brokers']} brokers for {r['seconds']} s, think time "
        f"{r['think']} s (±50 %), arrivals {arrivals}, gunicorn -w {r['workers']} --threads {r['threads']} "
        f"and {login}; {r['signed']} of {r['employees']} employees signed{walks}; error rate {rate}."
    )
    cpu = (
        f"**Load average** (1, 5, 15 min): {' / '.join(map(str, load[0]))} before the run, "
        f"{' / '.join(map(str, load[1]))} after. **CPU used during the run**: the machine "
        f"{c['machine']} s of {c['capacity']} s, of which gunicorn {c['gunicorn']} s (in its requests "
        f"{t['cpu_s']:.1f} s), PostgreSQL {c['postgres']} s, Locust {c['locust']} s, the rest of the "
        f"machine {others} s."
    )
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n\n".join([f"Command: `{command}` ({when})", f"Machine: {r['machine']}", run, cpu, table(r)])


def write_docs(text: str) -> None:
    block = f"{RESULTS_START}\n{text}\n{RESULTS_END}"
    before, rest = DOCS.read_text().split(RESULTS_START, 1)
    DOCS.write_text(before + block + rest.split(RESULTS_END, 1)[1])
    log(f"wrote {DOCS.relative_to(ROOT)}")


# --------------------------------------------------------------------------------------------- the command


def arguments(argv: list[str] | None) -> argparse.Namespace:
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
    parser.add_argument(
        "--login-threads", type=int, default=1, help="the login pool (0: logins in the pages' pool)"
    )
    parser.add_argument("--json", help="also write the result as JSON to this file")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/load.md")
    args = parser.parse_args(argv)
    for name, full, short in [("seconds", 60, 10), ("employees", 50, 10), ("brokers", 10, 2),
                              ("think", 1.0, 0.25), ("groups", 1000, 200)]:  # fmt: skip
        if getattr(args, name) is None:
            setattr(args, name, short if args.short else full)
    return args


def cpu_now(pools: list[int], postmaster: int) -> list[float]:
    """CPU seconds used so far: the machine, the gunicorn pools, PostgreSQL (when it runs here)."""
    return [machine_busy(), sum(map(cpu_seconds, pools)), cpu_seconds(postmaster) if postmaster else 0.0]


def drive(
    args: argparse.Namespace, env: dict[str, str], work: Path, links: list[str], postmaster: int
) -> dict:
    """Both pools, the untimed warm-up, then the timed Locust run, measured."""
    with contextlib.ExitStack() as pools:
        env["LOADTEST_HOST"], pages = pools.enter_context(gunicorn(env, work, args.workers, args.threads))
        pids, env["LOADTEST_LOGIN_HOST"] = [pages], ""
        if args.login_threads:
            env["LOADTEST_LOGIN_HOST"], login = pools.enter_context(
                gunicorn(env, work, 1, args.login_threads)
            )
            pids.append(login)
        log("warm-up (untimed): two walks and a broker's pages")
        locust(work, env, links[args.employees :], brokers=1, seconds=5, think=0.05)
        Path(env["LOADTEST_CPU_LOG"]).unlink(missing_ok=True)
        log(f"driving {args.employees} employees and {args.brokers} brokers for {args.seconds:g} s")
        load_before, cpu_before, started = os.getloadavg(), cpu_now(pids, postmaster), time.monotonic()
        run = locust(work, env, links[: args.employees], args.brokers, args.seconds, args.think, args.ramp)
        elapsed, used = time.monotonic() - started, cpu_now(pids, postmaster)
        load_after = os.getloadavg()
    result = summarize(run, Path(env["LOADTEST_CPU_LOG"]), args.seconds, args.employees)
    used = [round(b - a, 1) for a, b in zip(cpu_before, used, strict=True)]
    result.update(
        {name: getattr(args, name) for name in ("employees", "brokers", "seconds", "think", "ramp")},
        workers=args.workers, threads=args.threads, login_threads=args.login_threads,
        load_average=[[round(v, 2) for v in load_before], [round(v, 2) for v in load_after]],
        cpu_s={"machine": used[0], "capacity": round(elapsed * (os.cpu_count() or 1)), "gunicorn": used[1],
               "postgres": used[2], "locust": run["cpu_s"]},
        machine=f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    )  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    command = "python -m loadtest " + " ".join(argv if argv is not None else sys.argv[1:])
    work = Path(tempfile.mkdtemp(prefix="loadtest."))
    try:
        with postgres() as (database_url, postmaster):
            env = portal_env(database_url, work)
            run_step([PYTHON, "manage.py", "migrate", "--no-input"], env, "migrate")
            run_step([PYTHON, "manage.py", "seed_demo"], env, "seed_demo")
            seed = [
                f"--employees={args.employees + WARM_UP}",
                f"--groups={args.groups}",
                f"--out={work}/s.json",
            ]
            run_step([PYTHON, "-m", "loadtest.seed", *seed], env, "seed")
            seeded = json.loads((work / "s.json").read_text())
            env["LOADTEST_GROUPS"] = json.dumps(seeded["group_ids"])
            result = drive(args, env, work, seeded["links"], postmaster)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(result, command.strip())
    print(text)
    for sample in result["error_samples"]:
        print(f"  error: {sample}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if not args.short and not args.no_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
