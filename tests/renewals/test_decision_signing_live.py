"""The employer signs the renewal decision from their own login (issue 22, REN-002), against the carrier
sandbox over HTTP: the broker prepares it, the employer and the writing agent sign the document, a change
after signing voids both signatures and the submission is refused with REN-002 beside the employer's
signature; signed again, it is sent, and the carrier holds the employer's name, title, e-mail and the
document's SHA-256."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from renewals import services, signing
from renewals.models import DecisionDocument, Renewal
from sandbox.models import Renewal as CarrierRenewal

from .conftest import on
from .signing_helpers import agent_signs, decision_form, employer_signs, invite_ann, prepare, submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_change_after_signing_voids_both_and_the_decision_goes_once_signed_again(
    enrolled_group, client, broker
):
    group, _api = enrolled_group
    on("2027-10-21")
    services.renewal_sync(group_id=group.pk)
    contact = invite_ann(group, broker, language="es")
    employer = Client()
    employer.force_login(contact.user)
    client.force_login(broker.user)
    mail.outbox.clear()

    renewal = prepare(client, group, decision_form(employee="50.00"))
    first = signing.decision_state(renewal=renewal).document
    assert (
        first is not None and first.sha256 == hashlib.sha256(signing.decision_pdf(document=first)).hexdigest()
    )
    asked = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    assert len(asked) == 1 and "Decisión de renovación para firmar" in asked[0].subject
    assert "espera su firma" in asked[0].body and f"/employer/groups/{group.pk}/renewal/" in asked[0].body

    page = employer.get(
        reverse("employers:renewal", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Firmar la decisión de renovación" in page and first.sha256 in page
    assert "Renovar con cambios" in page
    employer_signs(employer, group)
    signed = [m for m in mail.outbox if m.to == [broker.user.email]]
    assert signed and "Ann Lee" in signed[-1].body
    agent_signs(client, group)

    # The broker changes the contribution after both signed: a new document, both signatures void.
    renewal = prepare(client, group, decision_form(employee="60.00"))
    state = signing.decision_state(renewal=renewal)
    assert state.document is not None and state.document.sha256 != first.sha256
    assert (state.employer, state.agent) == (None, None)
    assert DecisionDocument.objects.get(pk=first.pk).voided_at is not None
    refused = submit(client, group)
    assert refused.status_code == 200
    page = refused.content.decode()
    employer_part = page[page.index('id="field-employer"') : page.index('id="field-agent"')]
    assert "REN-002" in employer_part and "changed after Ann Lee signed it" in employer_part
    assert "Ask Ann Lee to sign the current decision" in employer_part
    assert Renewal.objects.get(pk=renewal.pk).sending == ""
    page = employer.get(
        reverse("employers:renewal", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "La decisión cambió después de que usted la firmó" in page

    employer_signs(employer, group, REMOTE_ADDR="203.0.113.9")
    agent_signs(client, group)
    assert submit(client, group).status_code == 302
    renewal = Renewal.objects.get(pk=renewal.pk)
    assert renewal.sending == Renewal.Sending.QUEUED and renewal.decision_key
    assert services.renewal_decision_send(renewal_id=renewal.pk) == "sent"
    renewal = Renewal.objects.get(pk=renewal.pk)
    assert (renewal.status, renewal.sending) == (Renewal.Status.DECIDED, Renewal.Sending.SENT)

    carrier = CarrierRenewal.objects.get(renewal_date="2028-01-01").decision
    live = signing.decision_state(renewal=renewal)
    assert carrier["documentSha256"] == live.document.sha256
    assert carrier["employerSignature"] == {
        "signedBy": "Ann Lee", "title": "Owner", "email": "ann@example.com", "method": "ELECTRONIC",
        "signedAt": signing.rfc3339(live.employer.signed_at),
    }  # fmt: skip
    assert carrier["employerSignature"]["signedAt"].startswith("2027-10-21")  # the carrier's day
    assert live.employer.ip_address == "203.0.113.9" and live.employer.user_agent == "Phone/1.0"
    assert live.employer.user == contact.user and live.agent.npn == group.agent_npn


def test_a_decision_after_the_deadline_is_refused_with_ren_001(enrolled_group, client, broker):
    group, _api = enrolled_group
    on("2027-10-21")
    services.renewal_sync(group_id=group.pk)
    contact = invite_ann(group, broker)
    employer = Client()
    employer.force_login(contact.user)
    client.force_login(broker.user)
    prepare(client, group, decision_form("DO_NOT_RENEW"))
    employer_signs(employer, group)
    agent_signs(client, group)
    on("2027-12-03")
    page = submit(client, group)
    assert page.status_code == 200 and "REN-001" in page.content.decode()
    # sent anyway (e.g. recorded just before midnight): the carrier refuses it with the rule
    renewal = Renewal.objects.get(group=group, renewal_date="2028-01-01")
    body = signing.decision_body(state=signing.decision_state(renewal=renewal))
    renewal = services.renewal_decision_record(renewal=renewal, body=body)
    assert services.renewal_decision_send(renewal_id=renewal.pk) == "refused"
    renewal = Renewal.objects.get(pk=renewal.pk)
    assert renewal.sending == Renewal.Sending.REFUSED
    assert [p["code"] for p in renewal.decision_problems] == ["REN-001"]
