"""The employer signs the renewal decision on a 390 px phone, in Spanish (issue 22, REN-002): logs in,
reads the decision the broker prepared (plans now and from the renewal date, what changes), consents and
signs; the page fits the phone before and after, axe-core finds nothing, no English word shows, and the
signature holds the phone's user agent and the document's hash. The broker's renewal page, refused with
REN-002 beside the employer's signature, passes the same measures."""

from __future__ import annotations

from datetime import date

import pytest

from employers.services import employer_invite
from enrollment.models import EmployerGroup
from renewals import signing
from renewals.models import Renewal
from tests.browser.walk import axe_violations, english_words, missing_idrefs, overflow
from tests.enrollment.conftest import make_complete_group
from tests.renewals.test_plan_years import CARRIER

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_WIDTH = 390
PASSWORD = "una-Clave-larga-2026!"
# The data's own words (names, the e-mail, plans): no translation's business.
DATA = {"ana", "lópez", "dueña", "hr", "example", "com", "blue", "heron", "bakery", "llc", "humana", "bronze",
        "ppo"}  # fmt: skip


def offered_renewal(broker):
    """An enrolled group, its renewal offered for 2028 and its employer contact Ana López (Spanish)."""
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.ENROLLED)
    renewal = Renewal.objects.create(
        group=group, renewal_date=date(2028, 1, 1), offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2), enrollment_cutoff=date(2027, 12, 31),
        status=Renewal.Status.OFFERED, carrier_status="OFFERED", carrier_renewal=CARRIER,
    )  # fmt: skip
    contact = employer_invite(group=group, first_name="Ana", last_name="López", email="ana.hr@example.com",
                              title="Dueña", language="es", by=broker.user)  # fmt: skip
    return group, renewal, contact


def test_the_employer_signs_the_renewal_decision_on_a_phone_in_spanish(
    live_server, phone_page, broker, settings
):
    settings.SANDBOX_TODAY = "2027-10-21"
    group, renewal, contact = offered_renewal(broker)
    contact.user.set_password(PASSWORD)
    contact.user.save()
    decision = {"renewalDate": "2028-01-01", "decision": "DO_NOT_RENEW"}
    document = signing.renewal_decision_prepare(renewal=renewal, decision=decision, by=broker.user)

    page = phone_page
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "ana.hr@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/employer/groups/{group.pk}/")
    page.get_by_text("Una decisión de renovación espera su firma.").wait_for()
    page.get_by_role("link", name="Leer y firmar la decisión de renovación").click()
    page.get_by_role("heading", name="Firmar la decisión de renovación").wait_for()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    check(page, DATA)
    assert page.get_by_text("No renovar", exact=True).count() == 1
    page.get_by_text(
        "El grupo no se renueva: la cobertura de todos los miembros termina el 2027-12-31."
    ).wait_for()

    page.get_by_label("Acepto firmar esta decisión electrónicamente").check()
    page.get_by_label("Su cargo en el empleador").fill("Dueña")
    page.get_by_role("button", name="Firmar", exact=True).click()
    page.get_by_text("Gracias: la decisión de renovación está firmada.").wait_for()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    check(page, DATA)
    page.goto(f"{live_server.url}/employer/groups/{group.pk}/requests/")  # "Request a change"
    page.get_by_role("heading", name="Pida un cambio a su corredor").wait_for()
    page.wait_for_load_state("load")
    check(page, DATA)

    signature = signing.decision_state(renewal=renewal).employer
    assert signature is not None and (signature.signed_by, signature.title) == ("Ana López", "Dueña")
    assert signature.document_sha256 == document.sha256 and signature.email == "ana.hr@example.com"
    assert signature.user_agent == page.evaluate("navigator.userAgent")  # the browser that signed


def check(page, data_words: set[str]) -> None:
    """The every-page walk's measures (tests/browser/walk.py) on one page."""
    assert axe_violations(page) == []
    assert missing_idrefs(page) == []
    size = overflow(page)
    assert size["scrollWidth"] <= size["viewport"] == PHONE_WIDTH and not size["broken"], size
    assert english_words(page, data_words) == []


def test_the_brokers_renewal_page_shows_ren_002_beside_the_employers_signature(
    live_server, phone_page, broker, settings
):
    from django.test import Client

    settings.SANDBOX_TODAY = "2027-10-21"
    group, renewal, _contact = offered_renewal(broker)
    signing.renewal_decision_prepare(
        renewal=renewal, decision={"renewalDate": "2028-01-01", "decision": "DO_NOT_RENEW"}, by=broker.user
    )
    login = Client()
    login.force_login(broker.user)
    page = phone_page
    page.context.add_cookies(
        [{"name": "django_language", "value": "es", "url": live_server.url},
         {"name": settings.SESSION_COOKIE_NAME, "value": login.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    page.goto(f"{live_server.url}/groups/{group.pk}/renewal/")
    page.get_by_role("button", name="Enviar la decisión firmada a Humana").click()
    page.get_by_text("La decisión no se envió: vea abajo lo que falta.").wait_for()
    employer = page.locator("#field-employer")
    assert "REN-002" in employer.inner_text() and "Ana López todavía no ha firmado" in employer.inner_text()
    page.wait_for_load_state("load")
    check(page, DATA | {"sam", "ortiz"})
    assert Renewal.objects.get(pk=renewal.pk).sending == ""
