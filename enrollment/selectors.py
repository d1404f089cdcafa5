"""Reads of employer groups, always scoped to what the user may see.

Pages that change something pass ``write=True`` (a user who may only view gets 403 there); pages that show
another app's records of the group pass their labels in ``records`` (``members.member``,
``edi.transmission``), so that a staff user reaches them only with those permissions too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from agencies.access import may_reach_every
from carrier.models import ApiCall

from .models import CensusMember, EmployerGroup
from .roster import roster
from .states import CARRIER_STATUS

User = AbstractBaseUser | AnonymousUser
GROUP_RECORD = "enrollment.employergroup"


def group_list_visible_to(
    *, user: User, write: bool = False, records: Sequence[str] = ()
) -> QuerySet[EmployerGroup]:
    """An agency principal sees the agency's groups; a broker their own; a user whose permissions grant
    it (view, or change with ``write``, of employer groups and of each of ``records``: what the page
    shows of the group) every group; anyone else none."""
    groups = EmployerGroup.objects.select_related("agency", "broker__user")
    if not user.is_authenticated:
        return groups.none()
    if may_reach_every(user, records=(GROUP_RECORD, *records), write=write):
        return groups
    broker = getattr(user, "broker", None)
    if broker is None:
        return groups.none()
    if broker.is_principal:
        return groups.filter(agency_id=broker.agency_id)
    return groups.filter(broker_id=broker.pk)


def group_get_visible(
    *, user: User, pk: int, write: bool = False, records: Sequence[str] = ()
) -> EmployerGroup:
    """One group the user may see (``write``: and change); Http404 otherwise (another agency's group looks
    absent), PermissionDenied when the user may see it but not change it."""
    try:
        return get_object_or_404(group_list_visible_to(user=user, write=write, records=records), pk=pk)
    except Http404:
        if write and group_list_visible_to(user=user, records=records).filter(pk=pk).exists():
            raise PermissionDenied("You may view this group but not change it.") from None
        raise


SORTS = {
    "employer": "legal_name",
    "-employer": "-legal_name",
    "effective": "requested_effective_date",
    "-effective": "-requested_effective_date",
    "status": "status",
    "-status": "-status",
    "updated": "updated_at",
    "-updated": "-updated_at",
}


@dataclass(frozen=True)
class BookFilters:
    q: str = ""
    status: str = ""
    effective_month: str = ""  # YYYY-MM
    broker_id: int | None = None
    sort: str = "-updated"
    differs: bool = False


def differs_from_carrier_q() -> Q:
    """Groups whose stored carrier status is not the one their local status implies."""
    agrees = Q(pk__in=[])
    for local, carrier in CARRIER_STATUS.items():
        agrees |= Q(status=local, carrier_status=carrier)
    return ~Q(carrier_status="") & ~agrees


def _expected_subscribers():
    return (
        CensusMember.objects.filter(group=OuterRef("pk"), relationship="SUBSCRIBER")
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )


def book_rows(*, ids: Sequence[int]) -> list[EmployerGroup]:
    """One page of the book, in ``ids`` order, with its progress and premium (one query, whatever the
    size of the book: the counts run for the page's rows only)."""
    rows = (
        EmployerGroup.objects.filter(pk__in=list(ids))
        .select_related("agency", "broker__user")
        .annotate(
            subscribers_expected=Coalesce(Subquery(_expected_subscribers(), output_field=IntegerField()), 0),
            members_validated=Coalesce(roster().validated_subscribers(), 0),
            monthly_premium=Coalesce("final_monthly_premium", "estimated_monthly_premium"),
        )
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def book_list(*, user: AbstractBaseUser | AnonymousUser, filters: BookFilters) -> QuerySet[EmployerGroup]:
    """The book of business: the visible groups that match ``filters``, in the chosen order. Page it,
    then call :func:`book_rows` with the page's ids for the figures of each row."""
    groups = group_list_visible_to(user=user)
    if filters.q:
        q = filters.q.strip()
        groups = groups.filter(
            Q(legal_name__icontains=q)
            | Q(dba_name__icontains=q)
            | Q(fein=q.replace("-", ""))
            | Q(humana_group_id=q)
        )
    if filters.status in EmployerGroup.Status.values:
        groups = groups.filter(status=filters.status)
    if filters.effective_month:
        try:
            year, month = (int(p) for p in filters.effective_month.split("-", 1))
            groups = groups.filter(requested_effective_date__year=year, requested_effective_date__month=month)
        except ValueError:
            pass
    if filters.broker_id:
        groups = groups.filter(broker_id=filters.broker_id)
    if filters.differs:
        groups = groups.filter(differs_from_carrier_q())
    order = SORTS.get(filters.sort, "-updated_at")
    return groups.order_by(order, "-id")


def group_api_calls(*, group: EmployerGroup) -> list:
    """The carrier calls made about this group (carrier.models.ApiCall rows with its subject)."""
    return list(ApiCall.objects.filter(subject=f"group:{group.pk}").order_by("id")[:200])


def group_census(*, group: EmployerGroup) -> list:
    return list(group.census.all())


@dataclass(frozen=True)
class GroupEdit:
    """One saved change of the group's data (its history): who, when, the fields' labels."""

    at: datetime
    who: str
    fields: list[str]


def group_edits(
    *, group: EmployerGroup, labels: Mapping[str, Any] | None = None, limit: int = 50
) -> list[GroupEdit]:
    """The group's changes, newest first, each with the fields it changed (``history``, issue 22 item 5).

    With ``labels`` (a page's: the step forms' translated labels) only those fields count, so the
    portal's own bookkeeping (attempts, claims, timestamps) never reads as a person's edit; ``who`` is
    empty for a change no person made."""
    records = list(
        group.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    names = labels if labels is not None else {f.name: f.verbose_name for f in EmployerGroup._meta.fields}
    edits = []
    for newer, older in zip(records, records[1:], strict=False):
        changed = [str(names[name]) for name in newer.diff_against(older).changed_fields if name in names]
        if changed:
            who = newer.history_user.get_username() if newer.history_user_id else ""
            edits.append(GroupEdit(newer.history_date, who, changed))
    return edits
