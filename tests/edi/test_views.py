"""Broker pages and actions: send, follow-up, resubmit, the transmission page; other agencies get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edi import services
from edi.models import Transmission

from .conftest import accepted

pytestmark = pytest.mark.django_db
S = Transmission.Status


def test_it_sends_the_file_from_the_group_page_and_queues_the_upload(
    broker_client, finalized_group, members_source, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("edi.tasks.upload_transmission.delay", lambda pk: queued.append(pk))
    page = broker_client.get(reverse("edi_group_files", args=[finalized_group.pk]))
    assert b"Send enrollment file" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = broker_client.post(reverse("edi_send", args=[finalized_group.pk]))
    transmission = Transmission.objects.get(group=finalized_group)
    assert response.status_code == 302 and response.url == reverse("edi_transmission", args=[transmission.pk])
    assert queued == [transmission.pk]


def test_it_tells_the_loser_of_a_double_click_that_a_file_is_on_its_way(
    broker_client, finalized_group, members_source
):
    broker_client.post(reverse("edi_send", args=[finalized_group.pk]))
    response = broker_client.post(reverse("edi_send", args=[finalized_group.pk]), follow=True)
    assert "already being sent" in response.content.decode()
    assert Transmission.objects.filter(group=finalized_group).count() == 1


def test_it_refuses_a_get_on_the_send_action(broker_client, finalized_group, members_source):
    response = broker_client.get(reverse("edi_send", args=[finalized_group.pk]))
    assert response.status_code == 405
    assert not Transmission.objects.exists()


def test_it_shows_precheck_problems_with_the_rule_id_and_a_fix(
    broker_client, finalized_group, members_source
):
    members_source.bodies[2]["ssn"] = "12345"
    response = broker_client.post(reverse("edi_send", args=[finalized_group.pk]), follow=True)
    html = response.content.decode()
    assert '<span class="rule-id">FIL-005</span>' in html
    assert "E-001-C1" in html and "validate the member again" in html
    assert "12345" not in html.replace("123456789", "")


def test_it_shows_results_and_the_999_to_the_broker(
    broker_client, finalized_group, members_source, fake_carrier
):
    transmission = services.transmission_start(group=finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.statuses = [
        accepted(["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"], rejected=("E-002",))
    ]
    services.transmission_poll(transmission_id=transmission.pk)
    response = broker_client.get(reverse("edi_transmission", args=[transmission.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Accepted with errors" in html
    assert "H40110000" in html and '<span class="rule-id">FIL-901</span>' in html
    assert "AK9*A" in html
    assert "style=" not in html and "<script>" not in html
    assert "1980" not in html and "123456789" not in html  # no date of birth or SSN on the page
    group_page = broker_client.get(reverse("edi_group_files", args=[finalized_group.pk])).content.decode()
    assert "Not changed since it was rejected: correct it first." in group_page
    assert "Send follow-up for rejected members" not in group_page  # it would be rejected again
    members_source.bodies[4]["middleName"] = "Javier"  # Luis corrected and validated again
    group_page = broker_client.get(reverse("edi_group_files", args=[finalized_group.pk])).content.decode()
    assert "Changed since: goes in the follow-up." in group_page
    assert "Send follow-up for rejected members" in group_page


def test_it_answers_404_to_a_broker_of_another_agency(client, other_broker, finalized_group, members_source):
    transmission = services.transmission_start(group=finalized_group)
    client.force_login(other_broker.user)
    assert client.get(reverse("edi_transmission", args=[transmission.pk])).status_code == 404
    assert client.get(reverse("edi_group_files", args=[finalized_group.pk])).status_code == 404
    assert client.post(reverse("edi_resubmit", args=[finalized_group.pk])).status_code == 404


def test_it_lets_the_agency_principal_see_the_file(client, principal, finalized_group, members_source):
    transmission = services.transmission_start(group=finalized_group)
    client.force_login(principal.user)
    assert client.get(reverse("edi_transmission", args=[transmission.pk])).status_code == 200


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, finalized_group, members_source):
    transmission = services.transmission_start(group=finalized_group)
    response = client.get(reverse("edi_transmission", args=[transmission.pk]))
    assert response.status_code == 302 and reverse("login") in response.url
