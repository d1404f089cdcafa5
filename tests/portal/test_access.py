"""Logging in and out, password reset, throttling, and who sees which groups."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, EmployerGroupFactory

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("book"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_logs_a_broker_in_and_shows_the_empty_book(client, broker):
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("book")
    assert b"Book of business" in response.content
    assert b"No groups yet" in response.content


def test_it_logs_out_with_a_post(broker_client):
    response = broker_client.post(reverse("logout"))
    assert response.status_code == 302
    assert broker_client.get(reverse("book")).status_code == 302


def test_it_locks_a_login_after_five_failures(client, broker):
    for _ in range(5):
        client.post(reverse("login"), {"username": "sam", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed" in response.content


def test_it_mails_a_password_reset_link_that_works(client, broker):
    client.post(reverse("password_reset"), {"email": broker.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase-7", "new_password2": "a-new-long-passphrase-7"},
    )
    assert response.status_code == 302
    broker.user.refresh_from_db()
    assert broker.user.check_password("a-new-long-passphrase-7")


def test_it_shows_a_broker_only_their_own_groups(broker_client, broker, principal, other_broker):
    EmployerGroupFactory(broker=broker, legal_name="Mine Bakery LLC")
    EmployerGroupFactory(broker=principal, legal_name="Colleague Hardware Inc")
    EmployerGroupFactory(broker=other_broker, legal_name="Rival Diner LLC")
    content = broker_client.get(reverse("book")).content.decode()
    assert "Mine Bakery LLC" in content
    assert "Colleague Hardware Inc" not in content
    assert "Rival Diner LLC" not in content


def test_it_shows_a_principal_every_group_of_the_agency(client, broker, principal, other_broker):
    EmployerGroupFactory(broker=broker, legal_name="Mine Bakery LLC")
    EmployerGroupFactory(broker=other_broker, legal_name="Rival Diner LLC")
    client.force_login(principal.user)
    content = client.get(reverse("book")).content.decode()
    assert "Mine Bakery LLC" in content
    assert "Rival Diner LLC" not in content


def test_it_sends_a_strict_content_security_policy_and_no_inline_script(broker_client):
    response = broker_client.get(reverse("book"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts and all("src=" in tag for tag in scripts)


def test_it_serves_every_asset_from_our_own_static_files(broker_client):
    html = broker_client.get(reverse("book")).content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+\.(?:css|js|svg))"', html):
        assert url.startswith("/static/"), url


def test_it_answers_the_health_check(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
