"""Issue 15 item 3, in the browser: a created group whose medical contribution is too low is not stuck.
The broker sees GRP-022 beside the contribution as they type it, changes it on the group's steps, reviews
the change and sends it; a real worker sends the PATCH to the sandbox carrier, which then has it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from enrollment import services as group_services
from enrollment.models import EmployerGroup
from sandbox.models import Group as CarrierGroup
from tests.browser.test_group_to_enrolled import reload_until
from tests.end_to_end.test_enrollment_end_to_end import eventually, sandbox, status_of  # noqa: F401
from tests.enrollment.conftest import make_complete_group
from tests.factories import PASSWORD

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_created_group_s_contribution_is_fixed_in_the_portal_and_patched_at_the_carrier(
    sandbox,  # noqa: F811
    page,
    broker,
):
    # 1 February: outside the open-enrollment exception, so the carrier's minimum contribution applies.
    group = make_complete_group(broker, requested_effective_date=date(2027, 2, 1))
    group_services.group_submit(group=group, by=broker.user)
    eventually(lambda: status_of(group) == EmployerGroup.Status.OPEN_ENROLLMENT, "created")
    group.refresh_from_db()

    page.goto(f"{sandbox.url}/accounts/login/")
    page.get_by_label("Username").fill(broker.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{sandbox.url}/groups/{group.pk}/")
    page.get_by_role("heading", name="What to do next").wait_for()
    page.get_by_role("link", name="Change the details").click()
    page.get_by_role("heading", name=re.compile("Employer")).wait_for()
    page.get_by_role("navigation", name="Steps").get_by_role("button", name="Contributions").click()
    page.get_by_role("heading", name=re.compile("Contributions")).wait_for()

    page.get_by_label("Medical: toward each employee").fill("40")
    page.get_by_role("button", name="Save and continue").click()
    medical = page.locator("#field-medical_employee")
    assert "GRP-022" in medical.locator(".rule-id").first.inner_text()  # beside the field, with a fix
    assert medical.locator(".fix").first.inner_text()

    page.get_by_label("Medical: toward each employee").fill("65")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name=re.compile("Small employer attestation")).wait_for()
    page.get_by_role("navigation", name="Steps").get_by_role(
        "button", name="Review and send the changes"
    ).click()
    page.get_by_role("heading", name="What changes at the carrier").wait_for()
    assert page.get_by_role("cell", name="Medical contribution").is_visible()
    page.get_by_role("button", name="Send the changes to the carrier").click()

    def carrier_contribution() -> str:
        body = CarrierGroup.objects.get(group_id=group.humana_group_id).body
        return next(o for o in body["offerings"] if o["line"] == "MEDICAL")["contribution"]["employee"]

    eventually(lambda: carrier_contribution() == "65.00", "the carrier has the new contribution")
    reload_until(page, "Enroll the employees")
    group.refresh_from_db()
    assert group.change_state == EmployerGroup.ChangeState.NONE and group.carrier_copy == {}
    assert group.offering("MEDICAL")["contribution"]["employee"] == "65.00"
