"""Notices (issue 22 item 4): who gets which e-mail, in which language, with a plain-text and an HTML part,
recorded and on the group's timeline, chosen on the preferences page, never carrying an SSN or a DOB."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from edi.models import Transmission
from edi.services.notify import transmission_notify_broker
from employers.services import employer_invite
from enrollment import notices
from enrollment.models import EmployerGroup, Notice
from enrollment.states import group_transition
from members import self_service
from members.reminders import broker_digest_send, employee_signed_notice
from tests.members.test_self_service import COVERAGE, details_post, family_post, url

pytestmark = pytest.mark.django_db
S = EmployerGroup.Status


@pytest.fixture
def contact(group, broker):
    return employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com",
                           title="Owner", language="es", by=broker.user)  # fmt: skip


def _by_address() -> dict:
    return {m.to[0]: m for m in mail.outbox}


def test_the_broker_and_the_employer_are_told_the_group_is_created_each_in_their_language(
    broker, contact, django_capture_on_commit_callbacks
):
    from tests.enrollment.conftest import make_complete_group

    group = make_complete_group(broker)
    contact.group = group
    contact.save()
    EmployerGroup.objects.filter(pk=group.pk).update(status=S.CREATING, humana_group_id="100777")
    group.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        group_transition(group=group, to=S.OPEN_ENROLLMENT, reason="Created by the carrier")
    sent = _by_address()
    assert set(sent) == {broker.user.email, "ann.hr@example.com"}
    english, spanish = sent[broker.user.email], sent["ann.hr@example.com"]
    assert "is created with Humana (Group ID 100777)" in english.body
    assert "se creó con Humana (ID de grupo 100777)" in spanish.body and "Hola" in spanish.body
    assert "/employer/groups/" in spanish.body and f"/groups/{group.pk}/" in english.body
    for message in (english, spanish):
        html, kind = message.alternatives[0]
        assert kind == "text/html" and group.legal_name in html and "<p>" in html
    rows = list(group.notices.values_list("kind", "role", "to_email", "language"))
    assert sorted(rows) == [
        ("GROUP_CREATED", "BROKER", broker.user.email, "en"),
        ("GROUP_CREATED", "EMPLOYER", "ann.hr@example.com", "es"),
    ]
    transition = group.transitions.get(to_status=S.OPEN_ENROLLMENT)
    assert (
        notices.group_status_notice(group_id=group.pk, status=S.OPEN_ENROLLMENT, transition_id=transition.pk)
        == []
    )
    assert group.notices.count() == 2  # once per transition


def test_a_refused_finalize_back_to_open_enrollment_is_no_created_notice(
    group, contact, django_capture_on_commit_callbacks
):
    EmployerGroup.objects.filter(pk=group.pk).update(status=S.FINALIZING)
    group.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        group_transition(group=group, to=S.OPEN_ENROLLMENT, reason="The carrier refused to finalize")
    assert not group.notices.exists()


def test_the_timeline_shows_what_was_sent(broker_client, group, contact):
    notices.notice_send(group=group, kind="GROUP_FINALIZED")
    page = broker_client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert page.count('class="timeline-notice"') == 2
    assert "ann.hr@example.com" in page and "is finalized" in page


def test_the_employer_chooses_which_notices_they_get(client, group, contact, broker):
    client.force_login(contact.user)
    page = client.get(reverse("employers:preferences"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="GROUP_FINALIZED"' in html and 'name="BROKER_DIGEST"' not in html  # the broker's own
    assert 'name="EMPLOYEE_SIGNED"' not in html
    client.post(reverse("employers:preferences"), {"GROUP_CREATED": "on", "DOCUMENT_REVIEWED": "on"})
    assert not notices.notice_enabled(user=contact.user, kind="GROUP_FINALIZED")
    assert notices.notice_enabled(user=contact.user, kind="GROUP_CREATED")
    mail.outbox.clear()
    notices.notice_send(group=group, kind="GROUP_FINALIZED")
    assert [m.to for m in mail.outbox] == [[broker.user.email]]
    assert (
        'name="GROUP_FINALIZED">' in client.get(reverse("employers:preferences")).content.decode()
    )  # unchecked


def test_the_broker_has_a_preferences_page_and_others_none(broker_client, client, other_broker):
    assert 'name="BROKER_DIGEST"' in broker_client.get(reverse("employers:preferences")).content.decode()
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", "nobody@example.com", "x")
    client.force_login(nobody)
    assert client.get(reverse("employers:preferences")).status_code == 404


def test_a_file_that_ends_with_rejections_tells_the_broker_and_the_employer(group, contact, broker):
    transmission = Transmission.objects.create(
        group=group, status="ACCEPTED_WITH_ERRORS", member_count=5,
        summary={"members": 5, "accepted": 4, "rejected": 1},
    )  # fmt: skip
    mail.outbox.clear()
    transmission_notify_broker(transmission)
    rejections = list(group.notices.filter(kind="FILE_REJECTIONS").values_list("to_email", flat=True))
    assert sorted(rejections) == sorted([broker.user.email, "ann.hr@example.com"])
    spanish = next(m for m in mail.outbox if m.to == ["ann.hr@example.com"])
    assert "4 de 5 miembros aceptados, 1 rechazados" in spanish.body


def test_the_employee_gets_their_elections_after_signing(
    client, group, ann, rule_facts, queued, django_capture_on_commit_callbacks
):
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    client.post(url(invitation, "details"), details_post(), HTTP_ACCEPT_LANGUAGE="es")
    client.post(url(invitation, "family"), family_post(ann), HTTP_ACCEPT_LANGUAGE="es")
    client.post(url(invitation, "coverage"), COVERAGE, HTTP_ACCEPT_LANGUAGE="es")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(invitation, "review"), {"signed_name": "Ann Lee", "agree": "on"},
                               HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [ann.email]
    assert (
        "Sus elecciones de cobertura" in message.subject and "Your coverage" not in message.body
    )  # Spanish only
    assert (
        "- Cobertura médica: 12345KY0010002 · Familia" in message.body
    )  # the plan (its name when sold), tier
    assert "- Cobertura dental: renunció" in message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    notice = Notice.objects.get(kind="EMPLOYEE_SIGNED")
    assert (notice.role, notice.member_id, notice.language) == ("EMPLOYEE", ann.pk, "es")
    employee_signed_notice(invitation_id=invitation.pk)
    assert len(mail.outbox) == 1  # once per signature


def test_the_broker_gets_one_digest_a_day(group, ann, luis, broker, contact):
    self_service.invitation_send(subscriber=ann, by=None)
    mail.outbox.clear()
    assert broker_digest_send(group=group, today=date(2026, 12, 1)) == 1
    assert broker_digest_send(group=group, today=date(2026, 12, 1)) == 0
    (message,) = mail.outbox
    assert message.to == [broker.user.email]  # the employer gets no digest
    assert "Signed: 0. Started, not signed: 0. Not started: 2." in message.body
    assert re.search(r"Medical: [\d.]+% participation \(\d+ of \d+ eligible\), minimum \d+%", message.body)
    assert broker_digest_send(group=group, today=date(2026, 12, 2)) == 1


def _every_notice(group, ann):
    context = {"rejected": 1, "accepted": 1, "members": 2, "codes": "GRP-006", "title": "Proof of business",
               "status": "Rejected", "status_code": "REJECTED", "reason": "Unreadable",
               "renewal_date": date(2028, 1, 1), "deadline": date(2027, 12, 2), "signed": 1, "started": 0,
               "not_started": 1, "participation": [], "ends_on": date(2026, 12, 22)}  # fmt: skip
    for code, kind in notices.KINDS.items():
        if kind.choosable:
            notices.notice_send(group=group, kind=code, context=context)
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    self_service.invitation_remind(invitation=invitation, days_left=3)
    notices.notice_send_to_employee(
        group=group, kind="EMPLOYEE_SIGNED", member_id=ann.pk, email=ann.email, language="",
        context={"first_name": ann.first_name, "lines": [{"line": "MEDICAL", "waived": True}]},
    )  # fmt: skip


def test_no_email_carries_an_ssn_or_a_date_of_birth(group, ann, contact):
    mail.outbox.clear()
    _every_notice(group, ann)
    assert len(mail.outbox) >= 2 * 10 + 2
    dob = ann.date_of_birth
    ssn = ann.ssn
    forbidden = [ssn, f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}", dob.isoformat(), dob.strftime("%m/%d/%Y"),
                 f"{dob.month}/{dob.day}/{dob.year}"]  # fmt: skip
    for message in mail.outbox:
        text = message.subject + message.body + "".join(a[0] for a in getattr(message, "alternatives", []))
        for value in forbidden:
            assert value not in text, (message.subject, value)


def test_a_notice_whose_text_looks_like_an_ssn_is_not_sent(group, contact):
    """The last guard (a unit test of the refusal): a legal name typed as an SSN never leaves the portal."""
    EmployerGroup.objects.filter(pk=group.pk).update(legal_name="Bakery 123-45-6789")
    group.refresh_from_db()
    mail.outbox.clear()
    with pytest.raises(ValueError, match="SSN"):
        notices.notice_send(group=group, kind="GROUP_FINALIZED")
    assert notices.notice_send_quietly(group=group, kind="GROUP_FINALIZED") == []
    assert not mail.outbox and not group.notices.exists()
