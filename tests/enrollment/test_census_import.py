"""Census import (CSV and XLSX) with per-row errors, and its page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollment.census_import import parse_census

HEADER = "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier,gender,isOwner\n"


def test_it_reads_the_samples_census_csv():
    content = (Path(settings.SAMPLES_DIR) / "census-blue-heron.csv").read_bytes()
    rows, errors = parse_census(name="census.csv", content=content)
    assert errors == []
    assert [r["member_ref"] for r in rows][:2] == ["E-001", "E-001-S"]
    spouse = rows[1]
    assert (
        spouse["subscriber_ref"] == "E-001"
        and spouse["tobacco_use"] is True
        and spouse["coverage_tier"] == ""
    )


def test_it_reports_each_bad_row_with_its_line_and_a_fix():
    content = (
        HEADER + "E-001,E-001,SUBSCRIBER,1980-05-02,false,FAM,F,yes\n"
        "E-002,E-002,SUBSCRIBER,05/32/1990,false,EMP,M,no\n"
        "E-003,E-003,BOSS,1990-01-01,maybe,XYZ,,no\n"
        "E-009-C,E-009,CHILD,2015-01-01,false,,,no\n"
    ).encode()
    rows, errors = parse_census(name="census.csv", content=content)
    by_line = {(e.line, e.column) for e in errors}
    assert (3, "dateOfBirth") in by_line
    assert {(4, "relationship"), (4, "tobaccoUse")} <= by_line
    assert (5, "subscriberRef") in by_line
    assert all(e.fix for e in errors)
    assert [r["member_ref"] for r in rows] == ["E-001"]


def test_it_reads_an_xlsx_file():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["memberRef", "subscriberRef", "relationship", "dateOfBirth", "tobaccoUse", "coverageTier"])
    sheet.append(["E-001", "E-001", "SUBSCRIBER", "1980-05-02", False, "EMP"])
    out = io.BytesIO()
    book.save(out)
    rows, errors = parse_census(name="census.xlsx", content=out.getvalue())
    assert errors == [] and rows[0]["date_of_birth"].isoformat() == "1980-05-02"


def test_it_refuses_a_file_without_the_required_columns():
    rows, errors = parse_census(name="c.csv", content=b"name,age\nAnn,40\n")
    assert rows == [] and errors[0].line == 1 and "memberRef" in errors[0].fix


@pytest.mark.django_db
def test_it_imports_nothing_and_lists_the_row_errors_on_the_page(
    broker_client, complete_group, catalogue_facts
):
    bad = SimpleUploadedFile(
        "c.csv", (HEADER + "E-007,E-007,SUBSCRIBER,not-a-date,false,EMP,F,no\n").encode()
    )
    response = broker_client.post(
        reverse("enrollment:group_step", args=[complete_group.pk, "census"]),
        {"action": "upload", "file": bad},
    )
    html = response.content.decode()
    assert "Line 2, dateOfBirth" in html and "YYYY-MM-DD" in html
    assert complete_group.census.count() == 5


@pytest.mark.django_db
def test_it_replaces_the_census_from_a_good_file(broker_client, complete_group, catalogue_facts):
    good = SimpleUploadedFile(
        "c.csv", (HEADER + "E-007,E-007,SUBSCRIBER,1970-01-01,false,EMP,F,no\n").encode()
    )
    response = broker_client.post(
        reverse("enrollment:group_step", args=[complete_group.pk, "census"]),
        {"action": "upload", "file": good},
    )
    assert response.status_code == 302
    assert list(complete_group.census.values_list("member_ref", flat=True)) == ["E-007"]
