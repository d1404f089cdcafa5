"""Issue 15 item 6: "Everything you type is saved as you go" is true on the group steps. Leaving a step by
its step links (or the "Group page" link) saves what was typed first, with JavaScript and without."""

from __future__ import annotations

import re

import pytest

from enrollment.models import CensusMember, EmployerGroup

# The catalogue's facts for the forms, as in the enrollment tests.
from tests.enrollment.conftest import catalogue_facts, rule_facts  # noqa: F401
from tests.factories import PASSWORD, EmployerGroupFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue_facts")]


@pytest.fixture(params=["with JavaScript", "without JavaScript"])
def tab(request, browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=request.param == "with JavaScript"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Book of business").wait_for()


def step(page, name: str, heading: str | None = None) -> None:
    # The step as a person sees it (a link before the fix, a button of the step's form now).
    page.get_by_role("navigation", name="Steps").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=re.compile(heading or name)).wait_for()


def test_leaving_a_step_by_its_links_keeps_what_was_typed(live_server, tab, broker):
    group = EmployerGroupFactory(broker=broker, agency=broker.agency, legal_name="")
    log_in(tab, live_server.url, broker.user.username)
    tab.goto(f"{live_server.url}/groups/{group.pk}/employer")
    tab.get_by_label("Legal name").fill("Blue Heron Bakery LLC")
    tab.get_by_label("FEIN (federal employer ID)").fill("00-3456789")  # breaks GRP-002: saved all the same
    step(tab, "Principal address")
    tab.get_by_label("Address line 1").fill("100 Main St")
    tab.get_by_label("City").fill("Louisville")
    step(tab, "Employer")
    assert tab.get_by_label("Legal name").input_value() == "Blue Heron Bakery LLC"
    assert tab.get_by_label("FEIN (federal employer ID)").input_value() == "003456789"
    step(tab, "Principal address")
    assert tab.get_by_label("Address line 1").input_value() == "100 Main St"
    tab.get_by_label("City").fill("Lexington")
    tab.get_by_text("Group page", exact=True).click()
    tab.get_by_role("heading", name="Blue Heron Bakery LLC").wait_for()
    group = EmployerGroup.objects.get(pk=group.pk)
    assert (group.legal_name, group.fein, group.address_line1, group.city) == (
        "Blue Heron Bakery LLC", "003456789", "100 Main St", "Lexington",
    )  # fmt: skip


def test_leaving_the_census_by_a_step_link_keeps_the_rows(live_server, tab, broker):
    group = EmployerGroupFactory(broker=broker, agency=broker.agency, legal_name="Blue Heron Bakery LLC")
    log_in(tab, live_server.url, broker.user.username)
    tab.goto(f"{live_server.url}/groups/{group.pk}/census")
    person = tab.get_by_role("group", name="Person 1")
    person.get_by_label(re.compile(r"^Member ID")).fill("E-001")
    person.get_by_label("Date of birth").fill("1980-05-02")
    person.get_by_label("Gender").select_option("FEMALE")
    person.get_by_label("Tier").select_option("EMP")
    step(tab, "Small employer attestation")
    row = CensusMember.objects.get(group=group)
    assert (row.member_ref, row.gender, row.coverage_tier) == ("E-001", "FEMALE", "EMP")
    assert row.date_of_birth.isoformat() == "1980-05-02"
