"""The broker's whole path after open enrollment, in the browser: the readiness checklist, finalize, the
final rates, the enrollment file, and the group enrolled (sandbox over HTTP, a real Celery worker)."""

from __future__ import annotations

import re
import time

import pytest

from enrollment import services as group_services
from enrollment.models import EmployerGroup
from members import services as member_services
from members.models import Member
from tests.end_to_end.test_enrollment_end_to_end import eventually, sandbox, status_of  # noqa: F401
from tests.enrollment.conftest import make_complete_group
from tests.factories import PASSWORD
from tests.members.conftest import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def reload_until(page, text: str, limit: float = 60) -> None:
    """Reload until ``text`` shows (the worker and the sandbox's clock run on their own; a deadline)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if page.get_by_text(text, exact=False).count():
            return
        time.sleep(0.5)
        page.reload()
    raise AssertionError(f"{text!r} never showed")


def test_it_shows_the_broker_the_path_from_open_enrollment_to_enrolled(sandbox, page, broker):  # noqa: F811
    group = make_complete_group(broker)
    group_services.group_submit(group=group, by=broker.user)
    eventually(lambda: status_of(group) == EmployerGroup.Status.OPEN_ENROLLMENT, "created")
    group.refresh_from_db()
    member_services.family_save(
        group=group,
        subscriber_data=ANN,
        dependents_data=ANN_DEPENDENTS,
        elections=ANN_ELECTIONS,
        by=broker.user,
    )
    member_services.family_save(
        group=group, subscriber_data=LUIS, dependents_data=[], elections=LUIS_ELECTIONS, by=broker.user
    )
    eventually(
        lambda: Member.objects.filter(group=group, validation_status="VALID").count() == 5, "validated"
    )

    page.goto(f"{sandbox.url}/accounts/login/")
    page.get_by_label("Username").fill(broker.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{sandbox.url}/groups/{group.pk}/")
    page.get_by_role("heading", name="Ready to finalize?").wait_for()
    page.get_by_label(re.compile("Every employee has answered")).check()
    page.get_by_role("button", name="Finalize with the carrier").click()
    reload_until(page, "Final rates beside the estimate")
    assert page.locator(".status").first.inner_text() == "Finalized"

    page.get_by_role("link", name="Enrollment files").click()
    page.get_by_role("button", name="Send enrollment file").click()
    reload_until(page, "Accepted")
    page.goto(f"{sandbox.url}/groups/{group.pk}/")
    assert page.locator(".status").first.inner_text() == "Enrolled"
    assert status_of(group) == EmployerGroup.Status.ENROLLED
