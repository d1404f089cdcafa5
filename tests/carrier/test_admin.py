"""The read-only admin of carrier traffic."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carrier.models import ApiCall
from carrier.services import api_call_record, operation_for
from groupsales.masking import masked_body

from . import payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def call() -> ApiCall:
    operation = operation_for(kind="validate_member", subject="member:1")
    return api_call_record(
        operation=operation,
        subject="member:1",
        method="POST",
        path="/groups/104233/member-validations",
        status_code=200,
        outcome="ok",
        duration_ms=42,
        attempt=1,
        correlation_id="corr-abc",
        idempotency_key=operation.idempotency_key,
        request_body=masked_body(payloads.ANN, "application/json"),
        response_body=masked_body(payloads.VALIDATED, "application/json"),
    )


def test_it_lists_filters_and_searches_calls(admin_client, call):
    url = reverse("admin:carrier_apicall_changelist")
    filtered = admin_client.get(
        url, {"outcome": "ok", "operation__kind": "validate_member", "method": "POST"}
    )
    searched = admin_client.get(url, {"q": "corr-abc"})
    missed = admin_client.get(url, {"q": "nothing-like-it"})

    assert filtered.status_code == 200 and "corr-abc" in filtered.text
    assert "corr-abc" in searched.text
    assert "corr-abc" not in missed.text


def test_it_shows_a_call_read_only_with_masked_pretty_bodies(admin_client, call):
    page = admin_client.get(reverse("admin:carrier_apicall_change", args=[call.id]))

    assert page.status_code == 200
    assert '<pre class="carrier-body">' in page.text
    assert "***-**-6789" in page.text
    assert "123456789" not in page.text and "1980-05-02" not in page.text
    assert 'name="_save"' not in page.text
    assert admin_client.get(reverse("admin:carrier_apicall_add")).status_code == 403


def test_it_shows_an_operation_with_its_calls(admin_client, call):
    page = admin_client.get(reverse("admin:carrier_carrieroperation_change", args=[call.operation_id]))
    assert page.status_code == 200
    assert "/groups/104233/member-validations" in page.text
