"""The bulk check of rate rows against the per-row check: the same records, the same issues, always.

Each case breaks a file of 20,400 rate rows (two read chunks, so blocks are cut by a chunk's end)
in one way and reads it twice: with the bulk check (the reader as it runs) and with every line read
one by one (``BULK_CHECKS`` emptied). Whatever the bulk check proves clean it must not report, and
what it cannot prove it must leave to the per-row check, which is the one definition of every message.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest

from groupsales import etss
from groupsales.etss import AGE_BANDS, AraRows, EtssReader

NAME = "HUM_ETSS_SG_KY_20261101_000001.txt"
PLANS = 50
QUARTERS = (("0101", "0331"), ("0401", "0630"), ("0701", "0930"), ("1001", "1231"))


def lines_of_file(*, plans: int = PLANS) -> list[str]:
    """A KY FULL file: plans × 2 areas × 4 quarters × 51 bands; odd plans are not tobacco-rated."""
    lines = ["HDR|2.1|HUMANA|12345|000001|20261101T0610Z|FULL|SG|20270101|20271231|KY"]
    for p in range(plans):
        tobacco = "N" if p % 2 else "Y"
        lines.append(
            f"PLN|12345KY{p + 1:07d}|HSG-{p}|KY|MED|Plan {p}|PPO|SILVER|AGE|{tobacco}|Y|EFFDATE|3|26|KYS001|"
            "KYN01|Y|3500.00|7000.00|6500.00|13000.00|20270101|20271231"
        )
    lines += [f"ARE|KY|KY-RA0{a}|KY Area {a}|COUNTY|20270101|20271231" for a in (1, 2)]
    lines.append("GEO|KY|COUNTY|21111|21111|KY-RA02|KYS001|N|20270101|20271231")
    for p in range(plans):
        for a in (1, 2):
            for q, (start, end) in enumerate(QUARTERS):
                for i, band in enumerate(AGE_BANDS):
                    rate = Decimal(300 + i * 3 + p + q) + Decimal("0.25")
                    tob = f"{rate * Decimal('1.2'):.2f}" if p % 2 == 0 else ""
                    lines.append(
                        f"ARA|12345KY{p + 1:07d}|KY-RA0{a}|2027{start}|2027{end}|{band}|{rate}|{tob}"
                    )
    return lines


MONEY = re.compile(r"\d{1,9}\.\d\d")


def etss_bytes(lines: list[str]) -> bytes:
    """The file with a trailer that agrees with what the reader counts, even for broken lines."""
    body = "".join(f"{line}\n" for line in lines).encode()
    counts = Counter(line.split("|", 1)[0] for line in lines)
    sums = [Decimal(0), Decimal(0)]
    for line in lines:
        fields = line.split("|")
        if fields[0] in ("ARA", "TRA") and len(fields) > 6 and MONEY.fullmatch(fields[6]):
            sums[0] += Decimal(fields[6])
        if fields[0] == "ARA" and len(fields) > 7 and MONEY.fullmatch(fields[7]):
            sums[1] += Decimal(fields[7])
    cnt = "|".join(str(counts[kind]) for kind in ("PLN", "ARE", "GEO", "ARA", "TRA", "FAC"))
    trailer = f"TRL|{len(lines) + 1}|{cnt}|{sums[0]:.2f}|{sums[1]:.2f}|{hashlib.sha256(body).hexdigest()}\n"
    return body + trailer.encode()


LINES = lines_of_file()
FIRST_ARA = next(i for i, line in enumerate(LINES) if line.startswith("ARA|"))


def ara(n: int) -> int:
    """Index in LINES of the n-th ARA row (negative: from the end)."""
    return FIRST_ARA + n if n >= 0 else len(LINES) + n


def set_field(index: int, field: int, value: str) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        fields = lines[index].split("|")
        fields[field] = value
        lines[index] = "|".join(fields)

    return change


def delete(index: int) -> Callable[[list[str]], None]:
    return lambda lines: lines.pop(index)


def duplicate(index: int) -> Callable[[list[str]], None]:
    return lambda lines: lines.insert(index, lines[index])


def replace(index: int, text: str) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        lines[index] = text

    return change


# Row 0 is a tobacco-rated plan's, row 408 the next (not tobacco-rated) plan's first row.
CASES: dict[str, Callable[[list[str]], None]] = {
    "clean": lambda lines: None,
    "rate not money": set_field(ara(5), 6, "12.5"),
    "rate zero": set_field(ara(-3), 6, "000.00"),
    "rate placeholder": set_field(ara(9000), 6, "09999.99"),
    "rate 999999": set_field(ara(9001), 6, "999999.00"),
    "tobacco above 1.5x": set_field(ara(10), 7, "9000.00"),
    "tobacco below rate": set_field(ara(11), 7, "1.00"),
    "tobacco missing on a rated plan": set_field(ara(12), 7, ""),
    "tobacco on a plan not rated": set_field(ara(408), 7, "400.00"),
    "tobacco not money": set_field(ara(13), 7, "4OO.00"),
    "band unknown": set_field(ara(14), 5, "65"),
    "band missing": delete(ara(15)),
    "band twice": duplicate(ara(16)),
    "block twice": lambda lines: lines.extend(lines[ara(0) : ara(51)]),
    "64+ above 3x the age-21 rate": set_field(ara(50), 6, "5000.00"),
    "plan unknown": set_field(ara(51), 1, "12345KY9999999"),
    "area unknown": set_field(ara(52), 2, "KY-RA09"),
    "date not a date": set_field(ara(53), 3, "2027013X"),
    "date impossible": set_field(ara(54), 4, "20270230"),
    "range not a quarter": lambda lines: [set_field(ara(k), 3, "20270102")(lines) for k in range(51, 102)],
    "range outside the plan year": set_field(ara(-1), 4, "20280331"),
    "a field too many": replace(ara(17), LINES[ara(17)] + "|X"),
    "a field too few": replace(ara(18), LINES[ara(18)].rsplit("|", 1)[0]),
    "an unknown line among rates": lambda lines: lines.insert(ara(19), "XYZ|1|2"),
    "a TRA among the rates": lambda lines: lines.insert(
        ara(20), "TRA|12345KY0000001|*|20270101|20271231|EE|1.00"
    ),
    "a carriage return": replace(ara(21), LINES[ara(21)] + "\r"),
    "a backslash in a plan id": set_field(ara(22), 1, "12345KY\\000001"),
    "rows out of band order": lambda lines: lines.insert(ara(30), lines.pop(ara(25))),
    "the last row at a chunk's edge": set_field(ara(10_000), 6, "0.00"),
}


def read(data: bytes, monkeypatch: pytest.MonkeyPatch, *, bulk: bool) -> tuple[EtssReader, list]:
    with monkeypatch.context() as patch:
        if not bulk:
            patch.setattr(etss, "BULK_CHECKS", {})
        reader = EtssReader(io.BytesIO(data), name=NAME)
        records = list(reader)
    return reader, records


@pytest.mark.parametrize("case", CASES)
def test_the_bulk_check_agrees_with_the_per_row_check(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = list(LINES)
    CASES[case](lines)
    data = etss_bytes(lines)
    assert len(data) > 1 << 20  # two chunks

    bulk, bulk_records = read(data, monkeypatch, bulk=True)
    per_row, per_row_records = read(data, monkeypatch, bulk=False)

    assert bulk.issues == per_row.issues
    assert bulk_records == per_row_records
    assert bulk.counts == per_row.counts
    assert (bulk._sum_rate, bulk._sum_tobacco_rate) == (per_row._sum_rate, per_row._sum_tobacco_rate)
    assert bulk.ok is (case in ("clean", "rows out of band order"))  # a block's rows may come in any order


def test_a_clean_file_goes_through_in_bulk() -> None:
    """Nearly every rate row of a clean file comes as AraRows (the loaders' fast way), in line order."""
    reader = EtssReader(io.BytesIO(etss_bytes(LINES)), name=NAME)
    items = list(reader.batches())
    assert reader.ok
    in_bulk = sum(len(item) for item in items if isinstance(item, AraRows))
    assert in_bulk >= reader.counts["ARA"] - 2 * 51  # at most the blocks cut by the chunk's end
    lines = [
        line
        for item in items
        if isinstance(item, AraRows)
        for line in range(item.first_line, item.first_line + len(item))
    ]
    assert lines == sorted(lines)
    rows = next(item for item in items if isinstance(item, AraRows))
    assert rows.copy_safe
    assert rows.copy_text().split("\n", 1)[0] == "KY" + LINES[rows.first_line - 1][3:]
