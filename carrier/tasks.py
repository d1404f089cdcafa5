"""Beat tasks of the carrier app: the outbox sweep (each calls one service)."""

from __future__ import annotations

from celery import shared_task

from .outbox import outbox_prune, outbox_sweep


@shared_task(name="carrier.sweep_outbox")
def sweep_outbox() -> int:
    """Beat (``OUTBOX_SWEEP_SECONDS``): queue the tasks recorded while the broker was down."""
    return outbox_sweep()


@shared_task(name="carrier.prune_outbox")
def prune_outbox() -> int:
    return outbox_prune()


@shared_task(name="carrier.sweep_operations")
def sweep_operations() -> dict[str, int]:
    """Beat (``OPERATIONS_SWEEP_SECONDS``): hand OPEN operations whose task was lost to their owners."""
    from .resume import operations_sweep

    return operations_sweep()
