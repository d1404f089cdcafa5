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


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker in a thread, on the configured broker (Redis in CI, memory here)."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.loader.import_module("celery.contrib.testing.tasks")
    # Tasks an earlier test queued on commit (its rows gone since) must not reach this test's worker.
    app.control.purge()
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=True, shutdown_timeout=30
    ) as worker:
        yield worker


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
