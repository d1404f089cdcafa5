"""api.md's conventions: keys, partners, idempotency, correlation, paging, media types, faults."""

from __future__ import annotations

import json

import pytest

from groupsales.masking import mask_json
from sandbox.models import Group
from tests.carrier import payloads

from .conftest import BASE, codes

pytestmark = pytest.mark.django_db


def test_it_answers_401_without_a_key_or_with_an_unknown_one(api, client):
    assert client.get(f"{BASE}/agents/17012345/groups").status_code == 401
    response = client.get(f"{BASE}/agents/17012345/groups", headers={"x-api-key": "nope"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert codes(response) == ["UNAUTHENTICATED"]


def test_it_hides_another_partners_group_behind_404(api, other_api):
    group_id = api.create()
    for response in (
        other_api.get(f"/groups/{group_id}"),
        other_api.patch(f"/groups/{group_id}", {"employer": {"dbaName": "X"}}),
        other_api.post(f"/groups/{group_id}/finalize", {}),
        other_api.get(f"/groups/{group_id}/member-validations"),
    ):
        assert response.status_code == 404
        assert codes(response) == ["NOT_FOUND"]
    assert api.get(f"/groups/{group_id}").status_code == 200


def test_it_numbers_groups_from_104233(api):
    assert api.create() == "104233"
    assert api.create() == "104234"


def test_it_refuses_a_post_without_an_idempotency_key(api):
    response = api.http.post(
        f"{BASE}/groups",
        json.dumps(payloads.create_group()),
        content_type="application/json",
        headers={"x-api-key": api.key},
    )
    assert response.status_code == 400
    assert codes(response) == ["IDEMPOTENCY_KEY_MISSING"]
    assert not Group.objects.exists()


def test_it_replays_a_stored_answer_and_refuses_the_key_with_another_body(api):
    first = api.post("/groups", payloads.create_group(), key="k-1")
    again = api.post("/groups", payloads.create_group(), key="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = api.post("/groups", payloads.create_group(legalName="Other Bakery LLC"), key="k-1")
    assert other.status_code == 409 and codes(other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert Group.objects.count() == 1


def test_it_stores_a_422_so_the_same_key_replays_it(api):
    body = payloads.create_group(fein="000000000")
    assert api.post("/groups", body, key="bad").status_code == 422
    replay = api.post("/groups", body, key="bad")
    assert replay.status_code == 422 and replay["Idempotent-Replayed"] == "true"


def test_it_echoes_the_correlation_id_or_makes_one(api):
    response = api.http.get(
        f"{BASE}/groups/999999", headers={"x-api-key": api.key, "X-Correlation-ID": "abc-123"}
    )
    assert response["X-Correlation-ID"] == "abc-123"
    assert response.json()["correlationId"] == "abc-123"
    made = api.get("/groups/999999")
    assert made["X-Correlation-ID"] and made.json()["correlationId"] == made["X-Correlation-ID"]


@pytest.mark.parametrize("params", [{"pageSize": "0"}, {"pageSize": "201"}, {"page": "0"}, {"page": "x"}])
def test_it_refuses_bad_paging(api, params):
    response = api.get("/agents/17012345/groups", **params)
    assert response.status_code == 400 and codes(response) == ["MALFORMED_REQUEST"]


def test_it_pages_the_book_of_business(api):
    ids = [api.create() for _ in range(3)]
    first = api.get("/agents/17012345/groups", pageSize="2").json()
    second = api.get("/agents/17012345/groups", pageSize="2", page="2").json()
    assert (first["totalItems"], first["pageSize"], len(first["items"])) == (3, 2, 2)
    assert [g["groupId"] for g in first["items"] + second["items"]] == ids
    assert first["items"][0]["totalMonthlyPremium"] is None
    assert api.get("/agents/17012345/groups", status="FINALIZED").json()["totalItems"] == 0
    assert api.get("/agents/17012345/groups", effectiveFrom="2027-02-01").json()["totalItems"] == 0
    assert api.get("/agents/55555555/groups").json()["totalItems"] == 0


def test_it_answers_415_for_another_media_type_and_400_for_bad_json(api):
    wrong = api.post("/groups", raw=b"<xml/>", content_type="application/xml")
    assert wrong.status_code == 415 and codes(wrong) == ["UNSUPPORTED_MEDIA_TYPE"]
    broken = api.post("/groups", raw=b"{not json", content_type="application/json")
    assert broken.status_code == 400 and codes(broken) == ["MALFORMED_REQUEST"]


def test_it_reports_schema_errors_with_pointers_and_ignores_unknown_fields(api):
    body = payloads.create_group()
    body["workforce"]["totalEmployees"] = "three"
    body["eligibility"]["waitingPeriod"] = "WHENEVER"
    body["somethingNew"] = {"x": 1}
    response = api.post("/groups", body)
    assert response.status_code == 422
    pointers = {(e["code"], e["pointer"]) for e in response.json()["errors"]}
    assert ("SCHEMA", "/workforce/totalEmployees") in pointers
    assert any(p == "/eligibility/waitingPeriod" for _, p in pointers)
    assert not any("somethingNew" in p for _, p in pointers)


def test_it_answers_413_for_a_batch_over_200(api):
    group_id = api.create()
    members = [payloads.member(memberRef=f"E-{i:03d}", subscriberRef=f"E-{i:03d}") for i in range(201)]
    response = api.post(f"/groups/{group_id}/member-validations/batch", {"members": members})
    assert response.status_code == 413 and codes(response) == ["PAYLOAD_TOO_LARGE"]


def test_it_answers_429_with_retry_after_over_the_rate_limit(api, settings):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 2
    assert api.get("/agents/17012345/groups").status_code == 200
    assert api.get("/agents/17012345/groups").status_code == 200
    limited = api.get("/agents/17012345/groups")
    assert limited.status_code == 429 and codes(limited) == ["RATE_LIMITED"]
    assert 1 <= int(limited["Retry-After"]) <= 61


def test_it_answers_503_at_the_error_rate_before_changing_anything(api, settings):
    settings.SANDBOX_ERROR_RATE = 1.0
    response = api.post("/groups", payloads.create_group(), key="flaky")
    assert response.status_code == 503 and codes(response) == ["UNAVAILABLE"]
    settings.SANDBOX_ERROR_RATE = 0.0
    assert not Group.objects.exists()
    assert api.post("/groups", payloads.create_group(), key="flaky").status_code == 201  # nothing was stored


def test_it_adds_the_configured_latency(api, settings, monkeypatch):
    slept = []
    monkeypatch.setattr("sandbox.http.time.sleep", slept.append)
    settings.SANDBOX_LATENCY_MS = 250
    api.get("/agents/17012345/groups")
    assert slept == [0.25]


def test_it_keeps_member_bodies_masked_in_the_admin(api, admin_client):
    group_id = api.create()
    api.validate_family(group_id)
    group = Group.objects.get(group_id=group_id)
    page = admin_client.get(f"/admin/sandbox/group/{group.pk}/change/").content.decode()
    validation = group.validations.get(member_ref="E-001")
    detail = admin_client.get(f"/admin/sandbox/membervalidation/{validation.pk}/change/").content.decode()
    assert "123456789" not in detail and "1980-05-02" not in detail
    assert mask_json({"ssn": "123456789"})["ssn"] in detail
    assert "Blue Heron" in page
