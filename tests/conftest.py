"""Fixtures shared by the whole suite: people, logins, and a real Celery worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from agencies.models import Broker

from .factories import AgencyFactory, BrokerFactory

# CI sets this so that a missing PostgreSQL, Redis or chromium fails the run instead of skipping.
REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES") == "1"
# The carrier's published samples, where the carrier's documents lie beside the repository (as in CI).
# The suite runs on the project's own sample files (portal.samples); these only serve cross-checks.
CARRIER_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "humana" / "samples"


def pytest_report_header(config) -> list[str]:
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"portal: database={db} broker={settings.CELERY_BROKER_URL.split('://')[0]}"]


def pytest_sessionstart(session) -> None:
    from portal.samples import samples_write

    samples_write()  # settings.SAMPLES_DIR: the rate file, census and 834 the tests load
    if REQUIRE_SERVICES:
        assert "postgresql" in settings.DATABASES["default"]["ENGINE"], "CI must test on PostgreSQL"
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must test with a Redis broker"


# Tests that mostly wait on processes of their own (chromium, Celery workers, Redis, the chaos run).
WAITING_MARKERS = ("worker", "browser")


def _spread(few: list, many: list) -> list:
    """``few`` placed evenly among ``many``, the first of them first, each between two modules of
    ``many`` (a module's own fixtures are then set up once, not again after each interruption)."""
    if not few:
        return list(many)
    starts = [k for k in range(1, len(many)) if many[k].module is not many[k - 1].module] + [len(many)]
    cuts = [0] + [min(s for s in starts if s >= k * len(many) // len(few)) for k in range(1, len(few))]
    cuts.append(len(many))
    spread: list = []
    for k, item in enumerate(few):
        spread += [item, *many[cuts[k] : cuts[k + 1]]]
    return spread


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist's worksteal each worker starts on one contiguous share of this list and the
    others steal from its tail. Collected as written, the waiting tests (reliability, browser) would sit
    together at the end of one share, run one after another while the CPU idles, and finish last. Dealt
    out instead: each share gets its part of them, the longest ("long": the chaos run) first, spread
    among the CPU-bound tests, so some test is always computing while another waits."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    waiting = [item for item in items if any(map(item.get_closest_marker, WAITING_MARKERS))]
    if workers < 2 or not waiting:
        return
    waiting.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: else as collected
    chosen = set(map(id, waiting))
    computing = [item for item in items if id(item) not in chosen]
    ordered: list = []
    left = len(items)
    for share in range(workers):
        size = left // (workers - share)  # as worksteal sizes the first shares
        left -= size
        mine = waiting[share::workers]
        cut = max(0, size - len(mine))
        ordered += _spread(mine, computing[:cut])
        computing = computing[cut:]
    ordered += computing
    assert len(ordered) == len(items)
    items[:] = ordered


@pytest.fixture(autouse=True)
def _english_between_tests():
    """Each test starts in the site's language: a Spanish request (LocaleMiddleware activates the
    language for the thread and leaves it) must not make the next test on the same worker Spanish."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def carrier_samples() -> Path:
    """The carrier's sample folder, for tests that cross-check the project's own files against it."""
    if not CARRIER_SAMPLES.is_dir():
        pytest.skip(f"the carrier's published samples are not beside the repository ({CARRIER_SAMPLES})")
    return CARRIER_SAMPLES


@pytest.fixture
def agency():
    return AgencyFactory(name="Bluegrass Benefits Group")


@pytest.fixture
def broker(agency) -> Broker:
    return BrokerFactory(agency=agency, user__username="sam", user__first_name="Sam", user__last_name="Ortiz")


@pytest.fixture
def principal(agency) -> Broker:
    return BrokerFactory(agency=agency, role=Broker.Role.PRINCIPAL, user__username="dana")


@pytest.fixture
def other_broker() -> Broker:
    """A broker of another agency: must never see the first agency's groups."""
    return BrokerFactory(agency=AgencyFactory(name="Elsewhere Insurance"), user__username="eve")


@pytest.fixture
def broker_client(client, broker):
    client.force_login(broker.user)
    return client


@pytest.fixture(scope="session")
def _celery_worker_for_the_session(django_db_setup, django_db_blocker):
    """One real Celery worker in a thread for the whole test process, on the configured broker (Redis in
    CI, memory here). Starting and stopping a worker costs 4-8 s (the consumer's 2 s drain cycle, the
    ping), so tests share it; ``celery_worker_thread`` leaves it idle and empty between tests."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.loader.import_module("celery.contrib.testing.tasks")
    app.control.purge()  # what an earlier run left on a shared broker
    with django_db_blocker.unblock():
        with start_worker(
            app, pool="threads", concurrency=2, perform_ping_check=True, shutdown_timeout=30
        ) as worker:
            _celery_worker_consume(worker, False)
            yield worker


@pytest.fixture
def celery_worker_thread(transactional_db, _celery_worker_for_the_session):
    """The session's worker, given to one test at a time with nothing queued, running or scheduled."""
    from portal.celery import app

    worker = _celery_worker_for_the_session
    # Tasks an earlier test queued on commit (its rows gone since) must not reach this test.
    app.control.purge()
    _celery_worker_consume(worker, True)
    yield worker
    _celery_worker_consume(worker, False)
    _celery_worker_forget(worker)
    app.control.purge()


def _celery_worker_consume(worker, on: bool) -> None:
    """Start or stop the worker taking tasks from the test queue: between its tests it must not run
    what a test without a worker queues (such tests expect their tasks to wait)."""
    from portal.celery import app

    queue = app.conf.task_default_queue
    command = app.control.add_consumer if on else app.control.cancel_consumer
    answers = command(queue, destination=[worker.hostname], reply=True, timeout=10)
    assert answers, f"the test worker did not answer {command.__name__}({queue})"


def _celery_worker_forget(worker, timeout: float = 30.0) -> None:
    """Wait for the tasks the worker is running, then drop the ones it holds for later (countdowns,
    retries): the next test's database will not have their rows."""
    import time

    from celery.worker import state

    deadline = time.monotonic() + timeout
    while state.active_requests and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.consumer.timer.clear()
    state.reserved_requests.clear()


# --------------------------------------------------------------------------- chromium (browser tests)
# Playwright's own browser download is not used (no network for it); Debian's chromium is. Without it
# browser tests skip, naming what is missing; CI installs it and sets PORTAL_REQUIRE_SERVICES=1.

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"Debian's chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
