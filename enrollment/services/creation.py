"""Create group with the carrier: submit (DRAFT → CREATING), one claimed call per CREATING group, the
carrier's answer stored (OPEN_ENROLLMENT, back to DRAFT with its errors, or NEEDS_ATTENTION)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from carrier.errors import CarrierRuleError, CarrierTransientError
from carrier.operations import carrier_call, claim_kept
from carrier.outbox import outbox_enqueue
from carrier.services import operation_for

from ..models import EmployerGroup
from ..payload import group_build_create_payload
from ..states import TransitionNotAllowed, group_transition

S = EmployerGroup.Status
# A worker's claim on a group's create call; after this a crashed worker's claim may be taken over.


def claim_seconds() -> float:
    """How long a worker's claim on a create call holds: after it, a redelivered task may take over
    (the worker that held it is presumed dead; the stored idempotency key keeps the call single)."""
    return float(getattr(settings, "GROUP_CREATE_CLAIM_SECONDS", 60))


def _subject(group_id: int) -> str:
    return f"group:{group_id}"


# ---------------------------------------------------------------------------------------------- drafts


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        return None


def group_submit(*, group: EmployerGroup, by: User | None) -> EmployerGroup:
    """DRAFT → CREATING, open the create operation (its idempotency key) and queue the task on commit.

    Submitting twice (a double click, two tabs) moves the group once: the second call finds it no
    longer DRAFT and raises ``TransitionNotAllowed``.
    """
    from .. import tasks

    with transaction.atomic():
        operation = operation_for(kind="create_group", subject=_subject(group.pk))
        group = group_transition(
            group=group,
            to=S.CREATING,
            by=by,
            reason="Submitted to the carrier",
            frm=S.DRAFT,
            idempotency_key=operation.idempotency_key,
            create_attempts=0,
            carrier_errors=[],
            create_claimed_at=None,
        )
        group_id = group.pk
        outbox_enqueue(task_name=tasks.create_group.name, args=[group_id])
    return group


def group_retry_create(*, group: EmployerGroup, by: User | None) -> EmployerGroup:
    """NEEDS_ATTENTION → CREATING (admin action): the same open operation and key, queued again."""
    from .. import tasks

    with transaction.atomic():
        operation = operation_for(kind="create_group", subject=_subject(group.pk))
        group = group_transition(
            group=group,
            to=S.CREATING,
            by=by,
            reason="Creation retried",
            frm=S.NEEDS_ATTENTION,
            idempotency_key=operation.idempotency_key,
            create_attempts=0,
            create_claimed_at=None,
        )
        group_id = group.pk
        outbox_enqueue(task_name=tasks.create_group.name, args=[group_id])
    return group


def _claim(group_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=claim_seconds())
    return (
        EmployerGroup.objects.filter(pk=group_id, status=S.CREATING)
        .filter(Q(create_claimed_at__isnull=True) | Q(create_claimed_at__lt=stale))
        .update(create_claimed_at=now)
        == 1
    )


def _release(group_id: int, **fields: Any) -> None:
    EmployerGroup.objects.filter(pk=group_id).update(create_claimed_at=None, **fields)


def group_create_with_carrier(*, group_id: int) -> str:
    """Call the carrier's create group for a CREATING group, once. Returns what happened:

    ``created``, ``refused`` (422: back to DRAFT with the carrier's errors on the fields), ``failed``
    (another permanent error: NEEDS_ATTENTION), ``busy`` (CREATING, claimed by another worker),
    ``skipped`` (not CREATING any more).
    ``CarrierTransientError`` propagates (the task retries later with the same idempotency key).
    """
    if not _claim(group_id):
        # Still CREATING under another claim: a worker is on it, or died on it (its task is redelivered
        # here); "busy" makes the task come back once the claim has expired.
        creating = EmployerGroup.objects.filter(pk=group_id, status=S.CREATING).exists()
        return "busy" if creating else "skipped"
    EmployerGroup.objects.filter(pk=group_id).update(create_attempts=F("create_attempts") + 1)
    group = EmployerGroup.objects.get(pk=group_id)
    subject = _subject(group_id)
    operation = operation_for(kind="create_group", subject=subject)
    if group.idempotency_key != operation.idempotency_key:
        EmployerGroup.objects.filter(pk=group_id).update(idempotency_key=operation.idempotency_key)
    payload = group_build_create_payload(group=group)

    def unavailable(exc: CarrierTransientError) -> None:
        _release(group_id, status_reason=f"The carrier is unavailable ({exc.code}); retrying.")

    def refused(exc: Exception) -> str:
        if isinstance(exc, CarrierRuleError):
            group_transition(
                group=group, to=S.DRAFT, by=None, reason=f"The carrier refused the group: {exc.codes_text()}",
                frm=S.CREATING, carrier_errors=exc.error_dicts(), create_claimed_at=None,
            )  # fmt: skip
            return "refused"
        group_transition(
            group=group, to=S.NEEDS_ATTENTION, by=None, reason=f"The carrier refused the call: {exc}",
            frm=S.CREATING, create_claimed_at=None,
        )  # fmt: skip
        return "failed"

    key = operation.idempotency_key

    def renew() -> None:
        EmployerGroup.objects.filter(pk=group_id, status=S.CREATING, create_claimed_at__isnull=False).update(
            create_claimed_at=timezone.now()
        )

    with claim_kept(renew, every=claim_seconds() / 3):  # the claim a lease: a killed worker's lapses
        return carrier_call(
            lambda client: client.create_group(payload, idempotency_key=key, subject=subject),
            operation=operation,
            unavailable=unavailable,
            refused=refused,
            succeeded=lambda created: _created(group, created),
        )


def _created(group: EmployerGroup, created: Any) -> str:
    rates = [
        {
            "planId": r.plan_id,
            "line": str(getattr(r.line, "value", r.line)),
            "estimatedMonthlyPremium": str(r.estimated_monthly_premium),
        }
        for r in created.estimated_rates
    ]
    # One plan per line will be chosen by each employee: the estimate is the lowest plan of each line.
    lowest: dict[str, Decimal] = {}
    for r in rates:
        amount = _money(r["estimatedMonthlyPremium"]) or Decimal(0)
        lowest[r["line"]] = min(lowest.get(r["line"], amount), amount)
    total = sum(lowest.values(), Decimal(0))
    group_transition(
        group=group,
        to=S.OPEN_ENROLLMENT,
        by=None,
        reason=f"Created by the carrier as group {created.group_id}",
        frm=S.CREATING,
        humana_group_id=created.group_id,
        rating_area_id=created.rating_area_id or "",
        estimated_rates=rates,
        estimated_monthly_premium=total if rates else None,
        carrier_created_at=created.created_at,
        carrier_status=str(getattr(created.status, "value", created.status)),
        carrier_updated_at=created.created_at,
        carrier_errors=[],
        create_claimed_at=None,
    )
    return "created"


def group_mark_needs_attention(*, group_id: int, reason: str) -> bool:
    """A CREATING group whose retries ran out: NEEDS_ATTENTION with the reason (never lost)."""
    group = EmployerGroup.objects.get(pk=group_id)
    try:
        group_transition(
            group=group, to=S.NEEDS_ATTENTION, by=None, reason=reason, frm=S.CREATING, create_claimed_at=None
        )
    except TransitionNotAllowed:
        return False
    return True
