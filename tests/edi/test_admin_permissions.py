"""A view-only admin cannot resubmit an 834 or poll the carrier again (issue 16, item 3): the action is
not offered, and posting it anyway changes nothing and sends nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from edi import services
from edi.models import Transmission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _viewer(client):
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_transmission"))
    client.force_login(user)
    return client


def _run(client, action: str, transmission: Transmission):
    changelist = reverse("admin:edi_transmission_changelist")
    return client.post(changelist, {"action": action, "_selected_action": [transmission.pk]})


def test_a_view_only_admin_cannot_resubmit_an_834(client, finalized_group, members_source, fake_carrier):
    transmission = services.transmission_start(group=finalized_group)
    Transmission.objects.filter(pk=transmission.pk).update(status="REJECTED", file_id="F-000001")
    _run(_viewer(client), "resubmit", transmission)
    assert Transmission.objects.count() == 1 and fake_carrier.upload_calls == []


def test_a_view_only_admin_cannot_poll_again(client, finalized_group, members_source, fake_carrier):
    transmission = services.transmission_start(group=finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    Transmission.objects.filter(pk=transmission.pk).update(status="STUCK")
    _run(_viewer(client), "poll_again", transmission)
    transmission.refresh_from_db()
    assert transmission.status == "STUCK"
