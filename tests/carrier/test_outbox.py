"""The outbox (issue 18 item 5): a task is recorded with the change that calls for it, queued on commit,
and queued by the sweep when the broker was down then; one member version, one key, however often the
work is queued again."""

from __future__ import annotations

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from carrier.models import CarrierOperation, OutboxTask
from carrier.outbox import outbox_enqueue, outbox_sweep
from carrier.services import operation_for, operation_mark_succeeded
from enrollment.models import EmployerGroup
from tests.enrollment.conftest import catalogue_facts, complete_group, rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db
TASK = "enrollment.tasks.create_group"


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr("enrollment.tasks.create_group.delay", lambda pk: sent.append(pk))
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    """Redis refusing connections, as kombu reports it when publishing (an error-handling unit test)."""

    def refuse(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("enrollment.tasks.create_group.delay", refuse)


def test_it_queues_the_task_when_the_transaction_commits_and_not_before(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = outbox_enqueue(task_name=TASK, args=[7])
        assert queued == [] and OutboxTask.objects.get(pk=row.pk).queued_at is None
    assert len(callbacks) == 1
    assert queued == [7]
    row.refresh_from_db()
    assert row.queued_at is not None and row.attempts == 1
    assert outbox_sweep(min_age_seconds=0) == 0  # nothing left waiting: not queued twice
    assert queued == [7]


def test_a_rolled_back_change_queues_nothing(queued, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_enqueue(task_name=TASK, args=[8])
            raise RuntimeError("the change failed")
    assert queued == [] and not OutboxTask.objects.exists()


def test_a_broker_outage_leaves_the_task_waiting_and_the_sweep_queues_it(
    broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox_enqueue(task_name=TASK, args=[9])  # no exception reaches the caller
    row.refresh_from_db()
    assert row.queued_at is None and row.attempts == 1 and "Connection refused" in row.last_error
    assert outbox_sweep(min_age_seconds=0) == 0  # still down: waits, counted
    assert OutboxTask.objects.get(pk=row.pk).attempts == 2
    sent: list[int] = []
    monkeypatch.setattr("enrollment.tasks.create_group.delay", lambda pk: sent.append(pk))  # Redis is back
    assert outbox_sweep(min_age_seconds=0) == 1
    assert sent == [9] and OutboxTask.objects.get(pk=row.pk).queued_at is not None


def test_the_sweep_leaves_a_row_whose_commit_hook_may_still_run(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(task_name=TASK, args=[10])
    assert outbox_sweep(min_age_seconds=3600) == 0
    assert OutboxTask.objects.get().attempts == 1  # not even tried


def test_submitting_a_group_while_redis_is_down_is_recorded_and_answered_without_a_500(
    broker_client,
    complete_group,  # noqa: F811
    catalogue_facts,  # noqa: F811
    broker_down,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = broker_client.post(reverse("enrollment:group_review", args=[complete_group.pk]))
    assert response.status_code == 302
    assert EmployerGroup.objects.get(pk=complete_group.pk).status == EmployerGroup.Status.CREATING
    waiting = OutboxTask.objects.get()
    assert (waiting.task_name, waiting.args, waiting.queued_at) == (TASK, [complete_group.pk], None)
    page = broker_client.get(response["Location"]).content.decode()
    assert "goes to the carrier shortly" in page


def test_one_subject_keeps_one_key_through_sweeps_redeliveries_and_retries():
    first = operation_for(kind="validate_member", subject="member:5:v2")
    again = [operation_for(kind="validate_member", subject="member:5:v2") for _ in range(3)]
    assert {op.idempotency_key for op in again} == {first.idempotency_key}
    assert CarrierOperation.objects.filter(subject="member:5:v2", status="OPEN").count() == 1
    operation_mark_succeeded(operation=first, response={"validationId": "V1"})
    # the next version of the member is a new request, with a key of its own
    assert (
        operation_for(kind="validate_member", subject="member:5:v3").idempotency_key != first.idempotency_key
    )
