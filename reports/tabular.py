"""A table a person downloads, written as CSV or XLSX (openpyxl), safe to open in a spreadsheet.

Text that a spreadsheet would read as a formula (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return: OWASP's "CSV injection") is written with a leading apostrophe, which spreadsheets show
as text. Numbers are numbers (``Decimal``/``int``), never neutralised: a negative amount stays an amount.
Dates are ISO dates in CSV and date cells in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = '"$"#,##0.00;-"$"#,##0.00'


@dataclass(frozen=True)
class Column:
    title: str
    money: bool = False


@dataclass
class Table:
    """What one export holds: a sheet title, its columns and its rows (one value per column)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


def cell_text(value: Any) -> Any:
    """A value as it is written: text neutralised, numbers and dates kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | int | float | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv_value(value: Any) -> str:
    value = cell_text(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def write_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens accented names correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell_text(c.title) for c in table.columns])
    writer.writerows([_csv_value(v) for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one worksheet
    sheet.title = table.title[:31]  # Excel's limit
    sheet.append([cell_text(c.title) for c in table.columns])
    for row in table.rows:
        values = []
        for value in row:
            value = cell_text(value)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)  # Excel has no time zones; the value is UTC
            values.append(value)
        sheet.append(values)
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.title) + 2))
        if column.money:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = MONEY_FORMAT
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WRITERS = {
    "csv": (write_csv, "text/csv; charset=utf-8"),
    "xlsx": (write_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def money_columns(titles: Iterable[tuple[str, bool]]) -> list[Column]:
    return [Column(title, money) for title, money in titles]
