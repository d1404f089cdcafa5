"""Reading a census from CSV or XLSX.

Columns: ``memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier`` (these six first,
as they always were), then optionally, in any order, ``medicalTier``, ``dentalTier``, ``visionTier`` (an
employee's tier on one line where it differs) and ``waiverReason`` (why an employee waives the lines
they waive: business-rules.md's list; the valid reasons lower the participation the quote estimates).
``coverageTier`` is the tier of every line whose own column is absent or empty, so a file in the
six-column layout means what it always meant.

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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from groupsales.codes import Relationship, WaiverReason

from .quoting import TIERS, WAIVE, CensusRow

COLUMNS = ("memberRef", "subscriberRef", "relationship", "dateOfBirth", "tobaccoUse", "coverageTier")
LINE_TIER_COLUMNS = {"medicalTier": "medical_tier", "dentalTier": "dental_tier", "visionTier": "vision_tier"}
OPTIONAL_COLUMNS = (*LINE_TIER_COLUMNS, "waiverReason")
TEMPLATE_COLUMNS = (*COLUMNS, *OPTIONAL_COLUMNS)
EXAMPLE = (
    ("E-001", "E-001", "SUBSCRIBER", "1980-05-02", "false", "FAM", "", "EMP", "", ""),
    ("E-001-S", "E-001", "SPOUSE", "1979-11-30", "true", "", "", "", "", ""),
    ("E-002", "E-002", "SUBSCRIBER", "1995-07-22", "false", "EMP", "", "WAIVE", "", "SPOUSE_GROUP_COVERAGE"),
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
        message = _("the workbook unpacks to %d MB, more than a census needs")
        raise _Refused(message % (unpacked // (1024 * 1024)))
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = itertools.islice(
            sheet.iter_rows(max_col=len(TEMPLATE_COLUMNS), values_only=True), MAX_ROWS + 2
        )
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
            raise _Refused(_("the file is larger than %s MB") % f"{limit / (1024 * 1024):g}")
        rows = _rows_from_xlsx(data) if filename.lower().endswith(".xlsx") else _rows_from_csv(data)
    except _Refused as refused:
        fix = _("Upload the CSV or XLSX template filled in, with only the census on it.")
        return [], [CensusProblem(1, "", "MBR-001", str(refused), fix)]
    except Exception as error:  # noqa: BLE001 - any unreadable upload is the user's to fix
        message = _("the file cannot be read (%s)") % error.__class__.__name__
        return [], [CensusProblem(1, "", "MBR-001", message, _("Upload the CSV or XLSX template filled in."))]
    return parse_rows(rows)


_FIXES = {
    "memberRef": (
        "MBR-001",
        gettext_lazy("Give each person a reference of capitals, digits and dashes, e.g. E-001."),
    ),
    "subscriberRef": (
        "MBR-020",
        gettext_lazy("Write the employee's memberRef (their own on an employee's row)."),
    ),
    "relationship": (
        "MBR-010",
        gettext_lazy("Use SUBSCRIBER, SPOUSE, DOMESTIC_PARTNER, CHILD, STEPCHILD, FOSTER_CHILD or WARD."),
    ),
    "dateOfBirth": ("MBR-003", gettext_lazy("Write the date of birth as YYYY-MM-DD.")),
    "tobaccoUse": ("MBR-013", gettext_lazy("Write true or false (empty for a young child).")),
    "coverageTier": (
        "MBR-010",
        gettext_lazy("Use EMP, ESP, ECH, FAM or WAIVE on an employee's row; empty on a dependent's."),
    ),
    "lineTier": (
        "MBR-010",
        gettext_lazy(
            "Use EMP, ESP, ECH, FAM or WAIVE on an employee's row where this line's tier differs from "
            "coverageTier; leave it empty otherwise, and on a dependent's row."
        ),
    ),
    "waiverReason": (
        "MBR-012",
        gettext_lazy(
            "On the row of an employee who waives a line: SPOUSE_GROUP_COVERAGE, OTHER_GROUP_COVERAGE, "
            "MEDICARE, MEDICAID, TRICARE, VA, INDIVIDUAL_COVERAGE, NO_OTHER_COVERAGE or OTHER."
        ),
    ),
}
_TOBACCO = {"true": True, "false": False, "": None, "y": True, "n": False, "yes": True, "no": False}
_WAIVER_REASONS = frozenset(reason.value for reason in WaiverReason)


def _problem(line: int, column: str, message: str) -> CensusProblem:
    code, fix = _FIXES["lineTier" if column in LINE_TIER_COLUMNS else column]
    return CensusProblem(line, column, code, message, str(fix))


def _tier_problems(line: int, subscriber: bool, tiers: dict[str, str], waiver: str) -> list[CensusProblem]:
    """The tier columns and the waiver reason of one row (``tiers``: column -> value, upper case)."""
    problems = []
    for column, tier in tiers.items():
        if subscriber and column == "coverageTier" and not tier:
            if any(not tiers.get(c) for c in LINE_TIER_COLUMNS):
                problems.append(_problem(line, column, _("an employee's row needs a coverage tier")))
        elif subscriber and tier and tier not in (*TIERS, WAIVE):
            problems.append(_problem(line, column, _("“%s” is not a coverage tier") % tier))
        elif not subscriber and tier:
            problems.append(_problem(line, column, _("only an employee's row has a coverage tier")))
    waives = any(tiers.get(c) == WAIVE for c in LINE_TIER_COLUMNS) or (
        tiers["coverageTier"] == WAIVE and any(not tiers.get(c) for c in LINE_TIER_COLUMNS)
    )
    if waiver and waiver not in _WAIVER_REASONS:
        problems.append(_problem(line, "waiverReason", _("“%s” is not a waiver reason") % waiver))
    elif waiver and not waives:
        problems.append(
            _problem(line, "waiverReason", _("only an employee who waives a line has a waiver reason"))
        )
    return problems


def _check_row(line: int, cells: dict[str, str]) -> tuple[CensusRow | None, list[CensusProblem]]:
    member_ref, subscriber_ref = cells["memberRef"], cells["subscriberRef"]
    relationship = cells["relationship"].upper()
    dob_text, tobacco_text = cells["dateOfBirth"], cells["tobaccoUse"]
    tiers = {column: cells.get(column, "").upper() for column in ("coverageTier", *LINE_TIER_COLUMNS)}
    waiver = cells.get("waiverReason", "").upper()
    problems = []
    if not member_ref:
        problems.append(_problem(line, "memberRef", _("is empty")))
    elif not _REF.fullmatch(member_ref.upper()):
        problems.append(_problem(line, "memberRef", _("is not capitals, digits and dashes (at most 30)")))
    if relationship not in Relationship.__members__:
        problems.append(_problem(line, "relationship", _("“%s” is not a relationship") % relationship))
    if relationship == "SUBSCRIBER" and subscriber_ref != member_ref:
        problems.append(
            _problem(line, "subscriberRef", _("an employee's subscriberRef must be their memberRef"))
        )
    try:
        dob = date.fromisoformat(dob_text)
    except ValueError:
        dob = None
        problems.append(_problem(line, "dateOfBirth", _("is not a date")))  # never echo a birth date
    tobacco = _TOBACCO.get(tobacco_text.lower())
    if tobacco_text and tobacco_text.lower() not in _TOBACCO:
        problems.append(_problem(line, "tobaccoUse", _("“%s” is not true or false") % tobacco_text))
    problems += _tier_problems(line, relationship == "SUBSCRIBER", tiers, waiver)
    if problems or dob is None:
        return None, problems
    per_line = {field: tiers[column] for column, field in LINE_TIER_COLUMNS.items()}
    return CensusRow(
        member_ref, subscriber_ref, relationship, dob, tobacco, tiers["coverageTier"], **per_line,
        waiver_reason=waiver,
    ), []  # fmt: skip


def _columns(heading: list[str]) -> list[str] | None:
    """The column of each position: the six first, then optional ones in any order; None if not so."""
    names = [_text(c) for c in heading]
    while names and not names[-1]:
        names.pop()
    extra = names[len(COLUMNS) :]
    if names[: len(COLUMNS)] != list(COLUMNS) or len(set(extra)) != len(extra):
        return None
    if any(name not in OPTIONAL_COLUMNS for name in extra):
        return None
    return names


def parse_rows(rows: list[list[str]]) -> tuple[list[CensusRow], list[CensusProblem]]:
    """Check every row; the line numbers count the heading as line 1."""
    columns = _columns(rows[0]) if rows else None
    if columns is None:
        fix = _("The first row must be the template's headings: %(required)s, then any of %(optional)s") % {
            "required": ",".join(COLUMNS),
            "optional": ",".join(OPTIONAL_COLUMNS),
        }
        return [], [CensusProblem(1, "", "MBR-001", _("the columns are not the template's"), fix)]
    problems: list[CensusProblem] = []
    census: list[tuple[int, CensusRow]] = []
    for line, raw in enumerate(rows[1 : MAX_ROWS + 1], start=2):
        cells = [_text(c) for c in raw] + [""] * len(columns)
        if not any(cells):
            continue
        row, row_problems = _check_row(line, dict(zip(columns, cells, strict=False)))
        problems.extend(row_problems)
        if row is not None:
            census.append((line, row))
    refs = [row.member_ref for _line, row in census]
    subscribers = {row.member_ref for _line, row in census if row.relationship == "SUBSCRIBER"}
    for line, row in census:
        if refs.count(row.member_ref) > 1:
            problems.append(_problem(line, "memberRef", _("%s appears twice") % row.member_ref))
        if row.relationship != "SUBSCRIBER" and row.subscriber_ref not in subscribers:
            problems.append(
                _problem(line, "subscriberRef", _("%s is no employee of the census") % row.subscriber_ref)
            )
    if len(rows) - 1 > MAX_ROWS:
        problems.append(
            CensusProblem(
                MAX_ROWS + 2, "", "GRP-008", _("more than %d rows") % MAX_ROWS, _("Quote a small group.")
            )
        )
    problems.sort(key=lambda p: p.line)
    return [row for _line, row in census], problems


def template_csv(rows: tuple[tuple[str, ...], ...] = EXAMPLE) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS[: len(rows[0])] if rows else TEMPLATE_COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one worksheet
    sheet.title = "census"
    sheet.append(TEMPLATE_COLUMNS)
    for row in EXAMPLE:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
