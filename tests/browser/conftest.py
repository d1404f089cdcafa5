"""Browser tests: Playwright driving Debian's chromium headless against a live server.

The chromium fixtures (``browser``, ``page``, ``phone_page``) live in tests/conftest.py so that one
session-wide Playwright serves every app's browser tests.

Playwright's own browser download is not used (it needs network access we do not have); the
system chromium is. Without it these tests skip here, naming what is missing; CI installs it and
sets PORTAL_REQUIRE_SERVICES=1, which turns the skip into a failure.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
