from __future__ import annotations

import pytest

from catalogue.services import etss_file_receive
from catalogue.testing import sample_path
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"


def test_it_lets_a_broker_quote_the_sample_employer(live_server, page, broker, settings, tmp_path):
    settings.ETSS_ARCHIVE_DIR = tmp_path
    assert etss_file_receive(path=sample_path(), loaded_by="command").status == "LOADED"
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Quotes").click()
    page.get_by_role("link", name="New quote").click()
    page.get_by_label("Employer name").fill("Blue Heron Cafe LLC")
    page.get_by_label("ZIP code").fill("40202")
    page.get_by_label("ZIP code").press("Tab")
    page.get_by_text("Counties of this ZIP: 21111").wait_for()
    assert page.get_by_label("County (FIPS)").input_value() == "21111"
    page.get_by_label("Effective date").fill("2027-01-01")
    page.get_by_label("Census file (CSV or XLSX)").set_input_files(str(BLUE_HERON))
    page.get_by_role("button", name="Quote and save").click()
    page.get_by_role("heading", name="Quote: Blue Heron Cafe LLC").wait_for()
    table = page.locator("#plan-comparison")
    assert table.get_by_role("row", name="Humana Bronze PPO 6000").get_by_text("$3,143.30").is_visible()
    # Sorting by total puts the cheapest plan (vision) first.
    page.get_by_role("button", name="Total").click()
    assert table.locator("tbody tr").first.get_attribute("data-plan-id") == "12345KY0030001"
    assert page.locator("figure.quote-chart svg rect").count() == 5
    # From the quote to a draft group: the employer, place, date, plans and census come along.
    page.get_by_role("button", name="Start a group from this quote").click()
    page.get_by_role("heading", name="Employer").wait_for()
    assert page.get_by_label("Legal name").input_value() == "Blue Heron Cafe LLC"
    from enrollment.models import EmployerGroup

    group = EmployerGroup.objects.get(broker=broker)
    assert (group.status, group.zip5, group.county_fips) == ("DRAFT", "40202", "21111")
    assert str(group.requested_effective_date) == "2027-01-01"
    assert group.census.count() == 5  # the sample census: Ann's family and Luis
