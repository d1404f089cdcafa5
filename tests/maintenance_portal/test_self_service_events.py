"""The employee's own life-event link end to end, beyond a birth (issue 21): each report is validated with
the sandbox over HTTP as it is saved, sent in a change file by a real worker, ACCEPTED, and the portal's
rows follow. Luis loses his other coverage (dental and vision start), then marries (his wife added, his
tier ESP on every line); Ann moves, reported on a phone in Spanish (a demographic change)."""

from __future__ import annotations

from datetime import date

import pytest

from carrier.client import get_client
from maintenance import tasks
from maintenance.models import ChangeFile, ChangeRequest
from maintenance.self_service import life_event_link_send
from members.models import Election, Member

from .conftest import eventually, on

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es", "HTTP_USER_AGENT": PHONE}


def _applied(group, refs: set[str], files: int) -> None:
    """Send the group's validated changes with the worker and wait for the file's results."""
    tasks.send_change_file.delay(group.pk)
    eventually(
        lambda: (
            set(
                ChangeRequest.objects.filter(group=group, member_ref__in=refs, state="APPLIED").values_list(
                    "member_ref", flat=True
                )
            )
            == refs
            and ChangeFile.objects.filter(group=group).count() == files
        ),
        f"the change file applied {sorted(refs)}",
        limit=90,
    )
    latest = ChangeFile.objects.filter(group=group).order_by("-pk").first()
    assert latest is not None and latest.status == "ACCEPTED", latest.problems if latest else None


def _roster(group, day: str) -> dict:
    with get_client() as carrier:
        members = carrier.iter_group_members(group.humana_group_id, as_of=date.fromisoformat(day))
        return {m.member_ref: m for m in members}


def test_loss_of_other_coverage_then_marriage_on_the_employees_own_link(
    enrolled, client, celery_worker_thread
):
    group = enrolled
    luis = Member.objects.get(group=group, member_ref="E-002")
    luis.email = "luis@example.com"
    luis.save(update_fields=["email"])
    _link, token = life_event_link_send(subscriber=luis)
    base = f"/enroll/life-events/{token}"

    # Loss of other coverage: his wife's employer's plan ends on 2027-05-31; he takes dental and vision.
    on("2027-05-25")
    form = client.get(f"{base}/loss-of-coverage").content.decode()
    assert "Keep it waived" in form and "12345KY0020001" in form and "12345KY0010001" not in form
    took_up = {"event_date": "2027-05-31", "plan_DENTAL": "12345KY0020001", "plan_VISION": "12345KY0030001"}
    saved = client.post(f"{base}/loss-of-coverage", took_up)
    took = ChangeRequest.objects.get(group=group, member_ref="E-002", event_type="LOSS_OF_COVERAGE")
    assert took.state == "VALIDATED" and took.reported_by_employee, took.carrier_errors
    assert took.change["effectiveDate"] == "2027-06-01"
    assert "The carrier takes this change from 2027-06-01" in saved.content.decode()
    _applied(group, {"E-002"}, files=1)
    assert {e.line: (e.plan_id, e.waived) for e in Election.objects.filter(member=luis)} == {
        "MEDICAL": ("12345KY0010001", False), "DENTAL": ("12345KY0020001", False),
        "VISION": ("12345KY0030001", False),
    }  # fmt: skip
    lines = {c.line.value: c.coverage_tier.value for c in _roster(group, "2027-06-01")["E-002"].coverage}
    assert lines == {"MEDICAL": "EMP", "DENTAL": "EMP", "VISION": "EMP"}

    # Marriage on 2027-05-20: Elena added, Luis's tier ESP on every line he has, from 2027-06-01.
    on("2027-05-27")
    married = client.post(f"{base}/marriage", {
        "member_ref": "E-002-S", "relationship": "SPOUSE", "first_name": "Elena", "last_name": "Ortiz",
        "date_of_birth": "1996-02-11", "gender": "FEMALE", "ssn": "123456787",
        "event_date": "2027-05-20"})  # fmt: skip
    event = ChangeRequest.objects.filter(group=group, event_type="MARRIAGE").order_by("pk")
    assert [(c.member_ref, c.action, c.state) for c in event] == [
        ("E-002", "CHANGE", "VALIDATED"), ("E-002-S", "ADD", "VALIDATED")
    ], [c.carrier_errors for c in event]  # fmt: skip
    assert len({c.event_key for c in event}) == 1  # one event, one file (MNT-013)
    subscriber_change = event[0]
    assert {c["line"]: c["coverageTier"] for c in subscriber_change.body["coverage"]} == {
        "MEDICAL": "ESP",
        "DENTAL": "ESP",
        "VISION": "ESP",
    }
    assert subscriber_change.body["maritalStatus"] == "MARRIED"
    assert married.content.decode().count("2027-06-01") >= 2
    _applied(group, {"E-002", "E-002-S"}, files=2)

    elena = Member.objects.get(group=group, member_ref="E-002-S")
    assert elena.subscriber_id == luis.pk and elena.humana_member_id
    luis.refresh_from_db()
    assert luis.marital_status == "MARRIED"
    roster = _roster(group, "2027-06-01")
    assert {c.line.value: c.coverage_tier.value for c in roster["E-002"].coverage} == {
        "MEDICAL": "ESP",
        "DENTAL": "ESP",
        "VISION": "ESP",
    }
    assert roster["E-002-S"].coverage_start == date(2027, 6, 1)
    start = client.get(f"{base}/").content.decode()
    assert "Elena" in start and "Applied" in start


def test_an_address_change_reported_on_a_phone_in_spanish(enrolled, client, celery_worker_thread):
    group = enrolled
    ann = Member.objects.get(group=group, member_ref="E-001")
    _link, token = life_event_link_send(subscriber=ann)
    base = f"/enroll/life-events/{token}"

    on("2027-05-25")
    form = client.get(f"{base}/details", **SPANISH).content.decode()
    assert "Cambió mi dirección o mis datos" in form and 'lang="es"' in form
    saved = client.post(f"{base}/details", {
        "member": "E-001", "event_date": "2027-05-24", "address_line1": "48 Cherokee Rd",
        "city": "Louisville", "state": "ky", "zip5": "40204", "county_fips": "21111"}, **SPANISH)  # fmt: skip
    page = saved.content.decode()
    moved = ChangeRequest.objects.get(group=group, member_ref="E-001", event_type="DEMOGRAPHIC")
    assert moved.state == "VALIDATED" and moved.reported_by_employee, moved.carrier_errors
    assert moved.body["address"]["line1"] == "48 Cherokee Rd" and moved.body["address"]["state"] == "KY"
    assert moved.change["effectiveDate"] == "2027-05-25" and moved.change["maintenanceReasonCode"] == "43"
    assert (
        "Lo que dijo la aseguradora" in page
        and "La aseguradora acepta este cambio desde el 2027-05-25" in page
    )
    assert not ChangeRequest.objects.filter(group=group).exclude(pk=moved.pk).exists()  # Ann alone

    _applied(group, {"E-001"}, files=1)
    file = ChangeFile.objects.get(group=group)
    assert "N3*48 CHEROKEE RD" in file.content.upper() and "*001*43" in file.content
    ann.refresh_from_db()
    assert (ann.address_line1, ann.zip5) == ("48 Cherokee Rd", "40204")
    start = client.get(f"{base}/", **SPANISH).content.decode()
    assert "Aplicado" in start
