"""Login throttling that nobody can turn against someone else's account (issue 16, item 4).

Behind the proxy every request comes from the proxy's address: the client's is taken from the
X-Forwarded-For the trusted proxy appends (``TRUSTED_PROXY_COUNT`` proxies), and from nobody else. Five
failures lock one username for one client address; twenty lock the address for every username.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from portal.proxy import client_address
from tests.factories import PASSWORD, BrokerFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def behind_a_proxy(settings):
    settings.TRUSTED_PROXY_ADDRESSES = [PROXY]
    settings.TRUSTED_PROXY_COUNT = 1


def login(client, username: str, password: str, *, via: str | None = None, remote: str = PROXY, xff=None):
    headers = {"REMOTE_ADDR": remote}
    if via is not None or xff is not None:
        headers["HTTP_X_FORWARDED_FOR"] = xff if xff is not None else via
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def test_strangers_behind_the_proxy_cannot_lock_a_broker_out(client, broker):
    for _ in range(10):
        login(client, "sam", "wrong", via="198.51.100.7")
    assert login(client, "sam", "wrong", via="198.51.100.7").status_code == 429  # the guesser is held
    response = login(client, "sam", PASSWORD, via="203.0.113.5")  # Sam, from his own address
    assert response.status_code == 302 and response["Location"] == reverse("book")


def test_a_client_cannot_choose_its_address_with_a_header(client, broker):
    """Straight to gunicorn (not from the proxy), X-Forwarded-For is ignored: rotating it does not help."""
    for n in range(5):
        login(client, "sam", "wrong", remote="192.0.2.50", xff=f"198.51.100.{n}")
    assert login(client, "sam", PASSWORD, remote="192.0.2.50", xff="198.51.100.99").status_code == 429


def test_one_address_cannot_spray_passwords_over_many_usernames(client, agency):
    for n in range(10):
        BrokerFactory(agency=agency, user__username=f"broker{n}")
    tries = 0
    for n in range(10):
        for _ in range(2):  # under the per-account limit for each username
            login(client, f"broker{n}", "wrong", via="198.51.100.7")
            tries += 1
    assert tries == 20
    refused = login(client, "broker9", PASSWORD, via="198.51.100.7")
    assert refused.status_code == 429  # the address is held for every username, the right password too
    assert login(client, "broker9", PASSWORD, via="203.0.113.5").status_code == 302  # others are not


def test_a_success_does_not_clear_the_addresss_count(client, agency, broker):
    for n in range(4):
        BrokerFactory(agency=agency, user__username=f"broker{n}")
    for round_ in range(5):
        for n in range(4):
            login(client, f"broker{n}", "wrong", via="198.51.100.7")
        if round_ < 4:
            assert login(client, "sam", PASSWORD, via="198.51.100.7").status_code == 302  # the sprayer's own
    assert login(client, "sam", PASSWORD, via="198.51.100.7").status_code == 429


@pytest.mark.parametrize(
    ("remote", "xff", "count", "expected"),
    [
        (PROXY, "203.0.113.5", 1, "203.0.113.5"),
        (PROXY, "6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # what the client wrote comes first: ignored
        (PROXY, "6.6.6.6, 203.0.113.5, 10.0.0.9", 2, "203.0.113.5"),  # a balancer, then the proxy
        (PROXY, "", 1, PROXY),
        (PROXY, "not-an-address", 1, PROXY),
        (PROXY, "203.0.113.5", 2, PROXY),  # fewer hops than proxies: not trusted
        ("192.0.2.50", "203.0.113.5", 1, "192.0.2.50"),  # not from the proxy: the header is the client's
    ],
)
def test_it_takes_the_client_address_from_the_trusted_proxy_only(settings, remote, xff, count, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=xff)
    assert client_address(request) == expected


def test_it_trusts_a_proxy_network_given_in_cidr(settings):
    settings.TRUSTED_PROXY_ADDRESSES = ["172.30.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR="172.30.0.10", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_address(request) == "203.0.113.5"
