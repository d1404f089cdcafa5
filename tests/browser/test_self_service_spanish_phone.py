"""An employee on a 390 px phone, in Spanish: the plans with their cost per pay period and details, the
compare view, what waiving means, the review with years of birth only, and an old link that names the
broker. Every page no wider than the phone and with 0 axe-core violations (issue 15 items 10-12, issue 16
item 14, issue 23 item 4)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from members import self_service
from members.models import Member

# The members tests' group (created with the carrier) and rule facts; validation tasks are recorded.
from tests.members.conftest import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, group, queued, rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_WIDTH = 390


@pytest.fixture
def rates(settings, tmp_path):
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")


@pytest.fixture
def ann(group, queued):  # noqa: F811
    from members import services

    group.pay_frequency = "BIWEEKLY"
    group.save(update_fields=["pay_frequency"])
    group.broker.phone = "5025550188"
    group.broker.save()
    return services.family_save(
        group=group,
        subscriber_data=ANN,
        dependents_data=[dict(d) for d in ANN_DEPENDENTS],
        elections=ANN_ELECTIONS,
        by=None,
    )


def in_spanish(page, live_server) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])


def check_page(page, what: str) -> None:
    """No wider than the phone, and axe-core finds nothing."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{what}: {width} px wide"
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations] == [], what


@pytest.mark.usefixtures("rule_facts", "rates")
def test_an_employee_compares_the_plans_and_waives_knowing_what_it_means(live_server, phone_page, ann):
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    page = phone_page
    in_spanish(page, live_server)
    page.goto(f"{live_server.url}/enroll/{invitation.token}/coverage")
    page.get_by_role("heading", name="Cobertura", exact=True).wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    silver = page.locator("label.ss-choice", has_text="Humana Silver PPO 3500")
    assert "$821.73 por período de pago" in silver.inner_text()  # $1,780.42 x 12 / 26
    assert "Deducible: $3,500.00 / $7,000.00" in silver.inner_text()
    assert page.locator(".ss-waive-note").first.inner_text().startswith("Si no toma esta cobertura ahora")
    check_page(page, "coverage")

    page.get_by_role("link", name="Compare los planes uno al lado del otro").click()
    page.get_by_role("heading", name="Compare los planes", exact=True).wait_for()
    medical = page.locator("section.ss-compare", has=page.get_by_role("heading", name="Médica"))
    headers = medical.locator("thead th").all_inner_texts()
    assert headers == ["Humana Bronze PPO 6000", "Humana Silver PPO 3500"]
    row = medical.locator("tr", has=page.get_by_role("rowheader", name="Usted paga cada período de pago"))
    assert row.locator("td").all_inner_texts() == ["$759.63", "$821.73"]
    check_page(page, "compare")

    page.get_by_role("link", name="Volver a elegir su cobertura").click()
    page.locator("label.ss-choice", has_text="Humana Silver PPO 3500").click()
    dental = page.locator("section.ss-line", has=page.get_by_role("heading", name="Dental"))
    dental.locator("label.ss-choice").last.click()  # "I do not want it"
    dental.get_by_role("combobox").select_option("SPOUSE_GROUP_COVERAGE")
    page.get_by_role("button", name="Guardar y continuar").click()
    page.get_by_role("heading", name="Revisar y firmar").wait_for()
    review = page.locator("main").inner_text()
    assert "Nació en 1980" in review and "1980-05-02" not in review
    assert re.search(r"Son \$[\d,]+\.\d\d por período de pago \(Cada dos semanas\)", review)
    assert "Si no toma esta cobertura ahora" in review  # dental is waived
    check_page(page, "review")
    elections = {e.line: (e.plan_id, e.waived) for e in Member.objects.get(pk=ann.pk).elections.all()}
    assert elections["MEDICAL"] == ("12345KY0010001", False)  # nothing stored before signing


@pytest.mark.usefixtures("rule_facts")
def test_a_replaced_link_says_whom_to_ask_in_spanish(live_server, phone_page, ann):
    # "Resend" keeps the link (issue 22 item 4); a new invitation replaces it.
    old = self_service.invitation_send(subscriber=ann, by=None).token
    self_service.invitation_send(subscriber=ann, by=None)
    page = phone_page
    in_spanish(page, live_server)
    response = page.goto(f"{live_server.url}/enroll/{old}/details")
    assert response.status == 404
    page.get_by_role("heading", name="Este enlace ya no funciona").wait_for()
    contact = page.locator(".ss-contact").inner_text()
    assert "Sam Ortiz" in contact and "(502) 555-0188" in contact
    assert page.get_by_role("link", name="(502) 555-0188").get_attribute("href") == "tel:+15025550188"
    check_page(page, "old link")


@pytest.mark.usefixtures("rule_facts")
def test_the_employee_sees_their_own_problem_in_spanish_and_not_the_brokers(live_server, phone_page, ann):
    Member.objects.filter(pk=ann.pk).update(ssn="", hire_date=None, county_fips="")
    invitation = self_service.invitation_send(subscriber=Member.objects.get(pk=ann.pk), by=None)
    page = phone_page
    in_spanish(page, live_server)
    page.goto(f"{live_server.url}/enroll/{invitation.token}/details")
    page.get_by_role("button", name="Guardar y continuar").click()
    page.get_by_role("heading", name="Sus datos").wait_for()
    ssn = page.locator("#field-me-ssn")
    assert "MBR-002" in ssn.inner_text() and "Escriba los 9 dígitos" in ssn.inner_text()
    main = page.locator("main").inner_text()
    assert "MBR-008" not in main and "FIPS" not in main
    assert "required" not in main and "member's" not in main
