"""api.md 1.1 ``PATCH /groups/{groupId}`` as the sandbox carrier answers it: ``applicationChangedAt``, a
stored signed application that becomes stale (GRP-015), equal values that change nothing, unknown keys
ignored, and the guards while members are validated."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from sandbox.models import Group
from tests.carrier import payloads
from tests.sandbox.conftest import Api, codes


def signed_application(at: datetime, npn: str = "17012345") -> dict:
    when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "documentSha256": "5ee0f18482e20e3eb650f63377b1c19f318abec77370d64e7cdbc12203882e31",
        "employerSignature": {"signedBy": "Ann Lee", "title": "Owner", "email": "ann@example.com",
                              "signedAt": when, "method": "ELECTRONIC"},
        "agentSignature": {"npn": npn, "signedBy": "Sam Ortiz", "email": "sam@agency.example",
                           "signedAt": when, "method": "ELECTRONIC"},
    }  # fmt: skip


def with_application(at: datetime) -> dict:
    body = payloads.create_group()
    body["employerGroupApplication"] = signed_application(at)
    return body


def changed_a_minute_ago(group_id: str) -> None:
    """The group's application data last changed a minute ago (a signature from now is later)."""
    Group.objects.filter(group_id=group_id).update(
        application_changed_at=datetime.now(UTC) - timedelta(minutes=1)
    )


def detail(api: Api, group_id: str) -> dict:
    response = api.get(f"/groups/{group_id}")
    assert response.status_code == 200
    return response.json()


def test_a_create_stores_the_application_apart_with_received_at_and_not_stale(api: Api):
    group_id = api.create(with_application(datetime.now(UTC) - timedelta(minutes=5)))
    group = detail(api, group_id)
    assert group["applicationChangedAt"] == group["createdAt"]
    application = group["employerGroupApplication"]
    assert application["stale"] is False and application["receivedAt"]
    assert application["employerSignature"]["signedBy"] == "Ann Lee"
    assert "employerGroupApplication" not in Group.objects.get(group_id=group_id).body


def test_a_patch_of_application_data_sets_application_changed_at_and_makes_the_application_stale(api: Api):
    group_id = api.create(with_application(datetime.now(UTC) - timedelta(minutes=5)))
    created = detail(api, group_id)
    patched = api.patch(f"/groups/{group_id}", {"employer": {"phone": "5025550199"}})
    assert patched.status_code == 200, patched.json()
    after = detail(api, group_id)
    assert after["employer"]["phone"] == "5025550199"
    assert after["applicationChangedAt"] >= created["applicationChangedAt"]
    assert Group.objects.get(group_id=group_id).application_changed_at > datetime.fromisoformat(
        created["createdAt"].replace("Z", "+00:00")
    )
    assert after["employerGroupApplication"]["stale"] is True


def test_a_census_or_attestation_patch_is_not_application_data(api: Api):
    group_id = api.create(with_application(datetime.now(UTC) - timedelta(minutes=5)))
    before = Group.objects.get(group_id=group_id).application_changed_at
    census = copy.deepcopy(payloads.CREATE_GROUP["census"])
    census[1]["tobaccoUse"] = True
    attestation = {"signedBy": "Ann Lee", "title": "Owner", "signedAt": "2026-11-23T15:00:00Z"}
    response = api.patch(f"/groups/{group_id}", {"census": census, "smallEmployerAttestation": attestation})
    assert response.status_code == 200, response.json()
    assert Group.objects.get(group_id=group_id).application_changed_at == before
    assert detail(api, group_id)["employerGroupApplication"]["stale"] is False


def test_a_patch_that_sends_a_new_application_with_the_change_keeps_it_fresh(api: Api):
    group_id = api.create()
    changed_a_minute_ago(group_id)
    application = signed_application(datetime.now(UTC))
    response = api.patch(
        f"/groups/{group_id}", {"employer": {"phone": "5025550199"}, "employerGroupApplication": application}
    )
    assert response.status_code == 200, response.json()
    stored = detail(api, group_id)["employerGroupApplication"]
    assert stored["stale"] is False and stored["agentSignature"]["npn"] == "17012345"


def test_an_application_signed_before_the_last_change_of_application_data_is_refused(api: Api):
    group_id = api.create()
    old = signed_application(datetime.now(UTC) - timedelta(days=2))
    response = api.patch(f"/groups/{group_id}", {"employerGroupApplication": old})
    assert response.status_code == 422 and codes(response) == ["GRP-015", "GRP-015"]
    assert detail(api, group_id)["employerGroupApplication"] is None


def test_an_application_naming_another_agent_or_a_bad_digest_is_refused(api: Api):
    group_id = api.create()
    changed_a_minute_ago(group_id)
    application = signed_application(datetime.now(UTC), npn="99999998")
    application["documentSha256"] = "ABC"
    response = api.patch(f"/groups/{group_id}", {"employerGroupApplication": application})
    pointers = sorted(e["pointer"] for e in response.json()["errors"])
    assert response.status_code == 422
    assert pointers == [
        "/employerGroupApplication/agentSignature/npn",
        "/employerGroupApplication/documentSha256",
    ]


def test_a_patch_whose_values_equal_the_stored_ones_changes_nothing(api: Api):
    group_id = api.create(with_application(datetime.now(UTC) - timedelta(minutes=5)))
    group = Group.objects.get(group_id=group_id)
    phone = payloads.CREATE_GROUP["employer"]["phone"]
    response = api.patch(f"/groups/{group_id}", {"employer": {"phone": phone}})
    assert response.status_code == 200
    again = Group.objects.get(group_id=group_id)
    assert (again.updated_at, again.application_changed_at) == (
        group.updated_at,
        group.application_changed_at,
    )
    assert again.application["stale"] is False


def test_answer_fields_in_a_patch_are_ignored_not_stored(api: Api):
    group_id = api.create()
    response = api.patch(
        f"/groups/{group_id}",
        {"status": "FINALIZED", "applicationChangedAt": "2020-01-01T00:00:00Z", "groupId": "999999"},
    )
    assert response.status_code == 200
    group = Group.objects.get(group_id=group_id)
    assert group.status == "CREATED"
    assert not {"status", "applicationChangedAt", "groupId"} & set(group.body)


def test_a_validation_made_invalid_by_a_new_line_still_keeps_its_plan_and_the_date(api: Api):
    """'While the group has member validations': an invalid one (MBR-015 after a line was added) still
    elects its plan and still keeps the effective date."""
    body = payloads.create_group()
    body["offerings"] = [o for o in body["offerings"] if o["line"] != "VISION"]
    group_id = api.create(body)
    family = payloads.family()
    for member in family:
        member["coverage"] = [c for c in member["coverage"] if c["line"] != "VISION"]
    api.validate_family(group_id, family)
    added = api.patch(f"/groups/{group_id}", {"offerings": payloads.create_group()["offerings"]})
    assert added.status_code == 200, added.json()
    group = Group.objects.get(group_id=group_id)
    assert not group.validations.filter(valid=True, relationship="SUBSCRIBER").exists()
    moved = api.patch(f"/groups/{group_id}", {"requestedEffectiveDate": "2027-02-01"})
    assert moved.status_code == 409 and codes(moved) == ["INVALID_STATE"]
    elected = next(c["planId"] for c in family[0]["coverage"] if c["line"] == "MEDICAL")
    offerings = payloads.create_group()["offerings"]
    offerings[0]["planIds"] = [p for p in offerings[0]["planIds"] if p != elected]
    removed = api.patch(f"/groups/{group_id}", {"offerings": offerings})
    assert removed.status_code == 409 and codes(removed) == ["INVALID_STATE"]
