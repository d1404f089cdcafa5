"""Issue 15 items 2 and 4 over the carrier sandbox (live server) with a real Celery worker: the census is
imported (no names, SSNs or addresses), one family is completed through the family form's service and is
validated by the carrier; the families still incomplete are not sent, say what they lack, and no task
loops on them. Before: the worker's batch raised ``InvalidCarrierRequest``, every member was put back,
and nobody was validated."""

from __future__ import annotations

import pytest

from carrier.models import ApiCall
from enrollment import services as group_services
from enrollment.models import EmployerGroup
from members import services
from members.models import Member
from tests.end_to_end.test_enrollment_end_to_end import eventually, sandbox, status_of  # noqa: F401
from tests.enrollment.conftest import make_complete_group

from .conftest import LUIS, LUIS_ELECTIONS

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
V = Member.ValidationStatus


def statuses(group) -> dict[str, str]:
    return dict(Member.objects.filter(group=group).values_list("member_ref", "validation_status"))


def test_a_census_group_validates_its_complete_family_and_keeps_the_others_back(sandbox, broker):  # noqa: F811
    group = make_complete_group(broker)
    group_services.group_submit(group=group, by=broker.user)
    eventually(
        lambda: status_of(group) == EmployerGroup.Status.OPEN_ENROLLMENT, "the carrier created the group"
    )
    group.refresh_from_db()

    services.census_import_members(group=group)
    assert set(statuses(group).values()) == {V.INCOMPLETE}

    luis = Member.objects.get(group=group, member_ref="E-002")
    services.family_save(
        group=group,
        subscriber=luis,
        subscriber_data={k: v for k, v in LUIS.items() if k != "member_ref"},
        dependents_data=[],
        elections=LUIS_ELECTIONS,
        by=broker.user,
    )
    eventually(lambda: statuses(group)["E-002"] == V.VALID, "the completed family validated")
    assert {ref: s for ref, s in statuses(group).items() if ref != "E-002"} == dict.fromkeys(
        ["E-001", "E-001-S", "E-001-C1", "E-001-C2"], V.INCOMPLETE
    )
    ann = Member.objects.get(group=group, member_ref="E-001")
    assert {"MBR-001", "MBR-002", "MBR-007", "MBR-008"} <= {e["code"] for e in ann.portal_errors}

    # "Validate now" and the sweep send nothing for the incomplete family: no call names it
    services.members_request_validation(group=group)
    calls = ApiCall.objects.filter(path__contains="member-validations")
    eventually(lambda: calls.count() >= 1, "the validation call recorded")
    assert not any("E-001" in (c.request_body or "") for c in calls)
    assert statuses(group)["E-001"] == V.INCOMPLETE
