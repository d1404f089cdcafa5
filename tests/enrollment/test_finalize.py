"""Finalize: the readiness checklist, the broker's request, and the carrier call (fake client)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from carrier.errors import CarrierRuleError, CarrierTransientError, ProblemError
from carrier.schemas import FinalizedGroup
from enrollment import finalize
from enrollment.models import EmployerGroup
from members.models import Member
from tests.members.conftest import ann, group, luis, queued, rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db
S = EmployerGroup.Status

FINALIZED = {
    "groupId": "100234",
    "status": "FINALIZED",
    "finalizedAt": "2026-11-30T14:00:00Z",
    "participation": [
        {"line": "MEDICAL", "eligible": 2, "enrolled": 2, "validWaivers": 0, "percent": "100.00"}
    ],
    "finalRates": [
        {
            "planId": "12345KY0010001",
            "line": "MEDICAL",
            "ratingMethod": "AGE",
            "members": [{"memberRef": "E-001", "age": 46, "monthlyPremium": "765.59"}],
            "tierRates": None,
            "totalMonthlyPremium": "3143.30",
            "employerMonthlyContribution": "1260.82",
        }
    ],
    "totalMonthlyPremium": "3143.30",
    "employerMonthlyContribution": "1260.82",
}


class FakeClient:
    def __init__(self, outcome) -> None:
        self.outcome = outcome
        self.calls: list[str] = []

    def finalize_group(self, group_id, *, idempotency_key, subject=""):
        self.calls.append(idempotency_key)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return FinalizedGroup.model_validate(self.outcome)


@pytest.fixture
def validated(group, ann, luis, rule_facts):  # noqa: F811
    Member.objects.filter(group=group).update(validation_status=Member.ValidationStatus.VALID)
    return group


def carrier(monkeypatch, outcome) -> FakeClient:
    client = FakeClient(outcome)
    monkeypatch.setattr("carrier.client.get_client", lambda **kw: client)
    return client


def test_it_blocks_finalize_until_every_member_is_validated(group, ann, luis, rule_facts):  # noqa: F811
    readiness = finalize.group_readiness(group=group)
    assert not readiness.ready
    assert any(not done and "validated" in words for done, words in readiness.items)
    with pytest.raises(finalize.FinalizeRefused):
        finalize.group_request_finalize(group=group, by=None, confirm_open_enrollment_over=True)
    group.refresh_from_db()
    assert group.status == S.OPEN_ENROLLMENT


def test_it_asks_the_broker_to_confirm_while_open_enrollment_runs(
    validated, monkeypatch, django_capture_on_commit_callbacks
):
    queued_ids: list[int] = []
    monkeypatch.setattr("enrollment.tasks.finalize_group.delay", queued_ids.append)
    readiness = finalize.group_readiness(group=validated)
    assert readiness.ready, (readiness.items, readiness.problems)
    assert not readiness.open_enrollment_over  # 2026-11-23, effective 2027-01-01
    with pytest.raises(finalize.FinalizeRefused):
        finalize.group_request_finalize(group=validated, by=None, confirm_open_enrollment_over=False)
    with django_capture_on_commit_callbacks(execute=True):
        finalize.group_request_finalize(group=validated, by=None, confirm_open_enrollment_over=True)
    validated.refresh_from_db()
    assert validated.status == S.FINALIZING
    with pytest.raises(finalize.FinalizeRefused):  # a double click, or a second tab
        finalize.group_request_finalize(group=validated, by=None, confirm_open_enrollment_over=True)
    assert queued_ids == [validated.pk]  # one carrier call queued


def test_it_reports_a_finalize_rule_with_its_id(validated):
    EmployerGroup.objects.filter(pk=validated.pk).update(attestation_signed_by="", attestation_signed_at=None)
    validated.refresh_from_db()
    readiness = finalize.group_readiness(group=validated)
    assert "GRP-014" in [p.code for p in readiness.problems]
    assert not readiness.ready


def test_it_stores_the_final_rates_when_the_carrier_finalizes(validated, monkeypatch):
    EmployerGroup.objects.filter(pk=validated.pk).update(
        status=S.FINALIZING,
        estimated_rates=[
            {"planId": "12345KY0010001", "line": "MEDICAL", "estimatedMonthlyPremium": "3100.00"}
        ],
    )
    client = carrier(monkeypatch, FINALIZED)
    assert finalize.group_finalize_with_carrier(group_id=validated.pk) == "finalized"
    assert (
        finalize.group_finalize_with_carrier(group_id=validated.pk) == "skipped"
    )  # a second run does nothing
    validated.refresh_from_db()
    assert validated.status == S.FINALIZED and validated.final_monthly_premium == Decimal("3143.30")
    assert validated.finalized_at == datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert len(client.calls) == 1
    [row] = finalize.rate_comparison(group=validated)
    assert (row["estimated"], row["final"], row["difference"]) == (
        Decimal("3100.00"),
        Decimal("3143.30"),
        Decimal("43.30"),
    )


def test_it_goes_back_to_open_enrollment_with_the_carriers_reasons(validated, monkeypatch):
    EmployerGroup.objects.filter(pk=validated.pk).update(status=S.FINALIZING)
    error = ProblemError(code="GRP-900", pointer="", message="Underwriting declined.", severity="error")
    carrier(monkeypatch, CarrierRuleError("refused", status=422, code="GRP-900", errors=[error]))
    assert finalize.group_finalize_with_carrier(group_id=validated.pk) == "refused"
    validated.refresh_from_db()
    assert validated.status == S.OPEN_ENROLLMENT
    assert [e["code"] for e in validated.carrier_errors] == ["GRP-900"]


def test_it_keeps_the_same_idempotency_key_across_transient_failures(validated, monkeypatch):
    EmployerGroup.objects.filter(pk=validated.pk).update(status=S.FINALIZING)
    client = carrier(monkeypatch, CarrierTransientError("down", status=503, code="UNAVAILABLE"))
    for _ in range(2):
        with pytest.raises(CarrierTransientError):
            finalize.group_finalize_with_carrier(group_id=validated.pk)
    client.outcome = FINALIZED
    assert finalize.group_finalize_with_carrier(group_id=validated.pk) == "finalized"
    assert len(set(client.calls)) == 1 and len(client.calls) == 3


def test_it_finalizes_from_the_group_page(validated, broker_client, monkeypatch):
    queued_ids: list[int] = []
    monkeypatch.setattr("enrollment.tasks.finalize_group.delay", queued_ids.append)
    page = broker_client.get(reverse("enrollment:group_detail", args=[validated.pk])).content.decode()
    assert "Ready to finalize?" in page and "Finalize with the carrier" in page
    url = reverse("enrollment:group_finalize", args=[validated.pk])
    broker_client.post(url)  # without the confirmation: refused
    validated.refresh_from_db()
    assert validated.status == S.OPEN_ENROLLMENT
    broker_client.post(url, {"confirm": "yes"})
    validated.refresh_from_db()
    assert validated.status == S.FINALIZING


def test_it_hides_finalize_from_another_agency(validated, client, other_broker):
    client.force_login(other_broker.user)
    assert (
        client.post(reverse("enrollment:group_finalize", args=[validated.pk]), {"confirm": "yes"}).status_code
        == 404
    )
