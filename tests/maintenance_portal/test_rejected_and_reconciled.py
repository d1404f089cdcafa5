"""A change file rejected for one family (MNT-012: Luis's move sent after its send-by date) and accepted
for the other, the rejected change checked again and sent in a second file; the carrier's roster read by
the button and by the beat task, showing a difference planted in the portal."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from enrollment.models import Notice
from maintenance import tasks
from maintenance.models import ChangeFile, ChangeRequest, MemberCoverage, RosterCheck
from members.models import Election, Member

from .conftest import eventually, on
from .test_new_hire import PRIYA

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
MOVE = {"member": "E-002", "event_date": "2027-03-08", "address_line1": "77 Pine St", "city": "Louisville",
        "state": "KY", "zip5": "40204", "county_fips": "21111"}  # fmt: skip


def test_a_file_rejected_for_one_family_is_corrected_and_sent_again(enrolled, client, broker):
    group = enrolled
    client.force_login(broker.user)
    on("2027-03-09")
    client.post(reverse("maintenance:move", args=[group.pk]), MOVE)
    on("2027-03-22")
    client.post(reverse("maintenance:new_hire", args=[group.pk]), PRIYA)
    move = ChangeRequest.objects.get(group=group, member_ref="E-002")
    hire = ChangeRequest.objects.get(group=group, member_ref="E-003")
    assert (move.state, hire.state) == ("VALIDATED", "VALIDATED"), (move.carrier_errors, hire.carrier_errors)
    assert move.change["sendBy"] < "2027-03-23" <= hire.change["sendBy"]

    on("2027-03-23")
    client.post(reverse("maintenance:send", args=[group.pk]))
    client.post(reverse("maintenance:poll", args=[group.pk]))
    first = ChangeFile.objects.get(group=group)
    move.refresh_from_db()
    hire.refresh_from_db()
    page = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()

    assert first.status == "ACCEPTED_WITH_ERRORS", (first.status, first.problems, first.results)
    assert (move.state, hire.state) == ("REJECTED", "APPLIED")
    assert [e["code"] for e in move.carrier_errors] == ["MNT-012"]
    assert "MNT-012" in page and reverse("maintenance:check_again", args=[group.pk, move.pk]) in page

    client.post(reverse("maintenance:check_again", args=[group.pk, move.pk]))
    move.refresh_from_db()
    assert move.state == "VALIDATED" and move.change["requestDate"] == "2027-03-23"
    client.post(reverse("maintenance:send", args=[group.pk]))
    client.post(reverse("maintenance:poll", args=[group.pk]))
    second = ChangeFile.objects.exclude(pk=first.pk).get(group=group)
    move.refresh_from_db()

    assert second.status == "ACCEPTED" and move.state == "APPLIED", second.results
    assert Member.objects.get(group=group, member_ref="E-002").address_line1 == "77 Pine St"
    moves = [(h.from_state, h.to_state, h.file_reference) for h in move.history.all()]
    assert moves == [
        ("DRAFT", "VALIDATED", ""), ("VALIDATED", "IN_FILE", first.reference),
        ("IN_FILE", "REJECTED", first.reference), ("REJECTED", "DRAFT", ""), ("DRAFT", "VALIDATED", ""),
        ("VALIDATED", "IN_FILE", second.reference), ("IN_FILE", "APPLIED", second.reference),
    ]  # fmt: skip
    assert move.history.get(to_state="IN_FILE", file_reference=first.reference).by == broker.user
    # the broker is told how each file ended, with counts (issue 22: "when a change is applied or rejected")
    told = [m.body for m in mail.outbox if "Humana answered the change file" in m.body]
    assert [(first.reference in told[0], "1 applied, 1 rejected" in told[0]) for _ in told[:1]] == [
        (True, True)
    ]
    assert second.reference in told[1] and "1 applied, 0 rejected" in told[1], told
    assert Notice.objects.filter(group=group, kind="MEMBER_CHANGES", role="BROKER").count() == 2


def test_reconciliation_shows_a_planted_difference(enrolled, client, broker):
    group = enrolled
    client.force_login(broker.user)
    on("2027-03-01")
    client.post(reverse("maintenance:reconcile", args=[group.pk]))
    clean = RosterCheck.objects.get(group=group)
    assert clean.differences == []

    Election.objects.filter(member__group=group, member__member_ref="E-002", line="MEDICAL").update(
        plan_id="12345KY0010002"
    )  # the portal holds Luis on another plan than the carrier
    Member.objects.filter(group=group, member_ref="E-001-C2").delete()  # and has lost Noah
    client.post(reverse("maintenance:reconcile", args=[group.pk]))
    check = RosterCheck.objects.get(group=group)
    page = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()

    assert sorted((d["kind"], d["memberRef"]) for d in check.differences) == [
        ("COVERAGE", "E-002"), ("MISSING_HERE", "E-001-C2")]  # fmt: skip
    assert "2 differences from the carrier" in page and "1 group differs from the carrier" in page
    assert not MemberCoverage.objects.exists()  # nothing was applied, nothing ended


def test_the_beat_task_reads_every_enrolled_groups_roster(enrolled, celery_worker_thread):
    group = enrolled
    on("2027-03-01")
    Member.objects.filter(group=group, member_ref="E-002").delete()
    assert tasks.reconcile_rosters.delay().get(timeout=60) == 1
    eventually(lambda: RosterCheck.objects.filter(group=group).exists(), "the roster was read")
    assert [d["kind"] for d in RosterCheck.objects.get(group=group).differences] == ["MISSING_HERE"]


def test_a_change_saved_while_the_carrier_is_down_is_validated_by_the_worker_later(
    enrolled, client, broker, settings, celery_worker_thread
):
    group = enrolled
    client.force_login(broker.user)
    on("2027-03-09")
    settings.SANDBOX_ERROR_RATE = 1.0  # every call answers 503
    settings.HUMANA_API_MAX_ATTEMPTS = 1
    page = client.post(reverse("maintenance:move", args=[group.pk]), MOVE, follow=True).content.decode()
    move = ChangeRequest.objects.get(group=group, member_ref="E-002")
    assert move.state == "DRAFT" and "will be validated again" in page
    settings.SANDBOX_ERROR_RATE = 0.0
    eventually(
        lambda: ChangeRequest.objects.values_list("state", flat=True).get(pk=move.pk) == "VALIDATED",
        "the worker validated the change once the carrier answered",
    )
