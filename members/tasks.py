"""Celery tasks of the members app: each takes an id and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import services

logger = logging.getLogger(__name__)


def _max_retries() -> int:
    return int(getattr(settings, "MEMBERS_VALIDATE_MAX_RETRIES", 8))


def validate_countdown(retries: int, retry_after: float | None = None) -> int:
    """2, 4, 8, 16 … seconds, capped at 300; never sooner than the carrier's Retry-After."""
    countdown = min(2 ** (retries + 1), 300)
    if retry_after:
        countdown = max(countdown, int(retry_after + 0.999))
    return countdown


@shared_task(bind=True, name="members.tasks.validate_group_members", acks_late=True, max_retries=None)
def validate_group_members(self, group_id: int) -> dict:
    """Validate the group's waiting members; transient failures retry with backoff, then the members
    are left CARRIER_UNREACHABLE for an admin to validate again."""
    from carrier.errors import CarrierTransientError

    try:
        counts = services.group_validate_members(group_id=group_id)
    except CarrierTransientError as exc:
        retries = self.request.retries
        if retries >= _max_retries():
            count = services.group_mark_members_unreachable(group_id=group_id)
            logger.warning(
                "validate members of group %s: carrier unreachable, %s members left", group_id, count
            )
            return {"unreachable": count}
        countdown = validate_countdown(retries, exc.retry_after)
        logger.info("validate members of group %s: retry %s in %ss", group_id, retries + 1, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if counts.get("busy_seconds") and not self.request.is_eager:
        # Another worker holds the claim (perhaps one that died): look again once the claim expires.
        # A retry that finds the members done finds nothing to claim and ends.
        raise self.retry(countdown=counts["busy_seconds"] + 1)
    return counts


@shared_task(bind=True, name="members.tasks.withdraw_member", acks_late=True, max_retries=None)
def withdraw_member(self, member_id: int) -> str:
    from carrier.errors import CarrierTransientError

    try:
        return services.member_withdraw_with_carrier(member_id=member_id)
    except CarrierTransientError as exc:
        retries = self.request.retries
        if retries >= _max_retries():
            return "unreachable"
        raise self.retry(exc=exc, countdown=validate_countdown(retries, exc.retry_after)) from exc


@shared_task(name="members.tasks.sweep_validations")
def sweep_validations() -> int:
    """Beat: queue validation again where it was lost."""
    return services.members_sweep()
