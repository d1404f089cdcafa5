from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection

from members.models import Member, coverage_tier, mask_ssn, member_coverage_tier

pytestmark = pytest.mark.django_db


def test_it_keeps_no_plain_ssn_or_birth_date_in_the_database(ann):
    table = Member._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ssn, date_of_birth FROM {table} WHERE id = %s", [ann.pk])
        ssn, born = cursor.fetchone()
    assert "123456789" not in str(ssn)
    assert "1980" not in str(born)
    ann.refresh_from_db()
    assert ann.ssn == "123456789"
    assert ann.date_of_birth == date(1980, 5, 2)


def test_it_keeps_no_plain_ssn_in_the_history_table(ann):
    table = Member.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ssn FROM {table} WHERE id = %s", [ann.pk])
        rows = cursor.fetchall()
    assert rows
    assert all("123456789" not in str(row[0]) for row in rows)


def test_it_refuses_a_member_ref_twice_in_a_group(ann):
    with pytest.raises(IntegrityError):
        Member.objects.create(group=ann.group, member_ref="E-001", first_name="X", last_name="Y")


def test_it_refuses_a_member_ref_outside_the_pattern(group):
    with pytest.raises(IntegrityError):
        Member.objects.create(group=group, member_ref="e 001", first_name="X", last_name="Y")


def test_it_derives_the_tier_from_the_family():
    assert coverage_tier([]) == "EMP"
    assert coverage_tier(["SPOUSE"]) == "ESP"
    assert coverage_tier(["DOMESTIC_PARTNER"]) == "ESP"
    assert coverage_tier(["CHILD", "WARD"]) == "ECH"
    assert coverage_tier(["SPOUSE", "STEPCHILD"]) == "FAM"


def test_it_derives_a_subscribers_tier_per_line(ann):
    spouse = ann.dependents.get(relationship="SPOUSE")
    spouse.covered_lines = ["MEDICAL"]
    spouse.save()
    Member.objects.filter(subscriber=ann, relationship="CHILD").update(covered_lines=["DENTAL"])
    assert member_coverage_tier(ann, "MEDICAL") == "ESP"
    assert member_coverage_tier(ann, "DENTAL") == "ECH"
    assert member_coverage_tier(ann, "VISION") == "EMP"


def test_it_masks_an_ssn():
    assert mask_ssn("123456789") == "***-**-6789"
    assert mask_ssn("") == ""
