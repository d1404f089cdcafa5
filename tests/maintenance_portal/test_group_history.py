"""The group's own changes after enrollment are on the one timeline beside its members' changes (issue 21):
who, when, each field old → new, and the change file that told the carrier when an 834 header carries the
field; in the admin too. The new plan year's lines (renewals) are recorded the same way."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from enrollment.models import EmployerGroup
from maintenance import services
from maintenance.selectors import timeline
from members.models import Member
from renewals import services as renewal_services
from tests.maintenance.bodies import enrolled as enrolled_body
from tests.maintenance.bodies import event
from tests.renewals.test_plan_years import renewal  # noqa: F401  (the fixture)

from .conftest import on

pytestmark = pytest.mark.django_db(transaction=True)


def _edit(group: EmployerGroup, user, **fields) -> None:
    """A change saved as the admin saves it (simple_history takes the request's user)."""
    group.refresh_from_db()
    for name, value in fields.items():
        setattr(group, name, value)
    group._history_user = user  # type: ignore[attr-defined]
    group.save()


def test_the_groups_own_changes_are_on_its_timeline_with_old_and_new_values_and_the_file(
    enrolled, client, broker
):
    group = enrolled
    old_address, old_name = group.address_line1, group.legal_name
    offerings = [dict(o) for o in group.offerings]
    medical = next(o for o in offerings if o["line"] == "MEDICAL")
    medical["contribution"] = {**medical["contribution"], "employee": "75.00"}
    _edit(group, broker.user, address_line1="9 New Rd", waiting_period="FIRST_OF_MONTH_AFTER_60_DAYS",
          contact_email="hr@blueheron.example", offerings=offerings)  # fmt: skip
    _edit(group, broker.user, legal_name="Blue Heron Outfitters LLC")

    # A change of Luis's phone goes in a change file: its header (N1*P5) carries the new legal name.
    on("2027-03-22")
    luis = Member.objects.get(group=group, member_ref="E-002")
    body = enrolled_body("E-002", event("DEMOGRAPHIC", "CHANGE", "2027-03-20"), phone="5025550199")
    request = services.change_request_create(group=group, body=body, member=luis)
    assert services.change_request_validate(request_id=request.pk).state == "VALIDATED"
    file = services.change_file_send(group_id=group.pk)
    assert file is not None and file.file_id and "N1*P5*BLUE HERON OUTFITTERS LLC" in file.content

    entries = timeline(group=group)
    mine = [e for e in entries if e.changes]
    assert len(mine) == 2 and all(e.who == broker.user.get_username() for e in mine)
    renamed, edited = mine  # newest first
    assert renamed.file_reference == file.reference
    assert renamed.changes == (("Legal name", old_name, "Blue Heron Outfitters LLC"),)
    words = {what: (old, new) for what, old, new in edited.changes}
    assert words["Address line 1"] == (old_address, "9 New Rd") and edited.file_reference == ""
    assert any(what.startswith("Medical") and "75" in new for what, _old, new in edited.changes)
    assert any("60 days" in new for _what, _old, new in edited.changes)
    luis_saved = next(e for e in entries if e.member_ref == "E-002" and e.state == "Saved")
    assert entries.index(renamed) > entries.index(luis_saved)  # one timeline, newest first
    assert timeline(group=group, member_ref="E-002") and not any(
        e.changes for e in timeline(group=group, member_ref="E-002")
    )  # a member's own timeline shows the member only

    client.force_login(broker.user)
    page = client.get(reverse("maintenance:people", args=[group.pk])).content.decode()
    assert f"{old_address} → 9 New Rd" in page and "hr@blueheron.example" in page
    assert f"file {file.reference}" in page
    client.cookies["django_language"] = "es"
    spanish = client.get(reverse("maintenance:people", args=[group.pk])).content.decode()
    assert "Los datos del grupo" in spanish and "9 New Rd" in spanish

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-the-admin-9")
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    change_page = client.get(reverse("admin:enrollment_employergroup_change", args=[group.pk]))
    assert "changes after enrollment" in change_page.content.decode().lower()
    assert f"{old_address} → 9 New Rd" in change_page.content.decode()
    request_page = client.get(reverse("admin:maintenance_changerequest_change", args=[request.pk]))
    assert request_page.status_code == 200 and "5025550199" not in request_page.content.decode()


def test_the_new_plan_years_lines_are_recorded_in_the_groups_history(renewal, settings):  # noqa: F811
    settings.SANDBOX_TODAY = "2028-01-01"
    group = EmployerGroup.objects.get(pk=renewal.group_id)
    renewal_services._follow(renewal=renewal, carrier_status="RENEWED", source=None, reason=None)

    changes = [e for e in timeline(group=group) if e.changes]
    assert len(changes) == 1 and changes[0].who == "the portal"
    assert changes[0].reason == "The plan year 2028-01-01 began."
    assert any(what == "Medical plans" for what, _old, _new in changes[0].changes)
    assert group.history.first().history_change_reason == "The plan year 2028-01-01 began."
