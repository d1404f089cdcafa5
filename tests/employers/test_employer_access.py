"""The employer's own access (issue 22 item 1) and their signature (item 2)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from employers.models import EmployerContact
from employers.services import employer_invite
from enrollment import application, services
from enrollment.finalize import group_readiness
from enrollment.selectors import group_edits
from tests.enrollment.conftest import make_complete_group
from tests.factories import BrokerFactory

pytestmark = pytest.mark.django_db


def _ann(group, broker, *, language: str) -> EmployerContact:
    """Ann Lee, the group's HR contact, invited by the broker."""
    return employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com",
                           title="Owner", language=language, by=broker.user)  # fmt: skip


def _invite(broker_client, group, language="es"):
    return broker_client.post(
        reverse("employers:access", args=[group.pk]),
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ANN.HR@example.com",
            "title": "Owner",
            "language": language,
        },
    )


def _link(message) -> str:
    return re.search(r"https?://[^\s]+/employer/welcome/[^\s]+/", message.body).group(0)


def _accept(client, link: str):
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)  # Django moves the token into the session first
    url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    return client.post(
        url, {"new_password1": "a-Long-pass-2026!", "new_password2": "a-Long-pass-2026!"}, follow=True
    )


def test_the_broker_invites_the_employer_who_sets_a_password_and_sees_their_group(
    broker_client, group, ann, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(broker_client, group).status_code == 302
    (message,) = mail.outbox
    assert message.to == ["ann.hr@example.com"]
    assert message.body.index("Hola") < message.body.index("Hello")  # Spanish first, as chosen
    assert ann.ssn not in message.body
    user = get_user_model().objects.get(email="ann.hr@example.com")
    assert not user.has_usable_password()

    client.logout()
    page = _accept(client, _link(message))
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("employers:group", args=[group.pk])
    html = page.content.decode()
    assert group.legal_name in html and ann.first_name in html
    assert ann.ssn not in html and ann.ssn[-4:] not in html
    assert ann.date_of_birth.isoformat() not in html
    # The link works once.
    again = client.get(_link(message).split("://", 1)[1].split("/", 1)[1].join(["/", ""]), follow=True)
    assert "no longer works" in again.content.decode() or "ya no funciona" in again.content.decode()


def test_an_employer_reaches_only_their_own_group(client, group, broker):
    other = make_complete_group(BrokerFactory())
    contact = _ann(group, broker, language="en")
    client.force_login(contact.user)
    assert client.get(reverse("employers:group", args=[group.pk])).status_code == 200
    for url in (
        reverse("employers:group", args=[other.pk]),
        reverse("employers:application_pdf", args=[other.pk, "0" * 64]),
        reverse("enrollment:group_detail", args=[group.pk]),  # the broker's pages are not theirs
        reverse("members:member_list", args=[group.pk]),
        reverse("employers:access", args=[group.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("employers:sign", args=[other.pk]), {}).status_code == 404
    assert client.get(reverse("book")).url == reverse("employers:home")


def test_a_brokers_email_cannot_become_an_employer_login(broker_client, group, broker):
    broker.user.email = "sam@agency.example"
    broker.user.save()
    response = broker_client.post(
        reverse("employers:access", args=[group.pk]),
        {
            "first_name": "Sam",
            "last_name": "Ortiz",
            "email": "SAM@agency.example",
            "title": "",
            "language": "en",
        },
    )
    assert response.status_code == 200 and "broker or staff" in response.content.decode()
    assert not EmployerContact.objects.exists()


@override_settings(HUMANA_RULE_SETTINGS={"application_required_from": "2027-01-01"})
def test_employer_and_agent_sign_then_an_edit_voids_both(broker_client, broker, rule_facts):
    from django.test import Client

    client = Client()  # the employer's own browser (broker_client is the broker's)
    group = make_complete_group(broker)
    contact = _ann(group, broker, language="es")
    client.force_login(contact.user)
    page = client.get(reverse("employers:group", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es")
    document = application.application_state(group=group).document
    assert document is not None and document.sha256 in page.content.decode()
    response = client.post(
        reverse("employers:sign", args=[group.pk]),
        {"document_sha256": document.sha256, "consent": "on", "signed_by": "Ann Lee", "title": "Owner"},
        HTTP_USER_AGENT="Mobile Safari",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    broker.npn = group.agent_npn
    broker.save()
    signed = broker_client.post(
        reverse("enrollment:group_application", args=[group.pk]),
        {"document_sha256": document.sha256, "consent": "on", "signed_by": "Sam Ortiz"},
        follow=True,
    )
    assert "Signed as the writing agent" in signed.content.decode(), signed.content.decode()[-3000:]
    state = application.application_state(group=group)
    assert state.signed
    assert state.employer.ip_address == "203.0.113.9" and state.employer.user_agent == "Mobile Safari"
    assert services.group_build_create_payload(group=group)["employerGroupApplication"]["documentSha256"] == (
        document.sha256
    )
    assert not [p for p in group_readiness(group=group).problems if p.code == "GRP-015"]

    offering = next(o for o in group.offerings if o["line"] == "MEDICAL")
    services.group_set_offering(
        group=group, line="MEDICAL", contribution={**offering["contribution"], "employee": "80"}
    )

    assert not application.application_state(group=group).signed
    assert [p.severity for p in group_readiness(group=group).problems if p.code == "GRP-015"] == ["error"]
    page = client.get(reverse("employers:group", args=[group.pk]))
    assert 'name="document_sha256"' in page.content.decode()  # asked to sign the new document


def test_signing_without_consent_is_refused_with_the_rule(client, group, broker):
    contact = _ann(group, broker, language="en")
    client.force_login(contact.user)
    document = application.application_document_current(group=group)
    response = client.post(
        reverse("employers:sign", args=[group.pk]),
        {"document_sha256": document.sha256, "signed_by": "Ann Lee", "title": "Owner"},
        follow=True,
    )
    assert "GRP-015" in response.content.decode()
    assert application.application_state(group=group).employer is None


def test_the_group_page_shows_who_changed_what(broker_client, broker, rule_facts):
    group = make_complete_group(broker)
    broker_client.post(
        reverse("enrollment:group_step", args=[group.pk, "employer"]),
        {"legal_name": "Blue Heron Bakery Inc", "leave": "group"},
    )
    services.group_update(group=group, fields={"phone": "5025550199"})
    edits = group_edits(group=group)
    assert edits and "phone" in edits[0].fields
    page = broker_client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert "changed" in page and "phone" in page
