"""A change file's loops against their validations (phase ``P``, per member): FIL-013, FIL-014, MNT-012,
MNT-013 (its first half: one event per family, tiers that fit after it).

The subject is a :class:`LoopCheck`: one parsed 2000 loop, the change its validation carries, the family
around it as the file and the roster leave it, and the day the file was received. The sandbox runs
:func:`check_change_loop` for each loop and then rejects whole families (MNT-013's second half). Pointers
are empty: a file's errors name their segment and line instead (``segment``/``line`` of each finding's
message are given by the caller from the loop).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..change_events import ACTION_TO_X12, MID_YEAR_EVENTS, ChangeAction, EventType
from ..codes import LINE_TO_X12, SPOUSE_RELATIONSHIPS, Line, Relationship, Tier
from ..x12.parser import ParsedMember
from . import maintenance_catalog  # noqa: F401  (fills RULES before the rules register)
from ._base import Finding, Violation, rule, run

__all__ = ["FamilyMember", "LoopCheck", "check_change_loop"]


@dataclass(frozen=True)
class FamilyMember:
    """A family member after the file: relationship and the lines it is covered on."""

    member_ref: str
    relationship: str
    lines: frozenset[str]


@dataclass
class LoopCheck:
    loop: ParsedMember
    relationship: str
    event_type: str | None
    action: str | None
    event_date: date | None
    effective_date: date | None
    coverage_end: date | None
    send_by: date | None
    reason_code: str | None
    received_on: date
    expected: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # X12 line -> (plan, tier) after
    before: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # X12 line -> (plan, tier) on roster
    family_events: Sequence[tuple[str | None, date | None]] = ()  # the events of the family's loops in file
    subscriber_tiers: Mapping[str, str] = field(default_factory=dict)  # API line -> tier after the file
    family_after: Sequence[FamilyMember] = ()
    renewal_file: bool = False  # a renewal file (header DTP*007 = R): its loops are renewal elections

    def where(self, segment: str, line: int | None = None) -> str:
        return f"{segment}@{line or self.loop.line}"


def _d(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else "none"


@rule("FIL-013", when="P")
def _codes(check: LoopCheck) -> Iterator[Finding]:
    loop = check.loop
    if check.renewal_file:
        if check.event_type != EventType.RENEWAL_OPEN_ENROLLMENT or check.action is None:
            yield Finding(
                check.where("INS"),
                "A renewal file carries only members validated with RENEWAL_OPEN_ENROLLMENT.",
            )
            return
    elif check.event_type not in {e.value for e in MID_YEAR_EVENTS} or check.action is None:
        yield Finding(
            check.where("INS"), "A change file carries only members validated with a mid-year event."
        )
        return
    want = ACTION_TO_X12[ChangeAction(check.action)]
    if loop.maintenance_type != want:
        yield Finding(check.where("INS"), f"INS03 must be {want} for {check.action}.")
    if check.reason_code and loop.maintenance_reason != check.reason_code:
        yield Finding(check.where("INS"), f"INS04 must be {check.reason_code} for {check.event_type}.")
    for cover in loop.coverages:
        expected = _hd01(check, cover.insurance_line)
        if expected is None:
            yield Finding(check.where("HD", cover.line), f"No HD is sent for a {check.action} loop.")
        elif cover.maintenance_type != expected:
            yield Finding(check.where("HD", cover.line), f"HD01 must be {expected} for this line.")


def _hd01(check: LoopCheck, x12_line: str) -> str | None:
    if check.action == ChangeAction.ADD:
        return "021"
    if check.action != ChangeAction.CHANGE:
        return None
    if x12_line not in check.expected:
        return "024"
    return "001" if x12_line in check.before else "021"


@rule("FIL-014", when="P")
def _dates(check: LoopCheck) -> Iterator[Finding]:
    loop, action = check.loop, check.action
    wanted: dict[str, date | None] = {}
    if action == ChangeAction.ADD:
        wanted["356"] = check.effective_date
    elif action == ChangeAction.TERMINATE:
        wanted["357"] = check.coverage_end
        if check.event_type == EventType.END_OF_EMPLOYMENT:
            wanted["337"] = check.event_date
    elif action == ChangeAction.REINSTATE:
        wanted["303"] = check.effective_date
    for qualifier, day in wanted.items():
        if loop.dates.get(qualifier) != day:
            line = loop.date_lines.get(qualifier)
            yield Finding(check.where("DTP", line), f"DTP*{qualifier} must be {_d(day)} as validated.")
    if check.event_type == EventType.DEATH and action == ChangeAction.TERMINATE:
        if loop.death_date != check.event_date:
            yield Finding(
                check.where("INS"), f"INS11/INS12 must give the date of death {_d(check.event_date)}."
            )
    for cover in loop.coverages:
        if cover.maintenance_type == "024":
            if cover.end_date != check.coverage_end:
                where = check.where("DTP", cover.end_line or cover.line)
                yield Finding(where, f"DTP*349 must be {_d(check.coverage_end)} as validated.")
        elif cover.start_date != check.effective_date:
            where = check.where("DTP", cover.start_line or cover.line)
            yield Finding(where, f"DTP*348 must be {_d(check.effective_date)} as validated.")


@rule("MNT-012", when="P")
def _send_by(check: LoopCheck) -> Iterator[Finding]:
    if check.send_by is not None and check.received_on > check.send_by:
        yield Finding(
            check.where("INS"),
            f"The file was received on {check.received_on}, after the change's send-by date {check.send_by}: "
            "validate the member again.",
        )


@rule("MNT-013", when="P")
def _one_family_event(check: LoopCheck) -> Iterator[Finding]:
    if len(set(check.family_events)) > 1:
        yield Finding(check.where("INS"), "A family's loops in one file carry one event (type and date).")
    if check.relationship != Relationship.SUBSCRIBER:
        return
    for line, tier in check.subscriber_tiers.items():
        covered = {m.relationship for m in check.family_after if line in m.lines}
        spouse = bool(covered & {r.value for r in SPOUSE_RELATIONSHIPS})
        child = bool(covered - {r.value for r in SPOUSE_RELATIONSHIPS})
        implied = {(False, False): Tier.EMP, (True, False): Tier.ESP, (False, True): Tier.ECH}
        if tier != implied.get((spouse, child), Tier.FAM):
            yield Finding(
                check.where("HD"),
                f"After the change the {line.lower()} tier {tier} does not fit the dependents covered.",
            )


def check_change_loop(check: LoopCheck) -> list[Violation]:
    """FIL-013, FIL-014, MNT-012 and MNT-013 over one loop; each finding's pointer is ``SEGMENT@line``."""
    return run("P", check)


def x12_lines(lines: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """{API line: (plan, tier)} as {HD03: (plan, tier)}."""
    return {LINE_TO_X12[Line(line)]: value for line, value in lines.items()}
