"""Fixtures of the members tests: api.md's Blue Heron Bakery group (created with the carrier) and its
two families, rate-file facts standing in for the catalogue, and a fake carrier client."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from carrier.errors import CarrierRuleError, CarrierTransientError, ProblemError
from enrollment.models import EmployerGroup
from enrollment.rules import PortalRuleContext
from members import services
from tests.enrollment.conftest import FakeFacts, make_complete_group

ANN = {
    "member_ref": "E-001",
    "first_name": "Ann",
    "last_name": "Lee",
    "ssn": "123456789",
    "date_of_birth": date(1980, 5, 2),
    "gender": "FEMALE",
    "marital_status": "MARRIED",
    "tobacco_use": False,
    "disabled": False,
    "is_owner": True,
    "is_owner_spouse": False,
    "address_line1": "100 Main St",
    "city": "Louisville",
    "state": "KY",
    "zip5": "40202",
    "county_fips": "21111",
    "phone": "5025550111",
    "email": "ann@example.com",
    "hire_date": date(2019, 6, 10),
    "hours_per_week": 40,
    "employment_status": "FULL_TIME",
}
ANN_DEPENDENTS = [
    {
        "member_ref": "E-001-S",
        "relationship": "SPOUSE",
        "first_name": "David",
        "last_name": "Lee",
        "ssn": "123456780",
        "date_of_birth": date(1979, 11, 30),
        "gender": "MALE",
        "tobacco_use": True,
    },
    {
        "member_ref": "E-001-C1",
        "relationship": "CHILD",
        "first_name": "Maya",
        "last_name": "Lee",
        "ssn": "123456781",
        "date_of_birth": date(2010, 6, 5),
        "gender": "FEMALE",
        "tobacco_use": False,
    },
    {
        "member_ref": "E-001-C2",
        "relationship": "CHILD",
        "first_name": "Noah",
        "last_name": "Lee",
        "ssn": "",
        "date_of_birth": date(2026, 7, 2),
        "gender": "MALE",
        "tobacco_use": False,
    },
]
ANN_ELECTIONS = {
    "MEDICAL": {"plan_id": "12345KY0010001"},
    "DENTAL": {"plan_id": "12345KY0020001"},
    "VISION": {"plan_id": "12345KY0030001"},
}
LUIS = {
    "member_ref": "E-002",
    "first_name": "Luis",
    "last_name": "Ortiz",
    "ssn": "123456782",
    "date_of_birth": date(1995, 7, 22),
    "gender": "MALE",
    "marital_status": "SINGLE",
    "tobacco_use": False,
    "address_line1": "9 Oak Ave",
    "city": "Louisville",
    "state": "KY",
    "zip5": "40204",
    "county_fips": "21111",
    "hire_date": date(2024, 7, 1),
    "hours_per_week": 40,
    "employment_status": "FULL_TIME",
}
LUIS_ELECTIONS = {
    "MEDICAL": {"plan_id": "12345KY0010001"},
    "DENTAL": {"waived": True, "waiver_reason": "OTHER_GROUP_COVERAGE"},
    "VISION": {"waived": True, "waiver_reason": "OTHER_GROUP_COVERAGE"},
}


@pytest.fixture
def rule_facts(monkeypatch):
    def context():
        return PortalRuleContext(FakeFacts(), today=date(2026, 11, 23))

    monkeypatch.setattr("enrollment.rules.group_rule_context", context)
    monkeypatch.setattr("enrollment.services.group_rule_context", context)
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
    ``unavailable`` is how many calls answer 503 before the carrier comes back."""

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
    monkeypatch.setattr("members.services.get_client", lambda **kw: client)
    return client
