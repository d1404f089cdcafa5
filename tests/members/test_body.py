from __future__ import annotations

import pytest

from groupsales.rules.testing import blue_heron_members
from members.models import Member
from members.services import member_build_validation_body

pytestmark = pytest.mark.django_db


def bodies_by_ref():
    return {body["memberRef"]: body for body in blue_heron_members()}


@pytest.mark.parametrize("ref", ["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"])
def test_it_builds_api_mds_body(ann, luis, ref):
    member = Member.objects.get(group=ann.group, member_ref=ref)
    assert member_build_validation_body(member=member) == bodies_by_ref()[ref]


def test_it_derives_the_subscribers_tier_from_the_dependents_covered(ann):
    Member.objects.filter(subscriber=ann, relationship="CHILD").update(covered_lines=["MEDICAL"])
    ann = Member.objects.get(pk=ann.pk)
    tiers = {c["line"]: c["coverageTier"] for c in member_build_validation_body(member=ann)["coverage"]}
    assert tiers == {"MEDICAL": "FAM", "DENTAL": "ESP", "VISION": "ESP"}


def test_it_sends_a_dependents_own_address_when_it_has_one(ann):
    child = Member.objects.get(group=ann.group, member_ref="E-001-C1")
    child.address_line1, child.city, child.state, child.zip5 = "1 College Rd", "Lexington", "KY", "40506"
    child.save()
    body = member_build_validation_body(member=child)
    assert body["address"]["line1"] == "1 College Rd"
    assert "employment" not in body and "maritalStatus" not in body
