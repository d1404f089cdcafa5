"""The employer on a 390 px phone, in Spanish (issue 22): follows the broker's invitation link, sets a
password, signs the Employer Group Application; the page fits the phone and the signature is recorded
with the phone's user agent."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from employers.services import employer_invite
from enrollment import application
from tests.enrollment.conftest import make_complete_group
from tests.members.conftest import rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_WIDTH = 390


@pytest.mark.usefixtures("rule_facts")
def test_the_employer_sets_a_password_and_signs_on_a_phone_in_spanish(
    live_server, phone_page, broker, settings
):
    settings.SITE_URL = live_server.url
    group = make_complete_group(broker)
    employer_invite(
        group=group,
        first_name="Ana",
        last_name="López",
        email="ana.hr@example.com",
        title="Dueña",
        language="es",
        by=broker.user,
    )
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/employer/welcome/\S+/", message.body).group(0)

    page = phone_page
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    page.goto(link)
    page.get_by_role("heading", name="Establezca su contraseña").wait_for()
    page.locator("input[name=new_password1]").fill("una-Clave-larga-2026!")
    page.locator("input[name=new_password2]").fill("una-Clave-larga-2026!")
    page.get_by_role("button", name="Establecer la contraseña y continuar").click()
    page.get_by_role("heading", name="Solicitud del Grupo Empleador").wait_for()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    page.get_by_label("Acepto firmar esta solicitud electrónicamente").check()
    page.get_by_label("Su cargo en el empleador").fill("Dueña")
    page.get_by_role("button", name="Firmar", exact=True).click()
    page.get_by_text("Gracias: la solicitud está firmada.").wait_for()
    # Measured once the stylesheets are in: before, an unbroken hash lays out wider than the phone.
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    signature = application.application_state(group=group).employer
    assert signature is not None and signature.signed_by == "Ana López" and signature.title == "Dueña"
    assert signature.user_agent == page.evaluate("navigator.userAgent")  # the browser that signed
