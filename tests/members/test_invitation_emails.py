"""Issue 16 items 10 and 12 (a CR/LF in a legal name when inviting): the names that reach an invitation
e-mail are checked first (INV-001: no line break or control character, no web or e-mail address, not too
long), and sending is throttled per family and per broker (INV-002), each refusal a message on the member
list that names the rule and the fix. Before: a CR/LF in the legal name answered 500 (Django's
BadHeaderError), and "URGENT … http://evil.example" went out as often as the broker clicked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enrollment.models import EmployerGroup
from members import services
from members.models import Invitation, InvitationEmail, Member

from .conftest import LUIS, LUIS_ELECTIONS

pytestmark = pytest.mark.django_db


def invite(client, member, *, again: bool = False):
    name = "members:invitation_resend" if again else "members:invitation_send"
    response = client.post(reverse(name, args=[member.group_id, member.pk]))
    return response, [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "legal_name",
    [
        "Blue Heron Bakery LLC\r\nBcc: everyone@example.com",
        "Blue Heron\nBakery",
        "Blue Heron\u2028Bakery",
        "Blue Heron \u202eCLL",
        "URGENT: your SSN is suspended http://evil.example",
        "Call www.evil.example now",
        "Blue Heron evil.example",
        "Write to help@evil.example",
        "B" * 61,
    ],
    ids=["CRLF", "LF", "line separator", "bidi override", "URL", "www", "bare domain", "e-mail", "61 chars"],
)
def test_a_legal_name_that_cannot_go_into_an_email_is_refused_with_the_rule(
    broker_client, ann, rule_facts, legal_name
):
    EmployerGroup.objects.filter(pk=ann.group_id).update(legal_name=legal_name)
    response, notes = invite(broker_client, ann)
    assert response.status_code == 302
    assert mail.outbox == [] and not Invitation.objects.exists()
    assert len(notes) == 1 and notes[0].startswith(
        "INV-001: The employer's legal name cannot go into an e-mail"
    )
    assert "Employer step" in notes[0]  # the fix


@pytest.mark.parametrize(
    "first_name", ["www.evil.example", "Ann\r\nBcc", "Ann\u202e"]
)  # (35 chars: the column's own limit)
def test_a_first_name_that_cannot_go_into_an_email_is_refused(broker_client, ann, rule_facts, first_name):
    Member.objects.filter(pk=ann.pk).update(first_name=first_name)
    response, notes = invite(broker_client, ann)
    assert response.status_code == 302 and mail.outbox == []
    assert notes[0].startswith("INV-001: The employee's first name cannot go into an e-mail")


def test_ordinary_names_go_out(broker_client, ann, rule_facts):
    EmployerGroup.objects.filter(pk=ann.group_id).update(legal_name="O'Brien & Sons, Inc. #2")
    response, notes = invite(broker_client, ann)
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert "O'Brien & Sons, Inc. #2" in mail.outbox[0].subject
    assert notes == ["Invitation sent to ann@example.com."]


def test_a_family_gets_at_most_three_emails_a_day(broker_client, ann, rule_facts, broker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        invite(broker_client, ann)
        invite(broker_client, ann, again=True)
        invite(broker_client, ann, again=True)
        response, notes = invite(broker_client, ann, again=True)
        assert response.status_code == 302
        assert len(mail.outbox) == 3
        assert notes[-1].startswith("INV-002: This family was sent 3 invitation e-mails in the last 24 hours")
        assert "spam folder" in notes[-1]
        assert Invitation.objects.get().sent_count == 3
        assert InvitationEmail.objects.filter(subscriber=ann, sent_by=broker.user).count() == 3

        clock.shift(timedelta(hours=24, seconds=1))
        broker_client.force_login(broker.user)  # a day later the session has ended (its 8-hour lifetime)
        invite(broker_client, ann, again=True)
        assert len(mail.outbox) == 4


def test_a_broker_sends_at_most_their_hourly_number(broker_client, ann, luis, rule_facts, settings):
    settings.MEMBERS_INVITATION_THROTTLE = {"broker": (1, 3600)}
    Member.objects.filter(pk=luis.pk).update(email="luis@example.com")
    invite(broker_client, ann)
    response, notes = invite(broker_client, luis)
    assert len(mail.outbox) == 1
    assert notes[-1].startswith("INV-002: You sent 1 invitation e-mail in the last 60 minutes")


def test_a_name_without_a_first_name_is_greeted_without_one(broker_client, group, rule_facts, queued):
    subscriber = services.family_save(
        group=group,
        subscriber_data=dict(LUIS, first_name="", email="luis@example.com"),
        dependents_data=[],
        elections=LUIS_ELECTIONS,
        by=None,
    )
    invite(broker_client, subscriber)
    assert mail.outbox[0].body.startswith("Hello,\n")
