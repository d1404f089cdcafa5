from __future__ import annotations

import pytest

from edi import sources
from groupsales.rules.testing import blue_heron_members
from members import selectors
from members.models import Member

pytestmark = pytest.mark.django_db

V = Member.ValidationStatus


def test_it_gives_the_bodies_of_valid_members_subscribers_then_the_spouse_then_children(ann, luis):
    Member.objects.filter(group=ann.group).update(validation_status=V.VALID)
    Member.objects.filter(member_ref="E-001-C2").update(validation_status=V.INVALID)
    bodies = selectors.group_validated_member_bodies(group=ann.group)
    expected = {b["memberRef"]: b for b in blue_heron_members()}
    order = ["E-001", "E-001-S", "E-001-C1", "E-002"]
    assert [b["memberRef"] for b in bodies] == order
    assert bodies == [expected[ref] for ref in order]


def test_it_leaves_out_the_dependents_of_a_subscriber_not_valid(ann):
    Member.objects.filter(group=ann.group).exclude(member_ref="E-001").update(validation_status=V.VALID)
    assert selectors.group_validated_member_bodies(group=ann.group) == []


def test_it_feeds_the_834_writer(ann, luis):
    Member.objects.filter(group=ann.group, member_ref="E-002").update(validation_status=V.VALID)
    assert [b["memberRef"] for b in sources.member_bodies(group=ann.group)] == ["E-002"]


def test_it_counts_the_groups_progress(ann, luis, group, queued, rule_facts):
    from members import services

    services.family_save(
        group=group,
        subscriber_data={"member_ref": "E-003", "first_name": "Kim", "last_name": "Park"},
        dependents_data=[],
        elections={},
        by=None,
    )
    Member.objects.filter(group=group, member_ref__in=["E-001", "E-001-S"]).update(validation_status=V.VALID)
    Member.objects.filter(group=group, member_ref="E-002").update(validation_status=V.INVALID)
    progress = selectors.group_progress(group=group)
    assert (progress.enrolled, progress.waived, progress.not_started) == (2, 0, 1)
    assert (progress.members, progress.validated, progress.invalid, progress.waiting) == (6, 2, 1, 3)
    assert [p.line for p in progress.participation] == ["MEDICAL", "DENTAL", "VISION"]
    assert any("neither elected nor waived" in b for b in progress.blockers)
    assert any("refused by the carrier" in b for b in progress.blockers)
