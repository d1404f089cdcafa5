"""Issue 15 item 2: one incomplete member no longer blocks the validation of its group.

A member whose validation body does not fit api.md (no address, no hire date: what a census import
leaves) is not sent; it is stored INCOMPLETE with what it lacks, named by the member rules; the others
are validated; nothing retries it until it is edited. Before the fix the client's ``InvalidCarrierRequest``
(a bare ``ValueError``) went to a catch-all that put every claimed member back, and the task failed on
every run the sweep queued."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from carrier.errors import CarrierPermanentError
from carrier.schemas import InvalidCarrierRequest, MemberValidationRequest, request_body
from members import completeness, services, tasks
from members.models import Member

from .conftest import ANN, ANN_ELECTIONS

pytestmark = pytest.mark.django_db

V = Member.ValidationStatus
NO_ADDRESS_NOR_JOB = {
    "address_line1": "",
    "city": "",
    "hire_date": None,
    "hours_per_week": None,
    "employment_status": "",
}


def statuses(group):
    return dict(Member.objects.filter(group=group).values_list("member_ref", "validation_status"))


def sent_refs(fake_client):
    return {ref for _method, refs, _key in fake_client.calls for ref in refs}


@pytest.mark.parametrize("threshold", [10, 2], ids=["one by one", "batch"])
def test_it_validates_the_others_and_keeps_the_incomplete_member_back(
    ann, luis, fake_client, rule_facts, threshold
):
    Member.objects.filter(pk=luis.pk).update(**NO_ADDRESS_NOR_JOB)
    with override_settings(MEMBERS_BATCH_THRESHOLD=threshold):
        counts = services.group_validate_members(group_id=ann.group_id)

    assert counts["valid"] == 4 and counts["incomplete"] == 1
    assert statuses(ann.group) == {
        "E-001": V.VALID,
        "E-001-S": V.VALID,
        "E-001-C1": V.VALID,
        "E-001-C2": V.VALID,
        "E-002": V.INCOMPLETE,
    }
    assert "E-002" not in sent_refs(fake_client)
    missing = Member.objects.get(pk=luis.pk).portal_errors
    assert {e["code"] for e in missing} >= {"MBR-007", "MBR-008"}
    assert {"address_line1", "city", "hire_date", "hours_per_week"} <= {e["field"] for e in missing}
    assert all(e["fix"] for e in missing)


def test_it_sends_an_incomplete_member_again_only_once_it_is_edited(luis, fake_client, rule_facts, queued):
    Member.objects.filter(pk=luis.pk).update(**NO_ADDRESS_NOR_JOB)
    services.group_validate_members(group_id=luis.group_id)
    assert statuses(luis.group) == {"E-002": V.INCOMPLETE}

    # "Validate now", the sweep, a redelivered task: nothing to send, no retry loop
    services.members_request_validation(group=luis.group)
    with override_settings(MEMBERS_SWEEP_STALE_SECONDS=0):
        assert services.members_sweep() == 0
    assert services.group_validate_members(group_id=luis.group_id)["sent"] == 0
    assert fake_client.calls == []

    luis.refresh_from_db()
    services.family_save(
        group=luis.group,
        subscriber=luis,
        subscriber_data={
            "address_line1": "9 Oak Ave",
            "city": "Louisville",
            "hire_date": "2024-07-01",
            "hours_per_week": 40,
            "employment_status": "FULL_TIME",
        },  # fmt: skip
        dependents_data=[],
        elections={},
        by=None,
    )
    assert Member.objects.get(pk=luis.pk).portal_errors == []
    services.group_validate_members(group_id=luis.group_id)
    assert statuses(luis.group) == {"E-002": V.VALID}


def test_it_holds_the_dependents_of_an_incomplete_employee_and_sends_them_once_it_is_valid(
    ann, fake_client, rule_facts, queued, django_capture_on_commit_callbacks
):
    Member.objects.filter(pk=ann.pk).update(address_line1="", city="")
    services.group_validate_members(group_id=ann.group_id)
    assert set(statuses(ann.group).values()) == {V.INCOMPLETE}
    assert fake_client.calls == []  # the carrier would refuse each dependent (MBR-020)
    spouse = Member.objects.get(member_ref="E-001-S")
    assert [e["code"] for e in spouse.portal_errors] == ["MBR-020"]
    assert completeness.is_held(spouse)

    ann.refresh_from_db()
    services.family_save(
        group=ann.group,
        subscriber=ann,
        subscriber_data={"address_line1": ANN["address_line1"], "city": ANN["city"]},
        dependents_data=[],
        elections=ANN_ELECTIONS,
        by=None,
    )
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.group_validate_members(group_id=ann.group_id)
    assert statuses(ann.group)["E-001"] == V.VALID
    assert statuses(ann.group)["E-001-S"] == V.NOT_VALIDATED
    assert queued == [ann.group_id]  # the dependents were put back in the queue
    services.group_validate_members(group_id=ann.group_id)
    assert set(statuses(ann.group).values()) == {V.VALID}


def test_the_task_ends_on_a_member_our_schema_refuses(luis, fake_client, rule_facts):
    Member.objects.filter(pk=luis.pk).update(gender="")
    result = tasks.validate_group_members.apply(args=[luis.group_id], throw=True).get()
    assert result["incomplete"] == 1
    member = Member.objects.get(pk=luis.pk)
    assert member.validation_status == V.INCOMPLETE
    assert [e["code"] for e in member.portal_errors] == ["MBR-004"]


def test_a_request_the_client_refuses_is_a_permanent_error_for_that_member(
    ann, fake_client, rule_facts, monkeypatch
):
    with pytest.raises(InvalidCarrierRequest) as caught:
        request_body(MemberValidationRequest, {"memberRef": "E-001"})
    assert isinstance(caught.value, CarrierPermanentError) and isinstance(caught.value, ValueError)
    assert caught.value.code == "SCHEMA" and caught.value.status is None

    # Should the check before sending ever pass a body the client then refuses, only that member stops.
    monkeypatch.setattr(completeness, "body_schema_errors", lambda body: [])
    Member.objects.filter(member_ref="E-001-C1").update(gender="")
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        services.group_validate_members(group_id=ann.group_id)
    child = Member.objects.get(member_ref="E-001-C1")
    assert child.validation_status == V.INCOMPLETE
    assert [e["code"] for e in child.portal_errors] == ["MBR-004"]
    assert statuses(ann.group)["E-001-S"] == V.VALID


def test_the_member_list_shows_what_blocks_each_family(broker_client, ann, luis, fake_client, rule_facts):
    Member.objects.filter(pk=luis.pk).update(**NO_ADDRESS_NOR_JOB)
    Member.objects.filter(member_ref="E-001-C1").update(gender="")
    services.group_validate_members(group_id=ann.group_id)

    html = broker_client.get(reverse("members:member_list", args=[ann.group_id])).content.decode()
    assert html.count("What blocks this family") == 2
    blockers = re.sub(r"<[^>]+>", "", html[html.index("What blocks this family") :])
    assert "E-001-C1 · Gender" in blockers and "MBR-004" in blockers
    assert "E-002 · Address line 1" in blockers and "MBR-007" in blockers and "MBR-008" in blockers
    assert "Incomplete: not sent" in html
    assert "members are incomplete and were not sent" in html


def test_the_member_list_says_why_the_834_rejected_a_member_and_what_to_do(broker_client, luis, rule_facts):
    services.member_record_enrollment_results(
        group=luis.group,
        results=[
            {"memberRef": "E-002", "status": "REJECTED", "errors": [{"code": "FIL-901", "message": "No."}]}
        ],
    )
    html = broker_client.get(reverse("members:member_list", args=[luis.group_id])).content.decode()
    blockers = re.sub(r"<[^>]+>", "", html[html.index("What blocks this family") :])
    assert "E-002: FIL-901 No." in blockers and "follow-up" in blockers
