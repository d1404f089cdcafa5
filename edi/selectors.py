"""Reads of transmissions, always scoped to the groups the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse

from enrollment.models import EmployerGroup
from enrollment.selectors import group_list_visible_to
from members.models import Member

from . import follow_up, sources
from .models import IN_FLIGHT_STATUSES, Transmission, TransmissionMember

User = AbstractBaseUser | AnonymousUser
# What the enrollment-file pages show of a group: a staff user needs the files' permissions too.
FILE_PAGES = ("edi.transmission",)


def groups_visible_to(*, user: User, write: bool = False) -> QuerySet[EmployerGroup]:
    return group_list_visible_to(user=user, write=write, records=FILE_PAGES)


def transmissions_for_group(*, group: EmployerGroup) -> QuerySet[Transmission]:
    """The group's files, newest first, with their timelines prefetched."""
    return (
        Transmission.objects.filter(group=group)
        .defer("content")
        .prefetch_related("events")
        .order_by("-created_at", "-id")
    )


def transmission_visible_to(*, user: User, pk: int) -> Transmission:
    """The transmission if its group is visible to ``user`` (DoesNotExist otherwise: a 404)."""
    groups = groups_visible_to(user=user)
    return Transmission.objects.defer("content").select_related("group").get(pk=pk, group__in=groups)


def group_visible_to(*, user: User, pk: int, write: bool = False) -> EmployerGroup:
    """The group if ``user`` may see its files (``write``: and send them); DoesNotExist otherwise, or
    PermissionDenied when they may see them but not send."""
    try:
        return groups_visible_to(user=user, write=write).get(pk=pk)
    except EmployerGroup.DoesNotExist:
        if write and groups_visible_to(user=user).filter(pk=pk).exists():
            raise PermissionDenied("You may view this group's files but not send them.") from None
        raise


def member_enrollment_results(*, group: EmployerGroup) -> dict[str, TransmissionMember]:
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


def group_actions(*, group: EmployerGroup) -> dict[str, Any]:
    """Which broker actions the group page should offer now, and the rejected members a follow-up is
    for (``follow_up.follow_up_plan``: only those changed since their rejection can go)."""
    files = Transmission.objects.filter(group=group)
    in_flight = files.filter(status__in=IN_FLIGHT_STATUSES).exists()
    try:
        plan = follow_up.follow_up_plan(group=group)
    except sources.MembersUnavailable:
        plan = follow_up.follow_up_plan(group=group, bodies=[])
    return {
        "in_flight": in_flight,
        "send": not in_flight and plan.last is None and group.status == EmployerGroup.Status.FINALIZED,
        "follow_up": not in_flight and plan.can_follow_up,
        "follow_up_waits": not in_flight and plan.follow_up_due and not plan.can_follow_up,
        "rejected": plan.rejected if plan.follow_up_due else [],
        "resubmit": not in_flight and plan.can_resubmit,
    }


def member_family_urls(*, group: EmployerGroup, member_refs: Iterable[str]) -> dict[str, str]:
    """memberRef -> the broker's family page of that member (where it is corrected), for those found."""
    rows = Member.objects.filter(group=group, member_ref__in=list(member_refs), withdrawn_at__isnull=True)
    return {
        ref: reverse("members:family_edit", args=[group.pk, subscriber_id or pk])
        for ref, pk, subscriber_id in rows.values_list("member_ref", "pk", "subscriber_id")
    }
