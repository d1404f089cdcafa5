from __future__ import annotations

from datetime import date

import pytest

from members.models import Member
from members.services import member_local_problems

pytestmark = pytest.mark.django_db


def test_it_finds_no_problem_in_api_mds_family(ann, luis, rule_facts):
    for member in Member.objects.filter(group=ann.group):
        assert [p.code for p in member_local_problems(member=member) if p.is_error] == []


def test_it_puts_mbr_005_on_the_birth_date_of_a_30_year_old_child(ann, rule_facts):
    child = Member.objects.get(group=ann.group, member_ref="E-001-C1")
    child.date_of_birth = date(1996, 6, 5)
    child.save()
    problems = [p for p in member_local_problems(member=child) if p.code == "MBR-005"]
    assert len(problems) == 1
    assert problems[0].step == "member"
    assert problems[0].field == "date_of_birth"
    assert problems[0].fix


def test_it_puts_a_plan_the_group_does_not_offer_on_the_election(ann, rule_facts):
    election = ann.elections.get(line="DENTAL")
    election.plan_id = "99999KY0020009"
    election.save()
    problems = [p for p in member_local_problems(member=Member.objects.get(pk=ann.pk)) if p.code == "MBR-009"]
    assert [(p.step, p.field) for p in problems] == [("election:DENTAL", "plan_id")]


def test_it_puts_a_missing_hire_date_on_its_field(luis, rule_facts):
    Member.objects.filter(pk=luis.pk).update(hire_date=None)
    problems = member_local_problems(member=Member.objects.get(pk=luis.pk))
    assert "hire_date" in {p.field for p in problems}
