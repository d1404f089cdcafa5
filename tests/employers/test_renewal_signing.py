"""The employer's signature on the renewal decision, service and pages (issue 22, REN-002), without the
carrier: the document and its hash, who may sign, a change voiding both signatures, REN-002 addressed to
the broker beside the employer's signature and to the employer on their page, the e-mails in each one's
language with a plain-text part and no personal numbers."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from employers.services import employer_invite
from enrollment.models import EmployerGroup
from renewals import signing
from renewals.models import DecisionDocument, Renewal
from tests.factories import BrokerFactory
from tests.renewals.test_plan_years import CARRIER

pytestmark = pytest.mark.django_db
AS_OFFERED = {"renewalDate": "2028-01-01", "decision": "RENEW_AS_OFFERED"}
WITH_CHANGES = {
    "renewalDate": "2028-01-01",
    "decision": "RENEW_WITH_CHANGES",
    "offerings": [
        {"line": "MEDICAL", "planIds": ["12345KY0010004"], "ratingOption": "AGE", "planMappings": [],
         "contribution": {"basis": "PERCENT", "employee": "70.00", "dependents": "25.00"}},
    ],
}  # fmt: skip


@pytest.fixture
def renewal(group, settings):
    settings.SANDBOX_TODAY = "2027-10-21"
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.ENROLLED)
    return Renewal.objects.create(
        group=group, renewal_date=date(2028, 1, 1), offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2), enrollment_cutoff=date(2027, 12, 31),
        status=Renewal.Status.OFFERED, carrier_status="OFFERED", carrier_renewal=CARRIER,
    )  # fmt: skip


@pytest.fixture
def ann(group, broker):
    contact = employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com",
                              title="Owner", language="es", by=broker.user)  # fmt: skip
    employer = Client()
    employer.force_login(contact.user)
    return employer


def sign(renewal, role, user, **overrides):
    state = signing.decision_state(renewal=renewal)
    values = {"document_sha256": state.document.sha256, "signed_by": "Ann Lee", "title": "Owner",
              "email": user.email, "consent": True, "ip_address": "198.51.100.7",
              "user_agent": "Test"}  # fmt: skip
    return signing.renewal_decision_sign(renewal=renewal, role=role, user=user, **(values | overrides))


def codes(renewal, where):
    return [p.code for p in signing.renewal_decision_problems(renewal=renewal) if p.field == where]


def test_the_document_is_a_pdf_of_the_decision_with_its_sha256(renewal, broker, ann):
    document = signing.renewal_decision_prepare(renewal=renewal, decision=WITH_CHANGES, by=broker.user)
    pdf = signing.decision_pdf(document=document)
    assert pdf.startswith(b"%PDF") and document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.data_sha256 == signing.decision_data_sha256(WITH_CHANGES)
    # Preparing the same decision again keeps the document (and any signature on it).
    again = signing.renewal_decision_prepare(renewal=renewal, decision=WITH_CHANGES, by=broker.user)
    assert again.pk == document.pk and DecisionDocument.objects.count() == 1


def test_what_the_decision_changes_in_words(renewal):
    view = signing.decision_view(renewal=renewal, decision=WITH_CHANGES)
    assert view.changes == [
        "Medical: the employer's contribution changes from 60.00% of each employee's premium, 25.00% of the "
        "dependents' to 70.00% of each employee's premium, 25.00% of the dependents'.",
        "Dental is not renewed: its coverage ends on 2027-12-31.",
    ]
    assert [line.renewed for line in view.lines] == [True, False]
    declined = signing.decision_view(renewal=renewal, decision={"decision": "DO_NOT_RENEW"})
    assert declined.changes == ["The group does not renew: every member's coverage ends on 2027-12-31."]
    offered = signing.decision_view(renewal=renewal, decision=AS_OFFERED)
    assert offered.changes == ["12345KY0020001 has no renewal plan: its members lose Dental on 2027-12-31."]


def test_the_employer_is_asked_in_spanish_and_the_broker_told_when_signed(
    renewal, broker, ann, group, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with_contact = group.employer_contacts.get()
    with django_capture_on_commit_callbacks(execute=True):
        signing.renewal_decision_prepare(renewal=renewal, decision=AS_OFFERED, by=broker.user)
    (asked,) = [m for m in mail.outbox if m.to == ["ann.hr@example.com"]]
    assert asked.subject == "Decisión de renovación para firmar de Blue Heron Bakery LLC"
    assert "Su corredor preparó la decisión de renovación" in asked.body and "2027-12-02" in asked.body
    assert f"/employer/groups/{group.pk}/renewal/" in asked.body
    assert asked.alternatives and asked.alternatives[0][1] == "text/html"  # and a plain-text body
    assert not [m for m in mail.outbox if m.to == [broker.user.email]]  # the broker is not asked
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sign(renewal, signing.Role.EMPLOYER, with_contact.user)
    (told,) = mail.outbox
    assert (
        told.to == [broker.user.email] and "Blue Heron Bakery LLC signed the renewal decision" in told.subject
    )
    assert "Ann Lee signed the renewal decision" in told.body and f"/groups/{group.pk}/renewal/" in told.body
    for message in (asked, told):
        assert "123-45" not in message.body and "1985" not in message.body  # no SSN, no birth date


def test_a_change_after_signing_voids_both_and_ren_002_stops_the_submission(renewal, broker, ann, group):
    contact = group.employer_contacts.get()
    signing.renewal_decision_prepare(renewal=renewal, decision=AS_OFFERED, by=broker.user)
    assert codes(renewal, "employer") == ["REN-002"] and codes(renewal, "agent") == [""]
    employer = sign(renewal, signing.Role.EMPLOYER, contact.user)
    agent = sign(renewal, signing.Role.AGENT, broker.user, signed_by="Sam Ortiz", title="")
    assert (employer.ip_address, employer.user_agent, employer.user) == ("198.51.100.7", "Test", contact.user)
    assert agent.npn == group.agent_npn and employer.document_sha256 == agent.document_sha256
    assert codes(renewal, "employer") == [] and codes(renewal, "agent") == []
    body = signing.decision_body(state=signing.decision_state(renewal=renewal))
    assert body["documentSha256"] == employer.document_sha256
    assert body["employerSignature"] == {
        "signedBy": "Ann Lee", "title": "Owner", "email": "ann.hr@example.com",
        "signedAt": "2027-10-21T16:00:00Z", "method": "ELECTRONIC",
    }  # fmt: skip

    signing.renewal_decision_prepare(renewal=renewal, decision=WITH_CHANGES, by=broker.user)
    state = signing.decision_state(renewal=renewal)
    assert (state.employer, state.agent) == (None, None) and state.voided_employer == employer
    problems = signing.renewal_decision_problems(renewal=renewal)
    (ren_002,) = [p for p in problems if p.field == "employer"]
    assert ren_002.code == "REN-002" and "changed after Ann Lee signed it" in ren_002.message
    assert "Ask Ann Lee to sign the current decision" in ren_002.fix
    with pytest.raises(signing.DecisionNotReady):
        signing.renewal_decision_submit(renewal=renewal, by=broker.user)
    assert Renewal.objects.get(pk=renewal.pk).sending == ""
    assert [e.reason for e in renewal.events.all()] == [
        "The decision RENEW_AS_OFFERED was prepared for the employer's signature.",
        "The employer's decision RENEW_AS_OFFERED was signed.",
        "The writing agent signed the renewal decision.",
        "The decision changed after it was signed: the signatures are void.",
        "The decision RENEW_WITH_CHANGES was prepared for the employer's signature.",
    ]


def test_an_edit_outside_the_form_voids_the_document_too(renewal, broker, ann, group):
    signing.renewal_decision_prepare(renewal=renewal, decision=AS_OFFERED, by=broker.user)
    sign(renewal, signing.Role.EMPLOYER, group.employer_contacts.get().user)
    Renewal.objects.filter(pk=renewal.pk).update(decision_draft={**AS_OFFERED, "decision": "DO_NOT_RENEW"})
    state = signing.decision_state(renewal=renewal)
    assert state.document is None and state.voided_employer is not None
    assert codes(renewal, "employer") == ["REN-002"]


def test_a_tampered_document_fails_its_hash(renewal, broker, ann, group):
    document = signing.renewal_decision_prepare(renewal=renewal, decision=AS_OFFERED, by=broker.user)
    sign(renewal, signing.Role.EMPLOYER, group.employer_contacts.get().user)
    DecisionDocument.objects.filter(pk=document.pk).update(pdf_base64="JVBERi0xLjQK")  # another PDF
    assert codes(renewal, "employer") == ["REN-002"]
    assert DecisionDocument.objects.get(pk=document.pk).voided_at is not None


def test_signing_needs_consent_name_title_and_the_document_read(renewal, broker, ann, group):
    user = group.employer_contacts.get().user
    signing.renewal_decision_prepare(renewal=renewal, decision=AS_OFFERED, by=broker.user)
    cases = (({"consent": False}, "consent"), ({"signed_by": " "}, "name"), ({"title": ""}, "title"),
             ({"document_sha256": "0" * 64}, "changed"))  # fmt: skip
    for overrides, code in cases:
        with pytest.raises(signing.ValidationError) as refused:
            sign(renewal, signing.Role.EMPLOYER, user, **overrides)
        assert refused.value.code == code and "REN-002" in refused.value.messages[0]
    other = BrokerFactory(agency=group.agency, user__username="colleague")
    with pytest.raises(signing.ValidationError):
        sign(renewal, signing.Role.AGENT, other.user)  # only the writing agent signs as the agent


def test_the_pages_the_employer_and_the_broker_see(renewal, broker, ann, client, group):
    client.force_login(broker.user)
    page = client.get(reverse("renewals:decide", args=[group.pk])).content.decode()
    assert 'name="signed_by"' not in page and 'name="attest"' not in page  # the broker no longer types it
    form = {"decision": "DO_NOT_RENEW", "medical_basis": "PERCENT", "dental_basis": "FLAT"}
    answer = client.post(reverse("renewals:decide", args=[group.pk]), form)
    assert answer.status_code == 302, answer.context["form"].errors
    detail = client.get(reverse("renewals:detail", args=[group.pk])).content.decode()
    assert "REN-002" in detail and "has not signed this decision yet" in detail
    home = ann.get(reverse("employers:group", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Una decisión de renovación espera su firma." in home
    page = ann.get(reverse("employers:renewal", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    document = signing.decision_state(renewal=renewal).document
    assert document.sha256 in page and "Firmar la decisión de renovación" in page
    assert "Planes desde la fecha de renovación" in page
    pdf = ann.get(reverse("employers:renewal_pdf", args=[group.pk, document.sha256]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    signed = ann.post(reverse("employers:renewal_sign", args=[group.pk]),
                      {"document_sha256": document.sha256, "consent": "on", "signed_by": "Ann Lee",
                       "title": "Owner"}, HTTP_ACCEPT_LANGUAGE="es", follow=True)  # fmt: skip
    assert "la decisión de renovación está firmada" in signed.content.decode()
    detail = client.get(reverse("renewals:detail", args=[group.pk])).content.decode()
    assert "Signed by Ann Lee (Owner, ann.hr@example.com)" in detail


def test_another_groups_employer_gets_404(renewal, broker, ann, group, other_broker):
    from tests.enrollment.conftest import make_complete_group

    signing.renewal_decision_prepare(renewal=renewal, decision=AS_OFFERED, by=broker.user)
    document = signing.decision_state(renewal=renewal).document
    theirs = make_complete_group(other_broker)
    eve = employer_invite(group=theirs, first_name="Eve", last_name="Other", email="eve@other.example",
                          title="Owner", language="en", by=other_broker.user)  # fmt: skip
    other = Client()
    other.force_login(eve.user)
    for url in (reverse("employers:renewal", args=[group.pk]),
                reverse("employers:renewal_pdf", args=[group.pk, document.sha256])):  # fmt: skip
        assert other.get(url).status_code == 404
    assert other.post(reverse("employers:renewal_sign", args=[group.pk]),
                      {"document_sha256": document.sha256, "consent": "on", "signed_by": "Eve",
                       "title": "Owner"}).status_code == 404  # fmt: skip
    assert signing.decision_state(renewal=renewal).employer is None
