"""The bulk check at the edges of its own shortcuts, against the per-row check (issue 24).

The bulk check works column by column (NumPy): it finds each line's separators, compares each line's
key (its first five fields) with the line before's eight bytes at a time, reads each band as one
64-bit code, checks RATE and TOBACCO_RATE byte by byte in two 64-bit words and reads them as whole
cents, tests the tobacco bounds and adds the sums on those cents, and takes a block when its 51 lines
share one key. Each case puts a file at one of those edges (a field or check the bulk check proves,
broken just so); the bulk reader must agree with the per-row reader (the one definition of every
message) on issues, records, counts and sums, exactly as in ``test_etss_bulk``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupsales import etss_bulk
from groupsales.etss import AraRows, EtssReader
from tests.groupsales.test_etss_bulk import LINES, NAME, ara, duplicate, etss_bytes, read, replace, set_field


def every_row(rows: range, field: int, value: str) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        for k in rows:
            set_field(ara(k), field, value)(lines)

    return change


def both(*changes: Callable[[list[str]], None]) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        for one in changes:
            one(lines)

    return change


def rename_area(old: str, new: str) -> Callable[[list[str]], None]:
    """Every line naming area ``old`` (its ARE, GEO and ARA rows) names ``new`` instead."""

    def change(lines: list[str]) -> None:
        for index, line in enumerate(lines):
            fields = line.split("|")
            for at in {"ARE": (2,), "GEO": (5,), "ARA": (2,)}.get(fields[0], ()):
                if fields[at] == old:
                    fields[at] = new
            lines[index] = "|".join(fields)

    return change


def insert_block_copy(first: int) -> Callable[[list[str]], None]:
    """The block from ARA row ``first`` written twice in a row (102 lines of one key)."""
    return lambda lines: lines.__setitem__(slice(ara(first), ara(first)), lines[ara(first) : ara(first + 51)])


# The key of plan 0's first block is "ARA|12345KY0000001|KY-RA01|20270101|20270331|": 45 bytes, read
# as five whole 8-byte words and one of 5 bytes (RATE_EXP_DATE's last 4 digits and its "|").
LONG_AREA = "KY-" + "R" * 130  # a key of more than 128 bytes: compared no further, left to the per-row check


# Row 10 is plan 0's (tobacco-rated), band 25, first quarter, rate 330.25: its tobacco rate may be
# 330.24 to 495.38 (1.5 × 330.25 + 0.01 = 495.385). Rows 408.. are plan 1's (not tobacco-rated).
EDGES: dict[str, tuple[Callable[[list[str]], None], bool]] = {
    "tobacco one cent below the rate": (set_field(ara(10), 7, "330.24"), True),
    "tobacco two cents below the rate": (set_field(ara(10), 7, "330.23"), False),
    "tobacco equal to the rate": (set_field(ara(10), 7, "330.25"), True),
    "tobacco at 1.5 x the rate + 0.01": (set_field(ara(10), 7, "495.38"), True),
    "tobacco one cent above that": (set_field(ara(10), 7, "495.39"), False),
    "tobacco exactly 1.5 x the rate": (
        lambda lines: [set_field(ara(20), 6, "300.00")(lines), set_field(ara(20), 7, "450.00")(lines)],
        True,
    ),
    "a rate of nine digits": (set_field(ara(418), 6, "123456789.00"), True),
    "a rate of ten digits": (set_field(ara(418), 6, "1234567890.00"), False),
    "a rate with a leading zero": (set_field(ara(418), 6, "0330.25"), True),
    "a rate below one": (set_field(ara(418), 6, "0.01"), True),
    "a rate of 0.00 among others": (set_field(ara(418), 6, "0.00"), False),
    "a rate 00.00": (set_field(ara(418), 6, "00.00"), False),
    "a placeholder with leading zeros": (set_field(ara(418), 6, "0999999.00"), False),
    "a rate ending like a placeholder": (set_field(ara(418), 6, "19999.99"), True),
    "a rate in exponent form": (set_field(ara(418), 6, "3.3e2"), False),
    "a rate with a sign": (set_field(ara(418), 6, "+330.25"), False),
    "a rate with spaces": (set_field(ara(418), 6, " 330.25"), False),
    # the per-row check's \d takes any decimal digit: the bulk check leaves such a row to it
    "a rate in other digits": (set_field(ara(418), 6, "٣٣٠.25"), True),
    "a tobacco rate with three decimals": (set_field(ara(10), 7, "396.300"), False),
    "a row of another block's key in a block": (set_field(ara(60), 2, "KY-RA02"), False),
    "a key field that is a prefix of the next": (set_field(ara(61), 1, "12345KY000000"), False),
    # the key, compared with the line before's word by word
    "a plan differing in its last character": (set_field(ara(70), 1, "12345KY0000002"), False),
    "a plan differing in its first digit": (set_field(ara(71), 1, "22345KY0000001"), False),
    "an effective date one day off": (set_field(ara(72), 3, "20270102"), False),
    "an expiry date differing in its last digit (the key's last word)": (
        set_field(ara(73), 4, "20270330"),
        False,
    ),
    "an area one character shorter": (set_field(ara(74), 2, "KY-RA1"), False),
    "an area one character longer": (set_field(ara(75), 2, "KY-RA011"), False),
    "a record type in lower case": (replace(ara(76), "ara" + LINES[ara(76)][3:]), False),
    "a key longer than the bulk check compares, clean": (rename_area("KY-RA02", LONG_AREA), True),
    "a key longer than the bulk check compares, one rate broken": (
        both(rename_area("KY-RA02", LONG_AREA), set_field(ara(204 + 3), 6, "0.00")),
        False,
    ),
    "an area of non-ASCII letters, clean": (rename_area("KY-RA02", "KY-RÉ02"), True),
    "an area of non-ASCII letters, one band broken": (
        both(rename_area("KY-RA02", "KY-RÉ02"), set_field(ara(204 + 5), 5, "19 ")),
        False,
    ),
    "a block's dates in other decimal digits": (
        lambda lines: [set_field(ara(k), 3, "٢٠٢٧٠٤٠١")(lines) for k in range(51, 102)],
        True,
    ),
    "a block written twice in a row": (insert_block_copy(102), False),
    "a block's last row written twice": (duplicate(ara(152)), False),
    # the band, as one 64-bit code of its bytes and length
    "a band with a trailing space": (set_field(ara(80), 5, "29 "), False),
    "a band with a leading zero": (set_field(ara(81), 5, "030"), False),
    "a band of five characters": (set_field(ara(101), 5, "64+ +"), False),
    "a band of nine characters": (set_field(ara(101), 5, "64+64+64+"), False),
    "a band with a NUL byte": (set_field(ara(82), 5, "3\x001"), False),
    "a band in other digits": (set_field(ara(83), 5, "٣٢"), False),
    "an empty band": (set_field(ara(84), 5, ""), False),
    "the first band written 0-15": (set_field(ara(102), 5, "0-15"), False),
    # RATE and TOBACCO_RATE, byte by byte in two words, and their cents
    "a rate without whole digits": (set_field(ara(420), 6, ".25"), False),
    "a rate with one decimal": (set_field(ara(421), 6, "330.2"), False),
    "a rate without a dot": (set_field(ara(422), 6, "33025"), False),
    "a rate with a comma": (set_field(ara(423), 6, "330,25"), False),
    "a rate with a letter among its digits": (set_field(ara(424), 6, "3a0.25"), False),
    "a rate with a slash (just below the digits)": (set_field(ara(425), 6, "3/0.25"), False),
    "a rate with a colon (just above the digits)": (set_field(ara(426), 6, "3:0.25"), False),
    "a rate with a NUL byte": (set_field(ara(427), 6, "33\x000.25"), False),
    "a rate with a byte of 0xB0": (set_field(ara(428), 6, "3°0.25"), False),
    "an empty rate": (set_field(ara(429), 6, ""), False),
    "a rate of 100,000.00 and more (the second word)": (set_field(ara(430), 6, "123456.78"), True),
    "a rate of nine digits with a letter in the second word": (set_field(ara(431), 6, "12x456789.00"), False),
    "a rate of twelve characters, eleven digits": (set_field(ara(432), 6, "12345678901."), False),
    "a rate of 0.01": (set_field(ara(433), 6, "0.01"), True),
    "a rate 9999.99 (a placeholder)": (set_field(ara(434), 6, "9999.99"), False),
    "a rate 999999.00 (a placeholder)": (set_field(ara(435), 6, "999999.00"), False),
    "a rate 999999.01 (next to a placeholder)": (set_field(ara(436), 6, "999999.01"), True),
    "a tobacco rate 0.00": (set_field(ara(30), 7, "0.00"), False),
    "a tobacco rate 9999.99 (a placeholder)": (
        both(set_field(ara(31), 6, "8000.00"), set_field(ara(31), 7, "9999.99")),
        False,
    ),
    "a tobacco rate without whole digits": (set_field(ara(32), 7, ".25"), False),
    "a tobacco rate of ten digits": (set_field(ara(33), 7, "1234567890.00"), False),
    "a tobacco rate of one space": (set_field(ara(34), 7, " "), False),
    "large amounts at 1.5 x the rate + 0.01": (
        both(set_field(ara(35), 6, "100000.00"), set_field(ara(35), 7, "150000.01")),
        True,
    ),
    "large amounts one cent above": (
        both(set_field(ara(36), 6, "100000.00"), set_field(ara(36), 7, "150000.02")),
        False,
    ),
    "large amounts one cent below the rate": (
        both(set_field(ara(37), 6, "123456789.00"), set_field(ara(37), 7, "123456788.99")),
        True,
    ),
    "large amounts two cents below the rate": (
        both(set_field(ara(38), 6, "123456789.00"), set_field(ara(38), 7, "123456788.98")),
        False,
    ),
    "the 64+ rate just above 3 x the age-21 rate": (set_field(ara(50), 6, "963.77"), False),
    "the 64+ rate at 3 x the age-21 rate + 0.01": (
        both(set_field(ara(50), 6, "963.76"), set_field(ara(50), 7, "963.76")),
        True,
    ),
    # plans 1, 3 and 5 (not tobacco-rated), 1,224 rows of 999,999,999.99 in one read chunk: sums far
    # past what floats add exactly
    "sums too large for floats": (
        lambda lines: [every_row(range(408 * p, 408 * (p + 1)), 6, "999999999.99")(lines) for p in (1, 3, 5)],
        True,
    ),
}


@pytest.mark.parametrize("case", EDGES)
def test_the_bulk_check_agrees_at_its_edges(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    change, clean = EDGES[case]
    lines = list(LINES)
    change(lines)
    data = etss_bytes(lines)

    bulk, bulk_records = read(data, monkeypatch, bulk=True)
    per_row, per_row_records = read(data, monkeypatch, bulk=False)

    assert bulk.issues == per_row.issues
    assert bulk_records == per_row_records
    assert bulk.counts == per_row.counts
    assert (bulk._sum_rate, bulk._sum_tobacco_rate) == (per_row._sum_rate, per_row._sum_tobacco_rate)
    assert bulk.ok is clean, bulk.issues[:3]


_MONEY = re.compile(r"\d{1,9}\.\d\d").fullmatch  # the per-row check's RATE and TOBACCO_RATE
_EDGE_TEXTS = [
    "", "0", ".00", "0.00", "0.01", "1.5", "1.50", "01.50", "330.25", "0330.25", "999999999.99",
    "0999999999.99", "1234567890.00", "12345678.9", "123456.78", "100000.00", "99999.99", "9999.99",
    "999999.00", "3/0.25", "3:0.25", "3a0.25", "3.3e2", "+330.25", " 330.25", "330.25 ", "٣٣٠.25",
    "3°0.25", "33\x000.25", "1.2.3", "12.345", "..25", "1,00.00", "0000000000.00", "000000000.00",
]  # fmt: skip


def _bulk_money(texts: list[str]) -> tuple[list[bool], list[int]]:
    """The bulk check's reading of each text as a field ending before a "|", as in a rate row."""
    text = "".join(f"ARA|{t}|" for t in texts).encode()
    data = np.zeros(etss_bulk._BEFORE + len(text) + etss_bulk._AFTER, np.uint8)
    data[etss_bulk._BEFORE : etss_bulk._BEFORE + len(text)] = np.frombuffer(text, np.uint8)
    words = np.ndarray((len(data) - 7,), "<u8", buffer=data, strides=(1,))
    ends, at = [], etss_bulk._BEFORE
    for t in texts:
        at += 4 + len(t.encode())
        ends.append(at)
        at += 1
    end = np.array(ends, np.int64)
    lengths = np.array([len(t.encode()) for t in texts], np.int64)
    ok, cents = etss_bulk._money(words, end, lengths)
    return ok.tolist(), cents.tolist()


def _per_row_money(text: str) -> int | None:
    """Whole cents when the per-row check reads the text as money and it is ASCII, else None."""
    if not _MONEY(text) or not text.isascii():
        return None
    return int(Decimal(text) * 100)


@pytest.mark.parametrize("text", _EDGE_TEXTS)
def test_the_bulk_money_reads_what_the_per_row_check_reads(text: str) -> None:
    """A field is money for the bulk check exactly when it is ASCII money for the per-row check, and
    its cents are the exact amount; it is read the same alone and among others of other lengths."""
    expected = _per_row_money(text)
    ok, cents = _bulk_money([text])
    assert ok == [expected is not None]
    if expected is not None:
        assert cents == [expected]
    ok, cents = _bulk_money(["1.00", text, "123456789.99"])
    assert ok[1] is (expected is not None) and ok[0] and ok[2]
    assert cents[0] == 100 and cents[2] == 12345678999


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.9 ,+-e٣|x", max_size=14), min_size=1, max_size=20))
def test_the_bulk_money_agrees_on_any_text(texts: list[str]) -> None:
    texts = [text.replace("|", "") for text in texts]
    ok, cents = _bulk_money(texts)
    for text, good, value in zip(texts, ok, cents, strict=True):
        expected = _per_row_money(text)
        assert good is (expected is not None), text
        if expected is not None:
            assert value == expected, text


def test_large_sums_are_exact() -> None:
    """A run's sums are whole cents in 64-bit integers (at most 51 × 10^11 a block): exact, where the
    sum of the same amounts as floats is not."""
    lines = list(LINES)
    for p in (1, 3, 5, 7):  # 1,632 rows of 999,999,999.99 among the others
        every_row(range(408 * p, 408 * (p + 1)), 6, "999999999.99")(lines)
    reader = EtssReader(io.BytesIO(etss_bytes(lines)), name=NAME)
    items = list(reader.batches())
    assert reader.ok, reader.issues[:3]
    rows = sum(len(item) for item in items if isinstance(item, AraRows))
    assert rows >= reader.counts["ARA"] - 2 * 51
    exact = sum(Decimal(line.split("|")[6]) for line in lines if line.startswith("ARA|"))
    assert reader._sum_rate == exact
    floats = sum(float(line.split("|")[6]) for line in lines if line.startswith("ARA|"))
    assert Decimal(floats) != exact  # what floats would have given


def test_a_line_cut_from_its_block_is_left_to_the_per_row_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line missing its last field, followed by a line with one field too many, has the right
    number of fields in all: the block's shape check still sees it, and the per-row check names both."""
    lines = list(LINES)
    replace(ara(30), lines[ara(30)].rsplit("|", 1)[0])(lines)
    replace(ara(31), lines[ara(31)] + "|1.00")(lines)
    data = etss_bytes(lines)
    bulk, _ = read(data, monkeypatch, bulk=True)
    per_row, _ = read(data, monkeypatch, bulk=False)
    assert bulk.issues == per_row.issues
    assert {(issue.line, issue.field) for issue in bulk.issues} >= {
        (ara(30) + 1, "TOBACCO_RATE"),
        (ara(31) + 1, "TOBACCO_RATE"),
    }


@pytest.mark.parametrize(
    ("case", "left_out"),
    [
        ("an area of non-ASCII letters, clean", ""),
        ("a rate of 100,000.00 and more (the second word)", ""),
        ("large amounts at 1.5 x the rate + 0.01", ""),
        ("large amounts one cent below the rate", ""),
        ("a key longer than the bulk check compares, clean", LONG_AREA),
        ("a block's dates in other decimal digits", "٢٠٢٧٠٤٠١"),
    ],
)
def test_what_the_bulk_check_takes(case: str, left_out: str) -> None:
    """The clean edges go through in bulk (but for the blocks cut by a read chunk's end), except what
    the bulk check leaves to the per-row check: keys longer than it compares, dates not in ASCII."""
    change, clean = EDGES[case]
    assert clean
    lines = list(LINES)
    change(lines)
    reader = EtssReader(io.BytesIO(etss_bytes(lines)), name=NAME)
    items = list(reader.batches())
    assert reader.ok
    taken = [line for item in items if isinstance(item, AraRows) for line in item.lines]
    if not left_out:
        assert len(taken) >= reader.counts["ARA"] - 2 * 51
    else:
        assert not [line for line in taken if left_out in line]
        left = sum(left_out in line for line in lines)
        assert left and len(taken) >= reader.counts["ARA"] - left - 2 * 51
