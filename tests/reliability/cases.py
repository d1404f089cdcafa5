"""Groups at a stage of the enrollment, brought there through the services against the sandbox the test's
settings point at (nothing queued is needed)."""

from __future__ import annotations

from enrollment import services as group_services
from enrollment.finalize import group_finalize_with_carrier
from enrollment.models import EmployerGroup
from members import services as member_services
from members.examples import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS
from tests.enrollment.conftest import make_complete_group

S = EmployerGroup.Status


def open_enrollment_group(broker, **overrides) -> EmployerGroup:
    """Blue Heron Bakery created with the carrier, with Ann's family and Luis (5 members, not validated)."""
    group = make_complete_group(broker, **overrides)
    EmployerGroup.objects.filter(pk=group.pk).update(status=S.CREATING)
    assert group_services.group_create_with_carrier(group_id=group.pk) == "created"
    group.refresh_from_db()
    member_services.family_save(
        group=group, subscriber_data=ANN, dependents_data=ANN_DEPENDENTS, elections=ANN_ELECTIONS, by=None
    )
    member_services.family_save(
        group=group, subscriber_data=LUIS, dependents_data=[], elections=LUIS_ELECTIONS, by=None
    )
    return group


def validated_group(broker) -> EmployerGroup:
    """The same, every member validated, FINALIZING."""
    group = open_enrollment_group(broker)
    member_services.group_validate_members(group_id=group.pk)
    EmployerGroup.objects.filter(pk=group.pk).update(status=S.FINALIZING)
    group.refresh_from_db()
    return group


def finalized_group(broker) -> EmployerGroup:
    group = validated_group(broker)
    assert group_finalize_with_carrier(group_id=group.pk) == "finalized"
    group.refresh_from_db()
    return group
