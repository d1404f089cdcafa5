"""Census import from CSV or XLSX (the quote CSV layout, plus optional gender, ZIP and owner columns).

``parse_census(name=..., content=...)`` returns ``(rows, errors)``: rows in CensusMember field names,
errors as ``RowError(line, column, message, fix)``. Nothing is stored here, and nothing raises: an
unreadable, oversized or hostile file is one error on line 0.

Limits (issue 8, "Bad input"): at most ``settings.CENSUS_MAX_BYTES`` (default 5 MB) are read — pass
the uploaded file itself as ``content`` and no more than that is ever read into memory; an XLSX whose
members would unpack to more than ``settings.CENSUS_MAX_UNPACKED_BYTES`` (default 10 MB) is refused
before openpyxl opens it (a "zip bomb"); at most ``MAX_LINES`` lines and ``MAX_COLUMNS`` columns are
read. Formulas are never evaluated (openpyxl does not; the cached value is read) and no value is kept
unless it matches its column's strict pattern, so nothing stored can start with ``= + - @``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from .models import CensusMember

MAX_ROWS = 1000
MAX_LINES = 10 * MAX_ROWS + 1  # blank lines included; a file with more is refused, not truncated
MAX_COLUMNS = 64
# ASCII only, whole value, and not starting with a hyphen (a spreadsheet reads "-A1" as a formula).
REF = re.compile(r"[A-Z0-9][A-Z0-9-]{0,29}", re.ASCII)
COLUMNS = {
    "memberref": "member_ref",
    "subscriberref": "subscriber_ref",
    "relationship": "relationship",
    "dateofbirth": "date_of_birth",
    "tobaccouse": "tobacco_use",
    "coveragetier": "coverage_tier",
    "gender": "gender",
    "zip5": "zip5",
    "zip": "zip5",
    "isowner": "is_owner",
    "isownerspouse": "is_owner_spouse",
}
REQUIRED = ("member_ref", "relationship", "date_of_birth")
TRUE = {"true", "yes", "y", "1", "t", "x"}
FALSE = {"false", "no", "n", "0", "f", ""}
GENDERS = {"M": "MALE", "F": "FEMALE", "U": "UNKNOWN"}


class Readable(Protocol):
    """A binary file to read from (an upload, an open file): only ``read(size)`` is used."""

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str
    fix: str


class Unreadable(ValueError):
    """The file as a whole cannot be imported; ``parse_census`` turns it into one RowError."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def _max_bytes() -> int:
    return getattr(settings, "CENSUS_MAX_BYTES", 5 * 1024 * 1024)


def _max_unpacked_bytes() -> int:
    return getattr(settings, "CENSUS_MAX_UNPACKED_BYTES", 10 * 1024 * 1024)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def _capped(rows: Iterable) -> list[list]:
    table: list[list] = []
    for row in rows:
        if len(table) >= MAX_LINES:
            raise Unreadable(
                f"The file has more than {MAX_LINES} lines.",
                f"Put at most {MAX_ROWS} people in one file, without blank lines in between.",
            )
        table.append(list(row)[:MAX_COLUMNS])
    return table


def _xlsx_rows(content: bytes) -> list[list]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise Unreadable(
            _("The file is not an XLSX workbook."), _("Save it from Excel as .xlsx, or as CSV UTF-8.")
        ) from None
    if unpacked > _max_unpacked_bytes():
        raise Unreadable(
            _("The workbook unpacks to %(mb)s MB, more than a census needs.")
            % {"mb": unpacked // (1024 * 1024)},
            _("Copy the %(n)s or fewer census rows into a new workbook, or save them as CSV.")
            % {"n": MAX_ROWS},
        )
    from openpyxl import load_workbook

    # read_only streams the rows, but opening a sheet without a <dimension> element parses all of it
    # once (openpyxl's parse_dimensions): the unpacked-size check above is what bounds that work.
    # zipfile stops at the declared sizes, so they cannot lie.
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return _capped(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
    finally:
        book.close()


def _rows_from(name: str, content: bytes) -> list[list]:
    if name.lower().endswith((".xlsx", ".xlsm")) or content.startswith(b"PK\x03\x04"):
        return _xlsx_rows(content)
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = content.decode("utf-16")  # Excel's "Unicode text"; the BOM makes it unambiguous
    elif b"\x00" in content:
        raise Unreadable(
            _("The file is not a CSV or XLSX file (it holds binary data)."),
            _("Upload the census as CSV UTF-8 or XLSX."),
        )
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Unreadable(
                _("The file is not UTF-8 text (byte %(n)s cannot be read).") % {"n": exc.start + 1},
                _("Save it as CSV UTF-8 (in Excel: Save As, CSV UTF-8) or as XLSX."),
            ) from None
    return _capped(csv.reader(io.StringIO(text)))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(*, name: str, content: bytes | Readable) -> tuple[list[list], RowError | None]:
    """The file's rows as cells (CSV or the first sheet of an XLSX), or the one error that stops it:
    ``content`` is the file's bytes or a binary file (of which at most the size limit is read)."""
    limit = _max_bytes()
    if not isinstance(content, bytes | bytearray):
        content = content.read(limit + 1)
    if len(content) > limit:
        return [], RowError(
            0,
            "",
            _("The file is larger than %(mb)s MB.") % {"mb": f"{limit / (1024 * 1024):g}"},
            _(
                "A census of up to %(n)s people fits easily: remove other sheets and columns, or save "
                "it as CSV."
            )
            % {"n": MAX_ROWS},
        )
    try:
        table = _rows_from(name, bytes(content))
    except Unreadable as exc:
        return [], RowError(0, "", exc.message, exc.fix)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one error for the broker
        return [], RowError(
            0,
            "",
            _("The file could not be read (%(what)s).") % {"what": exc.__class__.__name__},
            _("Upload a CSV (UTF-8) or an XLSX file with a header row."),
        )
    if not table:
        return [], RowError(
            1, "", _("The file is empty."), _("Put the header row first, then one row per person.")
        )
    return table, None


def cell_text(value: object) -> str:
    """A cell as text: dates in ISO form, whole numbers without ``.0``, surrounding spaces dropped."""
    return _text(value)


def parse_census(*, name: str, content: bytes | Readable) -> tuple[list[dict], list[RowError]]:
    """``content`` is the file's bytes or a binary file (of which at most the size limit is read)."""
    table, unreadable = read_table(name=name, content=content)
    if unreadable is not None:
        return [], [unreadable]
    header = [COLUMNS.get(_key(_text(h))) for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [
            RowError(
                1,
                ", ".join(missing),
                _("Required columns are missing."),
                _("Add the columns memberRef, relationship and dateOfBirth to the header row."),
            )
        ]
    rows: list[dict] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for line, raw in enumerate(table[1:], start=2):
        values = {header[i]: _text(v) for i, v in enumerate(raw) if i < len(header) and header[i]}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(
                RowError(
                    line,
                    "",
                    _("More than %(n)s rows.") % {"n": MAX_ROWS},
                    _("Split the census into smaller files."),
                )
            )
            break
        row, row_errors = _parse_row(line, values, seen)
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    subscribers = {r["member_ref"] for r in rows if r["relationship"] == "SUBSCRIBER"}
    kept = []
    for r in rows:
        line = r.pop("_line")
        if r["relationship"] != "SUBSCRIBER" and r["subscriber_ref"] not in subscribers:
            errors.append(
                RowError(
                    line,
                    "subscriberRef",
                    _("No employee row %(ref)s.") % {"ref": r["subscriber_ref"]},
                    _("Give the employee's own memberRef in subscriberRef, and include the employee."),
                )
            )
        else:
            kept.append(r)
    errors.sort(key=lambda e: e.line)
    rows = kept
    return rows, errors


def _parse_row(line: int, v: dict, seen: set[str]) -> tuple[dict, list[RowError]]:
    """One census row in CensusMember field names, and its errors (each column checked on its own)."""
    errors: list[RowError] = []
    ref = _member_ref(line, v, seen, errors)
    relationship = _relationship(line, v, errors)
    dob = _date_of_birth(line, v, errors)
    flags = _flags(line, v, errors)
    tier = v.get("coverage_tier", "").upper()
    if relationship == "SUBSCRIBER" and tier not in CensusMember.Tier.values:
        errors.append(
            RowError(
                line,
                "coverageTier",
                _("Coverage tier %(value)s is not known.") % {"value": repr(v.get("coverage_tier"))},
                _("Use EMP, ESP, ECH, FAM or WAIVE for each employee."),
            )
        )
    gender = _gender(line, v, errors)
    zip5 = _zip5(line, v, errors)
    subscriber_ref = _subscriber_ref(line, v, ref, relationship, errors)
    row = {
        "member_ref": ref,
        "subscriber_ref": subscriber_ref,
        "relationship": relationship,
        "date_of_birth": dob,
        "gender": gender,
        "zip5": zip5,
        "coverage_tier": tier if relationship == "SUBSCRIBER" else "",
        "_line": line,
        **flags,
    }
    return row, errors


def _member_ref(line: int, v: dict, seen: set[str], errors: list[RowError]) -> str:
    ref = v.get("member_ref", "").upper()
    if not REF.fullmatch(ref):
        errors.append(
            RowError(
                line,
                "memberRef",
                _("Member ID %(ref)s is not valid.") % {"ref": repr(ref)},
                _("Use 1 to 30 capital letters, digits or hyphens, e.g. E-001."),
            )
        )
    elif ref in seen:
        errors.append(
            RowError(
                line,
                "memberRef",
                _("Member ID %(ref)s appears twice.") % {"ref": ref},
                _("Give each person their own ID."),
            )  # fmt: skip
        )
    seen.add(ref)
    return ref


def _relationship(line: int, v: dict, errors: list[RowError]) -> str:
    relationship = v.get("relationship", "").upper().replace(" ", "_")
    if relationship in ("EMPLOYEE", "SELF"):
        relationship = "SUBSCRIBER"
    if relationship not in CensusMember.Relationship.values:
        errors.append(
            RowError(
                line,
                "relationship",
                _("Relationship %(value)s is not known.") % {"value": repr(v.get("relationship"))},
                _("Use SUBSCRIBER, SPOUSE, DOMESTIC_PARTNER, CHILD, STEPCHILD, FOSTER_CHILD or WARD."),
            )
        )
    return relationship


def _date_of_birth(line: int, v: dict, errors: list[RowError]) -> date | None:
    """YYYY-MM-DD, or MM/DD/YYYY as spreadsheets write it."""
    try:
        return date.fromisoformat(v.get("date_of_birth", ""))
    except ValueError:
        pass
    try:
        return datetime.strptime(v.get("date_of_birth", ""), "%m/%d/%Y").date()
    except ValueError:
        errors.append(
            RowError(
                line,
                "dateOfBirth",
                _("The date of birth is not a date."),
                _("Write it as YYYY-MM-DD, e.g. 1980-05-02."),
            )
        )
        return None


def _flags(line: int, v: dict, errors: list[RowError]) -> dict[str, bool]:
    """The yes/no columns (tobacco use, owner, owner's spouse)."""
    flags = {}
    for column, field in (
        ("tobaccoUse", "tobacco_use"),
        ("isOwner", "is_owner"),
        ("isOwnerSpouse", "is_owner_spouse"),
    ):
        text = v.get(field, "").lower()
        if text in TRUE:
            flags[field] = True
        elif text in FALSE:
            flags[field] = False
        else:
            errors.append(
                RowError(
                    line,
                    column,
                    _("%(column)s %(value)s is not yes or no.")
                    % {"column": column, "value": repr(v.get(field))},
                    _("Write true or false."),
                )  # fmt: skip
            )
    return flags


def _gender(line: int, v: dict, errors: list[RowError]) -> str:
    gender = v.get("gender", "").upper()
    gender = GENDERS.get(gender, gender)
    if gender and gender not in CensusMember.Gender.values:
        errors.append(
            RowError(
                line,
                "gender",
                _("Gender %(value)s is not known.") % {"value": repr(v.get("gender"))},
                _("Use MALE, FEMALE or UNKNOWN."),
            )
        )
    return gender


def _zip5(line: int, v: dict, errors: list[RowError]) -> str:
    zip5 = v.get("zip5", "")
    if zip5 and not re.fullmatch(r"[0-9]{5}", zip5):
        errors.append(
            RowError(
                line,
                "zip5",
                _("ZIP code %(value)s is not 5 digits.") % {"value": repr(zip5)},
                _("Write the 5-digit ZIP code."),
            )  # fmt: skip
        )
    return zip5


def _subscriber_ref(line: int, v: dict, ref: str, relationship: str, errors: list[RowError]) -> str:
    subscriber_ref = (v.get("subscriber_ref") or ref).upper()
    if relationship == "SUBSCRIBER" and subscriber_ref != ref:
        errors.append(
            RowError(
                line,
                "subscriberRef",
                _("An employee's subscriberRef %(value)s is not their own memberRef.")
                % {"value": repr(v.get("subscriber_ref"))},
                _("On an employee's row, repeat the memberRef in subscriberRef (or leave it empty)."),
            )
        )
    return subscriber_ref
