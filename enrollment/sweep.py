"""Re-queue carrier work whose task was lost (a Redis restart, a killed worker before acks_late could help).

A group stuck in CREATING or FINALIZING (or with its changes SENDING) longer than
``GROUP_SWEEP_STALE_SECONDS`` (longer than the longest retry countdown) gets its task queued again. That
is safe by construction: the create call and the patch are claimed with a conditional update, both POSTs
reuse the operation's stored idempotency key (a merge patch sent twice changes what it changed once), and
the transitions are conditional, so a second task does nothing the first already did.

A row queued by the sweep has its ``updated_at`` moved to now, so the next sweep (every ``SWEEP_SECONDS``)
leaves it alone for another stale age: one extra task per stale age at most, never one per sweep.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import EmployerGroup

S = EmployerGroup.Status


def stale_seconds() -> float:
    return float(getattr(settings, "GROUP_SWEEP_STALE_SECONDS", 180))


def groups_sweep() -> dict[str, int]:
    from . import tasks

    stale = timezone.now() - timedelta(seconds=stale_seconds())
    creating = EmployerGroup.objects.filter(status=S.CREATING, updated_at__lt=stale).filter(
        Q(create_claimed_at__isnull=True) | Q(create_claimed_at__lt=stale)
    )
    finalizing = EmployerGroup.objects.filter(status=S.FINALIZING, updated_at__lt=stale)
    sending = EmployerGroup.objects.filter(
        change_state=EmployerGroup.ChangeState.SENDING, updated_at__lt=stale
    ).filter(Q(change_claimed_at__isnull=True) | Q(change_claimed_at__lt=stale))
    counts = {"create": 0, "finalize": 0, "patch": 0}
    plan = (("create", creating, tasks.create_group), ("finalize", finalizing, tasks.finalize_group),
            ("patch", sending, tasks.patch_group))  # fmt: skip
    for name, rows, task in plan:
        for pk in list(rows.values_list("pk", flat=True)):
            EmployerGroup.objects.filter(pk=pk).update(updated_at=timezone.now())
            task.delay(pk)
            counts[name] += 1
    return counts


def group_operation_resume(operation) -> str:
    """``carrier.resume`` for ``create_group`` and ``finalize_group``: a group still in the step the
    operation is for has its claim released and its task queued (the same key is sent again); a group an
    admin must look at keeps its operation for the admin's retry (``waiting``); otherwise ``superseded``."""
    from carrier.outbox import outbox_enqueue

    from . import tasks

    group = EmployerGroup.objects.filter(pk=int(operation.subject.split(":")[1])).first()
    step, task = {
        "create_group": (S.CREATING, tasks.create_group),
        "finalize_group": (S.FINALIZING, tasks.finalize_group),
    }[operation.kind]
    if group is None:
        return "superseded"
    if group.status == S.NEEDS_ATTENTION:
        return "waiting"
    if group.status != step:
        return "superseded"
    EmployerGroup.objects.filter(pk=group.pk).update(create_claimed_at=None, updated_at=timezone.now())
    outbox_enqueue(task_name=task.name, args=[group.pk])
    return "queued"
