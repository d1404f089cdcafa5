"""The bulk check at the edges of its own shortcuts, against the per-row check (issue 24).

The bulk check reads the money columns as floats (format checked on the text first), tests the
tobacco bounds by ratio and then by difference, adds the sums with ``math.fsum`` below a size where
that is exact, and finds each block's key by cutting a shared prefix off its lines. Each case puts a
file at one of those edges; the bulk reader must agree with the per-row reader (the one definition of
every message) on issues, records, counts and sums, exactly as in ``test_etss_bulk``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from groupsales import etss_bulk
from tests.groupsales.test_etss_bulk import LINES, ara, etss_bytes, read, replace, set_field


def every_row(rows: range, field: int, value: str) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        for k in rows:
            set_field(ara(k), field, value)(lines)

    return change


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
    # plans 1, 3 and 5 (not tobacco-rated), 1,224 rows of 999,999,999.99 in one read chunk: a sum past
    # the size where fsum is exact
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


def test_large_sums_take_the_exact_way() -> None:
    """Past the fsum limit the sum is added from the texts (Decimal), not from the floats."""
    texts = ["999999999.99"] * 2000
    values = [float(text) for text in texts]
    assert sum(values) > etss_bulk._EXACT_SUM
    zero = Decimal(0)
    assert etss_bulk._add_sum(zero, values, texts) == 2000 * Decimal("999999999.99")
    assert str(etss_bulk._add_sum(zero, [0.1] * 10, ["0.10"] * 10)) == "1.00"
    assert str(etss_bulk._add_sum(zero, [0.0] * 51, [""] * 51)) == "0"  # as the per-row check adds


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
