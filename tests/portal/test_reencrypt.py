"""``reencrypt_pii`` covers every kind of encrypted column: whole values, JSON whose values are each
encrypted (an employee's self-service draft) and the stored 834 (issue 16, item 1)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from members import self_service
from members.models import Invitation
from tests.members.conftest import ann, group, queued, rule_facts  # noqa: F401

from .test_personal_data import _use_salts

pytestmark = pytest.mark.django_db


def _raw_draft(invitation: Invitation) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT draft FROM members_invitation WHERE id = %s", [invitation.pk])
        return cursor.fetchone()[0]


def test_it_rotates_an_employees_draft_without_losing_a_value(ann, settings):  # noqa: F811
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    self_service.draft_save(invitation=invitation, step="details", data={"ssn": "123456789", "city": "Lou"})
    empty = self_service.invitation_send(subscriber=ann, by=None)  # a second one, its draft still {}
    before, old = _raw_draft(invitation), list(settings.SALT_KEY)
    assert "123456789" not in before
    try:
        _use_salts(settings, ["salt-of-2027", *old])
        call_command("reencrypt_pii", stdout=StringIO())
        _use_salts(settings, ["salt-of-2027"])
        after = _raw_draft(invitation)
        assert after != before and "123456789" not in after
        assert Invitation.objects.get(pk=invitation.pk).draft == {
            "details": {"ssn": "123456789", "city": "Lou"}
        }
        assert Invitation.objects.get(pk=empty.pk).draft == {}
    finally:
        _use_salts(settings, old)


def test_it_refuses_a_draft_value_no_key_can_read(ann, settings):  # noqa: F811
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    self_service.draft_save(invitation=invitation, step="details", data={"ssn": "123456789"})
    before, old = _raw_draft(invitation), list(settings.SALT_KEY)
    try:
        _use_salts(settings, ["a-salt-that-never-encrypted-anything"])
        with pytest.raises(CommandError, match="no configured key can read"):
            call_command("reencrypt_pii", stdout=StringIO())
    finally:
        _use_salts(settings, old)
    assert _raw_draft(invitation) == before


def _raw_sandbox_body(carrier_group) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM sandbox_group WHERE id = %s", [carrier_group.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else __import__("json").dumps(value)


def test_it_rotates_the_sandboxs_sealed_values_and_keeps_the_rest_queryable(settings):
    from django.utils import timezone

    from sandbox.models import Group, Partner

    now = timezone.now()
    body = {
        "writingAgent": {"npn": "17012345"},
        "census": [
            {"memberRef": "E-001", "dateOfBirth": "1980-05-02", "tobaccoUse": False, "dependents": []}
        ],
    }
    carrier_group = Group.objects.create(
        partner=Partner.objects.create(name="Rotation", sender_id="ROTATION"), group_id="100001", body=body,
        rating_area_id="KY01", created_at=now, created_on=now.date(), updated_at=now,
    )  # fmt: skip
    before, old = _raw_sandbox_body(carrier_group), list(settings.SALT_KEY)
    assert "1980-05-02" not in before and "17012345" in before
    try:
        _use_salts(settings, ["salt-of-2027", *old])
        call_command("reencrypt_pii", stdout=StringIO())
        _use_salts(settings, ["salt-of-2027"])
        after = _raw_sandbox_body(carrier_group)
        assert after != before and "1980-05-02" not in after
        assert Group.objects.get(pk=carrier_group.pk).body == body  # types kept (False stays False)
        assert Group.objects.filter(body__writingAgent__npn="17012345").get() == carrier_group
    finally:
        _use_salts(settings, old)
