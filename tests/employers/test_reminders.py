"""Reminders (issue 22 item 4): once per offset before the window ends, with the invitation's own link."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from enrollment.models import Notice
from members import self_service
from members.reminders import due_offset, reminders_send_due
from tests.members.test_self_service import url

pytestmark = pytest.mark.django_db


def test_the_due_offset_is_the_one_just_reached_and_only_after_the_invitation():
    ends = date(2026, 12, 22)
    assert due_offset(ends_on=ends, today=date(2026, 12, 14), invited_on=date(2026, 12, 1)) is None
    assert due_offset(ends_on=ends, today=date(2026, 12, 15), invited_on=date(2026, 12, 1)) == 7
    assert due_offset(ends_on=ends, today=date(2026, 12, 17), invited_on=date(2026, 12, 1)) == 7
    assert due_offset(ends_on=ends, today=date(2026, 12, 19), invited_on=date(2026, 12, 1)) == 3
    assert due_offset(ends_on=ends, today=date(2026, 12, 19), invited_on=date(2026, 12, 19)) is None
    assert due_offset(ends_on=ends, today=date(2026, 12, 23), invited_on=date(2026, 12, 1)) is None


def test_an_employee_gets_exactly_one_reminder_per_offset_with_a_link_that_still_works(client, group, ann):
    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 1, 9, 0)), tick=False):
        invitation = self_service.invitation_send(subscriber=ann, by=None)
    token = invitation.token
    mail.outbox.clear()
    sent = []
    for day in range(14, 23):
        with time_machine.travel(timezone.make_aware(datetime(2026, 12, day, 10, 0)), tick=False):
            count = reminders_send_due(today=date(2026, 12, day))
            count += reminders_send_due(today=date(2026, 12, day))  # a second run sends nothing
            sent.append(count)
            if count:
                assert client.get(url(token)).status_code == 200, day
    assert sent == [0, 1, 0, 0, 0, 1, 0, 1, 0]  # 7, 3 and 1 days before the window ends (2026-12-22)
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        assert url(token) in message.body
    keys = sorted(Notice.objects.filter(kind="EMPLOYEE_REMINDER").values_list("key", flat=True))
    assert keys == [f"reminder:{invitation.pk}:{n}" for n in (1, 3, 7)]
