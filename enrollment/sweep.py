"""Re-queue carrier work whose task was lost (a Redis restart, a killed worker before acks_late could help).

A group stuck in CREATING or FINALIZING (or with its changes SENDING) longer than
``GROUP_SWEEP_STALE_SECONDS`` (longer than the longest retry countdown) gets its task queued again. That
is safe by construction: the create call and the patch are claimed with a conditional update, both POSTs
reuse the operation's stored idempotency key (a merge patch sent twice changes what it changed once), and
the transitions are conditional, so a second task does nothing the first already did.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import EmployerGroup

S = EmployerGroup.Status


def stale_seconds() -> float:
    return float(getattr(settings, "GROUP_SWEEP_STALE_SECONDS", 15 * 60))


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
    for pk in creating.values_list("pk", flat=True):
        tasks.create_group.delay(pk)
        counts["create"] += 1
    for pk in finalizing.values_list("pk", flat=True):
        tasks.finalize_group.delay(pk)
        counts["finalize"] += 1
    for pk in sending.values_list("pk", flat=True):
        tasks.patch_group.delay(pk)
        counts["patch"] += 1
    return counts
