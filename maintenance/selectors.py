"""Reads of changes after enrollment, through the groups a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from enrollment.selectors import group_list_visible_to
from members.models import Member

from .models import ChangeRequest, RosterCheck


def change_list(*, group) -> QuerySet[ChangeRequest]:
    return group.change_requests.select_related("change_file").prefetch_related("history")


def subscriber_choices(*, group) -> list[tuple[str, str]]:
    """The group's enrolled employees (a carrier member ID), for the forms' pickers."""
    rows = Member.objects.filter(group=group, relationship="SUBSCRIBER", withdrawn_at__isnull=True)
    return [
        (m.member_ref, f"{m.first_name} {m.last_name} ({m.member_ref})") for m in rows.order_by("member_ref")
    ]


def book_differences(*, user) -> dict[str, int]:
    """Across the user's book: how many groups were read from the carrier and how many differ."""
    groups = group_list_visible_to(user=user).filter(status="ENROLLED")
    checks = RosterCheck.objects.filter(group__in=groups)
    return {"checked": checks.count(), "differ": sum(1 for c in checks if c.differences)}
