"""The bulk checks of ETSS rate rows: a run of ARA lines checked a block of 51 rows at a time, and its
money columns checked column by column, not row by row.

Nearly every line of a large file is an ARA row, and nearly every file is clean. So the reader hands
each run of ARA lines of a chunk (≈ 17,000 lines) to :func:`check_ara_run`, which works in three
passes, creating as few Python objects per row as it can:

1. **Shape**, one block at a time: a block's 51 lines share their first five fields (the key: record
   type, plan, area, the two dates) when the block's text, joined, holds that prefix at each of its
   51 line starts (one ``str.count``); the prefix is then cut off every line at once (one
   ``str.replace``) and the rest split into the band, rate and tobacco-rate columns (three strings
   per row). The bands must be the 51 bands in order.
2. **Money**, over the whole run: every rate and tobacco rate is money as the per-row check wants it,
   none 0 or a placeholder, and each tobacco rate within its bounds, in a few passes over the joined
   columns and integer cents (``map`` and ``min`` at C speed; the per-block check only when the run
   as a whole fails).
3. **Blocks**, in line order: a block's key, dates, plan year, area and tobacco rating are checked
   once per block, as the per-row check would check its first row.

A block that is not provably clean (a bad field, a block already open, a block cut by the chunk's
end, a block whose plan, area or quarter would raise an issue) goes through the reader's per-row
check (``EtssReader._ara``), which remains the one definition of every message: a broken file is
reported exactly as the per-row checker reports it, line by line and field by field.

Clean blocks are yielded as :class:`AraRows`: the raw lines, each block's key and the money columns,
which the loaders write as they are (PostgreSQL ``COPY`` text built by whole-text replaces, SQLite
``executemany`` tuples zipped per block) instead of one typed record per row. ``AraRows.records()``
gives the typed :class:`~groupsales.etss.AgeRate` records for other callers.

Each record type's bulk check is registered in :data:`BULK_CHECKS` by its record type; a record type
without one (every type but ARA today) is read line by line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import repeat
from operator import mul, sub, truediv
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
_FLAT = 5 + 4 * _BANDS - 1  # the first line's key; band, rate, tobacco rate and a lone "\n" per line

# A block's key: PLAN_ID, RATING_AREA_ID and the two dates as they are written.
_Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class AraRows:
    """Clean ARA rows of consecutive lines from ``first_line``: whole blocks of 51 rows (the bands in
    order), each block's key, and the rows' raw lines and money texts.

    ``copy_safe``: no field holds a character that PostgreSQL's ``COPY`` text format would read
    specially (backslash, NUL, the ``|`` delimiter), so the raw fields can be written as they are.
    A block's tobacco rates are all empty (a plan not tobacco-rated) or none is.
    """

    first_line: int
    lines: list[str]
    keys: list[_Key]
    rates: list[str]
    tobacco_rates: list[str]
    dates: dict[str, date]
    copy_safe: bool

    def __len__(self) -> int:
        return len(self.lines)

    def records(self) -> Iterator[AgeRate]:
        from .etss import AgeRate

        dates, line = self.dates, self.first_line
        for number, (plan, area, eff_text, exp_text) in enumerate(self.keys):
            eff, exp = dates[eff_text], dates[exp_text]
            at = number * _BANDS
            for band, rate, tob in zip(
                _AGE_BANDS, self.rates[at : at + _BANDS], self.tobacco_rates[at : at + _BANDS], strict=True
            ):
                yield AgeRate(line, plan, area, eff, exp, band, Decimal(rate), Decimal(tob) if tob else None)
                line += 1

    def copy_text(self) -> str:
        """The rows as ``COPY … (state, plan_id, …, tobacco_rate) FROM STDIN (DELIMITER '|', NULL '')``:
        each line with its plan's state in place of the record type, a run of one state in one go."""
        keys, lines, parts = self.keys, self.lines, []
        at, count = 0, len(keys)
        while at < count:
            state = keys[at][0][5:7]
            end = at + 1
            while end < count and keys[end][0][5:7] == state:
                end += 1
            text = "\n".join(lines[at * _BANDS : end * _BANDS])
            parts.append(f"{state}{text[3:].replace(chr(10) + 'ARA|', chr(10) + state + '|')}\n")
            at = end
        return "".join(parts)

    def tuples(self, iso: Mapping[str, str]) -> list[tuple[Any, ...]]:
        """The rows as (state, plan_id, area, eff, exp, band, rate, tobacco_rate); ``iso`` maps a date's
        text to the text stored for it."""
        rows: list[tuple[Any, ...]] = []
        for number, (plan, area, eff_text, exp_text) in enumerate(self.keys):
            at = number * _BANDS
            tobs = self.tobacco_rates[at : at + _BANDS]
            rows.extend(
                zip(
                    repeat(plan[5:7], _BANDS), repeat(plan, _BANDS), repeat(area, _BANDS),
                    repeat(iso[eff_text], _BANDS), repeat(iso[exp_text], _BANDS), _AGE_BANDS,
                    self.rates[at : at + _BANDS], tobs if tobs[0] else repeat(None, _BANDS),
                    strict=True,
                )
            )  # fmt: skip
        return rows


_NO_DIGITS = str.maketrans("", "", "0123456789")
_ALL_NINES = str.maketrans("0123456789", "9999999999")
_PLACEHOLDERS = ((9999.99, "9999.99\n"), (999999.0, "999999.00\n"))
# Below this sum (in units), the sum of the money values read as floats (each within half an ulp of its
# text, 9 digits and 2 decimals at most), added with fsum and scaled to cents, is within 0.05 of the
# exact sum of the texts in cents: rounding it gives that exact sum.
_EXACT_SUM = 1e12


def _real_values(column: list[str]) -> list[float] | None:
    """The texts as floats when every one is money as the per-row check wants it (1 to 9 digits, a
    dot, 2 digits), none 0.00 and none a placeholder; else None.

    The format is checked in a few passes over the joined column (a regular expression would walk it a
    character at a time). A float is not the exact amount, but money of at most 9 + 2 digits is read
    to within 1e-7 of it, so 0, the placeholders and the tobacco bounds (:func:`_within_bounds`) are
    told apart exactly."""
    count = len(column)
    if not count:
        return None
    joined = "\n".join(column) + "\n"
    if joined.translate(_NO_DIGITS) != ".\n" * count:
        return None  # only ASCII digits and one dot in each
    if joined.startswith(".") or "\n." in joined:
        return None  # a digit before the dot
    nines = joined.translate(_ALL_NINES)
    if nines.count(".99\n") != count or "9999999999." in nines:
        return None  # two digits after the dot, at most nine before it
    values = list(map(float, column))
    if min(values) <= 0.0:
        return None
    for placeholder, text in _PLACEHOLDERS:
        if text in joined and placeholder in values:  # the text as it ends, whatever its leading zeros
            return None
    return values


def _within_bounds(tobs: list[float], rates: list[float]) -> bool:
    """RATE - 0.01 <= TOBACCO_RATE <= 1.5 × RATE + 0.01 on every row (the rates are not 0).

    Where every tobacco rate is 1 to 1.5 times its rate (as floats), the exact test holds; else it is
    made on differences: both sides are whole cents, so ``TOBACCO_RATE - RATE >= -0.01`` is the same
    as ``> -0.015`` on the floats (each within 1e-6 of the exact difference), and ``3 × RATE - 2 ×
    TOBACCO_RATE >= -0.02`` the same as ``> -0.025``."""
    ratios = list(map(truediv, tobs, rates))
    if min(ratios) >= 1.0 and max(ratios) <= 1.5:
        return True
    return (
        min(map(sub, tobs, rates)) > -0.015
        and min(map(sub, map(mul, rates, repeat(3.0)), map(mul, tobs, repeat(2.0)))) > -0.025
    )


def _add_sum(total: Decimal, values: list[float], texts: list[str]) -> Decimal:
    """``total`` plus the exact sum of money ``texts`` (empty: 0), through their float ``values`` when
    that is exact; nothing added to nothing, as the per-row check (``0``, not ``0.00``)."""
    added = math.fsum(values)
    if not added:
        return total
    if added < _EXACT_SUM:
        return total + Decimal(round(added * 100)).scaleb(-2)
    return sum((Decimal(text) for text in texts if text), total)


_NONE, _FULL, _BAD = 0, 1, 2  # a block's tobacco rates: all empty, all good, anything else


class _Run:
    """One run of ARA lines: its candidate blocks (pass 1), their money (pass 2), and what the block
    checks need of them (pass 3, :meth:`take_block`)."""

    def __init__(self, reader: EtssReader, lines: list[str], first_line: int) -> None:
        self.reader = reader
        self.lines = lines
        self.first_line = first_line
        self.dates = reader._dates
        self._ranges: dict[tuple[str, str], tuple[date, date] | None] = {}
        # pass 1: the blocks whose shape is right, by their first line's index in the run
        self.starts: list[int] = []
        self.keys: list[_Key] = []
        rates: list[str] = []
        tobs: list[str] = []
        at, count = 0, len(lines)
        while at + _BANDS <= count:
            if self._shape(at, rates, tobs):
                at += _BANDS
            else:
                at = self.same_key_end(at)
        self.rates, self.tobs = rates, tobs
        # pass 2: money, for the whole run at once when it is clean, else block by block
        blocks = len(self.starts)
        self.rate_ok = [True] * blocks
        rate_values = _real_values(rates) if blocks else []
        if rate_values is None:
            rate_values = []
            for number in range(blocks):
                values = _real_values(rates[number * _BANDS : (number + 1) * _BANDS])
                if values is None:
                    self.rate_ok[number] = False
                    values = [0.0] * _BANDS
                rate_values += values
        self.rate_values = rate_values
        self.tob_state, self.tob_values = self._tobacco(blocks)

    def _shape(self, at: int, rates: list[str], tobs: list[str]) -> bool:
        """Whether the 51 lines from ``at`` have eight fields each, one key and the bands in order; if
        so, keep the block's key and money texts.

        Every line but the first loses the first line's five key fields (``prefix``) and gets a lone
        ``"\n"`` field instead, so that the split has the first line's key, then band, rate, tobacco
        rate and ``"\n"`` for each line. A line without the prefix keeps its ``ARA`` (not a band) and
        a line with a field too many or too few moves the ``"\n"`` fields: neither passes.
        """
        lines = self.lines
        first = lines[at]
        fields = first.split("|", 5)
        if len(fields) != 6:
            return False
        prefix = first[: len(first) - len(fields[5])]
        flat = "\n".join(lines[at : at + _BANDS]).replace("\n" + prefix, "|\n|").split("|")
        if len(flat) != _FLAT or flat[8::4].count("\n") != _BANDS - 1 or flat[5::4] != _AGE_BANDS:
            return False
        self.starts.append(at)
        self.keys.append((fields[1], fields[2], fields[3], fields[4]))
        rates += flat[6::4]
        tobs += flat[7::4]
        return True

    def _tobacco(self, blocks: int) -> tuple[list[int], list[float]]:
        """Each block's tobacco state and the tobacco rates as floats (0 where empty or bad)."""
        tobs, rate_values = self.tobs, self.rate_values
        empty = tobs.count("")
        if empty == len(tobs):
            return [_NONE] * blocks, [0.0] * len(tobs)
        if not empty and all(self.rate_ok):
            found = _real_values(tobs)
            if found is not None and _within_bounds(found, rate_values):
                return [_FULL] * blocks, found
        states: list[int] = []
        all_values: list[float] = []
        for number in range(blocks):
            at, end = number * _BANDS, (number + 1) * _BANDS
            block = tobs[at:end]
            state, values = _BAD, [0.0] * _BANDS
            if block.count("") == _BANDS:
                state = _NONE
            elif "" not in block and self.rate_ok[number]:
                found = _real_values(block)
                if found is not None and _within_bounds(found, rate_values[at:end]):
                    state, values = _FULL, found
            states.append(state)
            all_values += values
        return states, all_values

    def _range(self, eff_text: str, exp_text: str) -> tuple[date, date] | None:
        """A block's dates when the per-row check would find nothing wrong with them, else None."""
        key = (eff_text, exp_text)
        if key in self._ranges:
            return self._ranges[key]
        reader = self.reader
        eff = self.dates.get(eff_text) or reader._date_or_none(eff_text)
        exp = self.dates.get(exp_text) or reader._date_or_none(exp_text)
        found: tuple[date, date] | None = None
        if eff is not None and exp is not None and eff <= exp and (eff.month, eff.day) in _QUARTER_STARTS:
            found = (eff, exp)
        self._ranges[key] = found
        return found

    def take_block(self, number: int) -> bool:
        """When candidate block ``number`` is one new block the per-row check would pass, record it as
        that check would have (all bands, its 21 and 64+ rates) and say so."""
        if not self.rate_ok[number] or self.tob_state[number] == _BAD:
            return False
        plan, area, eff_text, exp_text = self.keys[number]
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
            or self.tob_state[number] != (_FULL if year.tobacco_rated else _NONE)
        ):
            return False
        line = self.first_line + self.starts[number]
        block = reader._new_ara_block(line, year.tobacco_rated)
        block.bands = _ALL
        at = number * _BANDS
        block.rate_21 = Decimal(self.rates[at + _INDEX_21])
        block.rate_64 = (line + _BANDS - 1, Decimal(self.rates[at + _BANDS - 1]))
        reader._ara_blocks[key] = block
        return True

    def same_key_end(self, at: int) -> int:
        """The end of the lines from ``at`` that share its first five fields (at least one line)."""
        lines, end = self.lines, at + 1
        first = lines[at]
        fields = first.split("|", 5)
        if len(fields) == 6:
            prefix = first[: len(first) - len(fields[5])]
            while end < len(lines) and lines[end].startswith(prefix):
                end += 1
        return end

    def clean_rows(self, first: int, end: int, copy_safe: bool) -> AraRows:
        """Candidate blocks ``first``..``end`` (consecutive lines) as AraRows, their sums counted."""
        at, stop = first * _BANDS, end * _BANDS
        reader = self.reader
        reader._sum_rate = _add_sum(reader._sum_rate, self.rate_values[at:stop], self.rates[at:stop])
        reader._sum_tobacco_rate = _add_sum(
            reader._sum_tobacco_rate, self.tob_values[at:stop], self.tobs[at:stop]
        )
        line = self.starts[first]
        return AraRows(
            self.first_line + line, self.lines[line : line + stop - at], self.keys[first:end],
            self.rates[at:stop], self.tobs[at:stop], self.dates, copy_safe,
        )  # fmt: skip


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
    starts = run.starts
    copy_safe = reader._copy_safe() if starts else False
    at, count = 0, len(lines)
    number, blocks = 0, len(starts)  # the next candidate block
    clean_from = None  # the first of the consecutive clean blocks not yet yielded
    while at < count:
        while number < blocks and starts[number] < at:
            number += 1
        if number < blocks and starts[number] == at and run.take_block(number):
            if clean_from is None:
                clean_from = number
            at += _BANDS
            number += 1
            continue
        if clean_from is not None:
            yield run.clean_rows(clean_from, number, copy_safe)
            clean_from = None
        if number < blocks and starts[number] == at:
            end = run.same_key_end(at)  # a block that failed: its rows and any more of its key
        else:
            end = starts[number] if number < blocks else count  # rows of no candidate block
        yield from _slow(reader, run, at, end)
        at = end
    if clean_from is not None:
        yield run.clean_rows(clean_from, number, copy_safe)


def copy_safe(names: Iterator[str]) -> bool:
    return not any(_COPY_UNSAFE(name) for name in names)


BULK_CHECKS: dict[str, Callable[[EtssReader, list[str], int], Iterator[Any]]] = {"ARA": check_ara_run}
