"""Issue 19 item 6: a member's validation status is a state machine (``members.states``): a transition
table, a guarded update, and an event row for every move, which the bulk updates used to skip."""

from __future__ import annotations

import pytest
from django.test import override_settings

from members import services
from members.models import Member, ValidationEvent
from members.states import TRANSITIONS, member_validation_move, members_validation_move

pytestmark = pytest.mark.django_db

V = Member.ValidationStatus
MBR_005 = {"code": "MBR-005", "pointer": "/dateOfBirth", "message": "Over the age limit."}


def moves(member: Member) -> list[tuple[str, str, int]]:
    return [(e.from_status, e.to_status, e.edit_version) for e in member.validation_events.all()]


def test_the_table_names_every_status_and_only_statuses():
    assert set(TRANSITIONS) == set(V.values)
    assert all(targets <= set(V.values) for targets in TRANSITIONS.values())


def test_each_move_of_a_validation_leaves_its_event(luis, fake_client):
    version = Member.objects.get(pk=luis.pk).edit_version
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        services.group_validate_members(group_id=luis.group_id)
    luis.refresh_from_db()
    assert luis.validation_status == V.VALID
    assert moves(luis)[-2:] == [(V.NOT_VALIDATED, V.PENDING, version), (V.PENDING, V.VALID, version)]
    assert luis.validation_events.last().reason == "Validated by the carrier."

    services.members_request_validation(group=luis.group, member_ids=[luis.pk])  # "validate again"
    luis.refresh_from_db()
    assert moves(luis)[-1] == (V.VALID, V.NOT_VALIDATED, version + 1)
    assert luis.edit_version == version + 1


def test_a_refusal_names_the_carriers_codes(luis, fake_client):
    fake_client.fail["E-002"] = [MBR_005]
    with override_settings(MEMBERS_BATCH_THRESHOLD=10):
        services.group_validate_members(group_id=luis.group_id)
    event = ValidationEvent.objects.filter(member=luis).last()
    assert (event.from_status, event.to_status) == (V.PENDING, V.INVALID)
    assert "MBR-005" in event.reason


def test_the_table_refuses_a_move_it_does_not_list(luis):
    Member.objects.filter(pk=luis.pk).update(validation_status=V.VALID)
    before = ValidationEvent.objects.count()
    for to in (V.PENDING, V.INCOMPLETE, V.CARRIER_UNREACHABLE, V.VALID):
        assert members_validation_move(members=Member.objects.filter(pk=luis.pk), to=to, reason="no") == []
    assert Member.objects.get(pk=luis.pk).validation_status == V.VALID
    assert ValidationEvent.objects.count() == before


def test_a_late_answer_moves_nothing_after_an_edit(luis):
    Member.objects.filter(pk=luis.pk).update(validation_status=V.PENDING)
    sent = Member.objects.get(pk=luis.pk)  # as the validation run loaded it
    services.family_save(
        group=luis.group, subscriber=luis, subscriber_data={"first_name": "Luiz"}, dependents_data=[],
        elections={}, by=None,
    )  # fmt: skip
    assert not member_validation_move(member=sent, to=V.VALID, reason="late", frm=V.PENDING)
    luis.refresh_from_db()
    assert luis.validation_status == V.NOT_VALIDATED and luis.edit_version == sent.edit_version + 1
    assert moves(luis)[-1] == (V.PENDING, V.NOT_VALIDATED, sent.edit_version + 1)
