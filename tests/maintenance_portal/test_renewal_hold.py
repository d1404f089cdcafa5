"""MNT-011 on the portal's side, against the sandbox over HTTP with a real worker: a change taking effect on
or after the renewal date while the renewal is not accepted is held (shown with the rule and what
releases it), is put in no change file, and once the renewal is accepted is validated again by the
scheduled task and sent in the next change file, which the carrier ACCEPTS."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maintenance import services, tasks
from maintenance.models import ChangeFile, ChangeRequest
from renewals.models import Renewal
from renewals.services import renewal_sync

from .conftest import eventually, on
from .test_new_hire import PRIYA, state_of

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

#: Hired on 2027-11-15: the 30-day waiting period starts her on 2028-01-01, Blue Heron's renewal date.
HIRED_IN_NOVEMBER = {**PRIYA, "hire_date": "2027-11-15"}


def test_a_change_effective_on_the_renewal_date_waits_for_the_renewal_then_goes_in_the_next_file(
    enrolled, client, broker, celery_worker_thread
):
    group = enrolled
    client.force_login(broker.user)
    on("2027-11-20")
    renewal_sync(group_id=group.pk)  # the portal reads the offer of 2027-10-03: OFFERED, not accepted
    assert Renewal.objects.get(group=group, renewal_date="2028-01-01").status == Renewal.Status.OFFERED

    saved = client.post(reverse("maintenance:new_hire", args=[group.pk]), HIRED_IN_NOVEMBER, follow=True)
    change = ChangeRequest.objects.get(group=group, member_ref="E-003")
    assert change.state == "HELD", change.carrier_errors
    assert change.held_for.isoformat() == "2028-01-01"
    assert {e["code"] for e in change.carrier_errors} == {"MNT-011"}
    page = saved.content.decode()
    assert "held until the renewal is accepted (MNT-011)" in page
    assert "Takes effect on or after the renewal date 2028-01-01: held until the group" in page
    assert [h.reason for h in change.history.all()][-1] == (
        "held until the renewal of 2028-01-01 is accepted (MNT-011)"
    )

    assert services.change_file_send(group_id=group.pk) is None  # nothing to send: it is held
    assert not ChangeFile.objects.filter(group=group).exists()
    assert tasks.release_held_changes() == 0 and state_of(change) == "HELD"  # the renewal is not accepted
    assert group.pk not in services.change_files_due(days=30)

    client.cookies["django_language"] = "es"
    spanish = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()
    assert "Retenido hasta que se acepte la renovación" in spanish
    assert "Entra en vigor en la fecha de renovación 2028-01-01 o después" in spanish
    client.cookies["django_language"] = "en"

    on("2027-12-03")  # R − 29: the carrier accepts the renewal as offered (no decision was sent)
    renewal_sync(group_id=group.pk)
    assert Renewal.objects.get(group=group, renewal_date="2028-01-01").carrier_status == "ACCEPTED"
    tasks.release_held_changes.delay()  # the hourly schedule's task
    eventually(lambda: state_of(change) == "VALIDATED", "the held change was validated again")
    change.refresh_from_db()
    assert change.change["effectiveDate"] == "2028-01-01" and change.change["requestDate"] == "2027-12-03"

    tasks.send_change_file.delay(group.pk)
    eventually(lambda: state_of(change) == "APPLIED", "the change file was applied", limit=90)
    file = ChangeFile.objects.get(group=group)
    assert file.status == "ACCEPTED", file.problems
    moves = [(h.from_state, h.to_state) for h in change.history.all()]
    assert moves == [("DRAFT", "HELD"), ("HELD", "DRAFT"), ("DRAFT", "VALIDATED"),
                     ("VALIDATED", "IN_FILE"), ("IN_FILE", "APPLIED")]  # fmt: skip
    timeline = client.get(reverse("maintenance:people", args=[group.pk])).content.decode()
    assert "released: the renewal of 2028-01-01 was accepted" in timeline


def test_a_validated_change_is_held_when_the_portal_knows_its_renewal_is_not_accepted(
    enrolled, client, broker, sandbox
):
    """The carrier accepted the renewal but the portal has not read it yet: the validated change stays out
    of the change file until the portal reads the acceptance."""
    group = enrolled
    on("2027-11-20")
    renewal_sync(group_id=group.pk)  # OFFERED as the portal last read it
    on("2027-12-03")  # the carrier accepts passively (read here at the sandbox, not by the portal)
    assert sandbox.get(f"/groups/{group.humana_group_id}/renewal").json()["status"] == "ACCEPTED"
    client.force_login(broker.user)
    client.post(reverse("maintenance:new_hire", args=[group.pk]), HIRED_IN_NOVEMBER)
    change = ChangeRequest.objects.get(group=group, member_ref="E-003")
    assert change.state == "VALIDATED", change.carrier_errors

    assert services.change_file_send(group_id=group.pk) is None
    assert state_of(change) == "HELD" and not ChangeFile.objects.exists()

    renewal_sync(group_id=group.pk)
    assert services.change_requests_release(group_id=group.pk) == [change.pk]
    assert services.change_request_validate(request_id=change.pk).state == "VALIDATED"
    file = services.change_file_send(group_id=group.pk)
    assert file is not None and file.file_id
    assert services.change_file_poll(change_file_id=file.pk).status == "ACCEPTED"
    assert state_of(change) == "APPLIED"
