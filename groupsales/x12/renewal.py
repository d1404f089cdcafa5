"""The renewal 834 (edi-834-companion.md 1.1, *Renewal files*): the employees' renewal open-enrollment
elections, only what differs from the passive renewal.

A renewal file is a change file (``changes.py``: same envelope, header, families and loops, each member
as validated with ``RENEWAL_OPEN_ENROLLMENT``) with two differences, and only those are here:

* the header carries **DTP*007 = R** (the renewal date);
* a ``CHANGE`` loop's 2300 holds **every** line covered from R: HD*001 for a line kept (HD04 the plan
  elected from the renewal offerings, HD05 the tier from R, even when neither differs from the passive
  renewal) or HD*021 for a line newly elected, each with DTP*348 = R; HD*024 with DTP*349 = R − 1 for a
  line given up.

The dates and codes of each action are fixed by R: ``ADD`` INS*021*28 with DTP*356 = R; ``CHANGE``
INS*001*41; ``TERMINATE`` INS*024*14 with DTP*357 = R − 1. :func:`renewal_loop` builds the loop from the
member and its action. Dependents are sent only when their own coverage changes, their HD04/HD05 the
subscriber's from R (the caller decides who is sent; ``renewal_counts`` counts them).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TextIO

from groupsales.change_events import RENEWAL_REASONS, ChangeAction, EventType
from groupsales.codes import Line

from .changes import ChangeFamily, ChangeLoop, _hd, change_counts, write_change_834
from .model import Counts, Coverage, Envelope, Header, Member
from .writer import _LINE_ORDER, SegmentSink, WriteResult

__all__ = ["renewal_loop", "render_renewal_834", "write_renewal_834", "renewal_counts"]


def renewal_loop(
    member: Member, action: ChangeAction | str, renewal_date: date, *, before: Iterable[Coverage] = ()
) -> ChangeLoop:
    """One member's renewal loop. ``member.coverage``: its lines from R (a ``TERMINATE``: as enrolled);
    ``before``: the lines it holds on R − 1 (a ``CHANGE``: which lines are kept, given up or new)."""
    kind = ChangeAction(action)
    if kind not in RENEWAL_REASONS:
        raise ValueError(f"{member.member_ref}: a renewal loop is ADD, CHANGE or TERMINATE, not {kind.value}")
    return ChangeLoop(
        member=member,
        action=kind,
        event_type=EventType.RENEWAL_OPEN_ENROLLMENT,
        event_date=renewal_date,
        effective_date=renewal_date,
        coverage_end=renewal_date - timedelta(days=1),
        reason=RENEWAL_REASONS[kind],
        before=tuple(before),
    )


def _renewal_coverage(sink: SegmentSink, loop: ChangeLoop, lines: list[Coverage]) -> None:
    """Loop 2300 of a renewal loop; ADD and TERMINATE as in a change file (``changes._coverage``)."""
    action, who, day = ChangeAction(loop.action), loop.member.member_ref, loop.effective_date
    if action == ChangeAction.TERMINATE:
        return
    held = {Line(c.line): c for c in loop.before} if action == ChangeAction.CHANGE else {}
    for cov in lines:
        _hd(sink, "001" if Line(cov.line) in held else "021", cov, who, day, "348")
    after = {Line(c.line) for c in lines}
    for line, cov in sorted(held.items(), key=lambda kv: _LINE_ORDER[kv[0]]):
        if line not in after:
            assert loop.coverage_end is not None
            _hd(sink, "024", cov, who, loop.coverage_end, "349")


def renewal_counts(families: Iterable[ChangeFamily]) -> Counts:
    return change_counts(families)


def write_renewal_834(
    out: TextIO,
    envelope: Envelope,
    header: Header,
    families: Iterable[ChangeFamily],
    *,
    renewal_date: date,
    counts: Counts,
    newline_after_segment: bool = True,
) -> WriteResult:
    """Stream a renewal file: DTP*007 = ``renewal_date``; each family's loops from :func:`renewal_loop`."""
    family_list = list(families)
    for family in family_list:
        for loop in family.loops:
            if loop.event_type != EventType.RENEWAL_OPEN_ENROLLMENT or loop.effective_date != renewal_date:
                raise ValueError(f"{loop.member.member_ref}: not a renewal loop for {renewal_date}")
    return write_change_834(
        out,
        envelope,
        header,
        family_list,
        counts=counts,
        newline_after_segment=newline_after_segment,
        file_date=renewal_date,
        coverage=_renewal_coverage,
    )


def render_renewal_834(
    envelope: Envelope, header: Header, families: Iterable[ChangeFamily], *, renewal_date: date
) -> str:
    family_list = list(families)
    buffer = io.StringIO()
    write_renewal_834(
        buffer, envelope, header, family_list, renewal_date=renewal_date, counts=renewal_counts(family_list)
    )
    return buffer.getvalue()
