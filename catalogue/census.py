"""Reading a census from CSV or XLSX.

Columns: ``memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier``.

Every bad row is reported with its line (the header is line 1), the column, the rule ID and a fix.

Hostile files (issue 8): at most ``settings.CENSUS_MAX_BYTES`` (5 MB) are read, an XLSX that would
unpack to more than ``settings.CENSUS_MAX_UNPACKED_BYTES`` (10 MB) is refused before openpyxl opens
it, no more lines are read than the row limit needs, and a memberRef must be capitals, digits and
dashes (so no formula such as ``=HYPERLINK(...)`` is ever kept).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from django.conf import settings

from groupsales.codes import Relationship

from .quoting import TIERS, WAIVE, CensusRow

COLUMNS = ("memberRef", "subscriberRef", "relationship", "dateOfBirth", "tobaccoUse", "coverageTier")
EXAMPLE = (
    ("E-001", "E-001", "SUBSCRIBER", "1980-05-02", "false", "FAM"),
    ("E-001-S", "E-001", "SPOUSE", "1979-11-30", "true", ""),
    ("E-002", "E-002", "SUBSCRIBER", "1995-07-22", "false", "EMP"),
)
MAX_ROWS = 5000
_REF = re.compile(r"[A-Z0-9][A-Z0-9-]{0,29}", re.ASCII)


class _Refused(ValueError):
    """A whole file refused for a reason the broker can act on (its message is shown)."""


@dataclass(frozen=True)
class CensusProblem:
    line: int
    column: str
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"line {self.line} {self.column}: {self.message} ({self.code}) — {self.fix}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _rows_from_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    # The heading, MAX_ROWS rows and one more to tell that there are too many: nothing else is read.
    return list(itertools.islice(csv.reader(io.StringIO(text)), MAX_ROWS + 2))


def _rows_from_xlsx(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > getattr(settings, "CENSUS_MAX_UNPACKED_BYTES", 10 * 1024 * 1024):
        raise _Refused(f"the workbook unpacks to {unpacked // (1024 * 1024)} MB, more than a census needs")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = itertools.islice(sheet.iter_rows(max_col=len(COLUMNS), values_only=True), MAX_ROWS + 2)
        return [[_text(v) for v in row] for row in rows]
    finally:
        workbook.close()


def parse_census(
    upload: IO[bytes] | bytes, *, filename: str = "census.csv"
) -> tuple[list[CensusRow], list[CensusProblem]]:
    """Rows and problems (an empty problem list means every row is good)."""
    limit = getattr(settings, "CENSUS_MAX_BYTES", 5 * 1024 * 1024)
    data = upload if isinstance(upload, bytes) else upload.read(limit + 1)
    try:
        if len(data) > limit:
            raise _Refused(f"the file is larger than {limit / (1024 * 1024):g} MB")
        rows = _rows_from_xlsx(data) if filename.lower().endswith(".xlsx") else _rows_from_csv(data)
    except _Refused as refused:
        fix = "Upload the CSV or XLSX template filled in, with only the census on it."
        return [], [CensusProblem(1, "", "MBR-001", str(refused), fix)]
    except Exception as error:  # noqa: BLE001 - any unreadable upload is the user's to fix
        return [], [CensusProblem(1, "", "MBR-001", f"the file cannot be read ({error.__class__.__name__})",
                                  "Upload the CSV or XLSX template filled in.")]  # fmt: skip
    return parse_rows(rows)


_FIXES = {
    "memberRef": ("MBR-001", "Give each person a reference of capitals, digits and dashes, e.g. E-001."),
    "subscriberRef": ("MBR-020", "Write the employee's memberRef (their own on an employee's row)."),
    "relationship": (
        "MBR-010",
        "Use SUBSCRIBER, SPOUSE, DOMESTIC_PARTNER, CHILD, STEPCHILD, FOSTER_CHILD or WARD.",
    ),
    "dateOfBirth": ("MBR-003", "Write the date of birth as YYYY-MM-DD."),
    "tobaccoUse": ("MBR-013", "Write true or false (empty for a young child)."),
    "coverageTier": (
        "MBR-010",
        "Use EMP, ESP, ECH, FAM or WAIVE on an employee's row; empty on a dependent's.",
    ),
}
_TOBACCO = {"true": True, "false": False, "": None, "y": True, "n": False, "yes": True, "no": False}


def _problem(line: int, column: str, message: str) -> CensusProblem:
    code, fix = _FIXES[column]
    return CensusProblem(line, column, code, message, fix)


def _check_row(line: int, cells: list[str]) -> tuple[CensusRow | None, list[CensusProblem]]:
    member_ref, subscriber_ref, relationship, dob_text, tobacco_text, tier = cells[: len(COLUMNS)]
    relationship, tier = relationship.upper(), tier.upper()
    problems = []
    if not member_ref:
        problems.append(_problem(line, "memberRef", "is empty"))
    elif not _REF.fullmatch(member_ref.upper()):
        problems.append(_problem(line, "memberRef", "is not capitals, digits and dashes (at most 30)"))
    if relationship not in Relationship.__members__:
        problems.append(_problem(line, "relationship", f"{relationship!r} is not a relationship"))
    if relationship == "SUBSCRIBER" and subscriber_ref != member_ref:
        problems.append(
            _problem(line, "subscriberRef", "an employee's subscriberRef must be their memberRef")
        )
    try:
        dob = date.fromisoformat(dob_text)
    except ValueError:
        dob = None
        problems.append(_problem(line, "dateOfBirth", "is not a date"))  # never echo a birth date
    tobacco = _TOBACCO.get(tobacco_text.lower())
    if tobacco_text and tobacco_text.lower() not in _TOBACCO:
        problems.append(_problem(line, "tobaccoUse", f"{tobacco_text!r} is not true or false"))
    if relationship == "SUBSCRIBER" and tier not in (*TIERS, WAIVE):
        problems.append(_problem(line, "coverageTier", f"{tier!r} is not a coverage tier"))
    if relationship != "SUBSCRIBER" and tier:
        problems.append(_problem(line, "coverageTier", "only an employee's row has a coverage tier"))
    if problems or dob is None:
        return None, problems
    return CensusRow(member_ref, subscriber_ref, relationship, dob, tobacco, tier), []


def parse_rows(rows: list[list[str]]) -> tuple[list[CensusRow], list[CensusProblem]]:
    """Check every row; the line numbers count the heading as line 1."""
    if not rows or [c.strip() for c in rows[0][: len(COLUMNS)]] != list(COLUMNS):
        fix = "The first row must be the template's headings: " + ",".join(COLUMNS)
        return [], [CensusProblem(1, "", "MBR-001", "the columns are not the template's", fix)]
    problems: list[CensusProblem] = []
    census: list[tuple[int, CensusRow]] = []
    for line, raw in enumerate(rows[1 : MAX_ROWS + 1], start=2):
        cells = [_text(c) for c in raw] + [""] * len(COLUMNS)
        if not any(cells):
            continue
        row, row_problems = _check_row(line, cells)
        problems.extend(row_problems)
        if row is not None:
            census.append((line, row))
    refs = [row.member_ref for _line, row in census]
    subscribers = {row.member_ref for _line, row in census if row.relationship == "SUBSCRIBER"}
    for line, row in census:
        if refs.count(row.member_ref) > 1:
            problems.append(_problem(line, "memberRef", f"{row.member_ref} appears twice"))
        if row.relationship != "SUBSCRIBER" and row.subscriber_ref not in subscribers:
            problems.append(
                _problem(line, "subscriberRef", f"{row.subscriber_ref} is no employee of the census")
            )
    if len(rows) - 1 > MAX_ROWS:
        problems.append(
            CensusProblem(MAX_ROWS + 2, "", "GRP-008", f"more than {MAX_ROWS} rows", "Quote a small group.")
        )
    problems.sort(key=lambda p: p.line)
    return [row for _line, row in census], problems


def template_csv(rows: tuple[tuple[str, ...], ...] = EXAMPLE) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "census"
    sheet.append(COLUMNS)
    for row in EXAMPLE:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
