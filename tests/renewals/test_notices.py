"""Renewal notices (issue 20): RENEWAL_OFFERED once when a sync first sees the offer, RENEWAL_DEADLINE once
per offset while no decision is sent; to the broker (English) and the employer contact (Spanish), recorded
on the group's timeline."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from employers.services import employer_invite
from enrollment.models import EmployerGroup
from renewals.models import Renewal
from renewals.notices import deadline_offset, renewal_notices_send
from tests.enrollment.conftest import make_complete_group

pytestmark = pytest.mark.django_db
S = Renewal.Status


@pytest.fixture
def renewal(broker):
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.ENROLLED, humana_group_id="104233"
    )
    group.refresh_from_db()
    employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com", title="Owner",
                    language="es", by=broker.user)  # fmt: skip
    mail.outbox.clear()
    return Renewal.objects.create(
        group=group, renewal_date=date(2028, 1, 1), offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2), enrollment_cutoff=date(2027, 12, 31), status=S.OFFERED,
        carrier_renewal={"status": "OFFERED", "offer": {"lines": [], "totals": {}}},
    )  # fmt: skip


def _by_address() -> dict:
    return {m.to[0]: m for m in mail.outbox}


def test_the_offer_is_told_once_to_the_broker_in_english_and_the_employer_in_spanish(renewal, broker):
    assert renewal_notices_send(renewal=renewal, today=date(2027, 10, 3)) == ["RENEWAL_OFFERED"]
    sent = _by_address()
    assert set(sent) == {broker.user.email, "ann.hr@example.com"}
    english, spanish = sent[broker.user.email], sent["ann.hr@example.com"]
    legal = renewal.group.legal_name
    assert english.subject == f"Renewal offered to {legal}"
    assert (
        f"Humana offers {legal} a renewal from 2028-01-01. The decision is due by 2027-12-02." in english.body
    )
    assert spanish.subject == f"Renovación ofrecida a {legal}"
    assert "2028-01-01" in spanish.body and "2027-12-02" in spanish.body and "Hola" in spanish.body
    assert renewal_notices_send(renewal=renewal, today=date(2027, 10, 4)) == []
    assert len(mail.outbox) == 2
    rows = sorted(renewal.group.notices.values_list("kind", "role", "language"))
    assert rows == [("RENEWAL_OFFERED", "BROKER", "en"), ("RENEWAL_OFFERED", "EMPLOYER", "es")]


def test_a_deadline_reminder_goes_once_per_offset(renewal, broker):
    renewal_notices_send(renewal=renewal, today=date(2027, 10, 3))
    mail.outbox.clear()
    assert renewal_notices_send(renewal=renewal, today=date(2027, 11, 17)) == []  # 15 days left
    assert renewal_notices_send(renewal=renewal, today=date(2027, 11, 18)) == ["RENEWAL_DEADLINE"]  # 14
    assert renewal_notices_send(renewal=renewal, today=date(2027, 11, 20)) == []  # still the 14-day one
    assert renewal_notices_send(renewal=renewal, today=date(2027, 11, 29)) == [
        "RENEWAL_DEADLINE"
    ]  # 3 left: the 7-day one
    english = [m for m in mail.outbox if m.to == [broker.user.email]]
    spanish = [m for m in mail.outbox if m.to == ["ann.hr@example.com"]]
    assert len(english) == len(spanish) == 2
    assert english[0].subject == f"Renewal decision due soon: {renewal.group.legal_name}"
    assert "is due by 2027-12-02 and is not made yet" in english[0].body
    assert spanish[0].subject == f"La decisión de renovación vence pronto: {renewal.group.legal_name}"
    assert renewal.group.notices.filter(kind="RENEWAL_DEADLINE").count() == 4


def test_no_reminder_once_the_decision_is_sent_or_after_the_deadline(renewal):
    Renewal.objects.filter(pk=renewal.pk).update(sending=Renewal.Sending.QUEUED)
    renewal.refresh_from_db()
    assert "RENEWAL_DEADLINE" not in renewal_notices_send(renewal=renewal, today=date(2027, 12, 1))
    assert deadline_offset(deadline=date(2027, 12, 2), today=date(2027, 12, 3)) is None
    assert deadline_offset(deadline=date(2027, 12, 2), today=date(2027, 12, 2)) == 1


def test_the_notices_are_on_the_group_timeline(renewal, client, broker):
    renewal_notices_send(renewal=renewal, today=date(2027, 10, 3))
    client.force_login(broker.user)
    page = client.get(reverse("enrollment:group_detail", args=[renewal.group.pk])).content.decode()
    assert f"Renewal offered to {renewal.group.legal_name}" in page
