"""Issue 23 items 2 and 3 in a real browser: the proposal download, the print stylesheet, and the
contribution scenarios (a 40% scenario flagged with GRP-022, a group started from a scenario)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from catalogue import services
from catalogue.census import parse_census
from catalogue.services import etss_file_receive
from catalogue.testing import sample_path
from tests.conftest import REQUIRE_SERVICES
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"


@pytest.fixture
def quote(broker, settings, tmp_path):
    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    assert etss_file_receive(path=sample_path(), loaded_by="command").status == "LOADED"
    census, problems = parse_census(BLUE_HERON.read_bytes(), filename="census.csv")
    assert problems == []
    return services.quote_create(
        broker=broker, employer_name="Blue Heron Bakery LLC", zip5="40202", county_fips="21111",
        effective_date=date(2027, 1, 1), composite=False,
        contributions={line: {"basis": "PERCENT", "employee": "50.00", "dependents": "0.00"}
                       for line in ("MEDICAL", "DENTAL", "VISION")},
        census=census,
    )  # fmt: skip


def _log_in_and_open(page, live_server, quote) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/quotes/{quote.pk}/")
    page.get_by_role("heading", name="Quote: Blue Heron Bakery LLC").wait_for()


def test_it_downloads_the_proposal_and_prints_the_page_without_the_site_around_it(
    live_server, page, quote, tmp_path
):
    _log_in_and_open(page, live_server, quote)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the proposal (PDF)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    assert path.name == "proposal-blue-heron-bakery-llc-2027-01-01.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        if REQUIRE_SERVICES:
            pytest.fail("poppler-utils (pdftotext) is missing")
    else:
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "$3,143.30" in text and "Bluegrass Benefits Group" in text

    assert page.get_by_role("button", name="Print").is_visible()  # shown by the page's script
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("link", name="Download the proposal (PDF)").is_visible()
    assert page.locator("#plan-comparison").is_visible()
    assert page.get_by_role("button", name="Total").is_visible()  # the column headings print
    assert page.get_by_text("Prepared by Sam Ortiz, Bluegrass Benefits Group.").is_visible()


def test_it_compares_scenarios_flags_the_minimum_contribution_and_starts_a_group(live_server, page, quote):
    from enrollment.models import EmployerGroup

    _log_in_and_open(page, live_server, quote)
    page.get_by_text("Change the scenarios").click()
    second = page.get_by_role("group", name="Scenario 2")
    second.get_by_label("Compare this scenario").check()
    second.get_by_label("Scenario name").fill("Forty percent")
    second.get_by_label("Medical: employer pays for the employee").fill("40.00")
    page.get_by_role("button", name="Save the scenarios").click()
    page.get_by_role("columnheader", name="Forty percent").wait_for()

    columns = page.locator("#scenario-comparison .scenario-rules")
    assert columns.count() == 2
    assert columns.nth(0).locator('[data-rule="GRP-022"]').get_attribute("data-ok") == "true"
    forty = columns.nth(1).locator('[data-rule="GRP-022"]')
    assert forty.get_attribute("data-ok") == "false"
    assert "E-001, E-002" in forty.inner_text()
    bronze = page.locator('#scenario-comparison tbody[data-plan-id="12345KY0010001"]')
    assert (
        "$678.57" in bronze.inner_text() and "$542.86" in bronze.inner_text()
    )  # 50% and 40% of own premiums

    page.get_by_role("button", name="Start a group with Forty percent").click()
    page.get_by_role("heading", name="Employer").wait_for()
    group = EmployerGroup.objects.get()
    medical = next(o for o in group.offerings if o["line"] == "MEDICAL")
    assert medical["contribution"]["employee"] == "40.00"
    assert medical["planIds"] == ["12345KY0010003", "12345KY0010002", "12345KY0010001"]
