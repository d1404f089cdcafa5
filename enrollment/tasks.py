"""Celery tasks of employer groups: each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import Retry

from carrier.errors import CarrierTransientError
from carrier.operations import retry_policy

from . import services


def create_group_countdown(retries: int, retry_after: float | None = None) -> float:
    """The group calls' retry policy (``carrier.operations.retry_policy("group")``): 5, 15, 45, 120, 300,
    600, 600 … seconds; never sooner than the carrier's Retry-After."""
    return retry_policy("group").countdown(retries, retry_after)


def _gave_up(attempts: int, exc: CarrierTransientError) -> str:
    return f"The carrier stayed unavailable after {attempts} attempts ({exc.code})"


@shared_task(bind=True, name="enrollment.tasks.create_group", acks_late=True, max_retries=None)
def create_group(self, group_id: int) -> str:
    """Create the group with the carrier; transient failures retry with backoff, then NEEDS_ATTENTION."""

    def gave_up(attempts: int, exc: CarrierTransientError) -> str:
        reason = f"{_gave_up(attempts, exc)}. Retry creation from the admin."
        services.group_mark_needs_attention(group_id=group_id, reason=reason)
        return "needs_attention"

    try:
        outcome = services.group_create_with_carrier(group_id=group_id)
        if outcome == "busy":  # another worker's claim (perhaps a dead one's): look again once it expires
            raise self.retry(countdown=int(services.claim_seconds()) + 1)
        return outcome
    except CarrierTransientError as exc:
        return retry_policy("group").retry(self, exc, gave_up=gave_up)
    except Retry:
        raise
    except Exception as exc:
        # Not the carrier's answer (a bug, a body the client refuses to send): never leave it CREATING.
        services.group_mark_needs_attention(
            group_id=group_id, reason=f"Creation stopped on an unexpected error ({exc.__class__.__name__})."
        )
        raise


@shared_task(bind=True, name="enrollment.tasks.sync_book", acks_late=True, max_retries=5)
def sync_book(self, broker_id: int) -> int:
    try:
        return services.book_sync_for_broker(broker_id=broker_id)
    except CarrierTransientError as exc:
        raise self.retry(
            exc=exc, countdown=create_group_countdown(self.request.retries, exc.retry_after)
        ) from exc


@shared_task(name="enrollment.tasks.sync_all_books")
def sync_all_books() -> int:
    """Nightly (beat): queue a book sync for every broker with a carrier group."""
    broker_ids = services.book_brokers_to_sync()
    for broker_id in broker_ids:
        sync_book.delay(broker_id)
    return len(broker_ids)


@shared_task(bind=True, name="enrollment.tasks.finalize_group", acks_late=True, max_retries=None)
def finalize_group(self, group_id: int) -> str:
    """Finalize with the carrier; transient failures retry with backoff, then NEEDS_ATTENTION."""
    from .finalize import group_finalize_gave_up, group_finalize_with_carrier

    def gave_up(attempts: int, exc: CarrierTransientError) -> str:
        reason = f"{_gave_up(attempts, exc)}. Finalize again from the admin."
        group_finalize_gave_up(group_id=group_id, reason=reason)
        return "needs_attention"

    try:
        return group_finalize_with_carrier(group_id=group_id)
    except CarrierTransientError as exc:
        return retry_policy("group").retry(self, exc, gave_up=gave_up)


@shared_task(bind=True, name="enrollment.tasks.patch_group", acks_late=True, max_retries=None)
def patch_group(self, group_id: int) -> str:
    """Send a created group's changes (PATCH); transient failures retry with backoff, then the changes
    come back to the broker as refused with the reason (nothing is lost: they are still on the steps)."""
    from .changes import group_change_gave_up, group_patch_with_carrier

    def gave_up(attempts: int, exc: CarrierTransientError) -> str:
        reason = f"{_gave_up(attempts, exc)}; send the changes again."
        group_change_gave_up(group_id=group_id, reason=reason)
        return "gave_up"

    try:
        outcome = group_patch_with_carrier(group_id=group_id)
        if outcome == "busy":
            raise self.retry(countdown=int(services.claim_seconds()) + 1)
        return outcome
    except CarrierTransientError as exc:
        return retry_policy("group").retry(self, exc, gave_up=gave_up)


@shared_task(name="enrollment.tasks.sweep_groups")
def sweep_groups() -> dict[str, int]:
    """Beat: queue again the create and finalize calls whose task was lost."""
    from .sweep import groups_sweep

    return groups_sweep()
