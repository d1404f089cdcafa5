"""business-rules.md, *Change events* (1.1): the table as data, once, and the dates it gives a change.

Every reader of a change reads it here: the contract's code lists (``groupsales.contract.maintenance``),
the MNT rules (``groupsales.rules.maintenance``), the sandbox's computed ``change`` block and the change
834 writer (``groupsales.x12.changes``). The numbers (waiting periods, windows) are in ``RuleSettings``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from groupsales.codes import CHILD_RELATIONSHIPS, SPOUSE_RELATIONSHIPS, Relationship


class ChangeAction(StrEnum):
    ADD = "ADD"
    CHANGE = "CHANGE"
    TERMINATE = "TERMINATE"
    REINSTATE = "REINSTATE"


class EventType(StrEnum):
    NEW_HIRE = "NEW_HIRE"
    NEWLY_ELIGIBLE = "NEWLY_ELIGIBLE"
    BIRTH = "BIRTH"
    ADOPTION = "ADOPTION"
    MARRIAGE = "MARRIAGE"
    LOSS_OF_COVERAGE = "LOSS_OF_COVERAGE"
    DEMOGRAPHIC = "DEMOGRAPHIC"
    END_OF_EMPLOYMENT = "END_OF_EMPLOYMENT"
    LOSS_OF_ELIGIBILITY = "LOSS_OF_ELIGIBILITY"
    DIVORCE = "DIVORCE"
    DEATH = "DEATH"
    AGE_OUT = "AGE_OUT"
    VOLUNTARY = "VOLUNTARY"
    REINSTATEMENT = "REINSTATEMENT"
    RENEWAL_OPEN_ENROLLMENT = "RENEWAL_OPEN_ENROLLMENT"


class ChangeStatus(StrEnum):
    """api.md, "member change (1.1, changeStatus)"."""

    PENDING = "PENDING"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class RosterStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    TERMINATED = "TERMINATED"


#: api.md code list: the action as INS03.
ACTION_TO_X12 = {
    ChangeAction.ADD: "021",
    ChangeAction.CHANGE: "001",
    ChangeAction.TERMINATE: "024",
    ChangeAction.REINSTATE: "025",
}
X12_TO_ACTION = {v: k for k, v in ACTION_TO_X12.items()}


class Effective(StrEnum):
    """How a change's effective date follows from its dates (the table's "effective date" column)."""

    WAITING_PERIOD = "MNT-004"  # first of a month on or after event.date + N days, not before the group's
    EVENT_DATE = "event.date"
    FIRST_AFTER_REQUEST = "first of the month after the request date"
    FIRST_AFTER_LATER = "first of the month after the later of the request date and event.date"
    REQUEST_DATE = "the request date"
    AFTER_MONTH_END = "the day after the coverage end (MNT-007)"
    AFTER_EVENT_DATE = "the day after the coverage end undone"
    RENEWAL_DATE = "the renewal date"


SUBSCRIBER = frozenset({Relationship.SUBSCRIBER})
SPOUSES = frozenset(SPOUSE_RELATIONSHIPS)
CHILDREN = frozenset(CHILD_RELATIONSHIPS)
ANYONE = frozenset(Relationship)


@dataclass(frozen=True)
class EventSpec:
    """One row: who may take which action, how far ahead ``event.date`` may be, the effective date, INS04.

    ``ahead_days``: None, the date is not after the request date; a number, at most that many days after
    it; -1, any day ahead (the effective-date limits of MNT-006 still bound it). ``not_before_request``:
    VOLUNTARY's "not before the request date". ``window``: the MNT-005 setting that bounds the request
    date after ``event.date`` (None: no special-enrollment window).
    """

    type: EventType
    actions: dict[ChangeAction, frozenset[Relationship]]
    effective: Effective
    reason: str
    ahead_days: int | None = None
    not_before_request: bool = False
    window: str | None = None


_ROWS = (
    EventSpec(EventType.NEW_HIRE, {ChangeAction.ADD: ANYONE}, Effective.WAITING_PERIOD, "28"),
    EventSpec(EventType.NEWLY_ELIGIBLE, {ChangeAction.ADD: ANYONE}, Effective.WAITING_PERIOD, "28"),
    EventSpec(
        EventType.BIRTH,
        {ChangeAction.ADD: frozenset({Relationship.CHILD}) | SUBSCRIBER, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.EVENT_DATE,
        "02",
        window="special_enrollment_birth_days",
    ),
    EventSpec(
        EventType.ADOPTION,
        {
            ChangeAction.ADD: frozenset({Relationship.CHILD, Relationship.FOSTER_CHILD}) | SUBSCRIBER,
            ChangeAction.CHANGE: SUBSCRIBER,
        },
        Effective.EVENT_DATE,
        "05",
        window="special_enrollment_birth_days",
    ),
    EventSpec(
        EventType.MARRIAGE,
        {ChangeAction.ADD: SPOUSES | {Relationship.STEPCHILD} | SUBSCRIBER, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.FIRST_AFTER_REQUEST,
        "32",
        window="special_enrollment_days",
    ),
    EventSpec(
        EventType.LOSS_OF_COVERAGE,
        {ChangeAction.ADD: ANYONE, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.FIRST_AFTER_LATER,
        "EC",
        ahead_days=30,
        window="special_enrollment_days",
    ),
    EventSpec(EventType.DEMOGRAPHIC, {ChangeAction.CHANGE: ANYONE}, Effective.REQUEST_DATE, "33"),
    EventSpec(
        EventType.END_OF_EMPLOYMENT,
        {ChangeAction.TERMINATE: SUBSCRIBER},
        Effective.AFTER_MONTH_END,
        "08",
        ahead_days=-1,
    ),
    EventSpec(
        EventType.LOSS_OF_ELIGIBILITY,
        {ChangeAction.TERMINATE: SUBSCRIBER},
        Effective.AFTER_MONTH_END,
        "07",
        ahead_days=-1,
    ),
    EventSpec(
        EventType.DIVORCE,
        {ChangeAction.TERMINATE: SPOUSES | {Relationship.STEPCHILD}, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.AFTER_MONTH_END,
        "01",
    ),
    EventSpec(
        EventType.DEATH,
        {ChangeAction.TERMINATE: ANYONE, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.AFTER_MONTH_END,
        "03",
    ),
    EventSpec(
        EventType.AGE_OUT,
        {ChangeAction.TERMINATE: CHILDREN, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.AFTER_MONTH_END,
        "07",
        ahead_days=-1,
    ),
    EventSpec(
        EventType.VOLUNTARY,
        {ChangeAction.TERMINATE: ANYONE, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.AFTER_MONTH_END,
        "14",
        ahead_days=-1,
        not_before_request=True,
    ),
    EventSpec(
        EventType.REINSTATEMENT,
        {ChangeAction.REINSTATE: ANYONE, ChangeAction.CHANGE: SUBSCRIBER},
        Effective.AFTER_EVENT_DATE,
        "20",
    ),
    EventSpec(
        EventType.RENEWAL_OPEN_ENROLLMENT,
        {ChangeAction.ADD: ANYONE, ChangeAction.CHANGE: ANYONE, ChangeAction.TERMINATE: ANYONE},
        Effective.RENEWAL_DATE,
        "28",
        ahead_days=-1,
    ),
)

#: The table, by event type.
CHANGE_EVENTS: dict[EventType, EventSpec] = {row.type: row for row in _ROWS}
#: RENEWAL_OPEN_ENROLLMENT: INS04 by action (28 ADD, 41 CHANGE, 14 TERMINATE).
RENEWAL_REASONS = {ChangeAction.ADD: "28", ChangeAction.CHANGE: "41", ChangeAction.TERMINATE: "14"}
#: The mid-year events (a change file's): every type but renewal open enrollment.
MID_YEAR_EVENTS = frozenset(EventType) - {EventType.RENEWAL_OPEN_ENROLLMENT}
#: DEMOGRAPHIC: the fields whose change gives INS04 25 (identity), else 43 (address), else 33.
IDENTITY_FIELDS = ("firstName", "middleName", "lastName", "suffix", "ssn", "dateOfBirth", "gender")


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def first_on_or_after(day: date) -> date:
    """The first day of a month on or after ``day``."""
    if day.day == 1:
        return day
    return month_end(day) + timedelta(days=1)


def first_after(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return month_end(day) + timedelta(days=1)


def maintenance_reason(
    event_type: EventType, action: ChangeAction, *, before: dict | None = None, after: dict | None = None
) -> str:
    """INS04 of a loop: the table's, DEMOGRAPHIC from what changed, renewal open enrollment by action."""
    if event_type == EventType.RENEWAL_OPEN_ENROLLMENT:
        return RENEWAL_REASONS.get(action, "28")
    if event_type == EventType.DEMOGRAPHIC:
        before, after = before or {}, after or {}
        if any(before.get(k) != after.get(k) for k in IDENTITY_FIELDS):
            return "25"
        if before.get("address") != after.get("address"):
            return "43"
        return "33"
    return CHANGE_EVENTS[event_type].reason


@dataclass(frozen=True)
class ChangeDates:
    """The computed part of a change (api.md's ``change`` block, without the codes)."""

    effective_date: date
    coverage_end: date | None
    send_by: date


def change_dates(
    event_type: EventType,
    action: ChangeAction,
    *,
    event_date: date,
    request_date: date,
    group_effective: date,
    waiting_days: int,
    lag_days: int,
    renewal_date: date | None = None,
    drops_line: bool = False,
) -> ChangeDates:
    """The effective date, coverage end and send-by date of one loop (business-rules.md *Change events*)."""
    rule = CHANGE_EVENTS[event_type].effective
    coverage_end = None
    if rule is Effective.WAITING_PERIOD:
        effective = max(first_on_or_after(event_date + timedelta(days=waiting_days)), group_effective)
    elif rule is Effective.EVENT_DATE:
        effective = event_date
    elif rule is Effective.FIRST_AFTER_REQUEST:
        effective = first_after(request_date)
    elif rule is Effective.FIRST_AFTER_LATER:
        effective = first_after(max(request_date, event_date))
    elif rule is Effective.REQUEST_DATE:
        effective = request_date
    elif rule is Effective.AFTER_MONTH_END:
        coverage_end = month_end(event_date)
        effective = coverage_end + timedelta(days=1)
    elif rule is Effective.AFTER_EVENT_DATE:
        effective = event_date + timedelta(days=1)
    else:
        effective = renewal_date or event_date
        if action == ChangeAction.TERMINATE:
            coverage_end = effective - timedelta(days=1)
    if action == ChangeAction.CHANGE and rule is not Effective.AFTER_MONTH_END:
        coverage_end = effective - timedelta(days=1) if drops_line else None
    elif action == ChangeAction.CHANGE:
        coverage_end = coverage_end if drops_line else None
    elif action in (ChangeAction.ADD, ChangeAction.REINSTATE):
        coverage_end = None
    if rule is Effective.RENEWAL_DATE:  # REN-008: a renewal election is sent by the enrollment cutoff
        return ChangeDates(effective, coverage_end, effective - timedelta(days=1))
    return ChangeDates(effective, coverage_end, request_date + timedelta(days=lag_days))


def twenty_sixth_birthday(birth: date, *, age_limit: int = 26) -> date:
    """The day a child turns ``age_limit`` (a 29 February birthday falls on 1 March)."""
    try:
        return birth.replace(year=birth.year + age_limit)
    except ValueError:
        return date(birth.year + age_limit, 3, 1)


def age_out_end(birth: date, *, age_limit: int = 26) -> date:
    """MNT-007: the carrier ends a child's coverage on the last day of the month of its 26th birthday."""
    return month_end(twenty_sixth_birthday(birth, age_limit=age_limit))


def renewal_date_after(group_effective: date, today: date) -> date:
    """The current renewal date: the group's effective-date anniversary after ``today`` (api.md *Renewal*).

    Until the renewal helper's ``sandbox.renewals`` holds the group's renewals, this is the one source.
    """
    years = max(1, today.year - group_effective.year)
    while True:
        try:
            candidate = group_effective.replace(year=group_effective.year + years)
        except ValueError:  # pragma: no cover - effective dates are firsts of months
            candidate = date(group_effective.year + years, 3, 1)
        if candidate > today:
            return candidate
        years += 1
