"""Census import from CSV or XLSX (the quote CSV layout, plus optional gender, ZIP and owner columns).

``parse_census(name=..., content=...)`` returns ``(rows, errors)``: rows in CensusMember field names,
errors as ``RowError(line, column, message, fix)``. Nothing is stored here.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from .models import CensusMember

MAX_ROWS = 1000
REF = re.compile(r"^[A-Z0-9-]{1,30}$")
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


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str
    fix: str


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def _rows_from(name: str, content: bytes) -> list[list]:
    if name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    text = content.decode("utf-8-sig")
    return [list(r) for r in csv.reader(io.StringIO(text))]


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


def parse_census(*, name: str, content: bytes) -> tuple[list[dict], list[RowError]]:
    try:
        table = _rows_from(name, content)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one error for the broker
        return [], [
            RowError(
                0,
                "",
                f"The file could not be read ({exc.__class__.__name__}).",
                "Upload a CSV (UTF-8) or an XLSX file with a header row.",
            )
        ]
    if not table:
        return [], [
            RowError(1, "", "The file is empty.", "Put the header row first, then one row per person.")
        ]
    header = [COLUMNS.get(_key(_text(h))) for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [
            RowError(
                1,
                ", ".join(missing),
                "Required columns are missing.",
                "Add the columns memberRef, relationship and dateOfBirth to the header row.",
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
                RowError(line, "", f"More than {MAX_ROWS} rows.", "Split the census into smaller files.")
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
                    f"No employee row {r['subscriber_ref']}.",
                    "Give the employee's own memberRef in subscriberRef, and include the employee.",
                )
            )
        else:
            kept.append(r)
    errors.sort(key=lambda e: e.line)
    rows = kept
    return rows, errors


def _parse_row(line: int, v: dict, seen: set[str]) -> tuple[dict, list[RowError]]:
    errors = []
    ref = v.get("member_ref", "").upper()
    if not REF.match(ref):
        errors.append(
            RowError(
                line,
                "memberRef",
                f"Member ID {ref!r} is not valid.",
                "Use 1 to 30 capital letters, digits or hyphens, e.g. E-001.",
            )
        )
    elif ref in seen:
        errors.append(
            RowError(line, "memberRef", f"Member ID {ref} appears twice.", "Give each person their own ID.")
        )
    seen.add(ref)
    relationship = v.get("relationship", "").upper().replace(" ", "_")
    if relationship in ("EMPLOYEE", "SELF"):
        relationship = "SUBSCRIBER"
    if relationship not in CensusMember.Relationship.values:
        errors.append(
            RowError(
                line,
                "relationship",
                f"Relationship {v.get('relationship')!r} is not known.",
                "Use SUBSCRIBER, SPOUSE, DOMESTIC_PARTNER, CHILD, STEPCHILD, FOSTER_CHILD or WARD.",
            )
        )
    dob = None
    try:
        dob = date.fromisoformat(v.get("date_of_birth", ""))
    except ValueError:
        try:
            dob = datetime.strptime(v.get("date_of_birth", ""), "%m/%d/%Y").date()
        except ValueError:
            errors.append(
                RowError(
                    line,
                    "dateOfBirth",
                    "The date of birth is not a date.",
                    "Write it as YYYY-MM-DD, e.g. 1980-05-02.",
                )
            )
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
                RowError(line, column, f"{column} {v.get(field)!r} is not yes or no.", "Write true or false.")
            )
    tier = v.get("coverage_tier", "").upper()
    if relationship == "SUBSCRIBER" and tier not in CensusMember.Tier.values:
        errors.append(
            RowError(
                line,
                "coverageTier",
                f"Coverage tier {v.get('coverage_tier')!r} is not known.",
                "Use EMP, ESP, ECH, FAM or WAIVE for each employee.",
            )
        )
    gender = v.get("gender", "").upper()
    gender = GENDERS.get(gender, gender)
    if gender and gender not in CensusMember.Gender.values:
        errors.append(
            RowError(
                line, "gender", f"Gender {v.get('gender')!r} is not known.", "Use MALE, FEMALE or UNKNOWN."
            )
        )
    zip5 = v.get("zip5", "")
    if zip5 and not re.fullmatch(r"\d{5}", zip5):
        errors.append(
            RowError(line, "zip5", f"ZIP code {zip5!r} is not 5 digits.", "Write the 5-digit ZIP code.")
        )
    row = {
        "member_ref": ref,
        "subscriber_ref": (v.get("subscriber_ref") or ref).upper(),
        "relationship": relationship,
        "date_of_birth": dob,
        "gender": gender,
        "zip5": zip5,
        "coverage_tier": tier if relationship == "SUBSCRIBER" else "",
        "_line": line,
        **flags,
    }
    return row, errors
