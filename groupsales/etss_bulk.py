"""The bulk check of ETSS rate rows: a run of ARA lines checked column by column (NumPy), a block of 51
rows at a time, with no Python object made per row.

Nearly every line of a large file is an ARA row, and nearly every file is clean. So the reader hands
each run of ARA lines of a chunk (≈ 17,000 lines; the chunk's line index, :class:`~groupsales.
etss_files.Chunk`, tells where the run ends) to :func:`check_ara_run`, which works in two passes:

1. **Columns** (:class:`_Columns`, vectorised): the run's bytes, copied once between zero bytes; its
   line ends (the chunk's) and ``|`` separators (a line of eight fields has seven); then, for every
   line at once:

   * its **key** (the first five fields with their separators: record type, plan, area, the two dates)
     compared with the line before's, eight bytes at a time: a run of lines with one key is a block;
   * its **band**, the field's bytes and length as one 64-bit code, against the band of its place;
   * its **RATE** and **TOBACCO_RATE**: the field's last 16 bytes as two 64-bit words, checked for
     money as the per-row check wants it (ASCII digits, a dot, two decimals, one to nine digits before
     the dot: a few bitwise operations on every byte at once) and read as whole cents (exact: at most
     11 digits); none 0 or a placeholder (9999.99, 999999.00), and each tobacco rate within its bounds
     ``RATE - 0.01 <= TOBACCO_RATE <= 1.5 × RATE + 0.01``, tested on the cents, exactly.

   A **candidate block** is 51 consecutive lines of eight fields with one key (the lines before and
   after have another), the 51 bands in order, every rate good, and its tobacco rates all empty or all
   good. Its sums are added in whole cents (exact; 64-bit integers cannot overflow here).
2. **Blocks**, in line order (:func:`check_ara_run`, once per block): the key's dates (eight ASCII
   digits, a calendar date, a quarter's start, in order), plan year, area, rating method and tobacco
   rating are checked as the per-row check would check the block's first row, and the block is
   recorded as that check would record it.

A line that is not in a candidate block, or a block that fails its block checks (a bad field, a block
already open, a block cut by the chunk's end, a plan, area or quarter that would raise an issue), goes
through the reader's per-row check (``EtssReader._ara``), which remains the one definition of every
message: a broken file is reported exactly as the per-row checker reports it, line by line and field
by field, in line order.

Clean blocks are yielded as :class:`AraRows`: the raw lines and each block's key, which the loaders
write as they are (PostgreSQL ``COPY`` text built by whole-text replaces, SQLite ``executemany`` tuples
zipped per block) instead of one typed record per row. ``AraRows.records()`` gives the typed
:class:`~groupsales.etss.AgeRate` records for other callers.

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
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .etss import AgeRate, EtssReader
    from .etss_files import Chunk

__all__ = ["BULK_CHECKS", "AraRows", "check_ara_run"]

_AGE_BANDS: list[str] = ["0-14", *(str(age) for age in range(15, 64)), "64+"]  # etss.AGE_BANDS
_BANDS = len(_AGE_BANDS)
_ALL = (1 << _BANDS) - 1
_INDEX_21 = 7  # "0-14", "15", …, "21": the eighth band
_COPY_UNSAFE = re.compile(r"[\\\x00\r\n|]").search
_QUARTER_STARTS = frozenset({(1, 1), (4, 1), (7, 1), (10, 1)})
_FIELDS = 8

# A block's key: PLAN_ID, RATING_AREA_ID and the two dates as they are written.
_Key = tuple[str, str, str, str]

_Ints = npt.NDArray[np.int64]
_Words = npt.NDArray[np.uint64]
_Bools = npt.NDArray[np.bool_]

_LF, _BAR, _DOT = 0x0A, 0x7C, 0x2E
_BEFORE = 16  # bytes before the first line: a money field's last 16 bytes never start before the text
_KEY_WORDS = 16  # keys (the first five fields) of up to 128 bytes are compared; a longer one is no block
_AFTER = 8 * _KEY_WORDS + 8  # bytes after the last LF: every 8-byte read stays inside the text
_PAD_BEFORE, _PAD_AFTER = b"\0" * (_BEFORE - 1) + b"\n", b"\0" * _AFTER
_EACH = 0x0101010101010101  # one in every byte of a word
_ZEROS = np.uint64(0x30 * _EACH)  # "00000000"
_HIGH = np.uint64(0x80 * _EACH)
_NOT_BELOW_TEN = np.uint64(0x76 * _EACH)  # a byte from 0 to 9 plus 0x76 stays below 0x80
_WHOLE = np.uint64(0xFFFFFFFFFF)  # a money field's last 8 bytes: up to 5 whole digits, the dot, 2 decimals
_DECIMALS = np.uint64(0xFFFF << 48)
_LOW_BYTES: _Words = np.array([(1 << 8 * k) - 1 for k in range(9)], np.uint64)  # a word's k low bytes
_PLACEHOLDER_CENTS = (999999, 99999900)  # 9999.99, 999999.00


def _code(band: str) -> int:
    """A band's bytes (at most 8) and its length in one 64-bit word, as :class:`_Columns` reads it."""
    raw = band.encode()
    return int.from_bytes(raw.ljust(8, b"\0"), "little") | len(raw) << 56


_BAND_CODES: _Words = np.array([_code(band) for band in _AGE_BANDS], np.uint64)


@dataclass(frozen=True, slots=True)
class AraRows:
    """Clean ARA rows of consecutive lines from ``first_line``: whole blocks of 51 rows (the bands in
    order), each block's key, and the rows' raw text (each line with its LF), block ``n`` from
    ``offsets[n]`` to ``offsets[n + 1]``.

    ``copy_safe``: no field holds a character that PostgreSQL's ``COPY`` text format would read
    specially (backslash, NUL, the ``|`` delimiter), so the raw fields can be written as they are
    (the dates are eight ASCII digits, the bands and money are checked byte by byte). A block's tobacco
    rates are all empty (a plan not tobacco-rated) or none is. ``dates`` maps each key's date texts to
    their dates.
    """

    first_line: int
    text: str
    offsets: list[int]
    keys: list[_Key]
    dates: Mapping[str, date]
    copy_safe: bool

    def __len__(self) -> int:
        return len(self.keys) * _BANDS

    @property
    def lines(self) -> list[str]:
        """The rows' lines (without LF)."""
        return self.text[:-1].split("\n")

    def money(self, number: int) -> tuple[list[str], list[str]]:
        """Block ``number``'s RATE and TOBACCO_RATE texts, in band order, cut from its raw lines: every
        line starts with the block's key, the rest is band, rate and tobacco rate."""
        plan, area, eff_text, exp_text = self.keys[number]
        prefix = f"ARA|{plan}|{area}|{eff_text}|{exp_text}|"
        text = self.text[self.offsets[number] + len(prefix) : self.offsets[number + 1] - 1]
        flat = text.replace("\n" + prefix, "|").split("|")
        return flat[1::3], flat[2::3]

    def records(self) -> Iterator[AgeRate]:
        from .etss import AgeRate

        dates, line = self.dates, self.first_line
        for number, (plan, area, eff_text, exp_text) in enumerate(self.keys):
            eff, exp = dates[eff_text], dates[exp_text]
            rates, tobs = self.money(number)
            for band, rate, tob in zip(_AGE_BANDS, rates, tobs, strict=True):
                yield AgeRate(line, plan, area, eff, exp, band, Decimal(rate), Decimal(tob) if tob else None)
                line += 1

    def copy_text(self) -> str:
        """The rows as ``COPY … (state, plan_id, …, tobacco_rate) FROM STDIN (DELIMITER '|', NULL '')``:
        each line with its plan's state in place of the record type, a run of one state in one go."""
        keys, offsets, parts = self.keys, self.offsets, []
        at, count = 0, len(keys)
        while at < count:
            state = keys[at][0][5:7]
            end = at + 1
            while end < count and keys[end][0][5:7] == state:
                end += 1
            text = self.text[offsets[at] + 3 : offsets[end]]
            parts.append(f"{state}{text.replace(chr(10) + 'ARA|', chr(10) + state + '|')}")
            at = end
        return "".join(parts)

    def tuples(self, iso: Mapping[str, str]) -> list[tuple[Any, ...]]:
        """The rows as (state, plan_id, area, eff, exp, band, rate, tobacco_rate); ``iso`` maps a date's
        text to the text stored for it."""
        rows: list[tuple[Any, ...]] = []
        for number, (plan, area, eff_text, exp_text) in enumerate(self.keys):
            rates, tobs = self.money(number)
            rows.extend(
                zip(
                    repeat(plan[5:7], _BANDS), repeat(plan, _BANDS), repeat(area, _BANDS),
                    repeat(iso[eff_text], _BANDS), repeat(iso[exp_text], _BANDS), _AGE_BANDS,
                    rates, tobs if tobs[0] else repeat(None, _BANDS),
                    strict=True,
                )
            )  # fmt: skip
        return rows


_AMOUNTS: dict[int, Decimal] = {}


def _amount(cents: int) -> Decimal:
    """Whole cents as the Decimal of their text (``Decimal("0330.25")`` is ``Decimal("330.25")``)."""
    amount = _AMOUNTS.get(cents)
    if amount is None:
        amount = Decimal(cents).scaleb(-2)
        if len(_AMOUNTS) < 100_000:
            _AMOUNTS[cents] = amount
    return amount


def _starts(ends: _Ints) -> _Ints:
    starts = np.empty_like(ends)
    starts[0] = _BEFORE
    starts[1:] = ends[:-1] + 1
    return starts


def _per_block(values: npt.NDArray[Any], first: _Ints) -> _Ints:
    """The sum of ``values`` over the 51 lines of each block from ``first``."""
    total = np.zeros(len(values) + 1, np.int64)
    np.cumsum(values, out=total[1:])
    result: _Ints = total[first + _BANDS] - total[first]
    return result


def _eight_digits(digits: _Words) -> _Words:
    """The number each word's eight bytes (each 0 to 9, the first byte the most significant) write."""
    digits = (digits * np.uint64(10) + (digits >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    digits = (digits * np.uint64(100) + (digits >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    return (digits * np.uint64(10000) + (digits >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


def _only_digits(digits: _Words) -> _Bools:
    """Whether every byte of each word is 0 to 9 (a byte of 0x80 or more shows its own high bit; one of
    10 to 0x7F gets it by the addition, and a carry out of a byte only follows a byte that has it)."""
    return ((digits + _NOT_BELOW_TEN) | digits) & _HIGH == 0


def _money(words: _Words, end: _Ints, length: _Ints) -> tuple[_Bools, _Ints]:
    """Whether each field of ``length`` bytes ending before ``end`` is money as the per-row check wants
    it, in ASCII (1 to 9 digits, a dot, 2 digits), and its value in whole cents.

    The field's last 8 bytes hold its last 5 whole digits (or bytes before the field), the dot and the
    two decimals; the 8 before them its first 4 whole digits at most. Bytes outside the field are
    cleared before the digit test, so a shorter amount reads as if written with leading zeros; the
    whole digits are moved one byte up over the dot, so that the eight bytes write the cents."""
    low = words[end - 8]
    ok = (length >= 4) & (length <= 12) & ((low >> np.uint64(40)) & np.uint64(0xFF) == _DOT)
    low = (low ^ _ZEROS) & ~_LOW_BYTES[np.clip(8 - length, 0, 8)]
    low = (low & _WHOLE) << np.uint64(8) | low & _DECIMALS
    ok &= _only_digits(low)
    cents = _eight_digits(low).astype(np.int64)
    if int(length.max(initial=0)) > 8:  # amounts of 100,000.00 or more: the first whole digits
        high = (words[end - 16] ^ _ZEROS) & ~_LOW_BYTES[np.clip(16 - length, 0, 8)]
        ok &= _only_digits(high)
        cents += _eight_digits(high).astype(np.int64) * 10**7
    return ok, cents


class _Columns:
    """One run of ARA lines checked column by column (pass 1; pass 2 is :func:`check_ara_run`'s).

    After pass 1: :attr:`starts`, the first line (index in the run) of each candidate block, in line
    order; :attr:`tobacco`, whether its tobacco rates are given (else all empty); :attr:`rate_cents`
    and :attr:`tobacco_cents`, its sums in whole cents; :attr:`cents_21` and :attr:`cents_64`, its
    rates at bands 21 and 64+."""

    def __init__(self, reader: EtssReader, chunk: Chunk, first: int, end: int) -> None:
        self.reader = reader
        self.chunk = chunk
        self.first = first  # the run's first line in the chunk
        self.first_line = chunk.first + first + 1
        self.count = end - first
        self.dates: dict[str, date] = {}
        self.years: dict[tuple[str, str, str], tuple[date, date, bool] | None] = {}
        self.keys: dict[int, _Key] = {}
        self._find_blocks()

    def _find_blocks(self) -> None:
        chunk, count = self.chunk, self.count
        # the run's bytes between zero bytes (a first "line" of 15 and 135 after the last LF), so that
        # every 8-byte read of a field stays inside it: one copy
        at_start, at_end = chunk.start(self.first), int(chunk.ends[self.first + count - 1]) + 1
        self.offset = at_start - _BEFORE  # a byte's offset in the chunk's data less its offset here
        text = b"".join((_PAD_BEFORE, memoryview(chunk.data)[at_start:at_end], _PAD_AFTER))
        data = np.frombuffer(text, np.uint8)
        # the 8 bytes from each offset as one little-endian word (a view)
        words: _Words = np.ndarray((len(data) - 7,), "<u8", buffer=text, strides=(1,))
        line_ends = chunk.ends[self.first : self.first + count] - self.offset  # in ``data``
        starts, ends, at, shaped = self._separators(data, line_ends)

        same = self._same_key(words, starts, at, shaped)

        # a line's place in its run of one key, and what a block needs of each line
        heads = np.flatnonzero(~same)
        place = np.arange(count) - np.repeat(heads, np.diff(heads, append=count))
        band_length = np.clip(at[5] - at[4] - 1, 0, 8)
        band = words[at[4] + 1] & _LOW_BYTES[band_length] | band_length.astype(np.uint64) << np.uint64(56)
        row_ok, rate = _money(words, at[6], at[6] - at[5] - 1)
        tobacco_length = ends - at[6] - 1
        tobacco_ok, tobacco = _money(words, ends, tobacco_length)
        for placeholder in _PLACEHOLDER_CENTS:
            row_ok &= rate != placeholder
            tobacco_ok &= tobacco != placeholder
        row_ok &= (rate > 0) & (band == _BAND_CODES[np.minimum(place, _BANDS - 1)])
        tobacco_ok &= (tobacco > 0) & (tobacco >= rate - 1) & (2 * tobacco <= 3 * rate + 2)

        # candidate blocks: 51 lines of eight fields with one key, between lines of other keys, every
        # row good, the tobacco rates all good or all empty
        sizes = np.diff(heads, append=count)
        first = heads[(sizes == _BANDS) & shaped[heads]]
        counts = _per_block(
            row_ok | tobacco_ok.astype(np.int64) << 8 | (tobacco_length == 0).astype(np.int64) << 16, first
        )
        given = counts >> 8 & 0xFF == _BANDS
        good = (counts & 0xFF == _BANDS) & (given | (counts >> 16 == _BANDS))
        first = first[good]
        self.starts: list[int] = first.tolist()
        # where each candidate block's first line and its LF are in the chunk's text, and its end
        self.texts: list[int] = chunk.chars(starts[first] + self.offset).tolist()
        self.text_ends: list[int] = chunk.chars(ends[first] + self.offset).tolist()
        self.block_ends: list[int] = chunk.chars(ends[first + _BANDS - 1] + 1 + self.offset).tolist()
        self.tobacco: list[bool] = given[good].tolist()
        self.rate_cents = _per_block(rate, first)
        self.tobacco_cents = _per_block(tobacco, first)
        self.cents_21: list[int] = rate[first + _INDEX_21].tolist()
        self.cents_64: list[int] = rate[first + _BANDS - 1].tolist()

    @staticmethod
    def _same_key(words: _Words, starts: _Ints, at: _Ints, shaped: _Bools) -> _Bools:
        """Whether each line's block key is the line before's (the first line's never is)."""
        count = len(starts)
        # the key: up to and with the fifth separator; a line is "same" when its key is the line before's
        key_length = at[4] + 1 - starts
        following = key_length[1:]
        same = shaped.copy()
        same[0] = False
        same[1:] &= shaped[:-1] & (following == key_length[:-1]) & (following <= 8 * _KEY_WORDS)
        if shaped.any():
            differ = np.zeros(count - 1, np.uint64)
            shortest = int(key_length[shaped].min())
            longest = min(int(key_length[shaped].max()), 8 * _KEY_WORDS)
            for offset in range(0, longest, 8):
                read = words[starts + offset]
                if offset + 8 <= shortest:  # inside every key
                    differ |= read[1:] ^ read[:-1]
                else:
                    differ |= (read[1:] ^ read[:-1]) & _LOW_BYTES[np.clip(following - offset, 0, 8)]
            same[1:] &= differ == 0

        return same

    @staticmethod
    def _separators(data: npt.NDArray[np.uint8], ends: _Ints) -> tuple[_Ints, _Ints, _Ints, _Bools]:
        """Each line's start and end (its LF, ``ends``: found by the chunk), its seven ``|`` (``at[k]``:
        the k+1-th of every line) and whether it has seven (``shaped``); a line without them gets its
        end as every separator (its fields are then read, not used)."""
        count = len(ends)
        starts = _starts(ends)
        bars: _Ints = np.flatnonzero(data == _BAR)
        if len(bars) == (_FIELDS - 1) * count:
            rows = bars.reshape(count, _FIELDS - 1).T  # a row per separator (a view)
            # each line's seven between its start and its end: then every line has seven
            if bool((rows[0] >= starts).all()) and bool((rows[-1] < ends).all()):
                return starts, ends, rows, np.ones(count, np.bool_)
        line_of = np.searchsorted(ends, bars)
        shaped = np.bincount(line_of, minlength=count) == _FIELDS - 1
        at = np.repeat(ends[None, :], _FIELDS - 1, axis=0)
        at[:, shaped] = bars[shaped[line_of]].reshape(-1, _FIELDS - 1).T
        return starts, ends, at, shaped

    def _plan_year(self, plan: str, eff_text: str, exp_text: str) -> tuple[date, date, bool] | None:
        """A block's dates and its plan year's tobacco rating when the per-row check would find nothing
        wrong with its plan and range (the area and the block's own rows aside), else None.

        Dates of ASCII digits only: the per-row check also reads other decimal digits, which the
        loaders' raw text would not carry."""
        reader = self.reader
        if not (eff_text + exp_text).isascii():
            return None
        eff = reader._dates.get(eff_text) or reader._date_or_none(eff_text)
        exp = reader._dates.get(exp_text) or reader._date_or_none(exp_text)
        if eff is None or exp is None or exp < eff or (eff.month, eff.day) not in _QUARTER_STARTS:
            return None
        for year in reader._plans.get(plan, ()):
            if year.eff <= eff <= year.exp:
                break
        else:
            return None
        if exp > year.exp or year.rating_method != "AGE":
            return None
        self.dates[eff_text], self.dates[exp_text] = eff, exp
        return eff, exp, year.tobacco_rated

    def year_of(self, range_key: tuple[str, str, str]) -> tuple[date, date, bool] | None:
        found = self.years[range_key] = self._plan_year(*range_key)
        return found

    def clean_rows(self, first: int, end: int, copy_safe: bool) -> AraRows:
        """Candidate blocks ``first``..``end`` (taken, consecutive lines) as AraRows, their sums counted
        as the per-row check counts them (nothing added to nothing: ``0``, not ``0.00``)."""
        reader = self.reader
        rate = int(self.rate_cents[first:end].sum())
        tobacco = int(self.tobacco_cents[first:end].sum())
        if rate:
            reader._sum_rate += Decimal(rate).scaleb(-2)
        if tobacco:
            reader._sum_tobacco_rate += Decimal(tobacco).scaleb(-2)
        line = self.starts[first]
        keys = [self.keys[number] for number in range(first, end)]
        start = self.texts[first]
        offsets = [at - start for at in self.texts[first:end]]
        offsets.append(self.block_ends[end - 1] - start)
        text = self.chunk.text[start : self.block_ends[end - 1]]
        return AraRows(self.first_line + line, text, offsets, keys, self.dates, copy_safe)

    def key_line(self, number: int) -> str:
        """The first line of candidate block ``number``."""
        return self.chunk.text[self.texts[number] : self.text_ends[number]]

    def slow(self, at: int, end: int) -> Iterator[AgeRate]:
        """The per-row check of rows ``at``..``end`` of the run."""
        return _slow(self.reader, self.chunk.lines(self.first + at, self.first + end), self.first_line + at)


def _slow(reader: EtssReader, lines: list[str], line: int) -> Iterator[AgeRate]:
    """The per-row check of ``lines`` from line number ``line`` (the reference for every message)."""
    for text in lines:
        fields = text.split("|")
        if len(fields) != _FIELDS:
            reader._wrong_field_count(line, "ARA", len(fields))
        else:
            record = reader._ara(fields, line)
            if record is not None:
                yield record
        line += 1


def check_ara_run(reader: EtssReader, chunk: Chunk, first: int, end: int) -> Iterator[AraRows | AgeRate]:
    """Check the ARA lines ``first``..``end`` of ``chunk`` (counted from 0 in it); yield what is clean.

    The caller has checked the run's place in the file (record order) and counted its lines. Pass 2
    runs here, a block at a time in line order, between the per-row checks of the lines of no clean
    block: a candidate block is taken when it is one new block the per-row check would pass (its
    plan and range, its area, not already open), and recorded as that check would have recorded it
    (all bands, its 21 and 64+ rates). The plans and areas do not change during a run (the per-row
    check of ARA rows adds none), so what a plan and range allow is looked up once per run.
    """
    if end <= first:
        return
    run = _Columns(reader, chunk, first, end)
    first_line, slow = run.first_line, run.slow
    copy_safe = reader._copy_safe() if run.starts else False
    blocks, areas, new_block = reader._ara_blocks, reader._areas, reader._new_ara_block
    years, year_of, keys = run.years, run.year_of, run.keys
    tobacco, cents_21, cents_64 = run.tobacco, run.cents_21, run.cents_64
    at = 0  # the first line not yet checked
    clean_from: int | None = None  # the first of the consecutive clean blocks not yet yielded
    for number, start in enumerate(run.starts):
        if start > at:  # lines of no candidate block
            if clean_from is not None:
                yield run.clean_rows(clean_from, number, copy_safe)
                clean_from = None
            yield from slow(at, start)
        at = start + _BANDS
        _, plan, area, eff_text, exp_text, _rest = run.key_line(number).split("|", 5)
        range_key = (plan, eff_text, exp_text)
        found = years[range_key] if range_key in years else year_of(range_key)
        if found is not None and found[2] == tobacco[number] and area in areas:
            eff, exp, rated = found
            key = (plan, area, eff, exp)
            if key not in blocks:
                line = first_line + start
                block = new_block(line, rated)
                block.bands = _ALL
                block.rate_21 = _AMOUNTS.get(cents := cents_21[number]) or _amount(cents)
                block.rate_64 = (line + _BANDS - 1, _AMOUNTS.get(cents := cents_64[number]) or _amount(cents))
                blocks[key] = block
                keys[number] = (plan, area, eff_text, exp_text)
                if clean_from is None:
                    clean_from = number
                continue
        if clean_from is not None:
            yield run.clean_rows(clean_from, number, copy_safe)
            clean_from = None
        yield from slow(start, at)
    if clean_from is not None:
        yield run.clean_rows(clean_from, len(run.starts), copy_safe)
    yield from slow(at, run.count)


def copy_safe(names: Iterator[str]) -> bool:
    return not any(_COPY_UNSAFE(name) for name in names)


BULK_CHECKS: dict[str, Callable[[EtssReader, Chunk, int, int], Iterator[Any]]] = {"ARA": check_ara_run}
