"""The change 834 (edi-834-companion.md 1.1, *Change files*): the loops of each family's change.

A change file is the new-business envelope and header **without DTP*007**. Each loop is a member as
validated with its ``event``: INS03 the action (``021`` add, ``001`` change, ``024`` terminate, ``025``
reinstate), INS04 the validation's reason code, the loop-2000 dates of the action (356 eligibility begin
for an add, 357 eligibility end and, for ``END_OF_EMPLOYMENT``, 337 for a termination, 303 for a
reinstatement), INS11/INS12 for a death, 2100B (the values the carrier holds) when INS04 is ``25``, and
in loop 2300 only the lines that change (HD*021 a line added, HD*001 a new tier on the same plan, each
with DTP*348; HD*024 a line dropped, with DTP*349). Every date comes from the validation's answer.

Families are written in the order given; within one, the subscriber's loop first (when sent), then the
spouse or partner, then children oldest first.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from groupsales.change_events import ACTION_TO_X12, ChangeAction, EventType
from groupsales.codes import (
    CHILD_RELATIONSHIPS,
    EMPLOYMENT_TO_X12,
    GENDER_TO_X12,
    LINE_TO_X12,
    MEMBER_REF_PATTERN,
    RELATIONSHIP_TO_X12,
    SPOUSE_RELATIONSHIPS,
    EmploymentStatus,
    Gender,
    Line,
    Relationship,
    Tier,
)

from .model import Counts, Coverage, Envelope, Header, Member
from .writer import (
    _LINE_ORDER,
    _MEMBER_REF,
    CHILD_AGE_LIMIT,
    CountMismatchError,
    SegmentSink,
    WriteResult,
    _check,
    _d8,
    _write_envelope_and_header,
    age_on,
    carried_text,
    write_member_name,
)


@dataclass(frozen=True, kw_only=True)
class ChangeLoop:
    """One member's loop: the member after the change (a ``TERMINATE``: as enrolled; a ``REINSTATE``: as
    on its last covered day) and its validation's ``change`` block.

    ``before``: the lines the member held (from the roster) so that a ``CHANGE`` sends only the lines that
    change; ``held``: the member as the carrier holds it, for 2100B when INS04 is ``25``."""

    member: Member
    action: ChangeAction | str
    event_type: EventType | str
    event_date: date
    effective_date: date
    coverage_end: date | None = None
    reason: str
    before: tuple[Coverage, ...] = ()
    held: Member | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeFamily:
    """A family's loops of one change (MNT-013: one event per family per file)."""

    subscriber_ref: str
    loops: tuple[ChangeLoop, ...]


def _rank(loop: ChangeLoop) -> tuple[int, date, str]:
    m = loop.member
    if m.relationship == Relationship.SUBSCRIBER:
        return (0, date.min, m.member_ref)
    return (1 if m.relationship in SPOUSE_RELATIONSHIPS else 2, m.date_of_birth, m.member_ref)


def order_change_family(family: ChangeFamily) -> list[ChangeLoop]:
    events = {(str(lp.event_type), lp.event_date) for lp in family.loops}
    if len(events) > 1:
        raise ValueError(f"{family.subscriber_ref}: a family's loops carry one event (MNT-013), not {events}")
    for loop in family.loops:
        if loop.member.subscriber_ref != family.subscriber_ref:
            raise ValueError(f"{loop.member.member_ref}: not in family {family.subscriber_ref}")
    return sorted(family.loops, key=_rank)


def _ins(sink: SegmentSink, loop: ChangeLoop, age: int) -> None:
    m, action = loop.member, ChangeAction(loop.action)
    is_sub = m.relationship == Relationship.SUBSCRIBER
    employment = ""
    if is_sub:
        if m.employment is None:
            raise ValueError(f"{m.member_ref}: a subscriber needs employment (INS08, DTP*336)")
        ended = action == ChangeAction.TERMINATE and loop.event_type == EventType.END_OF_EMPLOYMENT
        employment = "TE" if ended else EMPLOYMENT_TO_X12[EmploymentStatus(m.employment.status)]
    disabled = not is_sub and m.relationship in CHILD_RELATIONSHIPS and m.disabled and age >= CHILD_AGE_LIMIT
    died = action == ChangeAction.TERMINATE and loop.event_type == EventType.DEATH
    sink.segment(
        "INS",
        "Y" if is_sub else "N",
        RELATIONSHIP_TO_X12[Relationship(m.relationship)],
        ACTION_TO_X12[action],
        loop.reason,
        "A",
        None,
        None,
        employment,
        None,
        "Y" if disabled else None,
        "D8" if died else None,
        _d8(loop.event_date) if died else None,
    )


def _loop_dates(sink: SegmentSink, loop: ChangeLoop) -> None:
    m, action = loop.member, ChangeAction(loop.action)
    if m.relationship == Relationship.SUBSCRIBER:
        assert m.employment is not None
        sink.segment("DTP", "336", "D8", _d8(m.employment.hire_date))
    if action == ChangeAction.ADD:
        sink.segment("DTP", "356", "D8", _d8(loop.effective_date))
    elif action == ChangeAction.TERMINATE:
        if loop.coverage_end is None:
            raise ValueError(f"{m.member_ref}: a termination needs its coverage end (DTP*357)")
        if loop.event_type == EventType.END_OF_EMPLOYMENT:
            sink.segment("DTP", "337", "D8", _d8(loop.event_date))
        sink.segment("DTP", "357", "D8", _d8(loop.coverage_end))
    elif action == ChangeAction.REINSTATE:
        sink.segment("DTP", "303", "D8", _d8(loop.effective_date))


def _held(sink: SegmentSink, loop: ChangeLoop) -> None:
    """2100B (INS04 25): the name, SSN, date of birth and gender the carrier holds."""
    held = loop.held
    if loop.reason != "25" or held is None:
        return
    who = held.member_ref
    ssn = _check("SSN", held.ssn, who) if held.ssn else None
    sink.segment(
        "NM1", "70", "1",
        carried_text(held.last_name, "NM103", "last name", "PTL-001", who),
        carried_text(held.first_name, "NM104", "first name", "PTL-001", who),
        carried_text(held.middle_name, "NM105", "middle name", "PTL-001", who),
        None,
        carried_text(held.suffix, "NM107", "suffix", "MBR-001", who),
        "34" if ssn else None,
        ssn,
    )  # fmt: skip
    sink.segment("DMG", "D8", _d8(held.date_of_birth), GENDER_TO_X12[Gender(held.gender)])


def _hd(sink: SegmentSink, code: str, cov: Coverage, who: str, day: date, qualifier: str) -> None:
    sink.segment("HD", code, None, LINE_TO_X12[Line(cov.line)], _check("plan ID", cov.plan_id, who),
                 Tier(cov.tier).value)  # fmt: skip
    sink.segment("DTP", qualifier, "D8", _d8(day))


def _coverage(sink: SegmentSink, loop: ChangeLoop, lines: list[Coverage]) -> None:
    action, who = ChangeAction(loop.action), loop.member.member_ref
    if action == ChangeAction.ADD:
        for cov in lines:
            _hd(sink, "021", cov, who, loop.effective_date, "348")
    elif action == ChangeAction.CHANGE:
        before = {Line(c.line): c for c in loop.before}
        for cov in lines:
            held = before.get(Line(cov.line))
            if held is None:
                _hd(sink, "021", cov, who, loop.effective_date, "348")
            elif (held.plan_id, Tier(held.tier)) != (cov.plan_id, Tier(cov.tier)):
                _hd(sink, "001", cov, who, loop.effective_date, "348")
        after = {Line(c.line) for c in lines}
        for line, held in sorted(before.items(), key=lambda kv: _LINE_ORDER[kv[0]]):
            if line not in after:
                if loop.coverage_end is None:
                    raise ValueError(f"{who}: a dropped line needs the change's coverage end (DTP*349)")
                _hd(sink, "024", held, who, loop.coverage_end, "349")


CoverageWriter = Callable[[SegmentSink, ChangeLoop, list[Coverage]], None]


def _write_loop(sink: SegmentSink, loop: ChangeLoop, group_id: str, coverage: CoverageWriter) -> None:
    m = loop.member
    if not _MEMBER_REF.fullmatch(m.member_ref) or not _MEMBER_REF.fullmatch(m.subscriber_ref):
        raise ValueError(f"{m.member_ref!r}: memberRef must match {MEMBER_REF_PATTERN}")
    age = age_on(m.date_of_birth, loop.effective_date)
    lines = sorted(m.coverage, key=lambda c: _LINE_ORDER[Line(c.line)])
    _ins(sink, loop, age)
    sink.segment("REF", "0F", m.subscriber_ref)
    sink.segment("REF", "1L", group_id)
    sink.segment("REF", "ZZ", m.member_ref)
    _loop_dates(sink, loop)
    write_member_name(sink, m, age=age, lines=lines)
    _held(sink, loop)
    coverage(sink, loop, lines)


def write_change_834(
    out: TextIO,
    envelope: Envelope,
    header: Header,
    families: Iterable[ChangeFamily],
    *,
    counts: Counts,
    newline_after_segment: bool = True,
    file_date: date | None = None,
    coverage: CoverageWriter | None = None,
) -> WriteResult:
    """Stream a change file (no DTP*007; ``header.effective_date`` is not written). ``counts`` are the
    QTY values (ET the subscriber loops, DT the dependent loops); a mismatch raises before the trailers.

    ``file_date`` and ``coverage`` are the renewal file's (``renewal.py``): its DTP*007 and its loop 2300
    (every line from R); a change file has neither."""
    sink = SegmentSink(out, newline_after_segment)
    _write_envelope_and_header(sink, envelope, header, counts, file_date=file_date)
    subscribers = dependents = 0
    for family in families:
        for loop in order_change_family(family):
            _write_loop(sink, loop, _check("group ID", header.group_id), coverage or _coverage)
            if loop.member.relationship == Relationship.SUBSCRIBER:
                subscribers += 1
            else:
                dependents += 1
    if (subscribers, dependents) != (counts.subscribers, counts.dependents):
        raise CountMismatchError(
            f"QTY said {counts.subscribers} subscriber and {counts.dependents} dependent loops, "
            f"the families held {subscribers} and {dependents}"
        )
    segment_count = sink.in_transaction + 1
    sink.segment("SE", str(segment_count), "0001")
    sink.in_transaction = 0
    sink.segment("GE", "1", str(envelope.group_control_number))
    sink.segment("IEA", "1", f"{envelope.interchange_control_number:09d}")
    return WriteResult(segment_count, subscribers + dependents, subscribers, dependents, sink.digest)


def change_counts(families: Iterable[ChangeFamily]) -> Counts:
    subscribers = dependents = 0
    for family in families:
        for loop in family.loops:
            if loop.member.relationship == Relationship.SUBSCRIBER:
                subscribers += 1
            else:
                dependents += 1
    return Counts(subscribers, dependents)


def render_change_834(envelope: Envelope, header: Header, families: Iterable[ChangeFamily]) -> str:
    family_list = list(families)
    buffer = io.StringIO()
    write_change_834(buffer, envelope, header, family_list, counts=change_counts(family_list))
    return buffer.getvalue()
