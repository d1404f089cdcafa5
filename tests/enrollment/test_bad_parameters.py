"""Issue 16 item 12: a bad request parameter is ignored (or refused with 400), never a 500 — also with
production's DEBUG off, where Django would answer its bare 500 page."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.enrollment.test_forms import step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def lenient_client(broker_client):
    """The test client answers an unhandled exception as the server would (500), instead of raising it."""
    broker_client.raise_request_exception = False
    return broker_client


CENSUS_ROW = {
    "census-TOTAL_FORMS": "1",
    "census-INITIAL_FORMS": "0",
    "census-0-member_ref": "E-001",
    "census-0-relationship": "SUBSCRIBER",
    "census-0-date_of_birth": "1980-05-02",
    "census-0-gender": "FEMALE",
    "census-0-zip5": "40202",
    "census-0-coverage_tier": "EMP",
}


@override_settings(DEBUG=False)
@pytest.mark.parametrize("goto", ["../../admin", "no such step", "x" * 300, "census/../review", "\r\n"])
def test_the_census_step_ignores_a_goto_that_names_no_step(
    lenient_client, complete_group, catalogue_facts, goto
):
    response = lenient_client.post(step_url(complete_group, "census"), CENSUS_ROW | {"goto": goto})
    assert response.status_code == 302
    assert response["Location"] == step_url(complete_group, "attestation")


@override_settings(DEBUG=False)
@pytest.mark.parametrize("goto", ["../../admin", "no such step", "\r\n"])
def test_a_step_ignores_a_goto_that_names_no_step(lenient_client, complete_group, catalogue_facts, goto):
    response = lenient_client.post(step_url(complete_group, "contact"), {"goto": goto, "seen": ""})
    assert response.status_code in (200, 302)


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    "query",
    [
        {"month": "99999999999999999999-1"},
        {"month": "2027-13"},
        {"month": "0000-01"},
        {"month": "-1-1"},
        {"broker": "99999999999999999999"},
        {"broker": "-3"},
        {"page": "99999999999999999999"},
    ],
)
def test_the_book_ignores_a_filter_the_database_cannot_hold(lenient_client, complete_group, query):
    response = lenient_client.get(reverse("book"), query)
    assert response.status_code == 200
    assert complete_group.legal_name in response.content.decode()


def test_the_book_still_filters_by_a_good_month(broker_client, complete_group):
    html = broker_client.get(reverse("book"), {"month": "2027-01"}).content.decode()
    assert complete_group.legal_name in html
    html = broker_client.get(reverse("book"), {"month": "2027-02"}).content.decode()
    assert complete_group.legal_name not in html


@override_settings(DEBUG=False)
def test_a_principal_s_broker_filter_ignores_an_id_the_database_cannot_hold(
    client, principal, complete_group
):
    client.force_login(principal.user)
    client.raise_request_exception = False
    response = client.get(reverse("book"), {"broker": "99999999999999999999"})
    assert response.status_code == 200
    assert complete_group.legal_name in response.content.decode()
