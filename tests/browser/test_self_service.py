"""An employee on a phone opens the invitation link, adds a spouse and a child, elects medical, waives
dental with a reason, signs, and sees the confirmation."""

from __future__ import annotations

import re

import pytest

from members import self_service
from members.models import Invitation, Member

# The members tests' group (created with the carrier) and rule facts; validation tasks are recorded.
from tests.members.conftest import LUIS, LUIS_ELECTIONS, group, queued, rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def invitation(group, queued):  # noqa: F811
    from members import services

    luis = services.family_save(
        group=group,
        subscriber_data=dict(LUIS, email="luis@example.com", phone="5025550122"),
        dependents_data=[],
        elections=LUIS_ELECTIONS,
        by=None,
    )
    return self_service.invitation_send(subscriber=luis, by=None)


def save_and_continue(page, heading: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name=re.compile(heading)).wait_for()


@pytest.mark.usefixtures("rule_facts")
def test_it_takes_an_employee_from_the_link_to_a_signed_enrollment(
    live_server,
    phone_page,
    invitation,
    queued,  # noqa: F811
):
    page = phone_page
    page.goto(f"{live_server.url}/enroll/{invitation.token}/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Start").click()
    page.get_by_role("heading", name="Your details").wait_for()
    assert page.get_by_label("First name").input_value() == "Luis"
    save_and_continue(page, "Your family")

    spouse = page.locator("#person-0")
    spouse.get_by_label("Relationship to you").select_option("SPOUSE")
    spouse.get_by_label("First name").fill("Marta")
    spouse.get_by_label("Last name").fill("Ortiz")
    spouse.get_by_label("Social Security number").fill("123-45-6790")
    spouse.get_by_label("Date of birth").fill("1994-03-14")
    spouse.get_by_label("Gender").select_option("FEMALE")
    spouse.get_by_label("Uses tobacco").select_option("false")
    page.get_by_role("button", name="Add another person").click()
    child = page.locator("#person-1")
    child.get_by_label("First name").wait_for()
    assert page.locator("#person-0").get_by_label("First name").input_value() == "Marta"  # kept
    child.get_by_label("Relationship to you").select_option("CHILD")
    child.get_by_label("First name").fill("Teo")
    child.get_by_label("Last name").fill("Ortiz")
    child.get_by_label("Social Security number").fill("123456791")
    child.get_by_label("Date of birth").fill("2019-09-01")
    child.get_by_label("Gender").select_option("MALE")
    child.get_by_label("Uses tobacco").select_option("false")
    save_and_continue(page, "Coverage")

    page.get_by_label("12345KY0010001").check()
    page.get_by_label("I do not want Dental coverage").check()
    page.get_by_label("Reason for not taking Dental coverage").select_option("SPOUSE_GROUP_COVERAGE")
    page.get_by_label("12345KY0030001").check()
    save_and_continue(page, "Review and sign")

    assert "Marta Ortiz" in page.content()
    page.get_by_label("What I entered is true and complete").check()
    page.get_by_label("Type your full name to sign").fill("Luis Ortiz")
    page.get_by_role("button", name="Sign and send").click()
    page.get_by_role("heading", name="Thank you: your choices are sent").wait_for()
    assert "Signed by Luis Ortiz" in page.locator(".ss-confirm").inner_text()

    luis = Member.objects.get(member_ref="E-002")
    assert Invitation.objects.get(pk=invitation.pk).signed_name == "Luis Ortiz"
    assert sorted(d.first_name for d in luis.dependents.all()) == ["Marta", "Teo"]
    elections = {e.line: (e.plan_id, e.waived, e.waiver_reason) for e in luis.elections.all()}
    assert elections["MEDICAL"] == ("12345KY0010001", False, "")
    assert elections["DENTAL"] == ("", True, "SPOUSE_GROUP_COVERAGE")
    assert queued  # carrier validation queued on signing
