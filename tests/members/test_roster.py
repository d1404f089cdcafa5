"""Roster import (issue 23 item 5): forgiving formats, a preview, per-row errors with rule IDs, nothing
half-imported, never an SSN echoed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from members.models import Member, RosterImport
from members.roster.parse import HEADERS, TEMPLATE_HEADERS, parse_roster
from members.roster.services import roster_import, roster_preview_create
from tests.factories import BrokerFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "Employee ID",
    "Relationship",
    "First Name",
    "Last Name",
    "SSN",
    "DOB",
    "Sex",
    "Email",
    "Phone",
    "Hire Date",
    "Hours",
    "Status",
    "Address",
    "City",
    "State",
    "Zip",
    "County FIPS",
    "Tobacco",
    "Medical Tier",
    "Medical Plan",
    "Dental Tier",
    "Dental Plan",
    "Vision Tier",
    "Waiver reason",
]
MEDICAL, DENTAL = "12345KY0010001", "12345KY0020001"


def _ssn(n: int) -> str:
    return f"{100 + n:03d}{11 + n % 80:02d}{1000 + n:04d}"


def _employee(n: int, **over: str) -> list[str]:
    row = {
        "Employee ID": f"R-{n:03d}",
        "Relationship": "EE",
        "First Name": f"Pat{chr(65 + n % 26)}",
        "Last Name": "Rivera",
        "SSN": f"{_ssn(n)[:3]}-{_ssn(n)[3:5]}-{_ssn(n)[5:]}",
        "DOB": f"{1 + n % 12}/{1 + n % 27}/1980",
        "Sex": "F",
        "Email": f"pat{n}@example.com",
        "Phone": "502-555-0111",
        "Hire Date": "3/1/21",
        "Hours": "40",
        "Status": "FT",
        "Address": f"{n} Main St",
        "City": "Louisville",
        "State": "KY",
        "Zip": "40202",
        "County FIPS": "21111",
        "Tobacco": "N",
        "Medical Tier": "Employee Only",
        "Medical Plan": MEDICAL,
        "Dental Tier": "EE",
        "Dental Plan": DENTAL,
        "Vision Tier": "Waive",
        "Waiver reason": "OTHER_GROUP_COVERAGE",
    }
    row.update(over)
    return [row[h] for h in HEADER]


def _dependent(n: int, relationship: str, dob: str, **over: str) -> list[str]:
    row = dict.fromkeys(HEADER, "")
    row.update(
        {
            "Relationship": relationship,
            "First Name": f"Kim{chr(65 + n % 26)}",
            "Last Name": "Rivera",
            "SSN": _ssn(n),
            "DOB": dob,
            "Sex": "M",
            "Tobacco": "no",
        }
    )
    row.update(over)
    return [row[h] for h in HEADER]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def fifty_rows() -> list[list[str]]:
    """20 families, 50 people: employees alone, with a spouse, or with a spouse and a child."""
    rows: list[list[str]] = []
    n = 0
    for family in range(20):
        n += 1
        size = (1, 3, 3, 3)[family % 4] if len(rows) < 48 else 1
        tier = {1: "Employee Only", 3: "Employee/Spouse/Child"}[size]
        rows.append(_employee(n, **{"Medical Tier": tier, "Dental Tier": "EF" if size == 3 else "EE"}))
        if size == 3:
            n += 1
            rows.append(_dependent(n, "Spouse", "1981-02-03"))
            n += 1
            rows.append(_dependent(n, "Child", "6/7/12"))
    while len(rows) < 50:
        n += 1
        rows.append(_employee(n))
    return rows[:50]


@pytest.fixture
def upload(broker_client, group):
    def send(content: bytes, name: str = "roster.csv"):
        url = reverse("members:roster_upload", args=[group.pk])
        return broker_client.post(url, {"roster": _file(content, name)})

    return send


def _file(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_forms_people_type_are_read():
    rows = [
        _employee(1, DOB="5/2/1980", **{"Hire Date": "2021-03-01", "Medical Tier": "Employee/Spouse/Child"}),
        _dependent(2, "sp", "11/30/79"),
        _dependent(3, "Daughter", "2010-06-05", Tobacco="N"),
        _employee(4, DOB="07/22/95", Tobacco="yes", **{"Medical Tier": "ES", "Dental Tier": "EC"}),
        _dependent(5, "Husband", "1/2/1990"),
    ]
    roster = parse_roster(name="r.csv", content=_csv(rows), today=date(2026, 12, 3))

    assert roster.errors == []
    first, second = roster.families
    assert first.employee.data["date_of_birth"] == date(1980, 5, 2)
    assert first.employee.data["hire_date"] == date(2021, 3, 1)
    assert first.employee.data["ssn"] == _ssn(1)  # dashes dropped
    assert first.employee.data["employment_status"] == "FULL_TIME"
    assert [d.data["relationship"] for d in first.dependents] == ["SPOUSE", "CHILD"]
    assert first.dependents[0].data["date_of_birth"] == date(1979, 11, 30)  # a two-digit year in the past
    assert first.tiers == {"MEDICAL": "FAM", "DENTAL": "EMP", "VISION": "WAIVE"}
    assert second.employee.data["date_of_birth"] == date(1995, 7, 22)
    assert second.employee.data["tobacco_use"] is True
    assert second.tiers == {"MEDICAL": "ESP", "DENTAL": "ECH", "VISION": "WAIVE"}
    assert [d.data["relationship"] for d in second.dependents] == ["SPOUSE"]


def test_an_xlsx_with_date_cells_and_other_header_spellings():
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["first_name", "LASTNAME", "Date of Birth", "relationship", "Coverage Tier", "hours per week"]
    )
    sheet.append(["Ann", "Lee", date(1980, 5, 2), "Employee", "EF", 40.0])
    sheet.append(["Maya", "Lee", date(2010, 6, 5), "Child", "", None])
    out = io.BytesIO()
    book.save(out)

    roster = parse_roster(name="r.xlsx", content=out.getvalue(), today=date(2026, 12, 3))

    assert roster.errors == []
    (family,) = roster.families
    assert family.employee.data["date_of_birth"] == date(1980, 5, 2)
    assert family.employee.data["hours_per_week"] == 40
    assert family.tiers == {"MEDICAL": "FAM", "DENTAL": "FAM", "VISION": "FAM"}
    assert family.dependents[0].data["first_name"] == "Maya"


def test_every_template_column_is_read():
    assert all(HEADERS.get("".join(c for c in h.lower() if c.isalnum())) for h in TEMPLATE_HEADERS)


def test_fifty_rows_with_three_bad_ones_give_exactly_those_three_errors_and_save_nothing(group, rule_facts):
    rows = fifty_rows()
    rows[4][HEADER.index("DOB")] = "13/45/1980"  # line 6
    rows[20][HEADER.index("SSN")] = "12-345"  # line 22
    bad_tier_row = next(i for i in range(30, 50) if rows[i][1] == "EE")
    rows[bad_tier_row][HEADER.index("Medical Tier")] = "Gold"
    before = Member.objects.count()

    preview = roster_preview_create(group=group, name="r.csv", content=_csv(rows), by=None)

    assert preview.member_count == 50
    assert sorted((e["line"], e["column"], e["rule"]) for e in preview.errors) == sorted(
        [
            (6, "DOB", "MBR-003"),
            (22, "SSN", "MBR-002"),
            (bad_tier_row + 2, "Medical Tier", "MBR-010"),
        ]
    )
    assert all(e["fix"] for e in preview.errors)
    outcome = roster_import(roster_import_id=preview.pk, by=None)
    assert outcome.imported == [] and len(outcome.errors) == 3
    assert Member.objects.count() == before
    preview.refresh_from_db()
    assert preview.status == RosterImport.Status.PREVIEW


def test_a_clean_roster_imports_every_family_with_its_coverage(group, rule_facts, queued):
    rows = fifty_rows()
    preview = roster_preview_create(group=group, name="r.csv", content=_csv(rows), by=None)
    assert preview.errors == []

    outcome = roster_import(roster_import_id=preview.pk, by=None)

    assert len(outcome.imported) == 20
    assert Member.objects.filter(group=group, member_ref__startswith="R-", subscriber=None).count() == 20
    family = Member.objects.get(group=group, member_ref="R-002")
    assert family.ssn == _ssn(2) and family.date_of_birth == date(1980, 3, 3)
    spouse = family.dependents.get(relationship="SPOUSE")
    # EF on medical and dental: the spouse is covered on both; vision is waived.
    assert spouse.covered_lines == ["MEDICAL", "DENTAL"]
    assert {e.line: (e.plan_id, e.waived) for e in family.elections.all()} == {
        "MEDICAL": (MEDICAL, False),
        "DENTAL": (DENTAL, False),
        "VISION": ("", True),
    }
    preview.refresh_from_db()
    assert preview.status == RosterImport.Status.IMPORTED and preview.families == []


def test_a_tier_that_leaves_out_a_dependent_does_not_cover_them(group, rule_facts, queued):
    rows = [
        _employee(1, **{"Medical Tier": "ECH", "Dental Tier": "FAM"}),
        _dependent(2, "Spouse", "1981-01-01"),
        _dependent(3, "Child", "2012-01-01"),
    ]
    preview = roster_preview_create(group=group, name="r.csv", content=_csv(rows), by=None)
    assert preview.errors == []
    roster_import(roster_import_id=preview.pk, by=None)
    employee = Member.objects.get(group=group, member_ref="R-001")
    covered = {d.relationship: d.covered_lines for d in employee.dependents.all()}
    assert covered == {"SPOUSE": ["DENTAL"], "CHILD": ["MEDICAL", "DENTAL"]}


def test_importing_the_good_rows_lists_the_skipped_ones(group, rule_facts, queued):
    rows = [
        _employee(1),
        _employee(2, DOB="not a date"),
        _employee(3, **{"Medical Tier": "ESP"}),
        _dependent(4, "Spouse", "1981-01-01", SSN="1"),
    ]
    preview = roster_preview_create(group=group, name="r.csv", content=_csv(rows), by=None)
    assert {e["line"] for e in preview.errors} == {3, 5}

    outcome = roster_import(roster_import_id=preview.pk, by=None, good_only=True)

    assert [m.member_ref for m in outcome.imported] == ["R-001"]
    assert outcome.skipped_lines == [3, 4, 5]  # line 4's employee has a dependent in error: the family waits


def test_a_second_click_imports_nothing(group, rule_facts, queued):
    preview = roster_preview_create(group=group, name="r.csv", content=_csv([_employee(1)]), by=None)
    assert len(roster_import(roster_import_id=preview.pk, by=None).imported) == 1
    again = roster_import(roster_import_id=preview.pk, by=None)
    assert again.already and again.imported == []
    assert Member.objects.filter(group=group, member_ref="R-001").count() == 1


def test_an_ssn_already_in_the_group_or_twice_in_the_file_is_refused(group, rule_facts, queued, ann):
    rows = [_employee(1, SSN=ann.ssn), _employee(2), _employee(3, SSN=_ssn(2))]
    preview = roster_preview_create(group=group, name="r.csv", content=_csv(rows), by=None)
    assert sorted((e["line"], e["rule"]) for e in preview.errors) == [(2, "MBR-014"), (4, "MBR-014")]
    assert all(ann.ssn not in e["message"] and _ssn(2) not in e["message"] for e in preview.errors)


def test_the_stored_preview_is_encrypted(group, rule_facts):
    preview = roster_preview_create(group=group, name="r.csv", content=_csv([_employee(1)]), by=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT families_json FROM members_rosterimport WHERE id = %s", [preview.pk])
        (raw,) = cursor.fetchone()
    assert _ssn(1) not in str(raw) and "1980" not in str(raw)
    assert preview.families[0]["employee"]["data"]["ssn"] == _ssn(1)


def test_the_pages_show_what_each_value_became_without_the_ssn(
    broker_client, group, rule_facts, queued, upload
):
    rows = [_employee(1, DOB="5/2/1980"), _employee(2, SSN="98-7")]
    response = upload(_csv(rows))
    assert response.status_code == 302
    page = broker_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "***-**-1001" in html and _ssn(1) not in html and "98-7" not in html
    assert "MBR-002" in html and "Line 3" in html
    assert "Import every family" not in html  # an error: only the good rows can go

    response = broker_client.post(response["Location"], {"rows": "good", "invite": "on"})
    assert response.status_code == 302
    assert Member.objects.filter(group=group, member_ref="R-001").exists()
    assert not Member.objects.filter(group=group, member_ref="R-002").exists()
    assert [m.to for m in mail.outbox] == [["pat1@example.com"]]


def test_an_upload_without_a_file_or_with_a_broken_one_is_answered(broker_client, group, upload):
    url = reverse("members:roster_upload", args=[group.pk])
    response = broker_client.post(url, {})
    assert response.status_code == 200 and "PTL-004" in response.content.decode()
    response = upload(b"\x00\x01garbage", "r.csv")
    page = broker_client.get(response["Location"])
    assert "PTL-004" in page.content.decode()


def test_another_agency_cannot_reach_a_roster(client, group, rule_facts):
    preview = roster_preview_create(group=group, name="r.csv", content=_csv([_employee(1)]), by=None)
    outsider = BrokerFactory()
    client.force_login(outsider.user)
    for url in (
        reverse("members:roster_upload", args=[group.pk]),
        reverse("members:roster_preview", args=[group.pk, preview.pk]),
        reverse("members:roster_template", args=[group.pk, "csv"]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("members:roster_preview", args=[group.pk, preview.pk]), {"rows": "all"}
        ).status_code
        == 404
    )
    assert not Member.objects.filter(member_ref="R-001").exists()


def test_the_templates_download_and_read_back_empty(broker_client, group):
    csv_response = broker_client.get(reverse("members:roster_template", args=[group.pk, "csv"]))
    assert csv_response.status_code == 200
    assert parse_roster(name="t.csv", content=csv_response.content).families == []
    xlsx_response = broker_client.get(reverse("members:roster_template", args=[group.pk, "xlsx"]))
    book = load_workbook(io.BytesIO(xlsx_response.content))
    assert [c.value for c in book.worksheets[0][1]] == list(TEMPLATE_HEADERS)
    assert parse_roster(name="t.xlsx", content=xlsx_response.content).errors == []


def test_the_admin_shows_a_preview_without_its_values(client, group, rule_facts):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    preview = roster_preview_create(group=group, name="r.csv", content=_csv([_employee(1)]), by=None)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_rosterimport"))
    client.force_login(staff)
    page = client.get(reverse("admin:members_rosterimport_change", args=[preview.pk]))
    assert page.status_code == 200
    assert "r.csv" in page.content.decode() and _ssn(1) not in page.content.decode()
    response = client.post(
        reverse("admin:members_rosterimport_changelist"),
        {"action": "discard", "_selected_action": [preview.pk]},
    )
    preview.refresh_from_db()
    assert preview.status == RosterImport.Status.PREVIEW  # view only: no discarding
    assert response.status_code in (200, 302)
