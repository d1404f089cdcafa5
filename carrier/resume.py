"""Every OPEN carrier operation is finished (issue 18 item 3): by the task still working on it, or by
:func:`operations_sweep` (beat, ``OPERATIONS_SWEEP_SECONDS``).

An operation is OPEN from before its first call until its answer is recorded. One left OPEN longer than
``OPERATIONS_STALE_SECONDS`` with no call under it in that time has lost its task (a worker killed, a
message lost with Redis, a retry that lived only in a dead worker's memory). The sweep hands it to the
app that owns its kind (a resumer each app registers in its ``ready()``, since the carrier app imports
no app above it), which either

* ``queued``: the subject still waits for the answer: its claim is released and its task queued again;
  the task sends the same request under the operation's key, and the carrier replays the answer it
  stored for the key (a call it already acted on is not acted on again), which closes the operation with
  that answer in the usual transaction; or
* ``superseded``: the subject moved on (a member edited to a new version, a group no longer waiting for
  this step): nothing would send the request again, so the operation is closed FAILED with the reason.

A swept operation's ``updated_at`` moves, so it is handed over once per stale age, not once per sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import CarrierOperation
from .services import OperationStateError, operation_mark_failed

logger = logging.getLogger(__name__)

Resumer = Callable[[CarrierOperation], str]
_RESUMERS: dict[str, Resumer] = {}
QUEUED, SUPERSEDED = "queued", "superseded"


def operation_resumer_register(*, kind: str, resumer: Resumer) -> None:
    """``resumer(operation) -> "queued" | "superseded" | "waiting"`` for the operations of ``kind``
    (``waiting``: kept OPEN for a person's retry, which sends it under the same key)."""
    _RESUMERS[kind] = resumer


def stale_seconds() -> float:
    return float(getattr(settings, "OPERATIONS_STALE_SECONDS", 90))


def operations_sweep(*, stale: float | None = None) -> dict[str, int]:
    """Hand every OPEN operation untouched for the stale age to its owner. Returns counts by outcome."""
    now = timezone.now()
    before = now - timedelta(seconds=stale_seconds() if stale is None else stale)
    counts = {QUEUED: 0, SUPERSEDED: 0, "waiting": 0, "busy": 0, "unowned": 0}
    waiting = CarrierOperation.objects.filter(
        status=CarrierOperation.Status.OPEN, updated_at__lt=before, created_at__lt=before
    ).order_by("id")
    for operation in waiting[:500]:
        if operation.calls.filter(created_at__gte=before).exists():
            counts["busy"] += 1  # a worker is still calling under it
            continue
        resumer = _RESUMERS.get(operation.kind)
        if resumer is None:
            counts["unowned"] += 1
            continue
        outcome = resumer(operation)
        if outcome == SUPERSEDED:
            try:
                operation_mark_failed(
                    operation=operation,
                    error="Superseded: its subject moved on before an answer was recorded.",
                )
            except OperationStateError:
                pass  # closed meanwhile by its task
        CarrierOperation.objects.filter(pk=operation.pk).update(updated_at=timezone.now())
        counts[outcome] = counts.get(outcome, 0) + 1
    if counts[QUEUED] or counts[SUPERSEDED]:
        logger.info("operations sweep: %s", counts)
    return counts
