"""The signed Employer Group Application (issue 22 item 2, api.md 1.1, GRP-015): a PDF both signers
see with its SHA-256, two signatures, sent with the group; any change of a signed field voids both."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from enrollment import application, services
from enrollment.finalize import group_readiness
from enrollment.models import ApplicationDocument, EmployerGroup
from tests.catalogue.test_proposal import pdf_text

from .conftest import make_complete_group

pytestmark = pytest.mark.django_db
Role = application.Role


@pytest.fixture
def group(broker, rule_facts):
    return make_complete_group(broker)


def _sign_as_employer(group: EmployerGroup, sha256: str, *, consent: bool) -> None:
    application.application_sign(
        group=group, document_sha256=sha256, role=Role.EMPLOYER, user=None, signed_by="Ann Lee",
        title="Owner", email="ann@example.com", consent=consent,
    )  # fmt: skip


def _sign_both(group: EmployerGroup) -> None:
    document = application.application_document_current(group=group)
    application.application_sign(
        group=group,
        document_sha256=document.sha256,
        role=Role.EMPLOYER,
        user=None,
        signed_by="Ann Lee",
        title="Owner",
        email="ann@example.com",
        consent=True,
        ip_address="203.0.113.7",
        user_agent="Phone",
    )
    application.application_sign(
        group=group,
        document_sha256=document.sha256,
        role=Role.AGENT,
        user=None,
        signed_by="Sam Ortiz",
        email="sam@agency.example",
        consent=True,
    )


def test_the_document_shows_the_plans_and_contributions_and_its_hash_is_the_pdfs(group, tmp_path):
    document = application.application_document_current(group=group)
    pdf = application.application_pdf(document=document)

    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    text = pdf_text(pdf, tmp_path)
    assert group.legal_name in text
    for offering in group.offerings:
        for plan_id in offering["planIds"]:
            assert plan_id in text
    assert "50%" in text or "$" in text  # the contributions, in words
    # The same data: the same document (it is made once, not on every read).
    assert application.application_document_current(group=group).pk == document.pk


def test_both_signatures_send_the_application_with_the_group(group):
    assert services.group_build_create_payload(group=group)["employerGroupApplication"] is None
    _sign_both(group)

    body = services.group_build_create_payload(group=group)["employerGroupApplication"]
    document = ApplicationDocument.objects.get(group=group, voided_at=None)
    assert body["documentSha256"] == document.sha256
    assert (
        body["employerSignature"]["signedBy"] == "Ann Lee" and body["employerSignature"]["title"] == "Owner"
    )
    assert body["agentSignature"]["npn"] == group.agent_npn
    assert {body["employerSignature"]["method"], body["agentSignature"]["method"]} == {"ELECTRONIC"}
    signature = document.signatures.get(role=Role.EMPLOYER)
    assert (signature.ip_address, signature.user_agent, signature.document_sha256) == (
        "203.0.113.7",
        "Phone",
        document.sha256,
    )


@override_settings(HUMANA_RULE_SETTINGS={"application_required_from": "2027-01-01"})
def test_a_change_of_a_contribution_after_signing_voids_both_and_finalize_shows_grp_015(group):
    _sign_both(group)
    offering = next(o for o in group.offerings if o["line"] == "MEDICAL")
    services.group_set_offering(
        group=group, line="MEDICAL", contribution={**offering["contribution"], "employee": "75"}
    )

    state = application.application_state(group=group)
    assert state.document is None and state.employer is None and state.agent is None
    voided = ApplicationDocument.objects.get(group=group)
    assert voided.voided_at is not None and voided.signatures.count() == 2  # kept, as a record
    assert services.group_build_create_payload(group=group)["employerGroupApplication"] is None
    problems = [p for p in group_readiness(group=group).problems if p.code == "GRP-015"]
    assert problems and problems[0].severity == "error"
    assert not group_readiness(group=group).ready
    # A new document of the new data, to be signed again.
    assert application.application_document_current(group=group).pk != voided.pk


def test_a_change_outside_the_application_keeps_the_signatures(group):
    _sign_both(group)
    services.group_update(group=group, fields={"attestation_title": "Managing member"})
    assert application.application_state(group=group).signed


def test_signing_needs_consent_and_the_document_the_signer_read(group):
    document = application.application_document_current(group=group)
    with pytest.raises(ValidationError, match="GRP-015"):
        _sign_as_employer(group, document.sha256, consent=False)
    services.group_update(group=group, fields={"legal_name": "Blue Heron Bakery Inc"})
    with pytest.raises(ValidationError, match="changed since you opened it"):
        _sign_as_employer(group, document.sha256, consent=True)


def test_the_pdf_is_encrypted_at_rest(group):
    from django.db import connection

    document = application.application_document_current(group=group)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pdf_base64 FROM enrollment_applicationdocument WHERE id = %s", [document.pk])
        (raw,) = cursor.fetchone()
    assert not str(raw).startswith("JVBER")  # base64 of "%PDF"
    assert application.application_pdf(document=document).startswith(b"%PDF")
