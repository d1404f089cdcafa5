"""Celery tasks of the members app: each takes an id and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task

from carrier.errors import CarrierTransientError
from carrier.operations import retry_policy

from . import services

logger = logging.getLogger(__name__)


def validate_countdown(retries: int, retry_after: float | None = None) -> float:
    """The members' retry policy (``carrier.operations.retry_policy("members")``): 2, 4, 8, 16 … seconds,
    capped at 300; never sooner than the carrier's Retry-After."""
    return retry_policy("members").countdown(retries, retry_after)


@shared_task(bind=True, name="members.tasks.validate_group_members", acks_late=True, max_retries=None)
def validate_group_members(self, group_id: int) -> dict:
    """Validate the group's waiting members; transient failures retry with backoff, then the members
    are left CARRIER_UNREACHABLE for an admin to validate again."""

    def gave_up(attempts: int, exc: CarrierTransientError) -> dict:
        count = services.group_mark_members_unreachable(group_id=group_id)
        logger.warning("validate members of group %s: carrier unreachable, %s members left", group_id, count)
        return {"unreachable": count}

    try:
        counts = services.group_validate_members(group_id=group_id)
    except CarrierTransientError as exc:
        return retry_policy("members").retry(self, exc, gave_up=gave_up)
    if counts.get("busy_seconds") and not self.request.is_eager:
        # Another worker holds the claim (perhaps one that died): look again once the claim expires.
        # A retry that finds the members done finds nothing to claim and ends.
        raise self.retry(countdown=counts["busy_seconds"] + 1)
    return counts


@shared_task(bind=True, name="members.tasks.withdraw_member", acks_late=True, max_retries=None)
def withdraw_member(self, member_id: int) -> str:
    try:
        return services.member_withdraw_with_carrier(member_id=member_id)
    except CarrierTransientError as exc:
        return retry_policy("members").retry(self, exc, gave_up=lambda attempts, exc: "unreachable")


@shared_task(name="members.tasks.sweep_validations")
def sweep_validations() -> int:
    """Beat: queue validation again where it was lost."""
    return services.members_sweep()


@shared_task(name="members.tasks.send_reminders")
def send_reminders() -> int:
    """Beat: the reminders due today to employees invited but not signed (once per offset)."""
    from carrier.rules import carrier_today

    from .reminders import reminders_send_due

    return reminders_send_due(today=carrier_today())


@shared_task(name="members.tasks.send_broker_digests")
def send_broker_digests() -> int:
    """Beat: each open group's daily digest to its broker (once a day)."""
    from carrier.rules import carrier_today

    from .reminders import broker_digests_send

    return broker_digests_send(today=carrier_today())
