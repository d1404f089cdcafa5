"""The group's documents (issue 22 item 3): the checklist as data, uploads checked by content, encrypted at
rest, reviewed by an administrator with the broker and the employer told, and finalize waiting for them."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from employers.services import employer_invite
from enrollment import documents
from enrollment.finalize import group_readiness
from enrollment.models import EmployerGroup, GroupDocument
from tests.enrollment.conftest import make_complete_group
from tests.factories import BrokerFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def contact(group, broker):
    return employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com",
                           title="Owner", language="es", by=broker.user)  # fmt: skip


@pytest.fixture
def employer_client(client, contact):
    client.force_login(contact.user)
    return client


def _upload(client, group, content, *, name="wages.pdf", code="DOC-001", employer=True):
    view = "employers:employer_documents" if employer else "employers:documents"
    return client.post(
        reverse(view, args=[group.pk]), {"requirement": code, "file": SimpleUploadedFile(name, content)}
    )


def _codes(group) -> list[str]:
    return [item.code for item in documents.document_checklist(group=group)]


def test_the_checklist_follows_its_conditions(group):
    assert group.established_date < date(2020, 1, 1)
    assert _codes(group) == ["DOC-001"]  # an established company: its wage and tax report
    EmployerGroup.objects.filter(pk=group.pk).update(established_date=date(2026, 11, 1))
    group.refresh_from_db()
    assert _codes(group) == ["DOC-002"]  # two months before the effective date: proof of business instead
    EmployerGroup.objects.filter(pk=group.pk).update(entity_type="PARTNERSHIP")
    group.refresh_from_db()
    assert _codes(group) == ["DOC-002", "DOC-003"]


def test_every_checklist_condition_is_one_the_portal_knows():
    for item in documents.CHECKLIST:
        assert set(item["when"]) <= set(documents.CONDITIONS), item["code"]
        assert item["code"].startswith("DOC-")


def test_the_employer_uploads_a_pdf_kept_encrypted(employer_client, group):
    response = _upload(employer_client, group, PDF)
    assert response.status_code == 302
    document = GroupDocument.objects.get()
    assert (document.requirement, document.content_type, document.size) == (
        "DOC-001",
        "application/pdf",
        len(PDF),
    )
    assert document.uploaded_by.email == "ann.hr@example.com"
    with connection.cursor() as cursor:
        cursor.execute("SELECT content_base64 FROM enrollment_groupdocument WHERE id = %s", [document.pk])
        (raw,) = cursor.fetchone()
    assert not str(raw).startswith("JVBER")  # base64 of "%PDF": what is stored is not the file
    assert documents.document_content(document=document) == PDF
    file = employer_client.get(reverse("employers:employer_document_file", args=[group.pk, document.pk]))
    assert file.status_code == 200 and file.content == PDF
    assert file["Content-Type"] == "application/pdf" and file["X-Content-Type-Options"] == "nosniff"
    assert file["Content-Disposition"].startswith("attachment;")


def test_the_type_is_the_contents_not_the_names(employer_client, group):
    assert _upload(employer_client, group, PNG, name="scan.pdf").status_code == 302
    assert GroupDocument.objects.get().content_type == "image/png"
    assert GroupDocument.objects.get().filename == "scan.png"
    assert _upload(employer_client, group, JPEG, name="photo.png").status_code == 302
    assert GroupDocument.objects.filter(replaced_at__isnull=True).get().content_type == "image/jpeg"
    refused = _upload(employer_client, group, b"<html><script>alert(1)</script>", name="wages.pdf")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "DOC-101" in page  # beside the item's field, in the employer's language (Spanish here)
    assert GroupDocument.objects.count() == 2


def test_an_empty_or_too_large_file_is_refused_with_the_rule(employer_client, group, settings):
    settings.ENROLLMENT_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (1024 * 1024)
    response = _upload(employer_client, group, big)
    assert response.status_code == 400 and "DOC-102" in response.content.decode()
    response = _upload(employer_client, group, b"")
    assert response.status_code == 400 and "DOC-102" in response.content.decode()
    assert not GroupDocument.objects.exists()


def test_an_item_not_on_the_checklist_is_refused(broker_client, group):
    response = _upload(broker_client, group, PDF, code="DOC-002", employer=False)
    assert response.status_code == 400 and "DOC-103" in response.content.decode()


def _admin(client):
    admin = get_user_model().objects.create_superuser("reviewer", "reviewer@portal.example", "x")
    client.force_login(admin)
    return admin


def test_a_rejection_needs_a_reason_and_tells_the_broker_and_the_employer(
    client, group, contact, broker, django_capture_on_commit_callbacks
):
    document = documents.document_upload(group=group, requirement="DOC-001", filename="w.pdf", content=PDF,
                                         by=contact.user)  # fmt: skip
    mail.outbox.clear()
    _admin(client)
    change = reverse("admin:enrollment_groupdocument_change", args=[document.pk])
    page = client.post(change, {"status": "REJECTED", "review_reason": ""})
    assert page.status_code == 200 and "DOC-104" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change, {"status": "REJECTED", "review_reason": "The report does not list Luis Diaz."}
        )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == "REJECTED" and document.reviewed_by.username == "reviewer"
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {broker.user.email, "ann.hr@example.com"}
    spanish, english = by_address["ann.hr@example.com"], by_address[broker.user.email]
    assert "Rechazado" in spanish.body and "Motivo: The report does not list Luis Diaz." in spanish.body
    assert "Rejected" in english.body and "Reason: The report does not list Luis Diaz." in english.body
    assert spanish.alternatives and spanish.alternatives[0][1] == "text/html"  # and the plain-text part
    assert set(group.notices.values_list("kind", flat=True)) == {"DOCUMENT_REVIEWED"}


def test_a_new_upload_replaces_the_rejected_one(employer_client, group, contact):
    first = documents.document_upload(group=group, requirement="DOC-001", filename="w.pdf", content=PDF,
                                      by=contact.user)  # fmt: skip
    documents.document_review(document=first, status="REJECTED", reason="Unreadable", by=None)
    page = employer_client.get(reverse("employers:employer_documents", args=[group.pk])).content.decode()
    assert "Unreadable" in page and 'name="file"' in page
    assert _upload(employer_client, group, PNG, name="w2.png").status_code == 302
    first.refresh_from_db()
    assert first.replaced_at is not None
    current = documents.current_documents(group=group)["DOC-001"]
    assert current.pk != first.pk and current.status == "PENDING"


def test_finalize_waits_for_an_accepted_document_from_the_cutover(group, contact, settings):
    settings.ENROLLMENT_DOCUMENTS_REQUIRED_FROM = "2027-01-01"  # the group's effective date
    problems = [p for p in group_readiness(group=group).problems if p.code == "DOC-001"]
    assert [(p.severity, p.step) for p in problems] == [("error", "documents")]
    assert "Documents page" in problems[0].fix
    document = documents.document_upload(group=group, requirement="DOC-001", filename="w.pdf", content=PDF,
                                         by=contact.user)  # fmt: skip
    assert [p.message for p in group_readiness(group=group).problems if p.code == "DOC-001"] == [
        "Latest quarterly wage and tax report: waiting for review."
    ]
    documents.document_review(document=document, status="ACCEPTED", reason="", by=None)
    assert not [p for p in group_readiness(group=group).problems if p.code == "DOC-001"]


def test_before_the_cutover_a_missing_document_is_a_warning(group):
    problems = [p for p in group_readiness(group=group).problems if p.code == "DOC-001"]
    assert [p.severity for p in problems] == ["warning"]  # effective 2027-01-01, before 2027-07-01


def test_another_employers_documents_are_absent(client, group, contact):
    document = documents.document_upload(group=group, requirement="DOC-001", filename="w.pdf", content=PDF,
                                         by=contact.user)  # fmt: skip
    other_broker = BrokerFactory()
    theirs = make_complete_group(other_broker)
    eve = employer_invite(group=theirs, first_name="Eve", last_name="Other", email="eve@other.example",
                          title="Owner", language="en", by=other_broker.user)  # fmt: skip
    client.force_login(eve.user)
    for url in (
        reverse("employers:employer_documents", args=[group.pk]),
        reverse("employers:employer_document_file", args=[group.pk, document.pk]),
        reverse(
            "employers:employer_document_file", args=[theirs.pk, document.pk]
        ),  # their group, not their file
        reverse("employers:documents", args=[group.pk]),
        reverse("employers:document_file", args=[group.pk, document.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert _upload(client, group, PDF).status_code == 404
    assert GroupDocument.objects.count() == 1
