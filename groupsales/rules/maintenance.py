"""Maintenance after enrollment (1.1): MNT-001..MNT-011 at member validation (phase ``V``).

A member validation with an ``event`` runs the member rules (MBR, on the change's effective date; a
``TERMINATE`` body only the identity ones) and these, over a :class:`ChangeCheck`: the member rules'
subject plus the event, the request date, the carrier's roster and the family's pending changes. Each
rule yields nothing for a validation without an ``event`` (``check_member`` runs them too, on a plain
``MemberCheck``). :func:`check_change` returns every violation at once and the computed dates.

Decisions where the carrier's documents are silent:

* ``NEW_HIRE``'s ``event.date`` must equal ``employment.hireDate`` (the table's "= employment.hireDate"),
  reported as MNT-002 at ``/event/date``; for a dependent the subscriber's hire date is not checked.
* ``RENEWAL_OPEN_ENROLLMENT`` is REN-007's (``renewal_enrollment.py``): MNT-002's dates, MNT-003,
  MNT-006, MNT-008 and MNT-011 leave it to that rule.
* MNT-007 at ``V``: a termination's coverage end (the month end of ``event.date``) is not before the
  member's coverage start.
* MNT-011: while the group's renewal is not known to be ``ACCEPTED`` (the caller says), a change effective
  on or after the renewal date is refused, not held.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any, TypeGuard

from ..change_events import (
    CHANGE_EVENTS,
    MID_YEAR_EVENTS,
    ChangeAction,
    ChangeDates,
    EventType,
    change_dates,
    twenty_sixth_birthday,
)
from . import (
    catalog,  # noqa: F401  (fills RULES before the rules register)
    maintenance_catalog,  # noqa: F401
)
from ._base import Finding, Violation, rule, run
from .context import RuleContext
from .member import MemberCheck
from .views import GroupView, MemberView

__all__ = ["ChangeCheck", "RosterFacts", "check_change", "IDENTITY_RULES"]

#: api.md: a TERMINATE body is checked for identity only.
IDENTITY_RULES = ("MBR-001", "MBR-002", "MBR-003", "MBR-004", "MBR-014")
MNT_V = tuple(f"MNT-{n:03d}" for n in range(1, 12))
_ADDING_EVENTS = frozenset(
    {EventType.BIRTH, EventType.ADOPTION, EventType.MARRIAGE, EventType.LOSS_OF_COVERAGE}
)
_MEMBER_DATA = frozenset(
    "firstName middleName lastName suffix ssn dateOfBirth gender maritalStatus address phone email "
    "tobaccoUse employment disabled isOwner isOwnerSpouse".split()
)


@dataclass(frozen=True)
class RosterFacts:
    """A member as the carrier's roster holds it (the sandbox's; the portal's local members)."""

    member_ref: str
    subscriber_ref: str
    relationship: str
    coverage_start: date
    coverage_end: date | None = None
    end_reason: str | None = None
    lines: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # line -> (planId, tier)
    body: Mapping[str, Any] = field(default_factory=dict)  # the member data as enrolled
    continuation: bool = False
    ended_by_file: bool = False

    def covered_on(self, day: date) -> bool:
        return self.coverage_start <= day and (self.coverage_end is None or day <= self.coverage_end)


@dataclass(frozen=True)
class PendingChange:
    """Another member's change not yet applied (its event and computed effective date)."""

    member_ref: str
    subscriber_ref: str
    type: str
    action: str
    event_date: date
    effective_date: date


@dataclass
class ChangeCheck(MemberCheck):
    """A member validation with an ``event``, and what the carrier knows to judge it."""

    group_status: str = "ENROLLED"
    request_date: date | None = None
    roster: Mapping[str, RosterFacts] = field(default_factory=dict)
    pending: Sequence[PendingChange] = ()
    renewal_date: date | None = None
    renewal_accepted: bool = False
    renewal_offerings: Sequence[Mapping[str, Any]] | None = None  # REN-007: the accepted renewal's

    @cached_property
    def event(self) -> Any:
        return self.root["event"]

    @cached_property
    def event_type(self) -> EventType | None:
        value = self.event["type"].code(EventType)
        return EventType(value) if value else None

    @cached_property
    def action(self) -> ChangeAction | None:
        value = self.event["action"].code(ChangeAction)
        return ChangeAction(value) if value else None

    @cached_property
    def event_date(self) -> date | None:
        return self.event["date"].date()

    @cached_property
    def on_roster(self) -> RosterFacts | None:
        return self.roster.get(self.member.member_ref or "")

    @cached_property
    def dates(self) -> ChangeDates | None:
        event_type, action, event_date, request_date = (
            self.event_type,
            self.action,
            self.event_date,
            self.request_date,
        )
        if event_type is None or action is None or event_date is None or request_date is None:
            return None
        group_effective = self.group.root["requestedEffectiveDate"].date()
        if group_effective is None:
            return None
        waiting = self.group.root["eligibility"]["waitingPeriod"].text() or ""
        return change_dates(
            event_type,
            action,
            event_date=event_date,
            request_date=request_date,
            group_effective=group_effective,
            waiting_days=self.group.settings.waiting_period_days.get(waiting, 1),
            lag_days=self.group.settings.change_file_lag_days,
            renewal_date=self.renewal_date,
            drops_line=self._drops_line,
        )

    @cached_property
    def effective_date(self) -> date | None:  # the member rules read ages and hire dates on it
        dates = self.dates
        return dates.effective_date if dates else None

    @cached_property
    def _drops_line(self) -> bool:
        return bool(self.on_roster and set(self.on_roster.lines) - set(self._lines_after))

    @cached_property
    def _lines_after(self) -> dict[str, tuple[str | None, str | None]]:
        member = self.member
        if member.is_subscriber:
            return {line: (c.plan_id, c.tier) for line, c in member.elections().items()}
        return {line: (None, None) for line in member.covered_lines()}


def _is_change(check: MemberCheck) -> TypeGuard[ChangeCheck]:
    return isinstance(check, ChangeCheck) and not check.event.is_null


def _mid_year(check: MemberCheck) -> TypeGuard[ChangeCheck]:
    """A change with a mid-year event (a renewal election is REN-007's: renewal_enrollment.py)."""
    return _is_change(check) and check.event_type != EventType.RENEWAL_OPEN_ENROLLMENT


# ---- MNT-001


@rule("MNT-001", when="V")
def _group_enrolled(check: MemberCheck) -> Iterator[Finding]:
    if _is_change(check) and check.group_status != "ENROLLED":
        yield Finding("", f"The group is {check.group_status}; changes are taken only while ENROLLED.")


# ---- MNT-002


@rule("MNT-002", when="V")
def _event_pair(check: MemberCheck) -> Iterator[Finding]:
    if not _is_change(check) or check.event_type is None or check.action is None:
        return
    event = check.event
    if check.event_type not in MID_YEAR_EVENTS:
        return  # renewal open enrollment: REN-007 (renewal_enrollment.py)
    spec = CHANGE_EVENTS[check.event_type]
    allowed = spec.actions.get(check.action)
    relationship = check.member.relationship
    if allowed is None or relationship not in {r.value for r in allowed}:
        yield Finding(
            event["action"].pointer,
            f"{check.event_type.value} does not allow {check.action.value} for a {relationship or 'member'}.",
        )
    yield from _event_date(check, spec)


def _event_date(check: ChangeCheck, spec: Any) -> Iterator[Finding]:
    when, today = check.event_date, check.request_date
    pointer = check.event["date"].pointer
    if when is None or today is None:
        return
    ahead = spec.ahead_days
    if check.event_type == EventType.LOSS_OF_COVERAGE:
        ahead = check.group.settings.loss_of_coverage_ahead_days
    if ahead is None and when > today:
        yield Finding(pointer, "The event date cannot be after today.")
    elif ahead is not None and ahead >= 0 and when > today + timedelta(days=ahead):
        yield Finding(pointer, f"The event date may be at most {ahead} days ahead.")
    if spec.not_before_request and when < today:
        yield Finding(pointer, "A voluntary termination's date cannot be before today.")
    if check.event_type in (EventType.NEW_HIRE, EventType.NEWLY_ELIGIBLE) and check.member.is_subscriber:
        hired = check.root["employment"]["hireDate"].date()
        if check.event_type == EventType.NEW_HIRE and hired is not None and hired != when:
            yield Finding(pointer, "A new hire's event date is the hire date.")
    if check.event_type == EventType.AGE_OUT and check.member.date_of_birth is not None:
        limit = check.group.settings.child_age_limit
        if when != twenty_sixth_birthday(check.member.date_of_birth, age_limit=limit):
            yield Finding(pointer, f"An age-out's date is the child's {limit}th birthday.")
    if check.event_type == EventType.REINSTATEMENT and check.action == ChangeAction.REINSTATE:
        ended = check.on_roster.coverage_end if check.on_roster else None
        if ended is not None and when != ended:
            yield Finding(pointer, f"A reinstatement's date is the coverage end it undoes ({ended}).")


# ---- MNT-003


@rule("MNT-003", when="V")
def _fits_roster(check: MemberCheck) -> Iterator[Finding]:
    if not _mid_year(check) or check.action is None or check.dates is None:
        return
    on, held = check.dates.effective_date, check.on_roster
    pointer = check.event["action"].pointer
    if check.action == ChangeAction.ADD:
        if held is not None and held.covered_on(on):
            yield Finding(pointer, "The member is already covered on the effective date.")
        elif held is not None and (held.relationship, held.subscriber_ref) != (
            check.member.relationship,
            check.member.subscriber_ref,
        ):
            yield Finding(
                pointer, "A returning member is re-added with its earlier relationship and employee."
            )
        if check.member.is_dependent and not _subscriber_covered(check, on):
            yield Finding(check.root["subscriberRef"].pointer, "The employee is not covered on that date.")
    elif check.action in (ChangeAction.CHANGE, ChangeAction.TERMINATE):
        last = on - timedelta(days=1) if check.action == ChangeAction.TERMINATE else on
        if held is None or not (held.covered_on(last) or held.covered_on(check.request_date or last)):
            yield Finding(pointer, "The member is not covered: it cannot be changed or ended.")
        elif held.continuation:
            yield Finding(pointer, "The member is on continuation coverage, outside this API.")
    elif check.action == ChangeAction.REINSTATE and (held is None or held.coverage_end is None):
        yield Finding(pointer, "Only a member whose coverage has ended can be reinstated.")


def _subscriber_covered(check: ChangeCheck, on: date) -> bool:
    ref = check.member.subscriber_ref or ""
    held = check.roster.get(ref)
    if held is not None and held.covered_on(on):
        return True
    return any(
        p.member_ref == ref
        and p.action == ChangeAction.ADD
        and p.type == check.event_type
        and p.event_date == check.event_date
        for p in check.pending
    )


# ---- MNT-004


@rule("MNT-004", when="V")
def _new_hire_window(check: MemberCheck) -> Iterator[Finding]:
    if not _is_change(check) or check.event_type not in (EventType.NEW_HIRE, EventType.NEWLY_ELIGIBLE):
        return
    if check.dates is None or check.event_date is None or check.request_date is None:
        return
    last = check.dates.effective_date + timedelta(days=check.group.settings.new_hire_request_days)
    if not check.event_date <= check.request_date <= last:
        yield Finding(
            check.event["date"].pointer,
            f"A new hire is reported from the event date to {last} (coverage starts "
            f"{check.dates.effective_date}).",
        )


# ---- MNT-005


@rule("MNT-005", when="V")
def _special_enrollment(check: MemberCheck) -> Iterator[Finding]:
    if not _is_change(check) or check.event_type is None or check.event_date is None:
        return
    spec = CHANGE_EVENTS[check.event_type]
    if spec.window is None or check.request_date is None:
        return
    days = getattr(check.group.settings, spec.window)
    if (check.request_date - check.event_date).days > days:
        yield Finding(
            check.event["date"].pointer, f"This change is reported at most {days} days after the event."
        )
    if (
        check.event_type == EventType.BIRTH
        and check.action == ChangeAction.ADD
        and check.member.is_dependent
        and check.member.date_of_birth != check.event_date
    ):
        yield Finding(check.root["dateOfBirth"].pointer, "A newborn's date of birth is the event date.")


# ---- MNT-006


@rule("MNT-006", when="V")
def _retro_and_future(check: MemberCheck) -> Iterator[Finding]:
    if not _mid_year(check) or check.dates is None or check.request_date is None:
        return
    settings = check.group.settings
    earliest = check.request_date - timedelta(days=settings.change_retro_days)
    latest = check.request_date + timedelta(days=settings.change_future_days)
    if not earliest <= check.dates.effective_date <= latest:
        yield Finding(
            check.event["date"].pointer,
            f"The change would take effect on {check.dates.effective_date}; it must be from {earliest} to "
            f"{latest}.",
        )


# ---- MNT-007


@rule("MNT-007", when="V")
def _termination_end(check: MemberCheck) -> Iterator[Finding]:
    if not _is_change(check) or check.action != ChangeAction.TERMINATE or check.dates is None:
        return
    held, end = check.on_roster, check.dates.coverage_end
    if held is not None and end is not None and end < held.coverage_start:
        yield Finding(check.event["date"].pointer, f"Coverage would end ({end}) before it started.")


# ---- MNT-008


@rule("MNT-008", when="V")
def _lines_in_year(check: MemberCheck) -> Iterator[Finding]:
    if not _mid_year(check) or check.action != ChangeAction.CHANGE or check.on_roster is None:
        return
    before, after = check.on_roster.lines, check._lines_after
    coverage = check.root["coverage"].pointer
    for line, (plan, _tier) in after.items():
        if line not in before:
            if check.event_type not in _ADDING_EVENTS:
                yield Finding(coverage, f"A {line.lower()} line is added only after a birth, adoption, "
                                        "marriage or loss of other coverage.")  # fmt: skip
        elif plan is not None and plan != before[line][0]:
            yield Finding(coverage, f"The {line.lower()} plan changes only at renewal.")
    if set(before) - set(after) and check.event_type != EventType.VOLUNTARY:
        yield Finding(coverage, "A line is given up only with a VOLUNTARY change.")


# ---- MNT-009


@rule("MNT-009", when="V")
def _demographic_only(check: MemberCheck) -> Iterator[Finding]:
    if not _is_change(check) or check.event_type != EventType.DEMOGRAPHIC or check.on_roster is None:
        return
    held = check.on_roster
    root = check.root
    if (root["relationship"].text(), root["subscriberRef"].text()) != (
        held.relationship,
        held.subscriber_ref,
    ):
        yield Finding(
            root["relationship"].pointer, "A demographic change keeps the relationship and employee."
        )
    hired = (held.body.get("employment") or {}).get("hireDate")
    now = root["employment"]["hireDate"].text()
    if check.member.is_subscriber and hired and now and hired != now:
        yield Finding(root["employment"]["hireDate"].pointer, "A demographic change keeps the hire date.")
    if {k: (p, t) for k, (p, t) in check._lines_after.items()} != {
        k: ((p, t) if check.member.is_subscriber else (None, None)) for k, (p, t) in held.lines.items()
    }:
        yield Finding(root["coverage"].pointer, "A demographic change keeps the coverage as it is.")


# ---- MNT-010


@rule("MNT-010", when="V")
def _reinstatement(check: MemberCheck) -> Iterator[Finding]:
    if not _is_change(check) or check.action != ChangeAction.REINSTATE:
        return
    held = check.on_roster
    if held is None or held.coverage_end is None:
        return  # MNT-003
    pointer = check.event["action"].pointer
    disabled_now = check.root["disabled"].boolean() is True
    if not (held.ended_by_file or (held.end_reason == EventType.AGE_OUT and disabled_now)):
        yield Finding(
            pointer, "Only coverage ended by a change file (or a disabled child's age-out) comes back."
        )
    last_renewal = _previous_renewal(check)
    if last_renewal is not None and held.coverage_end < last_renewal:
        yield Finding(pointer, "A renewal date has passed since the coverage ended.")
    if check.member.is_subscriber:
        after = {k: (p, t) for k, (p, t) in check._lines_after.items()}
        if after != dict(held.lines):
            yield Finding(
                check.root["coverage"].pointer, "State the plans and tiers of the last covered day."
            )


def _previous_renewal(check: ChangeCheck) -> date | None:
    start = check.group.root["requestedEffectiveDate"].date()
    if check.renewal_date is None or start is None:
        return None
    previous = check.renewal_date.replace(year=check.renewal_date.year - 1)
    return previous if previous > start else None


# ---- MNT-011


@rule("MNT-011", when="V")
def _renewal_interplay(check: MemberCheck) -> Iterator[Finding]:
    if not _mid_year(check) or check.dates is None or check.renewal_date is None:
        return
    if check.action == ChangeAction.TERMINATE or check.renewal_accepted:
        return
    if check.dates.effective_date >= check.renewal_date:
        yield Finding(
            check.event["date"].pointer,
            f"The change takes effect on or after the renewal date {check.renewal_date}: it waits for the "
            "renewal to be accepted.",
        )


def check_change(
    body: dict[str, Any],
    *,
    group: dict[str, Any],
    ctx: RuleContext,
    request_date: date,
    group_status: str,
    roster: Mapping[str, RosterFacts],
    pending: Sequence[PendingChange] = (),
    subscriber: dict[str, Any] | None = None,
    other_dependents: Sequence[dict[str, Any]] = (),
    ssn_members: Mapping[str, str] = {},  # noqa: B006 - read only
    renewal_date: date | None = None,
    renewal_accepted: bool = False,
    renewal_offerings: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[list[Violation], ChangeDates | None]:
    """Every MBR rule on the change's effective date (a TERMINATE body: identity only) and every MNT rule
    of phase V; with the computed dates (None when the event cannot be read). Never raises."""
    check = ChangeCheck(
        member=MemberView.of(body),
        group=GroupView(group, ctx),
        ctx=ctx,
        subscriber=MemberView.of(subscriber) if isinstance(subscriber, dict) else None,
        other_dependents=[MemberView.of(o) for o in other_dependents if isinstance(o, dict)],
        ssn_members=ssn_members,
        group_status=group_status,
        request_date=request_date,
        roster=roster,
        pending=pending,
        renewal_date=renewal_date,
        renewal_accepted=renewal_accepted,
        renewal_offerings=renewal_offerings,
    )
    dates = check.dates
    only = None
    if check.action == ChangeAction.TERMINATE:
        only = (*IDENTITY_RULES, *MNT_V, "REN-007")
    violations = run("V", check, only=only)
    if check.action == ChangeAction.TERMINATE:
        violations = [v for v in violations if v.code != "MBR-003" or "future" in v.message.lower()]
    return violations, dates


def with_dates(dates: ChangeDates, **changes: Any) -> ChangeDates:
    return replace(dates, **changes)


from . import renewal_enrollment  # noqa: E402, F401  (REN-007 over ChangeCheck)
