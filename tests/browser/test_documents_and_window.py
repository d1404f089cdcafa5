"""Issue 22 in a real browser: the employer uploads the group's document on a phone in Spanish, an
administrator rejects it with a reason, the employer sees why and replaces it; the broker sets the
open-enrollment window and sees the rule beside the field when the end is too late."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from employers.services import employer_invite
from enrollment import application, documents
from enrollment.models import EmployerGroup
from enrollment.window import default_ends_on
from tests.enrollment.conftest import catalogue_facts, make_complete_group  # noqa: F401
from tests.factories import PASSWORD
from tests.members.conftest import rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_WIDTH = 390
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def log_in(page, live_server, username, *, language="en"):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def fits_the_phone(page) -> bool:
    page.wait_for_load_state("load")  # measured with the stylesheets in
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


@pytest.mark.usefixtures("rule_facts")
def test_the_employer_uploads_sees_the_rejection_and_replaces_it_on_a_phone_in_spanish(
    live_server, phone_page, broker
):
    group = make_complete_group(broker)
    contact = employer_invite(group=group, first_name="Ana", last_name="López", email="ana.hr@example.com",
                              title="Dueña", language="es", by=broker.user)  # fmt: skip
    contact.user.set_password(PASSWORD)
    contact.user.save()
    page = phone_page
    log_in(page, live_server, contact.user.username, language="es")
    page.goto(f"{live_server.url}/employer/groups/{group.pk}/documents/")
    page.get_by_role("heading", name="Documentos").first.wait_for()
    assert fits_the_phone(page)

    # a file that is not a PDF, JPEG or PNG: refused beside its own field, with the rule
    item = page.locator("#doc-DOC-001")
    item.locator("input[type=file]").set_input_files(
        {"name": "salarios.pdf", "mimeType": "application/pdf", "buffer": b"MZ not a pdf at all"}
    )
    item.get_by_role("button", name="Subir", exact=True).click()
    error = page.locator("#error-DOC-001")
    error.wait_for()
    assert error.inner_text().startswith("DOC-")
    assert page.locator("#file-DOC-001").get_attribute("aria-describedby") == "error-DOC-001"

    page.locator("#file-DOC-001").set_input_files(
        {"name": "salarios.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#doc-DOC-001").get_by_role("button", name="Subir", exact=True).click()
    page.locator("#doc-DOC-001 .document-status").get_by_text("En espera de revisión").wait_for()

    uploaded = documents.current_documents(group=group)["DOC-001"]
    assert documents.document_content(document=uploaded) == PDF
    documents.document_review(document=uploaded, status="REJECTED", reason="No muestra a Luis Díaz.", by=None)

    page.reload()
    status = page.locator("#doc-DOC-001 .document-status")
    assert "Rechazado" in status.inner_text() and "No muestra a Luis Díaz." in status.inner_text()
    page.locator("#file-DOC-001").set_input_files(
        {"name": "salarios.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.locator("#doc-DOC-001").get_by_role("button", name="Subir", exact=True).click()
    page.locator("#doc-DOC-001 .document-status").get_by_text("En espera de revisión").wait_for()
    assert fits_the_phone(page)

    current = documents.current_documents(group=group)["DOC-001"]
    assert current.pk != uploaded.pk and current.filename.endswith(".png")
    uploaded.refresh_from_db()
    assert uploaded.replaced_at is not None


@pytest.mark.usefixtures("rule_facts")
def test_the_broker_sets_the_window_and_a_late_end_shows_oew_001_beside_the_field(live_server, page, broker):
    group = make_complete_group(broker)
    latest = default_ends_on(group)
    log_in(page, live_server, broker.user.username)
    page.goto(f"{live_server.url}/groups/{group.pk}/open-enrollment/")

    too_late = latest + timedelta(days=1)
    page.get_by_label("Ends on").fill(too_late.isoformat())
    page.get_by_role("button", name="Save").click()
    field = page.get_by_label("Ends on")
    described_by = field.get_attribute("aria-describedby") or ""
    problems = " ".join(page.locator(f"#{name}").inner_text() for name in described_by.split())
    assert "OEW-001" in problems and latest.isoformat() in problems
    assert field.input_value() == too_late.isoformat()  # what was typed is still there

    field.fill((latest - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The open-enrollment window is saved.").wait_for()
    group.refresh_from_db()
    assert group.oe_ends_on == latest - timedelta(days=1)


@pytest.mark.usefixtures("rule_facts", "catalogue_facts")
def test_broker_invites_employer_both_sign_and_a_later_edit_voids_both_with_grp_015(
    live_server, page, phone_page, broker, settings
):
    settings.SITE_URL = live_server.url
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.OPEN_ENROLLMENT, humana_group_id="100234"
    )
    broker.npn = group.agent_npn
    broker.save()

    # the broker invites the HR contact, in Spanish
    log_in(page, live_server, broker.user.username)
    page.goto(f"{live_server.url}/groups/{group.pk}/employer-access/")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("López")
    page.get_by_label("E-mail").fill("ana.hr@example.com")
    page.get_by_label("Title at the employer").fill("Dueña")
    page.locator("#id_language").select_option("es")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("ana.hr@example.com").first.wait_for()
    (message,) = [m for m in mail.outbox if m.to == ["ana.hr@example.com"]]
    link = re.search(r"https?://\S+/employer/welcome/\S+/", message.body).group(0)

    # the employer sets a password and signs on a phone, in Spanish
    phone = phone_page
    phone.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    phone.goto(link)
    phone.locator("input[name=new_password1]").fill("una-Clave-larga-2026!")
    phone.locator("input[name=new_password2]").fill("una-Clave-larga-2026!")
    phone.get_by_role("button", name="Establecer la contraseña y continuar").click()
    phone.get_by_label("Acepto firmar esta solicitud electrónicamente").check()
    phone.get_by_role("button", name="Firmar", exact=True).click()
    phone.get_by_text("Gracias: la solicitud está firmada.").wait_for()

    # the writing agent signs
    page.goto(f"{live_server.url}/groups/{group.pk}/application/")
    page.get_by_label("I agree to sign this application electronically").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    page.get_by_text("Signed as the writing agent.").wait_for()
    page.get_by_text("Signed by both: it is sent to Humana with the group.").wait_for()
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    assert "GRP-015" not in page.locator(".readiness").inner_text()

    # a later edit of a signed field (the employer's medical contribution) voids both signatures
    page.goto(f"{live_server.url}/groups/{group.pk}/contributions")
    page.locator("#id_medical_employee").fill("80")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert not application.application_state(group=group).signed
    page.goto(f"{live_server.url}/groups/{group.pk}/application/")
    assert page.get_by_text("Signed by both").count() == 0
    assert page.get_by_text("Not signed yet").count() == 2
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    readiness = page.locator(".readiness").inner_text()
    assert "GRP-015" in readiness
    assert page.get_by_role("button", name="Finalize with the carrier").count() == 0
