"""A new hire through the broker's page (Spanish, a phone's request), validated with the sandbox over
HTTP, sent in a change file by a real worker, ACCEPTED, and on the carrier's roster from the first of
the month the waiting period gives."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from carrier.client import get_client
from maintenance import tasks
from maintenance.models import ChangeFile, ChangeRequest
from members.models import Member

from .conftest import eventually, on

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"

PRIYA = {
    "member_ref": "E-003", "first_name": "Priya", "last_name": "Shah", "ssn": "123456783",
    "date_of_birth": "1990-02-14", "gender": "FEMALE", "hire_date": "2027-03-15", "hours_per_week": "40",
    "address_line1": "22 Elm St", "city": "Louisville", "state": "KY", "zip5": "40205",
    "county_fips": "21111", "phone": "5025550133", "plan_MEDICAL": "12345KY0010002",
    "plan_DENTAL": "12345KY0020001", "plan_VISION": "WAIVE", "reason": "NEW_HIRE",
}  # fmt: skip


def state_of(change: ChangeRequest) -> str:
    return ChangeRequest.objects.values_list("state", flat=True).get(pk=change.pk)


def test_a_new_hire_in_spanish_on_a_phone_is_validated_sent_accepted_and_on_the_roster(
    enrolled,
    client,
    broker,
    celery_worker_thread,
):
    group = enrolled
    client.force_login(broker.user)
    client.cookies["django_language"] = "es"
    on("2027-03-22")

    form = client.get(reverse("maintenance:new_hire", args=[group.pk]), HTTP_USER_AGENT=PHONE)
    saved = client.post(
        reverse("maintenance:new_hire", args=[group.pk]), PRIYA, HTTP_USER_AGENT=PHONE, follow=True
    )

    assert form.status_code == 200 and "Un nuevo empleado" in form.content.decode()
    change = ChangeRequest.objects.get(group=group, member_ref="E-003")
    assert change.state == "VALIDATED", change.carrier_errors
    assert (change.change["effectiveDate"], change.change["sendBy"]) == ("2027-05-01", "2027-04-01")
    page = saved.content.decode()
    assert "2027-05-01" in page and "2027-04-01" in page  # the carrier's dates, before anything is sent

    on("2027-03-23")
    tasks.send_change_file.delay(group.pk)
    eventually(lambda: state_of(change) == "APPLIED", "the change file was applied", limit=90)

    file = ChangeFile.objects.get(group=group)
    assert file.status == "ACCEPTED" and file.file_id, file.problems
    assert "INS*Y*18*021*28" in file.content and "DTP*007" not in file.content
    history = [(h.from_state, h.to_state, h.file_reference) for h in change.history.all()]
    assert history[-2:] == [("VALIDATED", "IN_FILE", file.reference), ("IN_FILE", "APPLIED", file.reference)]
    with get_client() as carrier:
        before = {
            m.member_ref: m
            for m in carrier.iter_group_members(group.humana_group_id, as_of=date(2027, 4, 30))
        }
        after = {m.member_ref: m for m in carrier.iter_group_members(group.humana_group_id,
                                                                     as_of=date(2027, 5, 1))}  # fmt: skip
    assert before["E-003"].status == "PENDING"
    assert after["E-003"].status == "ACTIVE" and after["E-003"].coverage_start == date(2027, 5, 1)
    priya = Member.objects.get(group=group, member_ref="E-003")  # the portal holds the new member
    assert priya.humana_member_id == after["E-003"].humana_member_id


@pytest.mark.django_db(transaction=True)
def test_a_newly_eligible_employee_starts_after_the_waiting_period_from_the_day_they_qualified(
    enrolled, client, broker
):
    group = enrolled
    client.force_login(broker.user)
    on("2027-03-05")
    url = reverse("maintenance:new_hire", args=[group.pk])
    missing = client.post(url, {**PRIYA, "member_ref": "E-004", "reason": "NEWLY_ELIGIBLE"})
    assert "Give the first day the employee worked enough hours." in missing.content.decode()
    client.post(url, {**PRIYA, "member_ref": "E-004", "ssn": "123456786", "hire_date": "2026-06-01",
                      "reason": "NEWLY_ELIGIBLE", "eligible_from": "2027-03-01"})  # fmt: skip
    change = ChangeRequest.objects.get(group=group, member_ref="E-004")

    assert change.state == "VALIDATED", change.carrier_errors
    assert (change.event_type, change.change["effectiveDate"]) == ("NEWLY_ELIGIBLE", "2027-04-01")
