"""ETSS layout 2.2: the plan crosswalk record ``XWK`` and its loader checks (etss-rate-file.md).

Kept apart from the streaming reader (``groupsales.etss``), which only hands each XWK row to
:func:`read_xwk` and, after the last line, calls :func:`check_crosswalks` with what it collected (the
PLN plan years with their line, the rate blocks' keys). Every failure names the line and the field.

Checks of the layout, every one: ``REASON`` from the list and agreeing with the successor fields
(``SAME_PLAN`` the same ID, ``MAPPED`` another ID, ``DISCONTINUED`` both empty); ``STATE`` in ``STATES``
and the plan's and the successor's (characters 6–7 of the ID); ``SUCCESSOR_EFF_DATE`` =
``PLAN_YEAR_END`` + 1 day, inside ``[COVERAGE_START, COVERAGE_END]`` (for ``DISCONTINUED``, the day after
``PLAN_YEAR_END`` must be); the successor has a PLN row in the file with that ``PLAN_EFF_DATE``, on the
plan's line, and rates in force on that date; no key (``PLAN_ID`` + ``PLAN_YEAR_END``) twice; a known
plan (a PLN in the file or loaded before) has a PLN whose ``PLAN_EXP_DATE`` is ``PLAN_YEAR_END``; a FULL
file starting the day after a known plan's ``PLAN_EXP_DATE`` has an XWK row for it; ``CNT_XWK``.

Decisions where the document is silent: "the plan's line" is the line of the plan's own PLN when the
file or an earlier load has one, else the successor's line is not compared; "rates in force" means an
ARA block (``AGE``) or TRA block (``TIER``) of the successor in any area whose range holds the date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["XWK_FIELDS", "Crosswalk", "KnownPlanYear", "check_crosswalks", "read_xwk"]

XWK_FIELDS = (
    "RECORD_TYPE", "STATE", "PLAN_ID", "PLAN_YEAR_END", "SUCCESSOR_PLAN_ID", "SUCCESSOR_EFF_DATE", "REASON",
)  # fmt: skip
REASONS = ("SAME_PLAN", "MAPPED", "DISCONTINUED")
_PLAN_ID = re.compile(r"\d{5}[A-Z]{2}\d{7}").fullmatch
_DATE = re.compile(r"\d{8}").fullmatch
_DAY = timedelta(days=1)

Issue = Callable[[int, str, str, str], None]  # (line, record type, field, message)


@dataclass(frozen=True, slots=True)
class Crosswalk:
    """An XWK row: what becomes, at a group's next renewal, of a plan whose plan year ends then."""

    line_no: int
    state: str
    plan_id: str
    plan_year_end: date
    successor_plan_id: str | None
    successor_eff_date: date | None
    reason: str


@dataclass(frozen=True, slots=True)
class KnownPlanYear:
    """A plan year of a PLN row: in this file, or loaded before (``line`` "MED", "DEN" or "VIS")."""

    eff: date
    exp: date
    line: str
    rating_method: str


def _date(text: str) -> date | None:
    if not _DATE(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def read_xwk(
    fields: list[str], line: int, *, states: frozenset[str] | None, coverage: tuple[date, date] | None,
    issue: Issue,
) -> Crosswalk | None:  # fmt: skip
    """One XWK row's own checks; None when a field is bad (each failure reported)."""
    _, state, plan_id, end_text, successor, eff_text, reason = fields
    ok = True

    def fail(field: str, message: str) -> None:
        nonlocal ok
        ok = False
        issue(line, "XWK", field, message)

    if states is not None and state not in states:
        fail("STATE", f"{state!r} is not among the header's STATES")
    if not _PLAN_ID(plan_id):
        fail("PLAN_ID", f"{plan_id!r} is not a 14-character plan ID")
    elif plan_id[5:7] != state:
        fail("STATE", f"{plan_id} is a plan of {plan_id[5:7]}, not {state}")
    end = _date(end_text)
    if end is None:
        fail("PLAN_YEAR_END", f"{end_text!r} is not a date CCYYMMDD")
    if reason not in REASONS:
        fail("REASON", f"{reason!r} is not one of {', '.join(REASONS)}")
    elif reason == "DISCONTINUED" and (successor or eff_text):
        fail("SUCCESSOR_PLAN_ID", "a DISCONTINUED plan has no successor: both successor fields are empty")
    elif reason == "SAME_PLAN" and successor != plan_id:
        fail("SUCCESSOR_PLAN_ID", f"SAME_PLAN: the successor is {plan_id} itself")
    elif reason == "MAPPED" and (not successor or successor == plan_id):
        fail("SUCCESSOR_PLAN_ID", "MAPPED: the successor is another plan")
    if successor and not _PLAN_ID(successor):
        fail("SUCCESSOR_PLAN_ID", f"{successor!r} is not a 14-character plan ID")
    elif successor and successor[5:7] != state:
        fail("SUCCESSOR_PLAN_ID", f"{successor} is a plan of {successor[5:7]}, not {state}")
    eff = _date(eff_text) if eff_text else None
    if eff_text and eff is None:
        fail("SUCCESSOR_EFF_DATE", f"{eff_text!r} is not a date CCYYMMDD")
    if end is not None and reason != "DISCONTINUED" and eff != end + _DAY:
        fail("SUCCESSOR_EFF_DATE", f"must be PLAN_YEAR_END + 1 day ({end + _DAY:%Y%m%d})")
    if end is not None and coverage is not None and not coverage[0] <= end + _DAY <= coverage[1]:
        fail(
            "PLAN_YEAR_END", f"the day after it, {end + _DAY:%Y%m%d}, is outside COVERAGE_START..COVERAGE_END"
        )
    if not ok or end is None:
        return None
    return Crosswalk(line, state, plan_id, end, successor or None, eff, reason)


def check_crosswalks(
    rows: list[Crosswalk],
    *,
    plans: Mapping[str, list[KnownPlanYear]],
    known: Mapping[str, Iterable[KnownPlanYear]] | None,
    rate_blocks: Iterable[tuple[str, str, date, date]],
    full_start: date | None,
    states: frozenset[str] | None,
    issue: Issue,
) -> None:
    """The checks across records, after the last line (``full_start``: a FULL file's COVERAGE_START)."""
    in_force: dict[str, list[tuple[date, date]]] = {}
    for plan_id, _area, eff, exp in rate_blocks:
        in_force.setdefault(plan_id, []).append((eff, exp))
    everything: dict[str, list[KnownPlanYear]] = {k: list(v) for k, v in (known or {}).items()}
    for plan_id, years in plans.items():
        everything.setdefault(plan_id, []).extend(years)
    seen: dict[tuple[str, date], int] = {}
    for row in rows:
        key = (row.plan_id, row.plan_year_end)
        if key in seen:
            issue(
                row.line_no,
                "XWK",
                "PLAN_ID",
                f"{row.plan_id} {row.plan_year_end:%Y%m%d} repeats line {seen[key]}",
            )
            continue
        seen[key] = row.line_no
        own = everything.get(row.plan_id)
        if own and not any(y.exp == row.plan_year_end for y in own):
            issue(row.line_no, "XWK", "PLAN_YEAR_END", f"{row.plan_id} has no plan year ending on it")
        if row.successor_plan_id is None or row.successor_eff_date is None:  # read_xwk: both or neither
            continue
        years = [y for y in plans.get(row.successor_plan_id, []) if y.eff == row.successor_eff_date]
        if not years:
            missing = f"{row.successor_plan_id} has no PLN in this file from {row.successor_eff_date:%Y%m%d}"
            issue(row.line_no, "XWK", "SUCCESSOR_PLAN_ID", missing)
            continue
        lines = {y.line for y in own or []}
        if lines and years[0].line not in lines:
            issue(row.line_no, "XWK", "SUCCESSOR_PLAN_ID", f"{row.successor_plan_id} is on another line")
        on = row.successor_eff_date
        if not any(eff <= on <= exp for eff, exp in in_force.get(row.successor_plan_id, [])):
            issue(
                row.line_no,
                "XWK",
                "SUCCESSOR_PLAN_ID",
                f"{row.successor_plan_id} has no rates on {on:%Y%m%d}",
            )
    if full_start is None:
        return
    for plan_id, years in everything.items():
        if states is not None and plan_id[5:7] not in states:
            continue
        for year in years:
            if year.exp + _DAY == full_start and (plan_id, year.exp) not in seen:
                issue(
                    0, "XWK", "PLAN_ID", f"{plan_id}'s plan year ends {year.exp:%Y%m%d}: an XWK row is needed"
                )
