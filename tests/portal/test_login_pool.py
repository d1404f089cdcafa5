"""Logins in a pool of their own (issue 24 item 6, docs/load.md): nginx sends the POSTs of every form that
checks or sets a password (PBKDF2, 1,000,000 iterations) to the one-thread ``web-login`` gunicorn, so
they queue behind each other there and never in front of anyone's pages."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def _password_location() -> re.Pattern:
    found = re.search(r"location ~ (\S+) \{\s*proxy_pass http://\$portal_password_pool;", NGINX)
    assert found, "nginx has no location sending password forms to $portal_password_pool"
    return re.compile(found.group(1))


def test_every_form_that_checks_or_sets_a_password_is_routed_to_the_login_pool():
    location = _password_location()
    urls = [
        reverse("login"),
        reverse("password_change"),
        reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}),
        reverse("admin:login"),
        reverse("admin:password_change"),
        reverse("admin:auth_user_password_change", args=[3]),
    ]
    assert [url for url in urls if not location.match(url)] == []
    for page in ("/", "/enroll/some-token/review", "/groups/1/", reverse("logout")):
        assert not location.match(page), page


def test_only_posts_go_to_the_login_pool_and_it_checks_one_password_at_a_time():
    pool = re.search(r"map \$request_method \$portal_password_pool \{(.*?)\}", NGINX, re.S).group(1)
    assert re.search(r"^\s*POST\s+portal_login;", pool, re.M)
    assert re.search(r"^\s*default\s+portal_web;", pool, re.M)
    assert re.search(r"upstream portal_login \{\s*server web-login:8000;", NGINX)
    service = re.search(r"^  web-login:\n(.*?)(?=^  \w)", COMPOSE, re.S | re.M).group(1)
    assert '"--workers", "1", "--threads", "1"' in service
    assert "ports:" not in service  # reached through the proxy only
    proxy = re.search(r"^  proxy:\n(.*?)(?=^  \w|\Z)", COMPOSE, re.S | re.M).group(1)
    assert "web-login: {condition: service_healthy}" in proxy
