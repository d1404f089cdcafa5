"""The chaos run's census at the issue's scale (issue 18: 24 groups, 136 families, 357 members): the shape
adds up, its families are of mixed sizes, and a group of that shape goes through the carrier's rules (the
sandbox) to a finalize the broker may ask for, so the chaos run fails on faults only, never on its data."""

from __future__ import annotations

from collections import Counter

import pytest

from enrollment import finalize
from enrollment import services as group_services
from enrollment.models import EmployerGroup
from loadtest.chaos_drive import _census, _families, _groups, census_shape, issue_share
from members import services as member_services
from members.models import Member
from tests.reliability.test_carrier_faults import carrier_only  # noqa: F401


def test_the_issue_s_census_adds_up_in_families_of_mixed_sizes():
    shape = census_shape(groups=24, families=136, members=357, seed=18)
    assert len(shape) == 24 and sum(map(len, shape)) == 136 and sum(map(sum, shape)) == 357
    assert {len(sizes) for sizes in shape} == {5, 6} and {sum(sizes) for sizes in shape} <= {14, 15, 16}
    sizes = Counter(size for group in shape for size in group)
    assert sizes[1] >= 10 and sizes[2] >= 5 and max(sizes) >= 5, sizes  # singles, couples, big families
    assert (issue_share(136, 24), issue_share(357, 24)) == (136, 357)
    assert (issue_share(136, 3), issue_share(357, 3)) == (17, 45)
    assert census_shape(groups=24, families=136, members=357, seed=18) == shape  # the seed decides
    with pytest.raises(ValueError):
        census_shape(groups=2, families=2, members=40, seed=1)  # more than 7 a family


@pytest.mark.django_db(transaction=True)
def test_a_chaos_group_of_the_issue_s_shape_is_validated_and_ready_to_finalize(
    carrier_only,  # noqa: F811
    broker,
):
    sizes = [6, 1, 4, 2, 1, 1]  # 15 members in 6 families, as the issue's groups
    [pk] = _groups(broker, [sizes], offset=0)
    group = EmployerGroup.objects.get(pk=pk)
    assert group.census.count() == 15 and len(_census(_families(pk, sizes))) == 15
    EmployerGroup.objects.filter(pk=pk).update(status=EmployerGroup.Status.CREATING)
    assert group_services.group_create_with_carrier(group_id=pk) == "created"
    group.refresh_from_db()
    for subscriber, dependents, elections in _families(pk, sizes):
        member_services.family_save(
            group=group, subscriber_data=subscriber, dependents_data=dependents, elections=elections, by=None
        )
    for _ in range(3):  # the employees (a batch: six is over the threshold), then their dependents
        member_services.group_validate_members(group_id=pk)
    statuses = Counter(Member.objects.filter(group=group).values_list("validation_status", flat=True))
    assert statuses == {"VALID": 15}, statuses
    readiness = finalize.group_readiness(group=EmployerGroup.objects.get(pk=pk))
    assert readiness.ready, (readiness.items, readiness.problems)


def test_a_result_left_retry_passes_only_when_its_work_was_done():
    from loadtest.chaos import checks

    name = "every task result final, or its work done (the same task succeeded)"
    sandbox = {"groups": [], "validations_made": {}, "validations_held": {}, "current": []}

    def verdict(*unfinished):
        portal = {"groups": [], "members": [], "open_operations": [], "outbox_waiting": 0}
        return checks(portal | {"unfinished_results": list(unfinished)}, sandbox, {}, [], 0)["checks"][name]

    lost = {"same work succeeded under another id": [], "log": ["worker1: … retry: Retry in 61s"]}
    assert verdict() and not verdict(lost)  # a retry that never ran, its work not done again
    assert verdict(lost | {"same work succeeded under another id": [["4c08…", "{'valid': 15}"]]})
    assert verdict(lost | {"log": ["worker1: … Task portal.x[fab6…] succeeded in 9.6s: 0"]})
