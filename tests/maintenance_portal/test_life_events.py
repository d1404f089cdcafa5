"""Life events through the one life-event page (``maintenance.life_events.LIFE_EVENTS``), validated with
the sandbox over HTTP as they are saved, the carrier's dates shown before anything is sent, refusals with
the MNT rule and its fix; sent in change files and applied to the portal's members."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from enrollment.models import EmployerGroup
from maintenance.models import ChangeFile, ChangeRequest, MemberCoverage
from members.models import Member

from .conftest import on

pytestmark = pytest.mark.django_db(transaction=True)


def event_page(client, group, slug: str, data: dict | None = None, **get):
    url = reverse("maintenance:life_event", args=[group.pk, slug])
    if data is None:
        return client.get(url, get)
    return client.post(url, data)


def send_and_poll(client, group) -> ChangeFile:
    client.post(reverse("maintenance:send", args=[group.pk]))
    client.post(reverse("maintenance:poll", args=[group.pk]))
    return ChangeFile.objects.filter(group=group).first()


def loops(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip().startswith(("INS*", "HD*", "DTP*"))]


@pytest.fixture
def broker_in(client, broker):
    client.force_login(broker.user)
    return client


IRIS = {"family": "E-001", "member_ref": "E-001-C3", "relationship": "CHILD", "first_name": "Iris",
        "last_name": "Lee", "gender": "FEMALE", "event_date": "2027-04-10"}  # fmt: skip


def test_a_birth_45_days_late_is_retroactive_and_65_days_late_refused_with_mnt_005(enrolled, broker_in):
    group, client = enrolled, broker_in
    client.cookies["django_language"] = "es"
    form = event_page(client, group, "birth").content.decode()
    on("2027-06-14")
    late = event_page(client, group, "birth", IRIS).content.decode()
    refused = ChangeRequest.objects.get(member_ref="E-001-C3")

    assert "Nació un bebé" in form and "Fecha de nacimiento" in form
    assert refused.state == "REFUSED" and "MNT-005" in {e["code"] for e in refused.carrier_errors}
    assert "MNT-005" in late and 'class="fix"' in late

    ChangeRequest.objects.all().delete()
    on("2027-05-25")
    saved = event_page(client, group, "birth", IRIS).content.decode()
    iris = ChangeRequest.objects.get(member_ref="E-001-C3")
    assert iris.state == "VALIDATED", iris.carrier_errors
    assert iris.change["effectiveDate"] == "2027-04-10" and iris.change["maintenanceReasonCode"] == "02"
    assert "2027-04-10" in saved and not ChangeFile.objects.exists()  # the dates, before anything is sent
    assert list(ChangeRequest.objects.values_list("member_ref", flat=True)) == ["E-001-C3"]  # Ann stays FAM

    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)
    newborn = Member.objects.get(group=group, member_ref="E-001-C3")
    assert newborn.subscriber.member_ref == "E-001" and str(newborn.coverage_span.start) == "2027-04-10"


def test_a_divorce_ends_the_spouse_at_month_end_and_retiers_every_line_in_one_family_loop(
    enrolled,
    broker_in,
):
    group, client = enrolled, broker_in
    on("2027-08-25")
    saved = event_page(client, group, "divorce", {"member": "E-001-S", "event_date": "2027-08-20"})
    david = ChangeRequest.objects.get(member_ref="E-001-S")
    ann = ChangeRequest.objects.get(member_ref="E-001")

    assert (david.state, ann.state) == ("VALIDATED", "VALIDATED"), (david.carrier_errors, ann.carrier_errors)
    assert (david.change["coverageEnd"], david.change["effectiveDate"]) == ("2027-08-31", "2027-09-01")
    assert {c["coverageTier"] for c in ann.body["coverage"]} == {"ECH"} and ann.body[
        "maritalStatus"
    ] == "DIVORCED"
    assert david.event_key and david.event_key == ann.event_key
    assert "2027-08-31" in saved.content.decode()

    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)
    segments = loops(file.content)
    ins = [s for s in segments if s.startswith("INS*")]
    assert [s.split("*")[1:5] for s in ins] == [["Y", "18", "001", "01"], ["N", "01", "024", "01"]]
    ann_hd = segments[1 : segments.index(ins[1])]
    assert [s for s in ann_hd if s.startswith("HD*")] == [
        "HD*001**HLT*12345KY0010001*ECH", "HD*001**DEN*12345KY0020001*ECH", "HD*001**VIS*12345KY0030001*ECH",
    ]  # fmt: skip
    assert "DTP*357*D8*20270831" in segments[segments.index(ins[1]) :]
    span = MemberCoverage.objects.get(member__member_ref="E-001-S")
    assert (str(span.end), span.end_reason) == ("2027-08-31", "DIVORCE")


def test_a_death_ends_the_family_and_a_reinstatement_brings_it_back(enrolled, broker_in, broker):
    group, client = enrolled, broker_in
    on("2027-06-12")
    event_page(client, group, "death", {"member": "E-002", "event_date": "2027-06-10"})
    death = ChangeRequest.objects.get(member_ref="E-002")
    assert death.state == "VALIDATED" and death.change["coverageEnd"] == "2027-06-30", death.carrier_errors
    assert send_and_poll(client, group).status == "ACCEPTED"
    assert str(MemberCoverage.objects.get(member__member_ref="E-002").end) == "2027-06-30"
    luis = Member.objects.get(group=group, member_ref="E-002")
    assert 'value="E-002"' not in event_page(client, group, "death").content.decode()  # the covered only
    listing = client.get(reverse("maintenance:people", args=[group.pk])).content.decode()
    assert re.search(r'data-member="E-002" data-coverage="ended"', listing) and "2027-06-30" in listing
    assert re.search(r'data-member="E-001" data-coverage="current"', listing)
    timeline = client.get(reverse("maintenance:member_timeline", args=[group.pk, luis.pk])).content.decode()
    file = ChangeFile.objects.get(group=group)
    who = broker.user.get_full_name() or broker.user.get_username()
    assert file.reference in timeline and who in timeline and "2027-06-10" in timeline

    on("2027-07-02")
    page = event_page(client, group, "reinstatement").content.decode()
    assert "E-002" in page
    event_page(client, group, "reinstatement", {"member": "E-002", "event_date": "2027-06-30"})
    back = ChangeRequest.objects.filter(member_ref="E-002").first()
    assert back.state == "VALIDATED" and back.change["effectiveDate"] == "2027-07-01", back.carrier_errors
    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)
    assert MemberCoverage.objects.get(member__member_ref="E-002").end is None


def test_a_child_turning_26_is_found_by_the_portal_with_the_month_end(enrolled, broker_in):
    group, client = enrolled, broker_in
    Member.objects.filter(group=group, member_ref="E-001-C1").update(date_of_birth="2001-06-05")
    from datetime import date

    from maintenance.life_events import children_aging_out

    found = children_aging_out(group=group, today=date(2027, 4, 1))
    assert [(a.member.member_ref, str(a.birthday), str(a.coverage_end)) for a in found] == [
        ("E-001-C1", "2027-06-05", "2027-06-30")
    ]
    assert children_aging_out(group=group, today=date(2027, 1, 1)) == []  # more than 90 days ahead
    on("2027-04-01")
    page = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()
    assert re.search(r'data-member="E-001-C1">[^<]*2027-06-05[^<]*2027-06-30', page), page
    assert "/maintenance/event/age-out?member=E-001-C1" in page
    early = event_page(client, group, "age-out", {"member": "E-001-C1", "event_date": ""}).content.decode()
    maya = ChangeRequest.objects.get(member_ref="E-001-C1")
    assert maya.event_date.isoformat() == "2027-06-05"  # the 26th birthday, from the date of birth
    assert maya.state == "REFUSED" and [e["code"] for e in maya.carrier_errors] == ["MNT-006"]  # > 90 days
    assert "MNT-006" in early and 'class="fix"' in early

    on("2027-05-03")
    client.post(reverse("maintenance:check_again", args=[group.pk, maya.pk]))
    maya.refresh_from_db()
    assert maya.state == "VALIDATED" and maya.change["coverageEnd"] == "2027-06-30", maya.carrier_errors
    assert maya.change["maintenanceReasonCode"] == "07"


def test_new_details_and_a_refused_marriage_outside_its_window(enrolled, broker_in):
    group, client = enrolled, broker_in
    on("2027-03-22")
    details = {"member": "E-002", "event_date": "2027-03-20", "address_line1": "77 Pine St", "last_name": ""}
    event_page(client, group, "details", details)
    moved = ChangeRequest.objects.get(member_ref="E-002")
    assert moved.state == "VALIDATED", moved.carrier_errors
    assert (moved.change["maintenanceReasonCode"], moved.change["effectiveDate"]) == ("43", "2027-03-22")
    assert moved.body["address"]["line1"] == "77 Pine St" and moved.body["lastName"] == "Ortiz"

    marriage = {
        "family": "E-002",
        "member_ref": "E-002-S",
        "relationship": "SPOUSE",
        "first_name": "Rosa",
        "last_name": "Ortiz",
        "date_of_birth": "1996-01-05",
        "gender": "FEMALE",
        "event_date": "2027-01-10",
    }
    page = event_page(client, group, "marriage", marriage).content.decode()
    rosa = ChangeRequest.objects.get(member_ref="E-002-S")
    assert rosa.state == "REFUSED" and "MNT-005" in {e["code"] for e in rosa.carrier_errors}
    assert "MNT-005" in page
    assert re.search(
        r'data-member="E-002".*?data-state="VALIDATED"|data-state="\w+" data-member="E-002"', page
    )


ROSA = {"family": "E-002", "member_ref": "E-002-S", "relationship": "SPOUSE", "first_name": "Rosa",
        "last_name": "Ortiz", "date_of_birth": "1996-01-05", "gender": "FEMALE", "ssn": "123456785",
        "event_date": "2027-03-10"}  # fmt: skip


def test_a_marriage_adds_the_spouse_and_a_loss_of_coverage_elects_a_waived_line(enrolled, broker_in):
    group, client = enrolled, broker_in
    on("2027-03-22")
    event_page(client, group, "marriage", ROSA)
    rosa = ChangeRequest.objects.get(member_ref="E-002-S")
    luis = ChangeRequest.objects.get(member_ref="E-002")
    assert (rosa.state, luis.state) == ("VALIDATED", "VALIDATED"), (rosa.carrier_errors, luis.carrier_errors)
    assert rosa.change["effectiveDate"] == "2027-04-01" and rosa.change["maintenanceReasonCode"] == "32"
    assert luis.body["maritalStatus"] == "MARRIED"
    assert [(c["line"], c.get("coverageTier")) for c in luis.body["coverage"]] == [
        ("MEDICAL", "ESP"), ("DENTAL", None), ("VISION", None)]  # fmt: skip
    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)
    assert Member.objects.get(group=group, member_ref="E-002-S").subscriber.member_ref == "E-002"

    form = event_page(client, group, "loss-of-coverage", family="E-002").content.decode()
    assert 'name="plan_DENTAL"' in form and 'name="plan_MEDICAL"' not in form  # only what Luis waived
    on("2027-04-05")
    took_up = {
        "family": "E-002",
        "event_date": "2027-04-03",
        "plan_DENTAL": "12345KY0020001",
        "plan_VISION": "",
    }
    event_page(client, group, "loss-of-coverage", took_up)
    dental = ChangeRequest.objects.filter(member_ref="E-002", event_type="LOSS_OF_COVERAGE").get()
    assert dental.state == "VALIDATED", dental.carrier_errors
    assert dental.change["effectiveDate"] == "2027-05-01" and dental.change["maintenanceReasonCode"] == "EC"
    assert [(c["line"], c.get("planId"), c.get("coverageTier")) for c in dental.body["coverage"]][:2] == [
        ("MEDICAL", "12345KY0010001", "ESP"), ("DENTAL", "12345KY0020001", "EMP")]  # fmt: skip
    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)
    assert Member.objects.get(member_ref="E-002").elections.get(line="DENTAL").plan_id == "12345KY0020001"


def test_the_end_of_employment_ends_the_whole_family_locally(enrolled, broker_in):
    group, client = enrolled, broker_in
    on("2027-09-20")
    client.post(reverse("maintenance:termination", args=[group.pk]),
                {"member": "E-001", "reason": "END_OF_EMPLOYMENT", "event_date": "2027-09-15"})  # fmt: skip
    ann = ChangeRequest.objects.get(member_ref="E-001")
    assert ann.state == "VALIDATED" and ann.change["coverageEnd"] == "2027-09-30", ann.carrier_errors
    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)
    ended = {c.member.member_ref: (str(c.end), c.end_reason) for c in MemberCoverage.objects.all()}
    assert ended == {
        ref: ("2027-09-30", "END_OF_EMPLOYMENT") for ref in ("E-001", "E-001-S", "E-001-C1", "E-001-C2")
    }
    on("2027-10-02")
    client.post(reverse("maintenance:reconcile", args=[group.pk]))
    assert group.roster_check.differences == []  # the portal holds what the carrier holds


def test_an_adoption_is_retroactive_to_the_placement_and_retiers_an_employee_alone(enrolled, broker_in):
    group, client = enrolled, broker_in
    on("2027-04-20")
    form = event_page(client, group, "adoption").content.decode()
    assert 'value="FOSTER_CHILD"' in form and 'value="SPOUSE"' not in form  # the table's relationships
    event_page(client, group, "adoption", {
        "family": "E-002", "member_ref": "E-002-C1", "relationship": "CHILD", "first_name": "Ana",
        "last_name": "Ortiz", "date_of_birth": "2026-12-01", "gender": "FEMALE", "event_date": "2027-04-02",
    })  # fmt: skip
    luis, ana = (
        ChangeRequest.objects.get(member_ref="E-002"),
        ChangeRequest.objects.get(member_ref="E-002-C1"),
    )
    assert (luis.state, ana.state) == ("VALIDATED", "VALIDATED"), (luis.carrier_errors, ana.carrier_errors)
    assert ana.change["effectiveDate"] == "2027-04-02" and ana.change["maintenanceReasonCode"] == "05"
    assert luis.body["coverage"][0]["coverageTier"] == "ECH" and luis.pk < ana.pk  # the tier validated first
    file = send_and_poll(client, group)
    assert file.status == "ACCEPTED", (file.problems, file.results)


def test_the_broker_is_told_once_of_a_child_turning_26_without_the_birth_date(enrolled, broker):
    """The daily task (``maintenance.tell_children_aging_out``): one notice per child and birthday, naming
    the child and the day coverage ends, with no birth date or birthday in it."""
    from datetime import date

    from django.core import mail

    from enrollment.models import Notice
    from maintenance.life_events import aging_out_notify

    group = enrolled
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.ENROLLED)
    Member.objects.filter(group=group, member_ref="E-001-C1").update(date_of_birth="2001-06-05")
    child = Member.objects.get(group=group, member_ref="E-001-C1")
    mail.outbox.clear()
    assert aging_out_notify(today=date(2027, 1, 1)) == 0  # more than 60 days ahead
    assert aging_out_notify(today=date(2027, 4, 20)) == 1
    assert aging_out_notify(today=date(2027, 4, 21)) == 0  # told once
    (message,) = mail.outbox
    assert message.to == [broker.user.email]
    assert f"{child.first_name} {child.last_name}" in message.body and "2027-06-30" in message.body
    assert "2001-06-05" not in message.body and "2027-06-05" not in message.body
    assert Notice.objects.filter(group=group, kind="CHILD_AGING_OUT").count() == 1
