"""Pages with personal data are not kept by browsers or proxies, and sessions end (issue 16, item 13).

Broker, admin and self-service responses carry ``Cache-Control: no-store``. A logged-in session ends
after 30 minutes without a request (each request moves that on) and 8 hours after the login whatever
the activity.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
START = timezone.make_aware(datetime(2026, 11, 23, 9, 0))
TOKEN = "Qk3v_9ZpLr2-xT8mWc4NbY7aHs1dEf6GjU0oIiKl5Rq"


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_broker_pages_and_the_admin_are_not_stored(broker_client, broker):
    assert _no_store(broker_client.get(reverse("book")))
    assert _no_store(broker_client.get(reverse("quote_list")))


def test_self_service_pages_are_not_stored(client):
    assert _no_store(client.get(reverse("self_service:start", kwargs={"token": TOKEN})))


def test_static_files_may_still_be_cached(broker_client):
    response = broker_client.get("/static/css/portal.css")
    assert response.status_code == 200 and not _no_store(response)


def test_the_figures():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 8 * 3600
    assert not settings.SESSION_EXPIRE_AT_BROWSER_CLOSE or settings.SESSION_COOKIE_AGE <= 30 * 60


def _login(client) -> None:
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302


def _book(client) -> int:
    return client.get(reverse("book")).status_code


def test_an_idle_session_ends_after_30_minutes(client, broker):
    with time_machine.travel(START, tick=False) as clock:
        _login(client)
        assert _book(client) == 200
        clock.move_to(START + timedelta(minutes=31))
        assert _book(client) == 302  # to the login page


def test_activity_keeps_the_session_and_8_hours_end_it(client, broker):
    with time_machine.travel(START, tick=False) as clock:
        _login(client)
        for minutes in range(20, 8 * 60, 20):  # a request every 20 minutes all day
            clock.move_to(START + timedelta(minutes=minutes))
            assert _book(client) == 200, f"logged out after {minutes} minutes of activity"
        clock.move_to(START + timedelta(hours=8, minutes=5))
        assert _book(client) == 302
