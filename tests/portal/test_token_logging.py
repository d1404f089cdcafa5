"""Self-service tokens stay out of every log line and every Referer to other pages (issue 16, item 6).

The link ``/enroll/<token>/`` is the employee's only credential: gunicorn's access log (request line and
Referer), nginx's, Django's request log and runserver's show it masked, and the self-service pages send
``Referrer-Policy: no-referrer`` so that not even the portal's own static files learn it.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from portal.logging import mask_tokens

BASE_DIR = Path(__file__).resolve().parents[2]
TOKEN = "Qk3v_9ZpLr2-xT8mWc4NbY7aHs1dEf6GjU0oIiKl5Rq"  # secrets.token_urlsafe(32) has 43 characters


@pytest.mark.parametrize(
    "line",
    [
        f"GET /enroll/{TOKEN}/ HTTP/1.1",
        f"GET /enroll/{TOKEN}/details?step=2 HTTP/1.1",
        f"POST /enroll/{TOKEN}/review HTTP/1.1",
        f"https://portal.example.com/enroll/{TOKEN}/coverage",
        f"Not Found: /enroll/{TOKEN}/",
        f"/es/enroll/{TOKEN}/family",
        f"GET /enroll/{TOKEN} HTTP/1.1",
    ],
)
def test_it_masks_the_token_of_any_self_service_path(line):
    masked = mask_tokens(line)
    assert TOKEN not in masked and "/enroll/" in masked


def test_it_leaves_other_paths_alone():
    assert mask_tokens("GET /groups/12/members/ HTTP/1.1") == "GET /groups/12/members/ HTTP/1.1"


def _console_stream():
    handler = next(h for h in logging.getLogger("django.request").handlers if h.name == "console")
    stream = io.StringIO()
    return handler, handler.setStream(stream), stream


@pytest.mark.django_db
def test_djangos_request_log_shows_no_token(client):
    handler, old, stream = _console_stream()
    try:
        assert client.get(reverse("self_service:start", kwargs={"token": TOKEN})).status_code == 404
    finally:
        handler.setStream(old)
    assert "Not Found" in stream.getvalue() and TOKEN not in stream.getvalue()


def test_every_configured_log_handler_masks_tokens():
    from django.conf import settings

    for name, handler in settings.LOGGING["handlers"].items():
        assert "mask_pii" in handler.get("filters", []), name
    assert "django.server" in settings.LOGGING["loggers"]  # runserver's request lines, through "console"
    assert TOKEN not in _filtered(f'"GET /enroll/{TOKEN}/ HTTP/1.1" 200 512')


def _filtered(message: str) -> str:
    from portal.logging import MaskPersonalDataFilter

    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, "%s", (message,), None)
    MaskPersonalDataFilter().filter(record)
    return record.getMessage()


def test_gunicorns_access_log_shows_no_token_in_the_path_or_the_referer(tmp_path):
    from gunicorn.config import Config

    from portal.gunicorn_logging import TokenMaskingLogger

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    logger = TokenMaskingLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/enroll/{TOKEN}/details",
        "PATH_INFO": f"/enroll/{TOKEN}/details",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.2",
        "HTTP_REFERER": f"https://portal.example.com/enroll/{TOKEN}/",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("Content-Type", "text/html")])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert "GET /enroll/" in line and "details" in line and "portal.example.com/enroll/" in line
    assert TOKEN not in line


def test_the_image_and_the_proxy_log_through_the_masks():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "--logger-class" in dockerfile and "portal.gunicorn_logging.TokenMaskingLogger" in dockerfile
    nginx = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    formats = re.findall(r"log_format\s+(\w+)", nginx)
    assert formats and re.search(rf"access_log\s+\S+\s+{formats[0]}", nginx)
    assert "$request_uri" not in re.search(r"log_format[^;]+;", nginx, re.S).group(0)


@pytest.mark.django_db
def test_self_service_pages_send_no_referrer(client, broker_client):
    page = client.get(reverse("self_service:start", kwargs={"token": TOKEN}))
    assert page["Referrer-Policy"] == "no-referrer"
    assert broker_client.get(reverse("book"))["Referrer-Policy"] == "same-origin"
