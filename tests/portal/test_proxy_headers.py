"""X-Forwarded-Proto (is this HTTPS?) is believed from the configured proxy only (issue 16, item 14)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PRODUCTION_TLS = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "TRUSTED_PROXY_ADDRESSES": ["10.0.0.2"],
}


@override_settings(**PRODUCTION_TLS)
def test_a_client_cannot_claim_https_with_a_header():
    response = Client().get("/accounts/login/", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")


@override_settings(**PRODUCTION_TLS)
def test_the_trusted_proxy_says_whether_the_client_used_https():
    assert (
        Client().get("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https").status_code
        == 200
    )
    plain = Client().get("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="http")
    assert plain.status_code == 301


@override_settings(**PRODUCTION_TLS, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_a_forged_header_does_not_get_secure_cookies_sent_over_plain_http():
    response = Client().get("/accounts/login/", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_PROTO="https")
    assert "csrftoken" not in response.cookies  # redirected to HTTPS before any cookie is set
