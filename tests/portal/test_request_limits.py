"""Request bodies are limited before Django reads them, per route, and at the web server (issue 16, item 8).

An anonymous 100 MB POST to the login page used to be spooled to disk. Now every body over its route's
limit (1 MB; 6 MB for the census uploads and the sandbox's 834 upload; 100 MB for the admin's rate-file
upload) is answered 413 from its Content-Length alone, and nginx in front of gunicorn enforces the same
limits (``deploy/nginx.conf``); gunicorn limits the request line and headers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def test_an_anonymous_big_post_to_the_login_page_is_refused_unread(client):
    response = client.post(
        reverse("login"),
        {"username": "sam", "password": "x", "file": SimpleUploadedFile("big.bin", b"0" * (2 * MB))},
    )
    assert response.status_code == 413


def test_a_big_form_body_is_refused(client):
    response = client.post(
        reverse("login"),
        "username=sam&padding=" + "x" * (2 * MB),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def test_a_forged_content_length_is_refused_before_reading(rf):
    from portal.middleware import RequestBodyLimitMiddleware

    request = rf.post("/accounts/login/", data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(100 * MB)
    reached = []
    response = RequestBodyLimitMiddleware(lambda r: reached.append(r))(request)
    assert response.status_code == 413 and reached == []


def test_a_census_upload_may_be_larger_than_a_form(broker_client):
    census = SimpleUploadedFile(
        "census.csv", b"memberRef,dateOfBirth\n" + b"E-1,1980-01-01\n" * (3 * MB // 15)
    )
    response = broker_client.post(reverse("quote_new"), {"census_file": census})
    assert response.status_code != 413  # the quote form answers it (its own 5 MB limit, its own words)
    too_big = SimpleUploadedFile("census.csv", b"0" * (7 * MB))
    assert broker_client.post(reverse("quote_new"), {"census_file": too_big}).status_code == 413


def test_the_limits_read_into_memory_and_the_number_of_fields_are_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 1 * MB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * MB
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 3000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 10


def _nginx() -> str:
    return (BASE_DIR / "deploy" / "nginx.conf").read_text()


def test_nginx_enforces_the_same_limits_per_route():
    nginx = _nginx()
    default = re.search(r"^\s*client_max_body_size\s+(\d+)m;", nginx, re.M)
    assert default and int(default.group(1)) * MB == settings.REQUEST_BODY_MAX_BYTES
    for pattern, limit in settings.REQUEST_BODY_LIMITS:
        if pattern.startswith("^/sandbox/"):
            continue  # never mounted in production
        block = re.search(r"location ~ " + re.escape(pattern) + r" \{(.*?)\}", nginx, re.S)
        assert block, f"nginx has no location for {pattern}"
        size = re.search(r"client_max_body_size\s+(\d+)m;", block.group(1))
        assert size and int(size.group(1)) * MB == limit, pattern


def test_compose_puts_nginx_in_front_of_gunicorn_and_gunicorn_limits_requests():
    compose = (BASE_DIR / "docker-compose.yml").read_text()
    web = re.search(r"^  web:\n(.*?)(?=^  \w)", compose, re.S | re.M).group(1)
    assert "ports:" not in web  # gunicorn is reached through the proxy only
    proxy = re.search(r"^  proxy:\n(.*?)(?=^  \w|\Z)", compose, re.S | re.M).group(1)
    assert re.search(r"image: nginx:\d", proxy) and "ports:" in proxy and "nginx.conf" in proxy
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    for flag in ("--limit-request-line", "--limit-request-fields", "--limit-request-field_size"):
        assert flag in dockerfile, flag
