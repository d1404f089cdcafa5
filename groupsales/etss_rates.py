"""The rate rows of an ETSS file (ARA by age band, TRA by tier) and their blocks.

A rate block is the rows of one plan, area and range; the reader keeps one small state per block
(:class:`AraBlock`, :class:`TraBlock`), never the rows. :func:`ara_row` and :func:`tra_row` check one
row against its block and the plan years of the PLN rows; after the last line, :func:`check_ara_blocks`
and :func:`check_ranges` check what only whole blocks show (every band, the 64+ to 21 ratio, ranges
that overlap or leave a gap).

:func:`ara_row` is the per-row ARA check, the one definition of its messages; the bulk check
(:mod:`groupsales.etss_bulk`) hands it every block it cannot prove clean.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from .codes import ETSS_TO_TIER
from .etss_layout import AGE_BANDS, MONEY, ZERO, AgeRate, Row, TierRate
from .etss_xwk import Issue

if TYPE_CHECKING:
    from .etss import EtssReader

_BAND_INDEX = {band: index for index, band in enumerate(AGE_BANDS)}
_ALL_BANDS = (1 << len(AGE_BANDS)) - 1
_BAND_21 = _BAND_INDEX["21"]
_BAND_64 = _BAND_INDEX["64+"]
_PLACEHOLDERS = frozenset({Decimal("9999.99"), Decimal("999999")})
_QUARTER_STARTS = frozenset({(1, 1), (4, 1), (7, 1), (10, 1)})
_CENT = Decimal("0.01")
_THREE = Decimal(3)
_ONE_AND_A_HALF = Decimal("1.5")
_DAY = timedelta(days=1)


class PlanYear(NamedTuple):
    eff: date
    exp: date
    rating_method: str
    tobacco_rated: bool


class AraBlock:
    """What the block checks need of one plan, area and range of ARA rows (never the rows)."""

    __slots__ = ("line", "tobacco_rated", "bands", "rate_21", "rate_64")

    def __init__(self, line: int, tobacco_rated: bool | None) -> None:
        self.line = line
        self.tobacco_rated = tobacco_rated
        self.bands = 0
        self.rate_21: Decimal | None = None
        self.rate_64: tuple[int, Decimal] | None = None


class TraBlock:
    __slots__ = ("line", "tiers")

    def __init__(self, line: int) -> None:
        self.line = line
        self.tiers: set[str] = set()


BlockKey = tuple[str, str, date, date]


def ara_row(reader: EtssReader, f: list[str], line: int) -> AgeRate | None:
    """The hot path (nearly every row of a file the bulk check cannot prove clean): plain locals, no
    per-row helper object; its money in :func:`_ara_money`."""
    _, plan_id, area_id, eff_text, exp_text, band, rate_text, tobacco_text = f
    ok = True
    dates = reader._dates
    eff = dates.get(eff_text) or reader._date(eff_text, line, "ARA", "RATE_EFF_DATE")
    exp = dates.get(exp_text) or reader._date(exp_text, line, "ARA", "RATE_EXP_DATE")
    block = None
    if eff is not None and exp is not None:
        key = (plan_id, area_id, eff, exp)
        block = reader._ara_blocks.get(key)
        if block is None:
            block = _open_ara_block(reader, key, line)
    else:
        ok = False

    index = _BAND_INDEX.get(band)
    if index is None:
        reader._issue(line, "ARA", "AGE_BAND", f"{band!r} is not an age band (0-14, 15 … 63, 64+)")
        ok = False
    elif block is not None:
        bit = 1 << index
        if block.bands & bit:
            reader._issue(
                line, "ARA", "AGE_BAND", f"band {band} appears twice in its block (line {block.line})"
            )
            ok = False
        block.bands |= bit

    rate, tobacco_rate, money_ok = _ara_money(reader, line, plan_id, block, index, rate_text, tobacco_text)
    if not (ok and money_ok) or eff is None or exp is None or rate is None:  # the dates and rate were read
        return None
    return AgeRate(line, plan_id, area_id, eff, exp, band, rate, tobacco_rate)


def _ara_money(
    reader: EtssReader,
    line: int,
    plan_id: str,
    block: AraBlock | None,
    index: int | None,
    rate_text: str,
    tobacco_text: str,
) -> tuple[Decimal | None, Decimal | None, bool]:
    """An ARA row's rate and tobacco rate (each added to its running sum when it is money), and whether
    both passed; the block keeps its age-21 and 64+ rates for :func:`check_ara_blocks`."""
    ok = True
    rate = None
    good_rate = None  # the rate when it is one (not 0, not a placeholder)
    if MONEY(rate_text):
        rate = Decimal(rate_text)
        reader._sum_rate += rate
        if rate == ZERO or rate in _PLACEHOLDERS:
            _bad_rate(reader, line, "ARA", "RATE", rate_text)
            ok = False
        else:
            good_rate = rate
        if good_rate is not None and block is not None:
            if index == _BAND_21:
                block.rate_21 = rate
            elif index == _BAND_64:
                block.rate_64 = (line, rate)
    else:
        reader._issue(line, "ARA", "RATE", f"{rate_text!r} is not money with two decimals")
        ok = False

    tobacco_rate = None
    tobacco_rated = block.tobacco_rated if block is not None else None
    if tobacco_text:
        if MONEY(tobacco_text):
            tobacco_rate = Decimal(tobacco_text)
            reader._sum_tobacco_rate += tobacco_rate
            if tobacco_rated is False:
                reader._issue(line, "ARA", "TOBACCO_RATE", f"must be empty: {plan_id} is not tobacco-rated")
                ok = False
            elif tobacco_rate == ZERO or tobacco_rate in _PLACEHOLDERS:
                _bad_rate(reader, line, "ARA", "TOBACCO_RATE", tobacco_text)
                ok = False
            elif good_rate is not None and not _tobacco_rate_fits(reader, line, good_rate, tobacco_rate):
                ok = False
        else:
            reader._issue(line, "ARA", "TOBACCO_RATE", f"{tobacco_text!r} is not money with two decimals")
            ok = False
    elif tobacco_rated:
        reader._issue(line, "ARA", "TOBACCO_RATE", f"is empty but {plan_id} is tobacco-rated")
        ok = False
    return rate, tobacco_rate, ok


def _tobacco_rate_fits(reader: EtssReader, line: int, rate: Decimal, tobacco_rate: Decimal) -> bool:
    if tobacco_rate < rate - _CENT:
        reader._issue(line, "ARA", "TOBACCO_RATE", f"{tobacco_rate} is below RATE {rate}")
        return False
    if tobacco_rate > rate * _ONE_AND_A_HALF + _CENT:
        reader._issue(line, "ARA", "TOBACCO_RATE", f"{tobacco_rate} is above 1.5 × RATE {rate}")
        return False
    return True


def _bad_rate(reader: EtssReader, line: int, record_type: str, field: str, text: str) -> None:
    what = "0" if Decimal(text) == 0 else "a placeholder (9999.99, 999999)"
    reader._issue(line, record_type, field, f"{text} is {what}, not a rate")


def _open_ara_block(reader: EtssReader, key: BlockKey, line: int) -> AraBlock:
    plan_id, area_id, eff, exp = key
    if (eff.month, eff.day) not in _QUARTER_STARTS:
        reader._issue(
            line, "ARA", "RATE_EFF_DATE", f"{eff:%Y%m%d} does not start a quarter (1 Jan/Apr/Jul/Oct)"
        )
    year = _plan_year_of_block(reader, "ARA", key, line, expected_method="AGE")
    if area_id not in reader._areas:
        reader._issue(line, "ARA", "RATING_AREA_ID", f"{area_id!r} has no ARE record")
    block = reader._ara_blocks[key] = AraBlock(line, year.tobacco_rated if year else None)
    return block


def _plan_year_of_block(
    reader: EtssReader, record_type: str, key: BlockKey, line: int, expected_method: str
) -> PlanYear | None:
    """The plan year that holds a new rate block, reporting a block that has none (once per block)."""
    plan_id, _area, eff, exp = key
    if exp < eff:
        reader._issue(
            line, record_type, "RATE_EXP_DATE", f"{exp:%Y%m%d} is before RATE_EFF_DATE {eff:%Y%m%d}"
        )
        return None
    years = reader._plans.get(plan_id)
    if not years:
        reader._issue(line, record_type, "PLAN_ID", f"{plan_id!r} has no PLN record")
        return None
    year = next((y for y in years if y.eff <= eff <= y.exp), None)
    if year is None:
        spans = ", ".join(f"{y.eff:%Y%m%d}..{y.exp:%Y%m%d}" for y in years)
        reader._issue(
            line, record_type, "RATE_EFF_DATE", f"{eff:%Y%m%d} is outside {plan_id}'s plan dates {spans}"
        )
        return None
    if exp > year.exp:
        reader._issue(
            line,
            record_type,
            "RATE_EXP_DATE",
            f"{exp:%Y%m%d} is after {plan_id}'s PLAN_EXP_DATE {year.exp:%Y%m%d}",
        )
    if year.rating_method != expected_method:
        reader._issue(line, record_type, "PLAN_ID", f"{plan_id} has RATING_METHOD {year.rating_method}")
    return year


def tra_row(reader: EtssReader, f: list[str], line: int) -> TierRate | None:
    row = Row(reader, line, "TRA")
    _, plan_id, area_id, eff_text, exp_text, tier_text, rate_text = f
    eff = row.date(eff_text, "RATE_EFF_DATE")
    exp = row.date(exp_text, "RATE_EXP_DATE")
    tier = ETSS_TO_TIER.get(tier_text)
    if tier is None:
        row.fail("TIER", f"{tier_text!r} is not one of EE, ES, EC, EF")
    if eff is not None and exp is not None:
        key = (plan_id, area_id, eff, exp)
        block = reader._tra_blocks.get(key)
        if block is None:
            _plan_year_of_block(reader, "TRA", key, line, expected_method="TIER")
            if area_id != "*" and area_id not in reader._areas:
                row.fail("RATING_AREA_ID", f"{area_id!r} has no ARE record (nor is it *)")
            block = reader._tra_blocks[key] = TraBlock(line)
        if tier is not None:
            if tier_text in block.tiers:
                row.fail("TIER", f"tier {tier_text} appears twice in its block (line {block.line})")
            block.tiers.add(tier_text)
    rate = row.money(rate_text, "RATE")
    if MONEY(rate_text):
        reader._sum_rate += rate
        if rate == ZERO or rate in _PLACEHOLDERS:
            _bad_rate(reader, line, "TRA", "RATE", rate_text)
            row.ok = False
    if not row.ok or eff is None or exp is None or tier is None:  # row.ok: all three were read
        return None
    return TierRate(line, plan_id, area_id, eff, exp, tier, rate)


# --------------------------------------------------------------------------------------------------
# After the last line


def check_ara_blocks(blocks: dict[BlockKey, AraBlock], issue: Issue) -> None:
    """Every block has the 51 bands, and its 64+ rate is at most 3 × its age-21 rate."""
    for (plan_id, area_id, eff, _exp), block in blocks.items():
        if block.bands != _ALL_BANDS:
            missing = [band for i, band in enumerate(AGE_BANDS) if not block.bands >> i & 1]
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            message = f"{plan_id} {area_id} from {eff:%Y%m%d} lacks {len(missing)} of 51 bands: {shown}"
            issue(block.line, "ARA", "AGE_BAND", message)
        if block.rate_21 is not None and block.rate_64 is not None:
            line, rate_64 = block.rate_64
            if rate_64 > block.rate_21 * _THREE + _CENT:
                issue(line, "ARA", "RATE", f"64+ rate {rate_64} exceeds 3 × the age-21 rate {block.rate_21}")


def check_ranges(
    record_type: str,
    blocks: dict[BlockKey, AraBlock] | dict[BlockKey, TraBlock],
    plans: dict[str, list[PlanYear]],
    full_coverage: tuple[date, date] | None,
    issue: Issue,
) -> None:
    """Ranges of a plan and area neither overlap nor leave a gap inside a plan year; ``full_coverage``
    (a FULL file's ``COVERAGE_START``..``COVERAGE_END``) must be covered too."""
    by_plan_area: dict[tuple[str, str], list[tuple[date, date, int]]] = defaultdict(list)
    for (plan_id, area_id, eff, exp), block in blocks.items():
        if eff <= exp:
            by_plan_area[(plan_id, area_id)].append((eff, exp, block.line))
    for (plan_id, area_id), ranges in by_plan_area.items():
        ranges.sort()
        what = f"{plan_id} {area_id}"
        latest: tuple[date, date, int] | None = None
        for eff, exp, line in ranges:
            if latest is not None and eff <= latest[1]:
                message = f"{what} {eff:%Y%m%d}..{exp:%Y%m%d} overlaps {latest[0]:%Y%m%d}..{latest[1]:%Y%m%d}"
                issue(line, record_type, "RATE_EFF_DATE", f"{message} (line {latest[2]})")
            if latest is None or exp > latest[1]:
                latest = (eff, exp, line)
        for year in plans.get(plan_id, ()):
            inside = [r for r in ranges if year.eff <= r[0] <= year.exp]
            if inside:
                _check_gaps(record_type, what, year, inside, full_coverage, issue)


def _check_gaps(
    record_type: str,
    what: str,
    year: PlanYear,
    ranges: list[tuple[date, date, int]],
    full_coverage: tuple[date, date] | None,
    issue: Issue,
) -> None:
    covered_to = ranges[0][1]
    for eff, exp, line in ranges[1:]:
        if eff > covered_to + _DAY:
            issue(
                line,
                record_type,
                "RATE_EFF_DATE",
                f"{what} has no rates from {covered_to + _DAY:%Y%m%d} to {eff - _DAY:%Y%m%d}",
            )
        covered_to = max(covered_to, exp)
    if full_coverage is None:
        return
    start, end = max(year.eff, full_coverage[0]), min(year.exp, full_coverage[1])
    first_eff, first_line = ranges[0][0], ranges[0][2]
    if start <= end and first_eff > start:
        message = f"{what} has no rates from {start:%Y%m%d} to {first_eff - _DAY:%Y%m%d} (FULL file)"
        issue(first_line, record_type, "RATE_EFF_DATE", message)
    if start <= end and covered_to < end:
        message = f"{what} has no rates from {covered_to + _DAY:%Y%m%d} to {end:%Y%m%d} (FULL file)"
        issue(ranges[-1][2], record_type, "RATE_EXP_DATE", message)
