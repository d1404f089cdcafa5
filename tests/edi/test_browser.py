"""The transmission page on a phone in chromium: readable without sideways scrolling, no CSP violation."""

from __future__ import annotations

import os

import pytest

from edi import services
from tests.factories import PASSWORD

from .conftest import accepted

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_the_file_result_on_a_phone(
    live_server, phone_page, finalized_group, members_source, fake_carrier
):
    transmission = services.transmission_start(group=finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.statuses = [
        accepted(["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"], rejected=("E-002",))
    ]
    services.transmission_poll(transmission_id=transmission.pk)
    violations: list[str] = []
    phone_page.on("console", lambda message: violations.append(message.text))

    phone_page.goto(live_server.url + "/accounts/login/")
    phone_page.fill("input[name=username]", finalized_group.broker.user.username)
    phone_page.fill("input[name=password]", PASSWORD)
    phone_page.click("button[type=submit]")
    phone_page.goto(live_server.url + f"/enrollment-files/{transmission.pk}/")

    assert phone_page.get_by_role("heading", name="Members").is_visible()
    assert phone_page.locator(".rule-id", has_text="FIL-901").is_visible()
    page_width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390
    members_source.bodies[4]["middleName"] = "Javier"  # Luis corrected and validated again
    phone_page.goto(live_server.url + f"/enrollment-files/groups/{finalized_group.pk}/")
    assert phone_page.get_by_role("button", name="Send follow-up for rejected members").is_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not [v for v in violations if "Content Security Policy" in v]
