"""Issue 19 item 4: one way to make a carrier call (``carrier.operations.carrier_call``) and one retry
policy (``RetryPolicy``), over the real client and a mocked HTTP carrier."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import responses
from celery.exceptions import Retry

from carrier.client import GroupSalesClient
from carrier.errors import CarrierRuleError, CarrierTransientError
from carrier.models import CarrierOperation
from carrier.operations import RetryPolicy, carrier_call, retry_policy
from carrier.services import operation_for

from . import payloads

pytestmark = pytest.mark.django_db
BASE = "https://carrier.test/groupsales/v1"
OP = CarrierOperation.Status


class Closed(GroupSalesClient):
    closed = 0

    def close(self) -> None:
        Closed.closed += 1
        super().close()


def opener() -> GroupSalesClient:
    return Closed(BASE, "key", max_attempts=1, sleep=lambda s: None, rng=random.Random(1))


def create(operation: CarrierOperation, **outcomes):
    return carrier_call(
        lambda c: c.create_group(payloads.CREATE_GROUP, idempotency_key=operation.idempotency_key),
        operation=operation, opener=opener, **outcomes,
    )  # fmt: skip


class Died(BaseException):
    """A worker killed after the carrier answered, before anything of ours ran."""


def test_the_answer_and_its_effect_are_kept_together_or_not_at_all():
    operation = operation_for(kind="create_group", subject="group:1")
    Closed.closed = 0
    with responses.RequestsMock() as carrier:
        carrier.post(f"{BASE}/groups", status=201, json=payloads.CREATED)
        carrier.post(f"{BASE}/groups", status=201, json=payloads.CREATED)

        def die(created):
            CarrierOperation.objects.filter(pk=operation.pk).update(error="half done")
            raise Died

        with pytest.raises(Died):
            create(operation, refused=lambda exc: "refused", succeeded=die)
        operation.refresh_from_db()
        assert operation.status == OP.OPEN and operation.error == ""  # rolled back: the task replays it

        assert create(operation, refused=lambda exc: "refused", succeeded=lambda c: c.group_id) == "104233"
        keys = [call.request.headers["Idempotency-Key"] for call in carrier.calls]
    operation.refresh_from_db()
    assert operation.status == OP.SUCCEEDED and operation.response["groupId"] == "104233"
    assert keys == [operation.idempotency_key] * 2  # the same key both times
    assert Closed.closed == 2


def test_a_refusal_ends_the_operation_and_says_why():
    operation = operation_for(kind="create_group", subject="group:2")
    rule = {"code": "GRP-002", "pointer": "/employer/fein", "message": "FEIN", "severity": "error"}
    with responses.RequestsMock() as carrier:
        carrier.post(f"{BASE}/groups", status=422, json={"status": 422, "title": "no", "errors": [rule]})
        seen = create(operation, refused=lambda exc: exc, succeeded=lambda c: c)
    assert isinstance(seen, CarrierRuleError)
    assert seen.error_dicts() == [{**rule, "memberRef": None}] and seen.codes_text() == "GRP-002"
    operation.refresh_from_db()
    assert operation.status == OP.FAILED
    assert operation_for(kind="create_group", subject="group:2").idempotency_key != operation.idempotency_key


def test_an_outage_leaves_the_operation_open_for_the_task_to_retry():
    operation = operation_for(kind="create_group", subject="group:3")
    noted = []
    Closed.closed = 0
    with responses.RequestsMock() as carrier:
        carrier.post(f"{BASE}/groups", status=503, headers={"Retry-After": "7"})
        with pytest.raises(CarrierTransientError):
            create(operation, unavailable=noted.append, refused=lambda exc: exc, succeeded=lambda c: c)
    assert [exc.retry_after for exc in noted] == [7.0]
    operation.refresh_from_db()
    assert operation.status == OP.OPEN and Closed.closed == 1


def test_the_policy_backs_off_honours_retry_after_and_gives_up():
    policy = RetryPolicy("test", (1, 2, 4), max_retries=3)
    assert [policy.countdown(n) for n in range(5)] == [1, 2, 4, 4, 4]
    assert policy.countdown(0, retry_after=2.1) == 3  # never sooner than the carrier asked

    def task(retries: int):
        def retry(exc, countdown):
            return Retry(when=countdown)

        return SimpleNamespace(name="t", request=SimpleNamespace(retries=retries), retry=retry)

    down = CarrierTransientError("503", status=503)
    with pytest.raises(Retry) as retried:
        policy.retry(task(1), down, gave_up=lambda attempts, exc: attempts)
    assert retried.value.when == 2
    gave_up = policy.retry(task(3), down, gave_up=lambda attempts, exc: (attempts, exc.code))
    assert gave_up == (4, "UNAVAILABLE")


def test_every_kind_of_carrier_work_has_its_policy(settings):
    settings.EDI_UPLOAD_RETRY_FIRST_SECONDS, settings.EDI_UPLOAD_MAX_RETRIES = 10, 3
    assert retry_policy("upload_834").countdowns == (10, 20, 40, 80)
    assert retry_policy("members").countdowns[:3] == (2, 4, 8)
    assert retry_policy("group").max_retries == 8
    with pytest.raises(ValueError):
        retry_policy("nothing")
