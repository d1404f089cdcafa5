"""A broker takes a new draft through every step to a group created by the carrier sandbox."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from enrollment.models import EmployerGroup

# The catalogue's facts for the forms, as in the enrollment tests (the sample KY rate file).
from tests.enrollment.conftest import catalogue_facts, rule_facts  # noqa: F401
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "enrollment-browser-key-0001"
CENSUS = (
    "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier,gender,zip5,isOwner\n"
    "E-001,E-001,SUBSCRIBER,1980-05-02,false,FAM,FEMALE,40202,true\n"
    "E-001-S,E-001,SPOUSE,1979-11-30,true,,,,false\n"
    "E-001-C1,E-001,CHILD,2010-06-05,false,,,,false\n"
    "E-002,E-002,SUBSCRIBER,1995-07-22,false,EMP,MALE,40204,false\n"
)


@pytest.fixture
def sandbox(live_server):
    call_command("sandbox_key", "Enrollment Browser", "--sender-id", "ENRBROWSER", "--key", KEY)
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt"))
    with override_settings(
        HUMANA_API_BASE_URL=live_server.url + "/sandbox/groupsales/v1", HUMANA_API_KEY=KEY
    ):
        yield live_server


def save_and_continue(page, heading: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name=re.compile(heading)).wait_for()


@pytest.mark.usefixtures("catalogue_facts")
def test_it_takes_a_broker_from_a_new_draft_to_a_created_group(
    sandbox,
    celery_worker_thread,
    page,
    broker,
    tmp_path,
):
    url = sandbox.url
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="New group").click()
    page.get_by_role("heading", name=re.compile("Employer")).wait_for()

    page.get_by_label("Legal name").fill("Blue Heron Bakery LLC")
    page.get_by_label("FEIN (federal employer ID)").fill("00-3456789")
    page.get_by_label("SIC code").fill("5461")
    page.get_by_label("Entity type").select_option("LLC")
    page.get_by_label("Established date").fill("2014-03-01")
    page.get_by_label("Employer phone").fill("502 555 0100")
    page.get_by_role("button", name="Save and continue").click()
    fein = page.locator("#field-fein")
    assert "GRP-002" in fein.locator(".rule-id").first.inner_text()  # shown beside the field, with a fix
    assert fein.locator(".fix").first.inner_text()
    page.get_by_label("FEIN (federal employer ID)").fill("12-3456789")
    save_and_continue(page, "Principal address")

    page.get_by_label("Address line 1").fill("100 Main St")
    page.get_by_label("City").fill("Louisville")
    page.get_by_label("State (2 letters)").fill("KY")
    page.get_by_label("ZIP code").fill("40202")
    page.get_by_role("button", name="Find the counties of this ZIP code").click()
    page.get_by_label("County").select_option("21111")
    save_and_continue(page, "Contact")

    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("E-mail").fill("ann@example.com")
    page.get_by_label("Phone").fill("5025550101")
    save_and_continue(page, "Writing agent")
    # The writing agent is chosen among the agency's brokers (issue 16 item 7): the broker is preselected.
    assert page.get_by_label(re.compile(r"^Writing agent")).input_value() == str(broker.pk)
    save_and_continue(page, "Effective date")

    page.get_by_label("Requested effective date").fill("2027-01-01")
    page.get_by_label("Total employees").fill("3")
    page.get_by_label("Eligible employees").fill("2")
    page.get_by_label("Minimum hours per week").fill("30")
    page.get_by_label("Waiting period").select_option("FIRST_OF_MONTH_AFTER_30_DAYS")
    save_and_continue(page, "Plans")

    page.get_by_label(re.compile(r"\(12345KY0010001\)")).check()
    page.get_by_label(re.compile(r"\(12345KY0020001\)")).check()
    save_and_continue(page, "Contributions")
    page.get_by_label("Medical: toward each employee").fill("60")
    page.get_by_label("Medical: toward dependents").fill("25")
    page.get_by_label("Dental: toward each employee").fill("20")
    save_and_continue(page, "Census")

    census = tmp_path / "census.csv"
    census.write_text(CENSUS)
    page.get_by_label("Census file (CSV or XLSX)").set_input_files(str(census))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("4 people imported.").wait_for()
    page.get_by_role("button", name="Small employer attestation").click()
    page.get_by_label("Signed by").fill("Ann Lee")
    page.get_by_label("Title").fill("Owner")
    page.get_by_label("Signed on").fill("2026-11-23T10:00")
    save_and_continue(page, "Review and submit")

    assert page.get_by_text("No problems found").is_visible()
    page.get_by_role("button", name="Submit to the carrier").click()
    group_id = page.locator(".group-id")
    group_id.wait_for(timeout=30_000)  # the page's script polls the status and reloads once created
    assert re.fullmatch(r"\d{6}", group_id.inner_text())
    group = EmployerGroup.objects.get(broker=broker)
    assert (
        group.status == EmployerGroup.Status.OPEN_ENROLLMENT
        and group.humana_group_id == group_id.inner_text()
    )
    assert page.get_by_text("Created by the carrier as group").is_visible()
