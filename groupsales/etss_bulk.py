"""The bulk checks of ETSS rate rows: a run of ARA lines checked column by column, not row by row.

Nearly every line of a large file is an ARA row, and nearly every file is clean. So the reader hands
each run of ARA lines of a chunk (≈ 17,000 lines) to :func:`check_ara_run`, which checks the run's
columns at C speed (one regular expression over a whole joined column, ``tuple`` comparisons of a
block's 51 bands, integer cents) and proves each rate block clean at once. A block that is not
provably clean (a bad field, a block already open, a block cut by the chunk's end, a block whose
plan, area or quarter would raise an issue) goes through the reader's per-row check
(``EtssReader._ara``), which remains the one definition of every message: a broken file is reported
exactly as the per-row checker reports it, line by line and field by field.

A clean block is yielded as :class:`AraRows`: the raw lines and their columns, which the loaders write
as they are (PostgreSQL ``COPY`` text, SQLite ``executemany`` tuples) instead of one typed record per
row. ``AraRows.records()`` gives the typed :class:`~groupsales.etss.AgeRate` records for other callers.

Each record type's bulk check is registered in :data:`BULK_CHECKS` by its record type; a record type
without one (every type but ARA today) is read line by line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import repeat
from operator import mul, sub
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .etss import AgeRate, EtssReader

__all__ = ["BULK_CHECKS", "AraRows", "check_ara_run"]

_AGE_BANDS: list[str] = ["0-14", *(str(age) for age in range(15, 64)), "64+"]  # etss.AGE_BANDS
_BANDS = len(_AGE_BANDS)
_ALL = (1 << _BANDS) - 1
_INDEX_21 = 7  # "0-14", "15", …, "21": the eighth band
_COPY_UNSAFE = re.compile(r"[\\\x00\r\n|]").search
_QUARTER_STARTS = frozenset({(1, 1), (4, 1), (7, 1), (10, 1)})


@dataclass(frozen=True, slots=True)
class AraRows:
    """Clean ARA rows of consecutive lines from ``first_line``: the raw lines and their columns.

    ``copy_safe``: no field holds a character that PostgreSQL's ``COPY`` text format would read
    specially (backslash, NUL, the ``|`` delimiter), so the raw fields can be written as they are.
    """

    first_line: int
    lines: list[str]
    plans: list[str]
    areas: list[str]
    effs: list[str]
    exps: list[str]
    bands: list[str]
    rates: list[str]
    tobacco_rates: list[str]
    dates: dict[str, date]
    copy_safe: bool

    def __len__(self) -> int:
        return len(self.lines)

    def records(self) -> Iterator[AgeRate]:
        from .etss import AgeRate

        dates = self.dates
        for line, plan, area, eff, exp, band, rate, tob in zip(
            range(self.first_line, self.first_line + len(self.lines)),
            self.plans, self.areas, self.effs, self.exps, self.bands, self.rates, self.tobacco_rates,
            strict=True,
        ):  # fmt: skip
            yield AgeRate(
                line, plan, area, dates[eff], dates[exp], band, Decimal(rate), Decimal(tob) if tob else None
            )

    def copy_text(self) -> str:
        """The rows as ``COPY … (state, plan_id, …, tobacco_rate) FROM STDIN (DELIMITER '|', NULL '')``."""
        return "".join(
            [f"{plan[5:7]}{line[3:]}\n" for plan, line in zip(self.plans, self.lines, strict=True)]
        )

    def tuples(self, iso: Mapping[str, str]) -> list[tuple[Any, ...]]:
        """The rows as (state, plan_id, area, eff, exp, band, rate, tobacco_rate); ``iso`` maps a date's
        text to the text stored for it."""
        return [
            (plan[5:7], plan, area, iso[eff], iso[exp], band, rate, tob or None)
            for plan, area, eff, exp, band, rate, tob in zip(
                self.plans, self.areas, self.effs, self.exps, self.bands, self.rates, self.tobacco_rates,
                strict=True,
            )
        ]  # fmt: skip


_NO_DIGITS = str.maketrans("", "", "0123456789")
_ALL_NINES = str.maketrans("0123456789", "9999999999")
_PLACEHOLDER_CENTS = (999999, 99999900)  # 9999.99 and 999999


def _cents(column: list[str]) -> list[int]:
    """Money texts (checked) as whole cents in one pass; an empty text is 0."""
    return list(map(int, ("0" + "\n0".join(column)).replace(".", "").split("\n")))


def _money_column(column: list[str]) -> bool:
    """Every text is money as the per-row check wants it (1 to 9 digits, a dot, 2 digits), checked in a
    few passes over the joined column (a regular expression would walk it a character at a time)."""
    count = len(column)
    joined = "\n".join(column) + "\n"
    if joined.translate(_NO_DIGITS) != ".\n" * count:
        return False  # only ASCII digits and one dot in each
    if joined.startswith(".") or "\n." in joined or max(map(len, column)) > 12:
        return False  # 1 to 9 digits before the dot
    return joined.translate(_ALL_NINES).count(".99\n") == count  # and two after it


def _real_rates(cents: list[int], empty: int = 0) -> bool:
    """No 0.00 (beyond the ``empty`` texts, which count as 0) and no placeholder."""
    return cents.count(0) == empty and all(value not in cents for value in _PLACEHOLDER_CENTS)


class _Run:
    """One run of ARA lines split into columns, with what the block checks need of it.

    The run is split once: its lines joined by ``|\n|`` and split on ``|``, so that every row of
    eight fields takes nine slots, the ninth a lone ``\n``; a run whose separators all sit in their
    place has eight fields in every row, and its columns are plain slices.
    """

    def __init__(self, reader: EtssReader, lines: list[str], first_line: int) -> None:
        self.reader = reader
        self.lines = lines
        self.first_line = first_line
        self.dates = reader._dates
        self._ranges: dict[tuple[str, str], tuple[date, date] | None] = {}
        count = len(lines)
        flat = "|\n|".join(lines).split("|")
        self.columnar = len(flat) == 9 * count - 1 and flat[8::9].count("\n") == count - 1
        self.rates_ok = False
        if not self.columnar:
            return
        self.plans, self.areas, self.effs, self.exps = flat[1::9], flat[2::9], flat[3::9], flat[4::9]
        self.bands, self.rates, self.tobs = flat[5::9], flat[6::9], flat[7::9]
        self.rates_ok = _money_column(self.rates) and _real_rates(rate_cents := _cents(self.rates))
        if not self.rates_ok:
            return
        self.rate_cents = rate_cents
        empty = self.tobs.count("")
        self.tobs_ok = empty == count or (
            _money_column(list(filter(None, self.tobs)) if empty else self.tobs)
            and _real_rates(tob_cents := _cents(self.tobs), empty)
        )
        if self.tobs_ok and empty < count:
            # RATE - 0.01 <= TOBACCO_RATE <= 1.5 × RATE + 0.01, in cents: above_low >= -1, below_high >= -2
            self.above_low = list(map(sub, tob_cents, rate_cents))
            self.below_high = list(map(sub, map(mul, rate_cents, repeat(3)), map(mul, tob_cents, repeat(2))))
        self.tob_cents = tob_cents if self.tobs_ok and empty < count else [0] * count

    def _range(self, eff_text: str, exp_text: str) -> tuple[date, date] | None:
        """A block's dates when the per-row check would find nothing wrong with them, else None."""
        key = (eff_text, exp_text)
        if key in self._ranges:
            return self._ranges[key]
        reader = self.reader
        eff = self.dates.get(eff_text) or reader._date_or_none(eff_text)
        exp = self.dates.get(exp_text) or reader._date_or_none(exp_text)
        found = None
        if eff is not None and exp is not None and eff <= exp and (eff.month, eff.day) in _QUARTER_STARTS:
            found = (eff, exp)
        self._ranges[key] = found
        return found

    def take_block(self, at: int) -> bool:
        """When the 51 rows from ``at`` are one new, complete block the per-row check would pass, record
        it as that check would have (all bands, its 21 and 64+ rates) and say so."""
        end = at + _BANDS
        if self.bands[at:end] != _AGE_BANDS:
            return False
        plan, area, eff_text, exp_text = self.plans[at], self.areas[at], self.effs[at], self.exps[at]
        if (
            self.plans[at:end].count(plan) != _BANDS
            or self.areas[at:end].count(area) != _BANDS
            or self.effs[at:end].count(eff_text) != _BANDS
            or self.exps[at:end].count(exp_text) != _BANDS
        ):
            return False
        dates = self._range(eff_text, exp_text)
        if dates is None:
            return False
        reader = self.reader
        key = (plan, area, *dates)
        if key in reader._ara_blocks or area not in reader._areas:
            return False
        eff, exp = dates
        for year in reader._plans.get(plan, ()):
            if year.eff <= eff <= year.exp:
                break
        else:
            return False
        if (
            exp > year.exp
            or year.rating_method != "AGE"
            or not self._clean_tobacco(at, end, year.tobacco_rated)
        ):
            return False
        line = self.first_line + at
        block = reader._new_ara_block(line, year.tobacco_rated)
        block.bands = _ALL
        block.rate_21 = Decimal(self.rates[at + _INDEX_21])
        block.rate_64 = (line + _BANDS - 1, Decimal(self.rates[end - 1]))
        reader._ara_blocks[key] = block
        return True

    def _clean_tobacco(self, at: int, end: int, tobacco_rated: bool) -> bool:
        tobs = self.tobs[at:end]
        if not tobacco_rated:
            return tobs.count("") == _BANDS
        if "" in tobs or not self.tobs_ok:
            return False
        return min(self.above_low[at:end]) >= -1 and min(self.below_high[at:end]) >= -2

    def same_key_end(self, at: int) -> int:
        """The end of the rows from ``at`` that share its plan, area and range (at least one row)."""
        plans, areas, effs, exps, end = self.plans, self.areas, self.effs, self.exps, at + 1
        key = (plans[at], areas[at], effs[at], exps[at])
        while end < len(plans) and (plans[end], areas[end], effs[end], exps[end]) == key:
            end += 1
        return end

    def clean_rows(self, at: int, end: int, copy_safe: bool) -> AraRows:
        return AraRows(
            self.first_line + at, self.lines[at:end], self.plans[at:end], self.areas[at:end],
            self.effs[at:end], self.exps[at:end], self.bands[at:end], self.rates[at:end],
            self.tobs[at:end], self.dates, copy_safe,
        )  # fmt: skip

    def add_sums(self, at: int, end: int) -> None:
        reader = self.reader
        reader._sum_rate += Decimal(sum(self.rate_cents[at:end])).scaleb(-2)
        if self.tobs_ok:
            reader._sum_tobacco_rate += Decimal(sum(self.tob_cents[at:end])).scaleb(-2)


def _slow(reader: EtssReader, run: _Run, at: int, end: int) -> Iterator[AgeRate]:
    """The per-row check of rows ``at``..``end`` of the run (the reference for every message)."""
    line = run.first_line + at
    for text in run.lines[at:end]:
        fields = text.split("|")
        if len(fields) != 8:
            reader._wrong_field_count(line, "ARA", len(fields))
        else:
            record = reader._ara(fields, line)
            if record is not None:
                yield record
        line += 1


def check_ara_run(reader: EtssReader, lines: list[str], first_line: int) -> Iterator[AraRows | AgeRate]:
    """Check consecutive ARA lines (``first_line`` is the first one's number); yield what is clean.

    The caller has checked the run's place in the file (record order) and counted its lines.
    """
    run = _Run(reader, lines, first_line)
    if not run.rates_ok:
        yield from _slow(reader, run, 0, len(lines))
        return
    copy_safe = reader._copy_safe()
    at, fast_from, count = 0, 0, len(lines)
    while at < count:
        if run.take_block(at):
            at += _BANDS
            continue
        if fast_from < at:
            run.add_sums(fast_from, at)
            yield run.clean_rows(fast_from, at, copy_safe)
        end = run.same_key_end(at)
        yield from _slow(reader, run, at, end)
        at = fast_from = end
    if fast_from < count:
        run.add_sums(fast_from, count)
        yield run.clean_rows(fast_from, count, copy_safe)


def copy_safe(names: Iterator[str]) -> bool:
    return not any(_COPY_UNSAFE(name) for name in names)


BULK_CHECKS: dict[str, Callable[[EtssReader, list[str], int], Iterator[Any]]] = {"ARA": check_ara_run}
