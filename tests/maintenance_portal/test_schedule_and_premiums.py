"""The hourly send-due task sends a change nearing its send-by date (flagged on the page first); the
reconciliation shows the roster's monthlyPremium where the carrier gives one."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from groupsales.contract.maintenance import RosterMember
from maintenance import services, tasks
from maintenance.models import ChangeFile, ChangeRequest, RosterCheck

from .conftest import eventually, on
from .test_rejected_and_reconciled import MOVE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_change_near_its_send_by_date_is_flagged_then_sent_by_the_schedule(
    enrolled, client, broker, celery_worker_thread
):
    group = enrolled
    client.force_login(broker.user)
    on("2027-03-09")
    client.post(reverse("maintenance:move", args=[group.pk]), MOVE)
    move = ChangeRequest.objects.get(group=group, member_ref="E-002")
    assert move.state == "VALIDATED" and move.change["sendBy"] == "2027-03-19", move.carrier_errors
    assert tasks.send_due_change_files.delay().get(timeout=30) == 0  # ten days ahead: not yet

    on("2027-03-18")
    page = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()
    assert "1 validated change must be sent within two days or it expires." in page
    assert tasks.send_due_change_files.delay().get(timeout=30) == 1
    eventually(
        lambda: ChangeRequest.objects.values_list("state", flat=True).get(pk=move.pk) == "APPLIED",
        "the schedule's file was applied",
        limit=90,
    )
    assert ChangeFile.objects.get(group=group).status == "ACCEPTED"


ROSTER = {
    "memberRef": "E-002", "subscriberRef": "E-002", "relationship": "SUBSCRIBER", "firstName": "LUIS",
    "lastName": "ORTIZ", "dateOfBirth": "1995-07-22", "gender": "MALE", "status": "ACTIVE",
    "coverageStart": "2027-01-01",
    "coverage": [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP", "start": "2027-01-01",
         "monthlyPremium": "591.54"},
        {"line": "DENTAL", "planId": "12345KY0020001", "coverageTier": "EMP", "start": "2027-01-01",
         "end": "2027-02-28", "monthlyPremium": "30.00"},
        {"line": "VISION", "planId": "12345KY0030001", "coverageTier": "EMP", "start": "2027-01-01"},
    ],
}  # fmt: skip


def test_the_roster_premiums_are_kept_for_covered_lines_that_carry_one():
    member = RosterMember.model_validate(ROSTER)
    assert services.roster_premiums(roster=[member]) == [
        {"memberRef": "E-002", "line": "MEDICAL", "planId": "12345KY0010001", "monthlyPremium": "591.54"}
    ]


@pytest.mark.django_db
def test_the_page_shows_the_premiums_in_money(client, broker):
    from tests.enrollment.conftest import make_complete_group

    group = make_complete_group(broker)
    type(group).objects.filter(pk=group.pk).update(status="ENROLLED", humana_group_id="100234")
    RosterCheck.objects.create(
        group=group, checked_at=timezone.now(), as_of=date(2027, 3, 1), differences=[],
        premiums=services.roster_premiums(roster=[RosterMember.model_validate(ROSTER)]),
    )  # fmt: skip
    client.force_login(broker.user)
    page = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()
    assert "Monthly premium on the carrier's roster on 2027-03-01" in page
    assert re.search(r"E-002</th><td[^>]*>Medical</td><td[^>]*>\$591\.54</td>", page)
