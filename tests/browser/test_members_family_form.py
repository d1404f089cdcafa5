"""Issue 15 item 9, on a phone: a broker enters an employee with a spouse and two children and saves once.
With JavaScript the "Add another dependent" button adds blank dependents in the page (no round trip);
without it the same button asks the server for the page with one more, keeping what was typed. The
county comes from the ZIP's counties in the rate file (one county: filled in on save)."""

from __future__ import annotations

import pytest

from members.models import Member
from tests.enrollment.conftest import make_complete_group
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBER = {
    "member_ref": "E-002", "first_name": "Luis", "last_name": "Ortiz", "ssn": "123456782",
    "date_of_birth": "1995-07-22", "address_line1": "9 Oak Ave", "city": "Louisville", "state": "KY",
    "zip5": "40204", "hire_date": "2024-07-01", "hours_per_week": "40",
}  # fmt: skip
DEPENDENTS = [
    ("SPOUSE", "Rosa", "1994-03-03", "123456784"),
    ("CHILD", "Ana", "2015-01-02", "123456783"),
    ("CHILD", "Eva", "2018-02-02", "123456785"),
]


@pytest.fixture
def rate_file(settings, tmp_path):
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/**")


def fill_the_employee(page) -> None:
    for field, value in SUBSCRIBER.items():
        page.fill(f"#id_subscriber-{field}", value)
    for field, value in {"gender": "MALE", "marital_status": "SINGLE", "tobacco_use": "false",
                         "employment_status": "FULL_TIME"}.items():  # fmt: skip
        page.select_option(f"#id_subscriber-{field}", value)
    page.select_option("#id_election-medical-plan_id", "12345KY0010001")
    for line in ("dental", "vision"):
        page.select_option(f"#id_election-{line}-plan_id", label="Waive coverage")
        page.select_option(f"#id_election-{line}-waiver_reason", "OTHER_GROUP_COVERAGE")


def fill_dependent(page, n: int) -> None:
    relationship, first, born, ssn = DEPENDENTS[n]
    page.select_option(f"#id_dependents-{n}-relationship", relationship)
    page.fill(f"#id_dependents-{n}-first_name", first)
    page.fill(f"#id_dependents-{n}-last_name", "Ortiz")
    page.fill(f"#id_dependents-{n}-ssn", ssn)
    page.fill(f"#id_dependents-{n}-date_of_birth", born)
    page.select_option(f"#id_dependents-{n}-gender", "FEMALE")
    page.select_option(f"#id_dependents-{n}-tobacco_use", "false")


def saved_family(group) -> tuple[Member, list[str]]:
    luis = Member.objects.get(group=group, member_ref="E-002")
    return luis, sorted(d.first_name for d in luis.dependents.all())


def test_a_broker_adds_three_dependents_and_saves_once_on_a_phone(live_server, phone_page, broker, rate_file):
    group = make_complete_group(broker)
    page = phone_page
    log_in(page, live_server.url, broker.user.username)
    page.goto(f"{live_server.url}/groups/{group.pk}/members/new")
    page.evaluate("window.notReloaded = true")
    fill_the_employee(page)
    fill_dependent(page, 0)
    add = page.get_by_role("button", name="Add another dependent")
    for n in (1, 2):
        add.click()
        page.locator(f"#id_dependents-{n}-first_name").wait_for()
        assert page.evaluate("document.activeElement.id") == f"id_dependents-{n}-relationship"
        fill_dependent(page, n)
    assert page.evaluate("window.notReloaded === true")  # added in the page, nothing sent yet
    assert not Member.objects.filter(group=group).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/groups/{group.pk}/members/*/")
    luis, dependents = saved_family(group)
    assert dependents == ["Ana", "Eva", "Rosa"]
    assert luis.county_fips == "21111"  # the ZIP's only county


def test_without_javascript_the_button_asks_the_server_and_keeps_what_was_typed(
    live_server, browser, broker, rate_file
):
    group = make_complete_group(broker)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server.url, broker.user.username)
        page.goto(f"{live_server.url}/groups/{group.pk}/members/new")
        fill_the_employee(page)
        fill_dependent(page, 0)
        for n in (1, 2):
            page.get_by_role("button", name="Add another dependent").click()
            page.locator(f"#id_dependents-{n}-first_name").wait_for()
            assert page.input_value("#id_dependents-0-first_name") == "Rosa"
            assert page.input_value("#id_subscriber-first_name") == "Luis"
            fill_dependent(page, n)
        assert not Member.objects.filter(group=group).exists()
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(f"**/groups/{group.pk}/members/*/")
        _luis, dependents = saved_family(group)
        assert dependents == ["Ana", "Eva", "Rosa"]
    finally:
        context.close()
