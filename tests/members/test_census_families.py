"""Issue 15 item 4: a census-imported family can be invited before the broker types every dependent's
name. The census gives no names, SSNs or addresses: each member is saved with what it has, marked with
what it lacks (member list and family page), and the family saves with only the employee's e-mail
added. Before the fix the family form refused the whole save until every dependent had a name."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from members import services
from members.models import Member

from .page_form import form_data

pytestmark = pytest.mark.django_db

V = Member.ValidationStatus


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_census_import_marks_what_each_member_lacks(broker_client, group, rule_facts):
    assert services.census_import_members(group=group) == 5
    members = {m.member_ref: m for m in Member.objects.filter(group=group)}
    assert {m.validation_status for m in members.values()} == {V.INCOMPLETE}
    employee = {e["code"] for e in members["E-001"].portal_errors}
    assert {"MBR-001", "MBR-002", "MBR-007", "MBR-008"} <= employee
    assert "MBR-001" in {e["code"] for e in members["E-001-S"].portal_errors}

    page = text(broker_client.get(reverse("members:member_list", args=[group.pk])))
    assert "What blocks this family" in page
    assert "E-001-S · First name: MBR-001" in page


def test_a_census_family_saves_and_is_invited_with_only_the_employees_email(
    broker_client, group, rule_facts, queued
):
    services.census_import_members(group=group)
    ann = Member.objects.get(group=group, member_ref="E-001")
    url = reverse("members:family_edit", args=[group.pk, ann.pk])
    data = form_data(broker_client.get(url).content.decode())
    data["subscriber-first_name"] = ["Ann"]
    data["subscriber-last_name"] = ["Lee"]
    data["subscriber-email"] = ["ann@example.com"]

    response = broker_client.post(url, data)
    assert response.status_code == 302, text(response)
    ann.refresh_from_db()
    assert ann.email == "ann@example.com" and ann.first_name == "Ann"
    spouse = Member.objects.get(group=group, member_ref="E-001-S")
    assert spouse.first_name == "" and spouse.subscriber_id == ann.pk
    # the family page says what is still missing, beside each dependent's name
    page = broker_client.get(url).content.decode()
    assert re.search(r'id="field-dependents-0-first_name".*?MBR-001', page, re.S)

    response = broker_client.post(reverse("members:invitation_send", args=[group.pk, ann.pk]))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert ann.invitations.count() == 1
