"""Issue 16 item 14, the broker's side of the 834: a carrier message that quotes a member's date of birth
reaches the transmission page and the broker's e-mail without it (``edi.services.plain`` took out long
numbers and quoted values, but left the month and day of ``2010-06-05``)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from edi import services
from edi.models import Transmission
from tests.members.test_dob_broker_pages import spellings

from .conftest import accepted

pytestmark = pytest.mark.django_db
BORN = date(2010, 6, 5)


@pytest.mark.parametrize("spelling", sorted(spellings(BORN)))
def test_plain_takes_out_every_spelling_of_a_date(spelling):
    assert [s for s in spellings(BORN) if s in services.plain(f"DOB {spelling} differs.")] == []
    assert "05" not in services.plain(f"DOB {spelling} differs.")


def test_the_transmission_page_and_the_email_quote_no_date_of_birth(
    broker_client, finalized_group, members_source, fake_carrier
):
    transmission = services.transmission_start(group=finalized_group)
    final = accepted(["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"], rejected=("E-001-C1",))
    final["members"][2]["errors"] = [
        {"code": "FIL-010", "message": "The file's date of birth 2010-06-05 differs from 06/05/2010."}
    ]
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.statuses = [final]
    services.transmission_poll(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.ACCEPTED_WITH_ERRORS

    html = broker_client.get(reverse("edi_transmission", args=[transmission.pk])).content.decode()
    assert "FIL-010" in html
    texts = [html, *(m.subject + m.body for m in mail.outbox)]
    for text in texts:
        assert [s for s in spellings(BORN) if s in text] == []
        assert "-06-05" not in text
