from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_logs_a_broker_in_to_the_empty_book_of_business(live_server, page, broker):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Book of business").is_visible()
    assert page.get_by_text("No groups yet").is_visible()
    assert page.get_by_text("Sam Ortiz · Bluegrass Benefits Group").is_visible()


def test_it_shows_the_menu_behind_a_button_on_a_phone(live_server, phone_page, broker):
    phone_page.goto(f"{live_server.url}/accounts/login/")
    phone_page.get_by_label("Username").fill("sam")
    phone_page.get_by_label("Password").fill(PASSWORD)
    phone_page.get_by_role("button", name="Log in").click()
    phone_page.wait_for_url(f"{live_server.url}/")
    nav_link = phone_page.get_by_role("link", name="Book of business")
    assert not nav_link.is_visible()
    phone_page.get_by_role("button", name="Menu").click()
    assert nav_link.is_visible()
