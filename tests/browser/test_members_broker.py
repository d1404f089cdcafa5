"""The broker enters a family in the browser: a child too old for coverage shows MBR-005 beside its date
of birth; once fixed, the family is validated by the carrier (sandbox over HTTP, real worker) and the
member list says so."""

from __future__ import annotations

import time

import pytest

from enrollment import services as group_services
from enrollment.models import EmployerGroup
from members.models import Member
from tests.end_to_end.test_enrollment_end_to_end import eventually, sandbox, status_of  # noqa: F401
from tests.enrollment.conftest import make_complete_group
from tests.factories import PASSWORD

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_it_shows_mbr_005_then_the_validated_family(sandbox, page, broker):  # noqa: F811
    group = make_complete_group(broker)
    group_services.group_submit(group=group, by=broker.user)
    eventually(lambda: status_of(group) == EmployerGroup.Status.OPEN_ENROLLMENT, "created")

    page.goto(f"{sandbox.url}/accounts/login/")
    page.get_by_label("Username").fill(broker.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{sandbox.url}/groups/{group.pk}/members/new")
    # the county: the ZIP's only one, filled in on save
    for field, value in {
        "member_ref": "E-002", "first_name": "Luis", "last_name": "Ortiz", "ssn": "123456782",
        "date_of_birth": "1995-07-22", "address_line1": "9 Oak Ave", "city": "Louisville", "state": "KY",
        "zip5": "40204", "hire_date": "2024-07-01", "hours_per_week": "40",
    }.items():  # fmt: skip
        page.fill(f"#id_subscriber-{field}", value)
    for field, value in {"gender": "MALE", "marital_status": "SINGLE", "tobacco_use": "false",
                         "employment_status": "FULL_TIME"}.items():  # fmt: skip
        page.select_option(f"#id_subscriber-{field}", value)
    page.select_option("#id_election-medical-plan_id", "12345KY0010001")
    for line in ("dental", "vision"):
        page.select_option(f"#id_election-{line}-plan_id", label="Waive coverage")
        page.select_option(f"#id_election-{line}-waiver_reason", "OTHER_GROUP_COVERAGE")
    page.select_option("#id_dependents-0-relationship", "CHILD")
    page.fill("#id_dependents-0-first_name", "Ana")
    page.fill("#id_dependents-0-last_name", "Ortiz")
    page.fill("#id_dependents-0-ssn", "123456783")
    page.fill("#id_dependents-0-date_of_birth", "1990-01-01")  # 37 on the effective date
    page.select_option("#id_dependents-0-gender", "FEMALE")
    page.get_by_role("button", name="Save", exact=True).click()

    dob = page.locator("#field-dependents-0-date_of_birth")
    assert "MBR-005" in dob.locator(".rule-id").first.inner_text()
    assert dob.locator(".fix").first.inner_text()
    page.fill("#id_dependents-0-date_of_birth", "2015-04-01")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/groups/{group.pk}/members/**")

    eventually(
        lambda: Member.objects.filter(group=group, validation_status="VALID").count() == 2, "validated"
    )
    deadline = time.monotonic() + 30
    page.goto(f"{sandbox.url}/groups/{group.pk}/members/")
    while "Valid" not in page.locator("main").inner_text() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    row = page.locator("tr", has_text="E-002")
    assert "Valid" in row.first.inner_text()
