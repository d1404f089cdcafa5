"""Issue 16 item 10, the 834's own e-mail: a legal name typed with a line break no longer gets the
broker's notification refused (BadHeaderError raised inside the poll that ended the file)."""

from __future__ import annotations

import pytest
from django.core import mail

from edi import services

from .conftest import accepted

pytestmark = pytest.mark.django_db


def test_the_brokers_email_has_a_one_line_subject_whatever_the_legal_name(
    finalized_group, members_source, fake_carrier
):
    transmission = services.transmission_start(group=finalized_group)
    finalized_group.legal_name = "Blue Heron Bakery LLC\r\nBcc: everyone@example.com"
    finalized_group.save(update_fields=["legal_name"])
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.statuses = [accepted(["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"])]
    services.transmission_poll(transmission_id=transmission.pk)
    assert len(mail.outbox) == 1
    subject = mail.outbox[0].subject
    assert "\n" not in subject and "\r" not in subject
    assert subject.endswith("Blue Heron Bakery LLC Bcc: everyone@example.com")
