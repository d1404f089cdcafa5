"""Reads of transmissions, always scoped to the groups the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from . import sources
from .models import Transmission, TransmissionMember


def transmissions_for_group(*, group: Any) -> QuerySet[Transmission]:
    """The group's files, newest first, with their timelines prefetched."""
    return (
        Transmission.objects.filter(group=group)
        .defer("content")
        .prefetch_related("events")
        .order_by("-created_at", "-id")
    )


def transmission_visible_to(*, user: Any, pk: int) -> Transmission:
    """The transmission if its group is visible to ``user`` (DoesNotExist otherwise: a 404)."""
    groups = sources.groups_visible_to(user=user)
    return Transmission.objects.defer("content").select_related("group").get(pk=pk, group__in=groups)


def group_visible_to(*, user: Any, pk: int, write: bool = False) -> Any:
    """The group if ``user`` may see its files (``write``: and send them); DoesNotExist otherwise, or
    PermissionDenied when they may see them but not send."""
    from django.core.exceptions import PermissionDenied

    try:
        return sources.groups_visible_to(user=user, write=write).get(pk=pk)
    except sources.group_model().DoesNotExist:
        if write and sources.groups_visible_to(user=user).filter(pk=pk).exists():
            raise PermissionDenied("You may view this group's files but not send them.") from None
        raise


def member_enrollment_results(*, group: Any) -> dict[str, TransmissionMember]:
    """memberRef -> the latest result of that member in any of the group's files.

    A member accepted once stays accepted (the carrier reports it ACCEPTED again with the same ID), so an
    ACCEPTED result is kept over a later NOT_SENT one of a file still in flight.
    """
    results: dict[str, TransmissionMember] = {}
    rows = (
        TransmissionMember.objects.filter(transmission__group=group)
        .exclude(
            transmission__status__in=[Transmission.Status.PRECHECK_FAILED, Transmission.Status.UPLOAD_FAILED]
        )
        .select_related("transmission")
        .order_by("transmission__created_at", "transmission_id", "position")
    )
    for row in rows:
        earlier = results.get(row.member_ref)
        if earlier is not None and earlier.status == TransmissionMember.Status.ACCEPTED:
            continue
        results[row.member_ref] = row
    return results


def group_actions(*, group: Any) -> dict[str, Any]:
    """Which broker actions the group page should offer now, and the rejected members a follow-up is
    for (``follow_up.follow_up_plan``: only those changed since their rejection can go)."""
    from . import follow_up
    from .models import IN_FLIGHT_STATUSES

    files = Transmission.objects.filter(group=group)
    in_flight = files.filter(status__in=IN_FLIGHT_STATUSES).exists()
    try:
        plan = follow_up.follow_up_plan(group=group)
    except sources.MembersUnavailable:
        plan = follow_up.follow_up_plan(group=group, bodies=[])
    status = getattr(group, "status", "")
    return {
        "in_flight": in_flight,
        "send": not in_flight and plan.last is None and status == sources.GroupStatus.FINALIZED,
        "follow_up": not in_flight and plan.can_follow_up,
        "follow_up_waits": not in_flight and plan.follow_up_due and not plan.can_follow_up,
        "rejected": plan.rejected if plan.follow_up_due else [],
        "resubmit": not in_flight and plan.can_resubmit,
    }
