"""The reader's chunks at their own edges (issue 24): the line index, the runs, the digests.

The reader reads the file in chunks of about 1 MiB, finds every line's end and first four bytes in
bulk (NumPy), takes the runs of rate rows from that index and hands the bulk check the run's bytes;
it looks for the TRL line at line starts only, and hashes a plain file once for both digests (the
body's is a copy of the file's taken at the TRL line). Each case puts a file at one of those edges —
a TRL-looking text inside a field, CRLF line ends, a run ending exactly at a chunk's end, text that is
not ASCII before a run (so offsets in bytes and in characters differ), lines too short for a record
type — and reads it with the bulk check and line by line, which must agree on everything, as in
``test_etss_bulk``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest

from groupsales import etss_files
from groupsales.etss import AraRows, EtssReader
from groupsales.etss_files import DeliveredLines
from tests.groupsales.test_etss_bulk import LINES, NAME, ara, etss_bytes, read
from tests.groupsales.test_etss_bulk_edges import rename_area


def agree(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[EtssReader, list]:
    """Read ``data`` both ways; check they agree; the bulk reader and its records."""
    bulk, bulk_records = read(data, monkeypatch, bulk=True)
    per_row, per_row_records = read(data, monkeypatch, bulk=False)
    assert bulk.issues == per_row.issues
    assert bulk_records == per_row_records
    assert bulk.counts == per_row.counts
    assert bulk.total_lines == per_row.total_lines
    assert (bulk._sum_rate, bulk._sum_tobacco_rate) == (per_row._sum_rate, per_row._sum_tobacco_rate)
    assert (bulk.sha256_of_body, bulk.file_sha256) == (per_row.sha256_of_body, per_row.file_sha256)
    return bulk, bulk_records


def taken(data: bytes) -> list[str]:
    """The lines the bulk check takes (as AraRows), in order."""
    items = list(EtssReader(io.BytesIO(data), name=NAME).batches())
    return [line for item in items if isinstance(item, AraRows) for line in item.lines]


def set_plan_names(name: str) -> list[str]:
    """LINES with every PLN's PLAN_NAME (field 5) set to ``name``."""
    lines = list(LINES)
    for index, line in enumerate(lines):
        if line.startswith("PLN|"):
            fields = line.split("|")
            fields[5] = name
            lines[index] = "|".join(fields)
    return lines


# --------------------------------------------------------------------------------------------------
# TRL at line starts only


def _area_named_trl() -> list[str]:
    lines = list(LINES)
    rename_area("KY-RA02", "TRL")(lines)
    return lines


@pytest.mark.parametrize(
    "make",
    [lambda: set_plan_names("TRL"), _area_named_trl],
    ids=["a plan named TRL", "rate rows of an area named TRL"],
)
def test_a_trl_inside_a_field_is_not_the_trailer(
    make: Callable[[], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = make()
    assert sum("|TRL|" in line for line in lines) > 0
    data = etss_bytes(lines)

    reader, _ = agree(data, monkeypatch)

    assert reader.ok, reader.issues[:3]
    assert reader.sha256_of_body == hashlib.sha256(data[: data.rindex(b"\nTRL|") + 1]).hexdigest()
    assert len(taken(data)) >= reader.counts["ARA"] - 2 * 51


@pytest.mark.parametrize(
    ("line", "is_trailer"),
    [("TRL|1|2", True), ("TRL", True), ("TRL\r", True), ("TRLX|1", False), ("XTRL|1", False), ("TR", False)],
)
def test_the_body_ends_at_the_first_line_of_record_type_trl(
    line: str, is_trailer: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trailer's SHA256 covers the bytes before the first line whose record type is TRL (TRL and
    then a separator, the line's end or a CR); the file's digest covers every byte, in one pass."""
    lines = list(LINES)
    lines.insert(ara(5000), line)
    data = etss_bytes(lines)
    inserted = data.index(f"\n{line}\n".encode()) + 1

    reader, _ = agree(data, monkeypatch)

    body = data[:inserted] if is_trailer else data[: data.rindex(b"\nTRL|") + 1]
    assert reader.sha256_of_body == hashlib.sha256(body).hexdigest()
    assert reader.file_sha256 == hashlib.sha256(data).hexdigest()
    assert not reader.ok
    issues = {(issue.line, issue.field) for issue in reader.issues}
    if is_trailer:
        assert (ara(5000) + 2, "RECORD_TYPE") in issues  # the next line: a line after TRL
    else:
        assert (ara(5000) + 1, "RECORD_TYPE") in issues  # not a known record type


# --------------------------------------------------------------------------------------------------
# Bytes and characters


def test_crlf_line_ends_are_reported_on_every_line_and_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with CRLF line ends: the reader strips the CRs (the chunk's bytes are then its text's,
    not the delivered ones) and reports each; the rows are read the same both ways."""
    lf = etss_bytes(LINES)
    data = lf.replace(b"\n", b"\r\n")

    reader, records = agree(data, monkeypatch)

    assert [issue.message for issue in reader.issues[:3]] == ["carriage return: lines end with LF only"] * 3
    assert reader.issues[-1].message.startswith("and ")  # capped: one per line
    assert reader.counts["ARA"] == len(LINES) - ara(0) and len(records) == len(LINES) + 1
    assert reader.trailer is not None
    assert reader.sha256_of_body == hashlib.sha256(data[: data.rindex(b"\nTRL|") + 1]).hexdigest()


@pytest.mark.parametrize("name", ["Plan ñ", "Plan 😀 ñ", "Über"])
def test_text_not_in_ascii_before_a_run_keeps_the_rows_in_place(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plan names of 2- and 4-byte characters in the first chunk, before its rate rows: offsets into
    the bytes are not offsets into the text there, and the rows taken in bulk are still the file's."""
    lines = set_plan_names(name)
    data = etss_bytes(lines)

    reader, _ = agree(data, monkeypatch)

    assert reader.ok, reader.issues[:3]
    rows = taken(data)
    assert len(rows) >= reader.counts["ARA"] - 2 * 51
    ara_lines = [line for line in lines if line.startswith("ARA|")]
    in_bulk = set(rows)
    assert rows == [line for line in ara_lines if line in in_bulk]
    assert rows[0] == ara_lines[0]


@pytest.mark.parametrize(
    "short",
    [["", "A", "AR", "ARA"], ["ARA|"], ["TR"]],
    ids=["lines too short for a record type", "a record type and nothing else", "TR"],
)
def test_lines_too_short_for_a_record_type_among_rates(
    short: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = list(LINES)
    lines[ara(300) : ara(300)] = short
    last = len(lines) - 1
    lines[last:last] = short  # and just before the last rate row

    reader, _ = agree(etss_bytes(lines), monkeypatch)

    assert {issue.line for issue in reader.issues} >= {ara(300) + 1, last + 1}


def test_a_last_rate_row_without_its_lf(monkeypatch: pytest.MonkeyPatch) -> None:
    data = etss_bytes(LINES)
    data = data[: data.rindex(b"\nTRL|")]  # no TRL, the last rate row without its LF

    reader, records = agree(data, monkeypatch)

    assert [issue.message for issue in reader.issues] == [
        "the last line does not end with LF",
        "no TRL line: the file may be cut short",
    ]
    assert records[-1].line_no == len(LINES)


# --------------------------------------------------------------------------------------------------
# Chunk boundaries


def _ends_of_lines(data: bytes) -> list[int]:
    """The offset just after each line's LF."""
    ends, at = [], 0
    while (at := data.find(b"\n", at) + 1) > 0:
        ends.append(at)
    return ends


def _chunk_size_ending_after_line(data: bytes, index: int) -> int:
    """A read size whose first chunk ends exactly after line ``index`` (counted from 0): the reader's
    first read is the two bytes it peeked at, so its first chunk is the lines within 2 + size bytes."""
    return _ends_of_lines(data)[index] - 2


def _chunk_last_lines(data: bytes) -> list[int]:
    """The index of the last line of each chunk, as the reader cuts ``data``."""
    found = []
    for chunk in DeliveredLines(io.BytesIO(data), lambda *_: None):
        found.append(chunk.first + chunk.count - 1)
    return found


_TRL_FILE = etss_bytes(LINES)
_CUTS = {
    "the rates' run ends at the chunk's end, TRL next": len(LINES) - 1,
    "the run starts the next chunk": ara(0) - 1,
    "a block ends at the chunk's end": ara(51 * 7 - 1),
    "a block's first row ends the chunk": ara(51 * 7),
    "a block's last-but-one row ends the chunk": ara(51 * 7 - 2),
}


@pytest.mark.parametrize("case", _CUTS)
def test_a_run_cut_exactly_at_a_chunk_boundary(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    index = _CUTS[case]
    monkeypatch.setattr(etss_files, "_CHUNK", _chunk_size_ending_after_line(_TRL_FILE, index))
    assert _chunk_last_lines(_TRL_FILE)[0] == index  # the edge is where it is meant to be

    reader, _ = agree(_TRL_FILE, monkeypatch)

    assert reader.ok, reader.issues[:3]
    assert reader.counts["ARA"] == len(LINES) - ara(0)
    assert len(taken(_TRL_FILE)) >= reader.counts["ARA"] - 2 * 51 * len(_chunk_last_lines(_TRL_FILE))


@pytest.mark.parametrize("size", [4096, 65_537, 300_001])
def test_many_chunks_and_a_broken_row_in_each(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small chunks (runs cut everywhere, at lines and mid-line), a broken rate every 997 rows."""
    lines = list(LINES)
    for k in range(0, len(lines) - ara(0), 997):
        fields = lines[ara(k)].split("|")
        fields[6] = "0.00"
        lines[ara(k)] = "|".join(fields)
    data = etss_bytes(lines)
    monkeypatch.setattr(etss_files, "_CHUNK", size)
    assert len(_chunk_last_lines(data)) > len(data) // (size + 1)

    reader, _ = agree(data, monkeypatch)

    broken = {ara(k) + 1 for k in range(0, len(lines) - ara(0), 997)}
    assert {issue.line for issue in reader.issues if issue.field == "RATE"} == broken
