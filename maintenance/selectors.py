"""Reads of changes after enrollment, through the groups a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from carrier.rules import carrier_today
from enrollment.changes import group_history_changes
from enrollment.selectors import group_list_visible_to
from members.models import Member

from .models import ChangeFile, ChangeRequest, RosterCheck


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


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a member's or a group's history after enrollment: when, who, what, which file. A change
    of the group's own data has no ``member_ref`` and lists ``changes``: (field, old, new) in words."""

    at: datetime
    who: str
    member_ref: str
    what: str
    state: str
    reason: str
    file_reference: str
    changes: tuple[tuple[str, str, str], ...] = ()


def _who(user, employee: bool) -> str:
    if user is not None:
        return user.get_full_name() or user.get_username()
    return str(_("the employee")) if employee else str(_("the portal"))


def enrolled_since(*, group) -> datetime | None:
    """When the group first became ENROLLED (its lifecycle's transition), if recorded."""
    move = group.transitions.filter(to_status="ENROLLED").order_by("at").first()
    return move.at if move is not None else None


def group_changes(*, group) -> list[TimelineEntry]:
    """The group's own data changed after enrollment (its ``history``): who, when, each field old → new,
    and, for what an 834's header carries (legal name, FEIN, writing agent), the first change file sent
    after it, which told the carrier."""
    files = list(ChangeFile.objects.filter(group=group).exclude(file_id="").order_by("created_at"))
    out = []
    for change in group_history_changes(group=group, since=enrolled_since(group=group)):
        carried = (
            next((f for f in files if f.created_at >= change.at), None) if change.in_file_header else None
        )
        out.append(
            TimelineEntry(change.at, change.who or str(_("the portal")), "", str(_("The group's details")),
                          str(_("Changed")), change.reason, carried.reference if carried else "",
                          tuple(change.lines))
        )  # fmt: skip
    return out


def timeline(*, group, member_ref: str | None = None) -> list[TimelineEntry]:
    """Every change request of the group (or of one member) after enrollment, each move of each: who
    made it, when, what changed and the change file that carried it; for the whole group, its own data's
    changes too (``group_changes``), on the same timeline; newest first."""
    requests = group.change_requests.select_related("created_by").prefetch_related("history__by")
    if member_ref is not None:
        requests = requests.filter(member_ref=member_ref)
    out = []
    for request in requests:
        what = f"{request.event_words} ({request.action_words}) · {request.event_date.isoformat()}"
        out.append(
            TimelineEntry(request.created_at, _who(request.created_by, request.reported_by_employee),
                          request.member_ref, what, str(_("Saved")), "", "")
        )  # fmt: skip
        for move in request.history.all():
            out.append(
                TimelineEntry(move.at, _who(move.by, False), request.member_ref, what,
                              move.get_to_state_display(), move.reason, move.file_reference)
            )  # fmt: skip
    if member_ref is None:
        out += group_changes(group=group)
    return sorted(out, key=lambda e: e.at, reverse=True)


@dataclass(frozen=True)
class PersonRow:
    member: Member
    start: date | None
    end: date | None
    end_reason: str
    current: bool  # no end date
    past: bool  # the end date has passed (else coverage ends on it)

    @property
    def end_words(self) -> str:
        from groupsales.change_events import EventType

        from .models import EVENT_WORDS

        known = {e.value: e for e in EventType}
        return str(EVENT_WORDS[known[self.end_reason]]) if self.end_reason in known else ""


def people(*, group) -> list[PersonRow]:
    """The group's members with their coverage after enrollment: current, or ended with the date and why
    (the portal's rows as the APPLIED changes left them; the group's effective date for the first ones)."""
    rows = Member.objects.filter(group=group, withdrawn_at__isnull=True).select_related("coverage_span")
    today = carrier_today()
    out = []
    for member in rows.order_by("member_ref"):
        span = getattr(member, "coverage_span", None)
        start = span.start if span and span.start else group.requested_effective_date
        end = span.end if span else None
        reason = span.end_reason if span else ""
        out.append(PersonRow(member, start, end, reason, end is None, end is not None and end < today))
    return out
