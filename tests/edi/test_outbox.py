"""An 834 upload or poll queued while Redis is down is not lost (issue 18): the task is an ``OutboxTask``
row written in the same transaction as the file's READY (or RECEIVED), queued on commit, and queued by
the outbox sweep once the broker is back."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from carrier.models import OutboxTask
from carrier.outbox import outbox_sweep
from edi import services
from edi.models import Transmission

pytestmark = pytest.mark.django_db
S = Transmission.Status


@pytest.fixture
def broker_down(monkeypatch):
    """Redis refusing connections, as kombu reports it when publishing (an error-handling unit test)."""

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("edi.tasks.upload_transmission.delay", refuse)
    monkeypatch.setattr("edi.tasks.poll_transmission.apply_async", refuse)


def test_an_upload_sent_while_redis_is_down_waits_in_the_outbox_and_the_sweep_queues_it(
    finalized_group, members_source, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        transmission = services.transmission_start(group=finalized_group)  # no exception reaches the view
    assert transmission.status == S.READY
    row = OutboxTask.objects.get(task_name="edi.upload_transmission")
    assert row.args == [transmission.pk] and row.queued_at is None and "Connection refused" in row.last_error
    assert outbox_sweep(min_age_seconds=0) == 0  # still down

    sent: list[tuple] = []
    monkeypatch.setattr(
        "edi.tasks.upload_transmission.delay", lambda *args: sent.append(args)
    )  # Redis is back
    assert outbox_sweep(min_age_seconds=0) == 1
    assert sent == [(transmission.pk,)] and OutboxTask.objects.get(pk=row.pk).queued_at is not None


def test_the_first_poll_after_an_upload_waits_in_the_outbox_with_its_token_and_countdown(
    finalized_group,
    members_source,
    fake_carrier,
    broker_down,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    with django_capture_on_commit_callbacks(execute=True):
        transmission = services.transmission_start(group=finalized_group)
        services.transmission_upload(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    assert transmission.status == S.RECEIVED
    row = OutboxTask.objects.get(task_name="edi.poll_transmission")
    assert row.queued_at is None and row.kwargs == {"token": 0} and row.countdown > 0

    sent: list[tuple] = []
    monkeypatch.setattr(  # Redis is back
        "edi.tasks.upload_transmission.delay", lambda *args: sent.append(("upload_transmission", args))
    )
    monkeypatch.setattr(
        "edi.tasks.poll_transmission.apply_async",
        lambda args, kwargs, **options: sent.append(("poll_transmission", args, kwargs, options)),
    )
    assert (
        outbox_sweep(min_age_seconds=0) == 2
    )  # the upload (done already: it will find nothing) and the poll
    assert sent[-1] == ("poll_transmission", (transmission.pk,), {"token": 0}, {"countdown": row.countdown})
