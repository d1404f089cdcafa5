"""Exports: the same visibility as the pages, masked personal data, no formulas, figures that add up."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from enrollment.models import EmployerGroup
from members import self_service
from reports.tabular import Column, Table, cell_text, write_csv, write_xlsx

REPORTS = ("enrollment", "premium", "not-signed", "payroll")


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def table_of(rows: list[list[str]]) -> list[dict[str, str]]:
    head, *body = rows
    return [dict(zip(head, row, strict=True)) for row in body]


# ------------------------------------------------------------------------------------ cells


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'])
def test_it_writes_text_that_a_spreadsheet_would_run_as_text(text):
    assert cell_text(text) == "'" + text
    table = Table("t", [Column("name")], [[text]])
    assert read_csv_bytes(write_csv(table))[1] == ["'" + text]
    sheet = load_workbook(io.BytesIO(write_xlsx(table))).active
    # An XML parser may read a carriage return back as a line feed (ElementTree does, lxml 6 does not);
    # the apostrophe in front is what matters.
    assert sheet["A2"].value.replace("\r", "\n") == ("'" + text).replace("\r", "\n")
    assert sheet["A2"].data_type == "s"


def read_csv_bytes(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_it_keeps_numbers_numbers_and_plain_text_as_it_is():
    table = Table("t", [Column("amount", money=True), Column("name")], [[Decimal("-12.50"), "Ann Lee"]])
    assert read_csv_bytes(write_csv(table))[1] == ["-12.50", "Ann Lee"]
    sheet = load_workbook(io.BytesIO(write_xlsx(table))).active
    assert sheet["A2"].value == Decimal("-12.50") or sheet["A2"].value == -12.5
    assert sheet["A2"].data_type == "n"
    assert sheet["B2"].value == "Ann Lee"


# ------------------------------------------------------------------------------------ who sees what


@pytest.mark.django_db
@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_agencys_group_exports_are_404(client, other_broker, ann, report, fmt):
    client.force_login(other_broker.user)
    url = reverse("reports:group_export", args=[ann.group.pk, report, fmt])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_book_export_holds_only_the_visible_groups_with_the_pages_filters(
    client, broker, other_broker, group
):
    from tests.enrollment.conftest import make_complete_group

    theirs = make_complete_group(other_broker)
    EmployerGroup.objects.filter(pk=theirs.pk).update(legal_name="Elsewhere Widgets")
    EmployerGroup.objects.filter(pk=group.pk).update(legal_name="=cmd|' /C calc'!A0")
    client.force_login(broker.user)
    rows = table_of(read_csv(client.get(reverse("reports:book_export", args=["csv"]))))
    assert [r["Employer"] for r in rows] == ["'=cmd|' /C calc'!A0"]
    filtered = read_csv(client.get(reverse("reports:book_export", args=["csv"]) + "?status=ENROLLED"))
    assert filtered[1:] == []


@pytest.mark.django_db
def test_an_unknown_report_or_format_is_404(broker_client, ann):
    assert (
        broker_client.get(reverse("reports:group_export", args=[ann.group.pk, "salaries", "csv"])).status_code
        == 404
    )
    assert (
        broker_client.get(reverse("reports:group_export", args=[ann.group.pk, "payroll", "pdf"])).status_code
        == 404
    )
    assert broker_client.get(reverse("reports:book_export", args=["exe"])).status_code == 404


# ------------------------------------------------------------------------------------ content


def _ann_costs(ann, line: str) -> dict:
    """Ann's family priced alone (the self-service path), for her elected plan on ``line``."""
    subscriber = {"date_of_birth": ann.date_of_birth, "tobacco_use": ann.tobacco_use}
    family = [
        {
            "relationship": d.relationship,
            "date_of_birth": d.date_of_birth,
            "tobacco_use": d.tobacco_use,
            "covered_lines": d.covered_lines,
        }
        for d in ann.dependents.all()
    ]
    plan_id = ann.elections.get(line=line).plan_id
    return self_service.employee_costs(group=ann.group, subscriber=subscriber, dependents=family, line=line)[
        plan_id
    ]


def _money(text: str) -> Decimal:
    return Decimal(text)


@pytest.mark.django_db
def test_the_enrollment_census_masks_ssns_and_dates_and_prices_each_family(
    broker_client, ann, luis, loaded_sample
):
    response = broker_client.get(reverse("reports:group_export", args=[ann.group.pk, "enrollment", "csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="group-100234-enrollment.csv"')
    raw = response.content.decode("utf-8-sig")
    for person in [ann, *ann.dependents.all(), luis]:
        if person.ssn:
            assert person.ssn not in raw
        assert person.date_of_birth.isoformat() not in raw
    rows = {r["Member ID"]: r for r in table_of(read_csv(response))}
    assert rows["E-001"]["SSN"] == "***-**-6789"
    assert rows["E-001"]["Year of birth"] == "1980"
    assert rows["E-001"]["Medical: tier"] == "Family"
    for line, words in (("MEDICAL", "Medical"), ("DENTAL", "Dental"), ("VISION", "Vision")):
        alone = _ann_costs(ann, line)
        assert _money(rows["E-001"][f"{words}: employee monthly"]) == alone["employee"]
        assert _money(rows["E-001"][f"{words}: employer monthly"]) == alone["employer"]
    assert rows["E-002"]["Dental: tier"] == "Waived"


@pytest.mark.django_db
def test_the_payroll_report_divides_each_monthly_cost_by_the_pay_periods(
    broker_client, ann, luis, loaded_sample
):
    EmployerGroup.objects.filter(pk=ann.group.pk).update(pay_frequency=EmployerGroup.PayFrequency.BIWEEKLY)
    response = broker_client.get(reverse("reports:group_export", args=[ann.group.pk, "payroll", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    head = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    ann_row = rows["E-001"]
    total = Decimal(0)
    for line, words in (("MEDICAL", "Medical"), ("DENTAL", "Dental"), ("VISION", "Vision")):
        monthly = _ann_costs(ann, line)["employee"]
        assert Decimal(str(ann_row[f"{words}: employee monthly"])) == monthly
        expected = (monthly * 12 / 26).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(str(ann_row[f"{words}: per pay period"])).quantize(Decimal("0.01")) == expected
        total += monthly
    assert Decimal(str(ann_row["Total monthly"])).quantize(Decimal("0.01")) == total
    assert ann_row["Pay frequency"] == "Every two weeks"
    assert Decimal(str(rows["E-002"]["Dental: employee monthly"])) == 0  # Luis waives dental


@pytest.mark.django_db
def test_the_not_signed_list_names_who_has_not_signed_and_their_link(broker_client, ann, luis):
    from members.models import Invitation
    from members.self_service import invitation_send

    invitation_send(subscriber=ann, by=None)
    rows = {r["Member ID"]: r for r in table_of(read_csv(broker_client.get(
        reverse("reports:group_export", args=[ann.group.pk, "not-signed", "csv"])
    )))}  # fmt: skip
    assert rows["E-001"]["Status"] == "Invited, not opened"
    assert rows["E-002"]["Status"] == "Not invited"
    Invitation.objects.filter(subscriber=ann).update(signed_at="2026-11-24T10:00:00Z", signed_name="Ann Lee")
    rows = table_of(read_csv(broker_client.get(
        reverse("reports:group_export", args=[ann.group.pk, "not-signed", "csv"])
    )))  # fmt: skip
    assert [r["Member ID"] for r in rows] == ["E-002"]


@pytest.mark.django_db
def test_the_pages_link_to_their_downloads(broker_client, ann):
    page = broker_client.get(reverse("enrollment:group_detail", args=[ann.group.pk])).content.decode()
    for report in REPORTS:
        assert reverse("reports:group_export", args=[ann.group.pk, report, "xlsx"]) in page
    book = broker_client.get(reverse("book") + "?status=OPEN_ENROLLMENT").content.decode()
    assert reverse("reports:book_export", args=["csv"]) + "?status=OPEN_ENROLLMENT" in book
