"""The ETSS reader against the demo rate file (the carrier's sample) and broken copies of it."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from groupsales.codes import Line, Tier
from groupsales.etss import (
    AGE_BANDS,
    AgeRate,
    EtssIssue,
    EtssReader,
    Factor,
    Header,
    Plan,
    TierRate,
    Trailer,
    age_band,
    parse_file_name,
    verify_sidecar,
)
from portal.samples import RATE_FILE, sample_file

# The project's demo rate file (groupsales.demo_etss: the carrier's KY sample, byte for byte) and sidecar.
SAMPLE_NAME = RATE_FILE
SAMPLE = sample_file(SAMPLE_NAME)
MONEY = re.compile(r"\d+\.\d\d")

Spot = tuple[int, str, str]  # (line, record type, field) of an issue


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def body_lines() -> list[str]:
    """The sample's lines without the TRL (and without line ends)."""
    lines = sample_text().split("\n")
    assert lines[-1] == "" and lines[-2].startswith("TRL|")
    return lines[:-2]


def sample_trailer() -> list[str]:
    return sample_text().split("\n")[-2].split("|")


def encode(lines: list[str]) -> bytes:
    # surrogateescape lets a test put a byte that is not UTF-8 into a line.
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")


def with_trailer(lines: list[str]) -> bytes:
    """The lines with a TRL recomputed from them, so that only the intended check fails."""
    body = encode(lines)
    counts = Counter(line.split("|")[0] for line in lines)
    sum_rate = sum_tobacco = Decimal("0.00")
    for line in lines:
        fields = line.split("|")
        if fields[0] in ("ARA", "TRA") and len(fields) > 6 and MONEY.fullmatch(fields[6]):
            sum_rate += Decimal(fields[6])
        if fields[0] == "ARA" and len(fields) > 7 and MONEY.fullmatch(fields[7]):
            sum_tobacco += Decimal(fields[7])
    cnt = "|".join(str(counts[t]) for t in ("PLN", "ARE", "GEO", "ARA", "TRA", "FAC"))
    trailer = f"TRL|{len(lines) + 1}|{cnt}|{sum_rate}|{sum_tobacco}|{hashlib.sha256(body).hexdigest()}\n"
    return body + trailer.encode()


def read(tmp_path: Path, data: bytes, name: str = SAMPLE_NAME, **kwargs: int) -> EtssReader:
    path = tmp_path / name
    path.write_bytes(data)
    return EtssReader(path, **kwargs).check()


def spots(reader: EtssReader) -> list[Spot]:
    return sorted((issue.line, issue.record_type, issue.field) for issue in reader.issues)


def index_of(lines: list[str], prefix: str) -> int:
    """0-based index of the first line starting with ``prefix``."""
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def line_of(lines: list[str], prefix: str) -> int:
    return index_of(lines, prefix) + 1


def set_field(lines: list[str], prefix: str, field: int, value: str) -> int:
    """Set one field of the first line starting with ``prefix``; its 1-based line number."""
    i = index_of(lines, prefix)
    fields = lines[i].split("|")
    fields[field] = value
    lines[i] = "|".join(fields)
    return i + 1


def set_block_field(lines: list[str], prefix: str, field: int, value: str) -> None:
    """Set one field on every line starting with ``prefix`` (e.g. every row of one ARA block)."""
    for i, line in enumerate(lines):
        if line.startswith(prefix):
            fields = line.split("|")
            fields[field] = value
            lines[i] = "|".join(fields)


PLAN1_RA02_Q1 = "ARA|12345KY0010001|KY-RA02|20270101|20270331|"
PLAN1_RA01_Q1 = "ARA|12345KY0010001|KY-RA01|20270101|20270331|"
PLAN1_RA01_Q2 = "ARA|12345KY0010001|KY-RA01|20270401|20270630|"


# --------------------------------------------------------------------------------------------------
# The sample


def test_it_reads_the_sample_file_without_issues() -> None:
    reader = EtssReader(SAMPLE).check()

    assert reader.issues == []
    assert reader.ok
    assert reader.total_lines == 1603
    assert reader.counts == {
        "HDR": 1, "PLN": 5, "ARE": 2, "GEO": 362, "ARA": 1224, "TRA": 8, "FAC": 0, "TRL": 1,
    }  # fmt: skip
    assert reader.trailer is not None
    assert reader.trailer.total_lines == 1603
    assert reader.trailer.sum_rate == Decimal("1021048.29")
    assert reader.trailer.sum_tobacco_rate == Decimal("1224875.04")
    assert reader.sha256_of_body == reader.trailer.sha256
    assert reader.file_sha256 == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert verify_sidecar(SAMPLE, reader.file_sha256) is True
    assert verify_sidecar(SAMPLE) is True


def test_it_yields_typed_records_in_file_order() -> None:
    records = list(EtssReader(SAMPLE))

    assert [r.line_no for r in records] == list(range(1, 1604))
    header, first_plan, trailer = records[0], records[1], records[-1]
    assert isinstance(header, Header)
    assert header.file_seq == 1
    assert header.created_ts == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert (header.coverage_start, header.coverage_end) == (date(2027, 1, 1), date(2027, 12, 31))
    assert header.states == ("KY",)
    assert isinstance(first_plan, Plan)
    assert first_plan.line is Line.MEDICAL
    assert first_plan.tobacco_rated is True and first_plan.hsa_eligible is True
    assert first_plan.max_children_u21 == 3
    assert first_plan.ded_ind == Decimal("6000.00")
    assert first_plan.plan_exp_date == date(2027, 12, 31)
    dental = next(r for r in records if isinstance(r, Plan) and r.line is Line.DENTAL)
    assert dental.max_children_u21 is None
    age_rate = next(r for r in records if isinstance(r, AgeRate))
    assert (age_rate.line_no, age_rate.age_band, age_rate.rate, age_rate.tobacco_rate) == (
        371, "0-14", Decimal("377.91"), Decimal("453.49"),
    )  # fmt: skip
    tier_rate = next(r for r in records if isinstance(r, TierRate))
    assert (tier_rate.rating_area_id, tier_rate.tier, tier_rate.rate) == ("*", Tier.EMP, Decimal("32.50"))
    assert isinstance(trailer, Trailer)


def test_it_reads_a_gzipped_copy_the_same(tmp_path: Path) -> None:
    compressed = gzip.compress(SAMPLE.read_bytes())
    path = tmp_path / f"{SAMPLE_NAME}.gz"
    path.write_bytes(compressed)

    plain = EtssReader(SAMPLE)
    zipped = EtssReader(path)

    assert list(zipped) == list(plain)
    assert zipped.ok
    assert zipped.counts == plain.counts
    assert zipped.trailer == plain.trailer
    assert zipped.sha256_of_body == plain.sha256_of_body
    # The sidecar covers the delivered bytes, here the compressed ones.
    assert zipped.file_sha256 == hashlib.sha256(compressed).hexdigest() != plain.file_sha256


class TrickleStream(io.RawIOBase):
    """A stream that hands out a few bytes per read, so lines and the TRL straddle chunk boundaries."""

    def __init__(self, data: bytes, size: int = 97) -> None:
        self._data = io.BytesIO(data)
        self._size = size

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(self._size, size) if size >= 0 else self._size)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_it_reads_a_stream_delivered_in_small_pieces(compress: bool) -> None:
    data = SAMPLE.read_bytes()
    if compress:
        data = gzip.compress(data)

    reader = EtssReader(TrickleStream(data), name=SAMPLE_NAME).check()

    assert reader.ok, reader.issues
    assert reader.counts["ARA"] == 1224
    assert reader.file_sha256 == hashlib.sha256(data).hexdigest()


def test_it_verifies_the_sidecar(tmp_path: Path) -> None:
    path = tmp_path / SAMPLE_NAME
    shutil.copy(SAMPLE, path)
    assert verify_sidecar(path) is None  # no sidecar beside it yet

    shutil.copy(f"{SAMPLE}.sha256", f"{path}.sha256")
    assert verify_sidecar(path) is True

    path.write_bytes(SAMPLE.read_bytes().replace(b"Bronze", b"Brass"))
    assert verify_sidecar(path) is False

    other = tmp_path / "HUM_ETSS_SG_KY_20261101_000002.txt"
    shutil.copy(SAMPLE, other)
    shutil.copy(f"{SAMPLE}.sha256", f"{other}.sha256")  # right digest, names another file
    assert verify_sidecar(other) is False


# --------------------------------------------------------------------------------------------------
# Broken copies: each breaks one check and names the line and field expected.

BROKEN: dict[str, Callable[[], tuple[bytes, list[Spot]]]] = {}


def broken(
    name: str,
) -> Callable[[Callable[[], tuple[bytes, list[Spot]]]], Callable[[], tuple[bytes, list[Spot]]]]:
    def register(case: Callable[[], tuple[bytes, list[Spot]]]) -> Callable[[], tuple[bytes, list[Spot]]]:
        BROKEN[name] = case
        return case

    return register


def with_changed_trailer(field: int, value: str) -> bytes:
    trailer = sample_trailer()
    trailer[field] = value
    return encode(body_lines()) + ("|".join(trailer) + "\n").encode()


@broken("wrong count")
def _wrong_count() -> tuple[bytes, list[Spot]]:
    return with_changed_trailer(4, "361"), [(1603, "TRL", "CNT_GEO")]


@broken("wrong total lines")
def _wrong_total() -> tuple[bytes, list[Spot]]:
    return with_changed_trailer(1, "1604"), [(1603, "TRL", "TOTAL_LINES")]


@broken("wrong sum")
def _wrong_sum() -> tuple[bytes, list[Spot]]:
    return with_changed_trailer(8, "1021048.30"), [(1603, "TRL", "SUM_RATE")]


@broken("wrong tobacco sum")
def _wrong_tobacco_sum() -> tuple[bytes, list[Spot]]:
    return with_changed_trailer(9, "1224875.03"), [(1603, "TRL", "SUM_TOBACCO_RATE")]


@broken("wrong digest")
def _wrong_digest() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    set_field(lines, "PLN|12345KY0010001|", 5, "Humana Brass PPO 6000")  # neither counted nor summed
    return encode(lines) + ("|".join(sample_trailer()) + "\n").encode(), [(1603, "TRL", "SHA256")]


@broken("missing band")
def _missing_band() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    del lines[index_of(lines, PLAN1_RA02_Q1 + "30|")]
    return with_trailer(lines), [(line_of(lines, PLAN1_RA02_Q1), "ARA", "AGE_BAND")]


@broken("duplicate band")
def _duplicate_band() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    i = index_of(lines, PLAN1_RA02_Q1 + "30|")
    lines.insert(i + 1, lines[i])
    return with_trailer(lines), [(i + 2, "ARA", "AGE_BAND")]


@broken("64+ above 3 x 21")
def _old_age_ratio() -> tuple[bytes, list[Spot]]:
    lines = body_lines()  # the age-21 rate of this block is 510.39; 3 x 510.39 + 0.01 = 1531.18
    line = set_field(lines, PLAN1_RA02_Q1 + "64+|", 6, "1531.19")
    return with_trailer(lines), [(line, "ARA", "RATE")]


@broken("tobacco below rate")
def _tobacco_low() -> tuple[bytes, list[Spot]]:
    lines = body_lines()  # band 31: 591.54 / 709.85
    line = set_field(lines, PLAN1_RA02_Q1 + "31|", 7, "591.52")
    return with_trailer(lines), [(line, "ARA", "TOBACCO_RATE")]


@broken("tobacco above 1.5 x rate")
def _tobacco_high() -> tuple[bytes, list[Spot]]:
    lines = body_lines()  # 1.5 x 591.54 = 887.31
    line = set_field(lines, PLAN1_RA02_Q1 + "31|", 7, "887.33")
    return with_trailer(lines), [(line, "ARA", "TOBACCO_RATE")]


@broken("tobacco rate missing on a tobacco-rated plan")
def _tobacco_missing() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, PLAN1_RA02_Q1 + "31|", 7, "")
    return with_trailer(lines), [(line, "ARA", "TOBACCO_RATE")]


@broken("overlapping ranges")
def _overlap() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    set_block_field(lines, PLAN1_RA01_Q1, 4, "20270430")
    return with_trailer(lines), [(line_of(lines, PLAN1_RA01_Q2), "ARA", "RATE_EFF_DATE")]


@broken("gap between ranges")
def _gap() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    set_block_field(lines, PLAN1_RA01_Q1, 4, "20270330")
    return with_trailer(lines), [(line_of(lines, PLAN1_RA01_Q2), "ARA", "RATE_EFF_DATE")]


@broken("range not starting a quarter")
def _not_a_quarter() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = line_of(lines, PLAN1_RA01_Q2)
    set_block_field(lines, PLAN1_RA01_Q2, 3, "20270402")  # also leaves 1 April without rates
    return with_trailer(lines), [(line, "ARA", "RATE_EFF_DATE"), (line, "ARA", "RATE_EFF_DATE")]


@broken("placeholder tier rate 9999.99")
def _placeholder_tier_rate() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "TRA|12345KY0020001|*|20270101|20271231|EE|", 6, "9999.99")
    return with_trailer(lines), [(line, "TRA", "RATE")]


@broken("placeholder age rate 999999")
def _placeholder_age_rate() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, PLAN1_RA02_Q1 + "31|", 6, "999999.00")
    return with_trailer(lines), [(line, "ARA", "RATE")]


@broken("zero rate")
def _zero_rate() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, PLAN1_RA02_Q1 + "31|", 6, "0.00")
    return with_trailer(lines), [(line, "ARA", "RATE")]


@broken("ARA of an unknown plan")
def _unknown_plan() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    start = index_of(lines, PLAN1_RA02_Q1)
    block = [line.replace("12345KY0010001", "12345KY0019999") for line in lines[start : start + 51]]
    lines[start + 51 : start + 51] = block
    return with_trailer(lines), [(start + 52, "ARA", "PLAN_ID")]


@broken("GEO of an unknown area")
def _unknown_area() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "GEO|KY|COUNTY|21111|", 5, "KY-RA09")
    return with_trailer(lines), [(line, "GEO", "RATING_AREA_ID")]


@broken("blocks outside the plan dates")
def _outside_plan_dates() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    set_field(lines, "PLN|12345KY0010001|", 22, "20270930")
    q4 = [line_of(lines, f"ARA|12345KY0010001|{area}|20271001|") for area in ("KY-RA01", "KY-RA02")]
    return with_trailer(lines), [(line, "ARA", "RATE_EFF_DATE") for line in q4]


@broken("layout version 3.0")
def _layout_3() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    set_field(lines, "HDR|", 1, "3.0")
    return with_trailer(lines), [(1, "HDR", "LAYOUT_VERSION")]


@broken("market other than SG")
def _market() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    set_field(lines, "HDR|", 7, "IND")
    return with_trailer(lines), [(1, "HDR", "MARKET")]


@broken("bad date")
def _bad_date() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "GEO|KY|COUNTY|21111|", 8, "20270231")
    return with_trailer(lines), [(line, "GEO", "EFF_DATE")]


@broken("bad money in a plan")
def _bad_plan_money() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "PLN|12345KY0010001|", 17, "6000.0")
    return with_trailer(lines), [(line, "PLN", "DED_IND")]


@broken("bad money in a rate")
def _bad_rate_money() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, PLAN1_RA02_Q1 + "31|", 6, "591,54")
    return with_trailer(lines), [(line, "ARA", "RATE")]


@broken("bad enumeration")
def _bad_enumeration() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "PLN|12345KY0020001|", 7, "GOLD")  # a metal level, on a dental plan
    return with_trailer(lines), [(line, "PLN", "METAL_LEVEL")]


@broken("plan ID of another state")
def _plan_id_state() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "PLN|12345KY0030001|", 1, "12345TN0030001")
    lines = [row.replace("|12345KY0030001|", "|12345TN0030001|") for row in lines]
    return with_trailer(lines), [(line, "PLN", "PLAN_ID")]


@broken("wrong record order")
def _wrong_order() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    plan = lines.pop(1)
    lines.insert(index_of(lines, "GEO|"), plan)  # after the ARE lines
    return with_trailer(lines), [(8, "PLN", "RECORD_TYPE")]


@broken("unknown record type")
def _unknown_record_type() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    lines.insert(8, "XYZ|1|2")
    return with_trailer(lines), [(9, "XYZ", "RECORD_TYPE")]


@broken("too few fields")
def _too_few_fields() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    i = index_of(lines, "GEO|KY|COUNTY|21111|")
    lines[i] = lines[i].rsplit("|", 2)[0]  # drops EFF_DATE and EXP_DATE
    return with_trailer(lines), [(i + 1, "GEO", "EFF_DATE")]


@broken("too many fields")
def _too_many_fields() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    i = index_of(lines, "GEO|KY|COUNTY|21111|")
    lines[i] += "|X"
    return with_trailer(lines), [(i + 1, "GEO", "EXP_DATE")]


@broken("CR line end")
def _carriage_return() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    i = index_of(lines, "GEO|KY|COUNTY|21111|")
    lines[i] += "\r"
    return with_trailer(lines), [(i + 1, "GEO", "EXP_DATE")]


@broken("not UTF-8")
def _not_utf8() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    line = set_field(lines, "PLN|12345KY0010001|", 5, "Humana \udcff Bronze")
    return with_trailer(lines), [(line, "PLN", "MARKETING_NAME")]


@broken("duplicate tier")
def _duplicate_tier() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    i = index_of(lines, "TRA|12345KY0020001|*|20270101|20271231|EE|")
    lines.insert(i + 1, lines[i])
    return with_trailer(lines), [(i + 2, "TRA", "TIER")]


FACTORS = [
    "FAC|STATE|KY|COMPOSITE_TIER|EE|1.0|20270101|20271231",
    "FAC|STATE|KY|COMPOSITE_TIER|EC|1.85|20270101|20271231",
    "FAC|PLAN|12345KY0010001|COMPOSITE_TIER|EF|2.9|20270101|20271231",
]


@broken("FAC of an unknown plan")
def _factor_of_unknown_plan() -> tuple[bytes, list[Spot]]:
    lines = [*body_lines(), *FACTORS, "FAC|PLAN|12345KY0019999|COMPOSITE_TIER|EE|1.0|20270101|20271231"]
    return with_trailer(lines), [(len(lines), "FAC", "SCOPE_ID")]


@broken("TRA of an age-rated plan")
def _tier_rate_of_age_rated_plan() -> tuple[bytes, list[Spot]]:
    lines = body_lines()
    lines.append("TRA|12345KY0010001|*|20270101|20271231|EE|500.00")
    return with_trailer(lines), [(len(lines), "TRA", "PLAN_ID")]


@broken("line after TRL")
def _after_trailer() -> tuple[bytes, list[Spot]]:
    data = SAMPLE.read_bytes() + b"GEO|KY|ZIP5|49999|21111|KY-RA02|KYS001|N|20270101|20271231\n"
    return data, [(1603, "TRL", "TOTAL_LINES"), (1603, "TRL", "CNT_GEO"), (1604, "GEO", "RECORD_TYPE")]


@broken("no TRL")
def _no_trailer() -> tuple[bytes, list[Spot]]:
    return encode(body_lines()), [(1602, "TRL", "RECORD_TYPE")]


@broken("no LF after the last line")
def _no_final_line_feed() -> tuple[bytes, list[Spot]]:
    return SAMPLE.read_bytes()[:-1], [(1603, "TRL", "SHA256")]


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_it_names_the_line_and_field_of_each_broken_check(tmp_path: Path, case: str) -> None:
    data, expected = BROKEN[case]()

    reader = read(tmp_path, data)

    assert not reader.ok
    assert spots(reader) == sorted(expected), [str(issue) for issue in reader.issues]
    assert all(issue.message for issue in reader.issues)


def test_it_reads_factor_records() -> None:
    reader = EtssReader(io.BytesIO(with_trailer([*body_lines(), *FACTORS])))

    factors = [record for record in reader if isinstance(record, Factor)]

    assert reader.ok, reader.issues
    assert reader.counts["FAC"] == 3
    assert [(f.scope, f.scope_id, f.key, f.value) for f in factors] == [
        ("STATE", "KY", "EE", Decimal("1.0")),
        ("STATE", "KY", "EC", Decimal("1.85")),
        ("PLAN", "12345KY0010001", "EF", Decimal("2.9")),
    ]


def test_it_allows_a_cent_of_rounding_on_the_64_plus_limit(tmp_path: Path) -> None:
    lines = body_lines()
    set_field(lines, PLAN1_RA02_Q1 + "64+|", 6, "1531.18")  # 3 x 510.39 + 0.01

    assert read(tmp_path, with_trailer(lines)).ok


def test_it_allows_a_cent_of_rounding_on_the_tobacco_bounds(tmp_path: Path) -> None:
    lines = body_lines()
    set_field(lines, PLAN1_RA02_Q1 + "31|", 7, "591.53")  # rate 591.54 - 0.01
    set_field(lines, PLAN1_RA02_Q1 + "46|", 7, "1148.39")  # 1.5 x 765.59 = 1148.385, + 0.005

    assert read(tmp_path, with_trailer(lines)).ok


def test_it_checks_the_file_sequence_against_the_name(tmp_path: Path) -> None:
    reader = read(tmp_path, SAMPLE.read_bytes(), name="HUM_ETSS_SG_KY_20261101_000002.txt")

    assert spots(reader) == [(1, "HDR", "FILE_SEQ")]


def test_it_checks_the_state_against_the_name(tmp_path: Path) -> None:
    assert spots(read(tmp_path, SAMPLE.read_bytes(), name="HUM_ETSS_SG_TN_20261101_000001.txt")) == [
        (1, "HDR", "STATES")
    ]
    assert read(tmp_path, SAMPLE.read_bytes(), name="HUM_ETSS_SG_ALL_20261101_000001.txt").ok


def test_it_reports_a_file_name_outside_the_convention(tmp_path: Path) -> None:
    reader = read(tmp_path, SAMPLE.read_bytes(), name="rates.txt")

    assert spots(reader) == [(0, "", "FILE_NAME")]


def test_it_caps_the_issue_list_with_a_count_of_the_rest(tmp_path: Path) -> None:
    lines = body_lines()
    geo = [i for i, line in enumerate(lines) if line.startswith("GEO|")][:5]
    for i in geo:
        lines[i] = lines[i].replace("|KY-RA0", "|KY-RX0")

    reader = read(tmp_path, with_trailer(lines), max_issues=3)

    assert [issue.line for issue in reader.issues[:3]] == [i + 1 for i in geo[:3]]
    assert reader.issues[3] == EtssIssue(0, "", "", "and 2 more")
    assert not reader.ok


def test_it_reads_a_source_only_once() -> None:
    reader = EtssReader(SAMPLE).check()

    with pytest.raises(RuntimeError):
        iter(reader)


def test_it_is_not_ok_before_the_file_is_read() -> None:
    reader = EtssReader(SAMPLE)

    assert not reader.ok
    next(iter(reader))
    assert not reader.ok


def test_it_reports_an_empty_file(tmp_path: Path) -> None:
    assert spots(read(tmp_path, b"")) == [(1, "HDR", "RECORD_TYPE")]


# --------------------------------------------------------------------------------------------------
# Helpers


def test_it_parses_file_names() -> None:
    assert parse_file_name(SAMPLE_NAME) == ("KY", date(2026, 11, 1), 1)
    assert parse_file_name(f"/drop/{SAMPLE_NAME}.gz") == ("KY", date(2026, 11, 1), 1)
    state, day, seq = parse_file_name("HUM_ETSS_SG_ALL_20270315_000123.txt")  # type: ignore[misc]
    assert (state, day, seq) == ("ALL", date(2027, 3, 15), 123)
    for name in (
        "HUM_ETSS_SG_KY_20261301_000001.txt",  # no month 13
        "HUM_ETSS_SG_XX_20261101_000001.txt",  # no state XX
        "HUM_ETSS_SG_KY_20261101_00001.txt",  # 5-digit sequence
        "HUM_ETSS_SG_KY_20261101_000001.csv",
        "hum_etss_sg_ky_20261101_000001.txt",
    ):
        assert parse_file_name(name) is None, name


def test_it_lists_the_51_age_bands_in_order() -> None:
    assert len(AGE_BANDS) == len(set(AGE_BANDS)) == 51
    assert (AGE_BANDS[0], AGE_BANDS[1], AGE_BANDS[-2], AGE_BANDS[-1]) == ("0-14", "15", "63", "64+")


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "0-14"), (14, "0-14"), (15, "15"), (21, "21"), (63, "63"), (64, "64+"), (101, "64+")],
)
def test_it_finds_the_band_of_an_age(age: int, band: str) -> None:
    assert age_band(age) == band


def test_it_refuses_a_negative_age() -> None:
    with pytest.raises(ValueError):
        age_band(-1)
