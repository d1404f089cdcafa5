"""Idempotent carrier operations: one open operation per subject, its key kept across crashes."""

from __future__ import annotations

import random

import pytest
import responses
from django.db import IntegrityError, transaction
from django.db.models.query import QuerySet

from carrier.client import GroupSalesClient
from carrier.errors import CarrierTransientError
from carrier.models import ApiCall, CarrierOperation
from carrier.services import (
    OperationStateError,
    operation_for,
    operation_mark_failed,
    operation_mark_succeeded,
)

from . import payloads

pytestmark = pytest.mark.django_db
BASE = "https://carrier.test/groupsales/v1"


def new_client() -> GroupSalesClient:
    return GroupSalesClient(BASE, "key", max_attempts=1, sleep=lambda s: None, rng=random.Random(1))


def test_it_reuses_the_key_after_a_crash():
    with responses.RequestsMock() as mocked:
        mocked.post(f"{BASE}/groups", status=503)
        mocked.post(f"{BASE}/groups", status=201, json=payloads.CREATED)
        first = operation_for(kind="create_group", subject="group:9")
        with pytest.raises(CarrierTransientError):
            new_client().create_group(payloads.CREATE_GROUP, idempotency_key=first.idempotency_key)

        # the worker died; another one picks the task up with a new client
        again = operation_for(kind="create_group", subject="group:9")
        new_client().create_group(payloads.CREATE_GROUP, idempotency_key=again.idempotency_key)

        keys = [call.request.headers["Idempotency-Key"] for call in mocked.calls]
    assert again.id == first.id
    assert keys == [first.idempotency_key, first.idempotency_key]
    assert set(ApiCall.objects.values_list("operation_id", flat=True)) == {first.id}
    assert CarrierOperation.objects.get().request_digest


def test_it_gives_a_new_key_after_the_operation_failed():
    first = operation_for(kind="create_group", subject="group:9")
    operation_mark_failed(operation=first, error="GRP-002: FEIN")

    second = operation_for(kind="create_group", subject="group:9")

    assert second.id != first.id
    assert second.idempotency_key != first.idempotency_key
    first.refresh_from_db()
    assert (first.status, first.error) == ("FAILED", "GRP-002: FEIN")


def test_it_keeps_kinds_and_subjects_apart():
    a = operation_for(kind="create_group", subject="group:1")
    b = operation_for(kind="finalize_group", subject="group:1")
    c = operation_for(kind="create_group", subject="group:2")
    assert len({a.idempotency_key, b.idempotency_key, c.idempotency_key}) == 3


def test_it_allows_one_open_operation_per_kind_and_subject():
    operation_for(kind="create_group", subject="group:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CarrierOperation.objects.create(kind="create_group", subject="group:1", idempotency_key="other")


def test_it_returns_the_winners_operation_when_it_loses_the_race(monkeypatch):
    winner = CarrierOperation.objects.create(kind="create_group", subject="group:3", idempotency_key="winner")
    original_first = QuerySet.first
    misses = iter([True])

    def first_missing_once(self):
        # the first read happens before the other worker's row is visible
        if self.model is CarrierOperation and next(misses, False):
            return None
        return original_first(self)

    monkeypatch.setattr(QuerySet, "first", first_missing_once)

    got = operation_for(kind="create_group", subject="group:3")

    assert got.id == winner.id
    assert CarrierOperation.objects.filter(subject="group:3").count() == 1


def test_it_stores_the_answer_masked_when_the_operation_succeeds():
    operation = operation_for(kind="validate_member", subject="member:1")

    operation_mark_succeeded(
        operation=operation, response={"memberRef": "E-001", "ssn": "123456789", "dateOfBirth": "1980-05-02"}
    )

    operation.refresh_from_db()
    assert operation.status == "SUCCEEDED"
    assert operation.response == {"memberRef": "E-001", "ssn": "***-**-6789", "dateOfBirth": "****-**-**"}
    # a redelivered task marking it again changes nothing
    operation_mark_succeeded(operation=operation, response={"other": 1})
    operation.refresh_from_db()
    assert operation.response["memberRef"] == "E-001"


def test_it_refuses_to_fail_a_succeeded_operation():
    operation = operation_for(kind="finalize_group", subject="group:1")
    operation_mark_succeeded(operation=operation, response={})

    with pytest.raises(OperationStateError):
        operation_mark_failed(operation=operation, error="late")
    operation.refresh_from_db()
    assert operation.status == "SUCCEEDED"
