"""The transactional outbox of the portal's tasks: a broker's click is never lost to a broker outage.

:func:`outbox_enqueue` writes an :class:`~carrier.models.OutboxTask` row inside the caller's transaction
(the same one that moves the group to CREATING, FINALIZING, …) and queues the task once that transaction
commits. If Redis is down at that moment, the row stays unqueued and the request still succeeds (the
broker reads "it will go out shortly"); :func:`outbox_sweep` (beat, ``OUTBOX_SWEEP_SECONDS``) queues
every row not queued yet. A task queued twice (the sweep and a late commit hook) is harmless: every
carrier task claims its row and replays its stored idempotency key.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxTask

logger = logging.getLogger(__name__)


def _send(task: OutboxTask) -> bool:
    """Queue one row's task; True when the broker took it. Never raises (the row waits for the sweep)."""
    try:
        celery_task = current_app.tasks[task.task_name]
        if task.countdown:
            celery_task.apply_async(tuple(task.args), dict(task.kwargs or {}), countdown=task.countdown)
        else:
            celery_task.delay(*task.args, **(task.kwargs or {}))
    except Exception as exc:  # kombu.exceptions.OperationalError, a refused connection, a timeout
        OutboxTask.objects.filter(pk=task.pk).update(attempts=F("attempts") + 1, last_error=repr(exc)[:2000])
        logger.warning("outbox: %s(%s) not queued yet (%s); the sweep will", task.task_name, task.args, exc)
        return False
    OutboxTask.objects.filter(pk=task.pk, queued_at__isnull=True).update(
        queued_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def outbox_enqueue(
    *, task_name: str, args: list[Any], kwargs: dict[str, Any] | None = None, countdown: float = 0
) -> OutboxTask:
    """Record the task (a registered Celery task's name) in the current transaction and queue it on
    commit (outside a transaction: now), ``countdown`` seconds later."""
    task = OutboxTask.objects.create(
        task_name=task_name, args=list(args), kwargs=dict(kwargs or {}), countdown=float(countdown)
    )
    transaction.on_commit(lambda: _send(task))
    return task


def outbox_sweep(*, min_age_seconds: float | None = None) -> int:
    """Queue every task recorded but not queued (older than ``min_age_seconds``, so that a commit hook
    still running is not raced). Returns how many the broker took."""
    age = settings.OUTBOX_MIN_AGE_SECONDS if min_age_seconds is None else min_age_seconds
    before = timezone.now() - timedelta(seconds=age)
    waiting = OutboxTask.objects.filter(queued_at__isnull=True, created_at__lte=before).order_by("id")
    sent = 0
    for task in waiting[:500]:
        if not _send(task):
            break  # the broker is still down: the next sweep tries again
        sent += 1
    return sent


def outbox_prune(*, days: float = 7) -> int:
    """Delete queued rows older than ``days`` (the record of what was queued is the tasks' results)."""
    before = timezone.now() - timedelta(days=days)
    deleted, _ = OutboxTask.objects.filter(queued_at__lt=before).delete()
    return deleted
