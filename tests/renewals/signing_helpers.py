"""The decision's way as the people do it, over the Django test client: the broker prepares it, the
employer signs it from their own login, the writing agent signs it, the broker sends it."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from employers.services import employer_invite
from renewals import signing
from renewals.models import Renewal


def decision_form(kind: str = "RENEW_WITH_CHANGES", employee: str = "50.00") -> dict:
    form: dict = {"decision": kind}
    for line in ("medical", "dental", "vision"):
        form |= {f"{line}_renew": "on", f"{line}_basis": "PERCENT", f"{line}_employee": employee,
                 f"{line}_dependents": "0.00"}  # fmt: skip
    return form


def invite_ann(group, broker, language: str = "en"):
    return employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann@example.com",
                           title="Owner", language=language, by=broker.user)  # fmt: skip


def prepare(client: Client, group, form: dict):
    answer = client.post(reverse("renewals:decide", args=[group.pk]), form)
    assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    return Renewal.objects.get(pk=signing_renewal(group).pk)


def signing_renewal(group) -> Renewal:
    return Renewal.objects.filter(group=group).exclude(decision_draft=None).get()


def employer_signs(employer: Client, group, **extra) -> None:
    renewal = signing_renewal(group)
    document = signing.decision_state(renewal=renewal).document
    assert document is not None
    answer = employer.post(
        reverse("employers:renewal_sign", args=[group.pk]),
        {"document_sha256": document.sha256, "consent": "on", "signed_by": "Ann Lee", "title": "Owner"},
        HTTP_USER_AGENT="Phone/1.0",
        **extra,
    )
    assert answer.status_code == 302
    assert signing.decision_state(renewal=renewal).employer is not None


def agent_signs(client: Client, group) -> None:
    renewal = signing_renewal(group)
    document = signing.decision_state(renewal=renewal).document
    assert document is not None
    answer = client.post(
        reverse("renewals:decision_sign", args=[group.pk]),
        {"document_sha256": document.sha256, "consent": "on", "signed_by": "Sam Ortiz"},
    )
    assert answer.status_code == 302
    assert signing.decision_state(renewal=renewal).agent is not None


def submit(client: Client, group):
    return client.post(reverse("renewals:decision_submit", args=[group.pk]))
