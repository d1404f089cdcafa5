"""Issue 16 item 14, the broker's side: where a broker may read a date of birth.

Decided: the full date only inside the family form's date-of-birth field (the broker may have to correct
it); its hint gives the year only. The member list, the family page outside those fields, the group's
pages and every e-mail show none (``docs/reliability.md``, "Access and personal data")."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from members.models import Member

pytestmark = pytest.mark.django_db


def spellings(born: date) -> set[str]:
    """The ways a page or an e-mail could write the date (ISO, US, European, X12, words)."""
    d, m, y = born.day, born.month, born.year
    return {
        born.isoformat(),
        born.strftime("%Y%m%d"),
        f"{m:02}/{d:02}/{y}",
        f"{m}/{d}/{y}",
        f"{d:02}/{m:02}/{y}",
        f"{d}/{m}/{y}",
        born.strftime("%B") + f" {d}, {y}",
        born.strftime("%b") + f". {d}, {y}",
        f"{d} " + born.strftime("%B") + f" {y}",
    }


def family_dates() -> dict[str, date]:
    return {m.member_ref: m.date_of_birth for m in Member.objects.all()}


def test_the_family_form_shows_each_date_only_in_its_own_field(broker_client, ann, rule_facts):
    html = broker_client.get(reverse("members:family_edit", args=[ann.group_id, ann.pk])).content.decode()
    inputs = re.findall(r'<input type="date" name="([^"]+-date_of_birth)" value="([^"]*)"', html)
    assert sorted(value for _name, value in inputs) == sorted(d.isoformat() for d in family_dates().values())
    outside = re.sub(r'<input type="date" name="[^"]+-date_of_birth" value="[^"]*"', "", html)
    for born in family_dates().values():
        assert [s for s in spellings(born) if s in outside] == []
    assert f"On file: born in {ann.date_of_birth.year}." in html


def test_the_member_list_and_the_invitation_show_no_date_of_birth(broker_client, ann, rule_facts):
    Member.objects.filter(member_ref="E-001-C1").update(
        validation_status=Member.ValidationStatus.INVALID,
        carrier_errors=[{"code": "MBR-005", "pointer": "/dateOfBirth", "message": "Over the age limit."}],
    )
    html = broker_client.get(reverse("members:member_list", args=[ann.group_id])).content.decode()
    assert "MBR-005" in html
    broker_client.post(reverse("members:invitation_send", args=[ann.group_id, ann.pk]))
    assert len(mail.outbox) == 1
    email = mail.outbox[0].subject + mail.outbox[0].body
    for born in family_dates().values():
        assert [s for s in spellings(born) if s in html] == []
        assert [s for s in spellings(born) if s in email] == []
