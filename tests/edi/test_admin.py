"""The admin: the file downloadable (never rendered), the 999 and results inline, poll-again action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edi import services
from edi.models import Transmission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_it_lists_and_shows_transmissions_without_personal_data(
    admin_client, finalized_group, members_source
):
    transmission = services.transmission_start(group=finalized_group)
    listing = admin_client.get(reverse("admin:edi_transmission_changelist") + "?status__exact=READY")
    change_url = reverse("admin:edi_transmission_change", args=[transmission.pk])
    assert listing.status_code == 200 and change_url in listing.content.decode()
    rejected = admin_client.get(reverse("admin:edi_transmission_changelist") + "?status__exact=REJECTED")
    assert change_url not in rejected.content.decode()
    detail = admin_client.get(
        reverse("admin:edi_transmission_change", args=[transmission.pk])
    ).content.decode()
    assert "Download the file" in detail and "E-001-C1" in detail
    assert "123456789" not in detail  # Ann's SSN (and the FEIN) are not shown
    assert "19800502" not in detail and "123456781" not in detail


def test_it_downloads_the_file_as_an_attachment(admin_client, finalized_group, members_source):
    transmission = services.transmission_start(group=finalized_group)
    response = admin_client.get(reverse("admin:edi_transmission_download", args=[transmission.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == transmission.content.encode("ascii")


def test_it_polls_a_stuck_file_again_from_the_admin(
    admin_client, finalized_group, members_source, fake_carrier
):
    transmission = services.transmission_start(group=finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    Transmission.objects.filter(pk=transmission.pk).update(status="STUCK")
    admin_client.post(
        reverse("admin:edi_transmission_changelist"),
        {"action": "poll_again", "_selected_action": [transmission.pk]},
    )
    transmission.refresh_from_db()
    assert transmission.status == "PROCESSING"
