"""Celery tasks of renewals: each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task

from carrier.errors import CarrierTransientError
from carrier.operations import retry_policy

from . import services


@shared_task(bind=True, name="renewals.tasks.sync_renewals", acks_late=True, max_retries=5)
def sync_renewals(self, group_id: int) -> int:
    try:
        return services.renewal_sync(group_id=group_id)
    except CarrierTransientError as exc:
        raise self.retry(
            exc=exc, countdown=retry_policy("group").countdown(self.request.retries, exc.retry_after)
        ) from exc


@shared_task(name="renewals.tasks.sync_all_renewals")
def sync_all_renewals() -> int:
    return services.renewals_sync_all()


@shared_task(bind=True, name="renewals.tasks.send_renewal_decision", acks_late=True, max_retries=None)
def send_renewal_decision(self, renewal_id: int) -> str:
    try:
        return services.renewal_decision_send(renewal_id=renewal_id)
    except CarrierTransientError as exc:
        return retry_policy("group").retry(self, exc, gave_up=lambda attempts, e: "gave_up")


@shared_task(bind=True, name="renewals.tasks.send_renewal_file", acks_late=True, max_retries=5)
def send_renewal_file(self, renewal_id: int) -> str:
    from .elections import renewal_file_send

    try:
        file = renewal_file_send(renewal_id=renewal_id)
    except CarrierTransientError as exc:
        raise self.retry(
            exc=exc, countdown=retry_policy("upload_834").countdown(self.request.retries, exc.retry_after)
        ) from exc
    return file.status if file is not None else "nothing"


@shared_task(bind=True, name="renewals.tasks.poll_renewal_file", acks_late=True, max_retries=30)
def poll_renewal_file(self, file_id: int) -> str:
    from .elections import renewal_file_poll

    try:
        file = renewal_file_poll(file_id=file_id)
    except CarrierTransientError as exc:
        raise self.retry(
            exc=exc, countdown=retry_policy("upload_834").countdown(self.request.retries, exc.retry_after)
        ) from exc
    if file.status == file.Status.SENT:
        raise self.retry(countdown=10)
    return file.status
