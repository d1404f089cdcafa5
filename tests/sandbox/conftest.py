"""The sandbox through Django's test client (same HTTP handling as a live server, no sockets).

``api`` is a partner's view of the sandbox; the sample ETSS file is the carrier's rate data.
"""

from __future__ import annotations

import json
import uuid
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from sandbox.services_admin import partner_add_key
from tests.carrier import payloads

BASE = "/sandbox/groupsales/v1"
RATE_FILE = "HUM_ETSS_SG_KY_20261101_000001.txt"


class Api:
    def __init__(self, key: str, sender_id: str) -> None:
        self.key = key
        self.sender_id = sender_id
        self.http = Client()

    def _headers(self, idempotency_key: str | None, post: bool) -> dict[str, str]:
        headers = {"x-api-key": self.key}
        if post:
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        return headers

    def get(self, path: str, **params: Any):
        return self.http.get(BASE + path, params, headers=self._headers(None, False))

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.http.post(BASE + path, data, content_type=content_type, headers=self._headers(key, True))

    def patch(self, path: str, body: Any):
        return self.http.patch(
            BASE + path,
            json.dumps(body),
            content_type="application/merge-patch+json",
            headers=self._headers(None, False),
        )

    def delete(self, path: str):
        return self.http.delete(BASE + path, headers=self._headers(None, False))

    # the Blue Heron group at each stage ------------------------------------------------------
    def create(self, body: dict | None = None) -> str:
        response = self.post("/groups", body or payloads.create_group())
        assert response.status_code == 201, response.json()
        return response.json()["groupId"]

    def validate_family(self, group_id: str, members: list[dict] | None = None) -> None:
        response = self.post(
            f"/groups/{group_id}/member-validations/batch", {"members": members or payloads.family()}
        )
        assert response.status_code == 200
        assert all(r["valid"] for r in response.json()["results"]), response.json()

    def finalized(self, body: dict | None = None, members: list[dict] | None = None) -> str:
        group_id = self.create(body)
        self.validate_family(group_id, members)
        response = self.post(f"/groups/{group_id}/finalize", {})
        assert response.status_code == 200, response.json()
        return group_id


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


@pytest.fixture
def sandbox_rates(db) -> None:
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())


@pytest.fixture
def api(sandbox_rates) -> Api:
    partner_add_key(name="Partner01", sender_id="PARTNER01", raw_key="partner01-test-key")
    return Api("partner01-test-key", "PARTNER01")


@pytest.fixture
def other_api(sandbox_rates) -> Api:
    partner_add_key(name="Other Partner", sender_id="OTHER", raw_key="other-test-key")
    return Api("other-test-key", "OTHER")


def enrollment_file(
    group_id: str,
    sender_id: str = "PARTNER01",
    *,
    control_number: int = 123,
    fein: str = "123456789",
    replace: tuple[tuple[str, str], ...] = (),
) -> str:
    """``samples/new-business.834`` for ``group_id``, with ``replace`` applied to its text."""
    text = (settings.SAMPLES_DIR / "new-business.834").read_text()
    number = f"{control_number:09d}"
    text = text.replace("*ZZ*PARTNER01      *", f"*ZZ*{sender_id:<15}*").replace(
        "GS*BE*PARTNER01*", f"GS*BE*{sender_id}*"
    )
    text = text.replace("*000000123*", f"*{number}*").replace("IEA*1*000000123", f"IEA*1*{number}")
    text = text.replace("BHB-104233-1", f"BHB-{group_id}-{control_number}")
    text = text.replace("104233", group_id).replace("FI*123456789", f"FI*{fein}")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    return text
