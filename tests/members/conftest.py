"""Fixtures of the members tests: api.md's Blue Heron Bakery group (created with the carrier) and its
two families, rate-file facts standing in for the catalogue, and a fake carrier client."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from carrier.errors import CarrierRuleError, CarrierTransientError, ProblemError
from carrier.schemas import BatchValidationRequest, MemberValidationRequest, request_body
from enrollment.models import EmployerGroup
from enrollment.rules import PortalRuleContext
from members import services
from members.examples import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS  # noqa: F401
from tests.enrollment.conftest import FakeFacts, make_complete_group


@pytest.fixture
def rule_facts(monkeypatch):
    def context():
        return PortalRuleContext(FakeFacts(), today=date(2026, 11, 23))

    monkeypatch.setattr("enrollment.rules.group_rule_context", context)
    monkeypatch.setattr("enrollment.services.problems.group_rule_context", context)
    return context


@pytest.fixture
def queued(monkeypatch):
    """Validation tasks queued (group ids), instead of a Celery broker."""
    sent: list[int] = []
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda group_id: sent.append(group_id))
    return sent


@pytest.fixture
def group(broker):
    """Blue Heron Bakery, created with the carrier (open enrollment)."""
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.OPEN_ENROLLMENT, humana_group_id="100234"
    )
    group.refresh_from_db()
    return group


@pytest.fixture
def ann(group, queued):
    return services.family_save(
        group=group,
        subscriber_data=ANN,
        dependents_data=[dict(d) for d in ANN_DEPENDENTS],
        elections=ANN_ELECTIONS,
        by=None,
    )


@pytest.fixture
def luis(group, queued):
    return services.family_save(
        group=group, subscriber_data=LUIS, dependents_data=[], elections=LUIS_ELECTIONS, by=None
    )


class FakeClient:
    """Stands in for carrier.client.GroupSalesClient. ``fail`` maps memberRef -> error list (422);
    ``unavailable`` is how many calls answer 503 before the carrier comes back. Like the real client it
    refuses, before any call, a body that does not fit api.md (``InvalidCarrierRequest``)."""

    def __init__(self, *, fail=None, unavailable=0, on_call=None):
        self.fail = fail or {}
        self.unavailable = unavailable
        self.on_call = on_call
        self.calls: list[tuple[str, list[str], str]] = []  # (method, memberRefs, idempotency key)
        self.validated: dict[str, list[str]] = {}  # memberRef -> idempotency keys that validated it
        self.closed = 0

    def _maybe_unavailable(self):
        if self.unavailable:
            self.unavailable -= 1
            raise CarrierTransientError("unavailable", status=503)

    def _result(self, body, key):
        ref = body["memberRef"]
        if ref in self.fail:
            return None
        if key not in self.validated.setdefault(ref, []):
            self.validated[ref].append(key)
        return SimpleNamespace(
            validation_id=f"val-{ref}",
            member_ref=ref,
            valid=True,
            validated_at=timezone.make_aware(datetime(2026, 11, 23, 12, 0)),
            warnings=[],
            errors=[],
            model_dump=lambda **kw: {"memberRef": ref, "valid": True},
        )

    def validate_member(self, group_id, body, *, idempotency_key, subject=""):
        request_body(MemberValidationRequest, body)
        self.calls.append(("one", [body["memberRef"]], idempotency_key))
        if self.on_call:
            self.on_call(body)
        self._maybe_unavailable()
        result = self._result(body, idempotency_key)
        if result is None:
            errors = [ProblemError.model_validate(e) for e in self.fail[body["memberRef"]]]
            raise CarrierRuleError("refused", status=422, errors=errors)
        return result

    def validate_members(self, group_id, bodies, *, idempotency_key, subject=""):
        request_body(BatchValidationRequest, {"members": list(bodies)})
        self.calls.append(("batch", [b["memberRef"] for b in bodies], idempotency_key))
        self._maybe_unavailable()
        results = []
        for body in bodies:
            result = self._result(body, idempotency_key)
            if result is None:
                errors = [ProblemError.model_validate(e) for e in self.fail[body["memberRef"]]]
                result = SimpleNamespace(
                    member_ref=body["memberRef"],
                    valid=False,
                    validation_id=None,
                    validated_at=None,
                    warnings=[],
                    errors=errors,
                )
            results.append(result)
        return SimpleNamespace(
            results=results, model_dump=lambda **kw: {"results": [r.member_ref for r in results]}
        )

    def withdraw_member(self, group_id, member_ref, *, subject=""):
        self.calls.append(("withdraw", [member_ref], ""))

    def close(self):
        self.closed += 1


@pytest.fixture
def fake_client(monkeypatch):
    """The carrier client of members.services; set ``.fail`` / ``.unavailable`` to change its answers."""
    client = FakeClient()
    monkeypatch.setattr("members.services.validation.get_client", lambda **kw: client)
    return client
