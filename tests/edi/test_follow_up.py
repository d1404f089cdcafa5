"""Issue 15 item 5: a follow-up carries only the rejected members changed since their rejection; a
follow-up's own member-level rejection leads to another follow-up, never to a whole-group resubmission
(which would send the accepted members again). Before: the follow-up resent an uncorrected member (and
it was rejected again), and after that the page offered only a resubmission of the whole group."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edi import follow_up, services
from edi.models import Transmission
from edi.selectors import group_actions

from .conftest import accepted

pytestmark = pytest.mark.django_db

S = Transmission.Status
P = Transmission.Purpose
ALL_REFS = ["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"]
LUIS = 4


def finish(transmission, fake_carrier, final):
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.statuses = [final]
    services.transmission_poll(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    return transmission


def rejected_only(refs, *, whole=False):
    if whole:
        return {
            "status": "REJECTED",
            "errors": [{"code": "FIL-900", "message": "The group is not in good standing."}],
            "summary": {"members": len(refs), "accepted": 0, "rejected": len(refs)},
            "members": [],
        }
    final = accepted(refs, rejected=tuple(refs))
    final["status"] = "REJECTED"
    return final


def test_an_uncorrected_rejected_member_is_not_sent_again(finalized_group, members_source, fake_carrier):
    first = finish(
        services.transmission_start(group=finalized_group),
        fake_carrier,
        accepted(ALL_REFS, rejected=("E-002",)),
    )
    assert first.status == S.ACCEPTED_WITH_ERRORS
    assert group_actions(group=finalized_group)["follow_up"] is False
    with pytest.raises(services.TransmissionRefused, match="changed since Humana rejected it"):
        services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP)
    assert Transmission.objects.count() == 1

    members_source.bodies[LUIS]["middleName"] = "Javier"  # corrected, validated again
    assert group_actions(group=finalized_group)["follow_up"] is True
    second = services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP)
    assert list(second.members.values_list("member_ref", flat=True)) == ["E-002"]
    assert second.members.get().body_digest == follow_up.body_digest(members_source.bodies[LUIS])


def test_a_member_rejected_again_by_a_follow_up_goes_in_another_one(
    finalized_group, members_source, fake_carrier
):
    finish(
        services.transmission_start(group=finalized_group),
        fake_carrier,
        accepted(ALL_REFS, rejected=("E-002",)),
    )
    members_source.bodies[LUIS]["middleName"] = "Javier"
    second = finish(
        services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP),
        fake_carrier,
        rejected_only(["E-002"]),
    )
    assert second.status == S.REJECTED  # every member of the follow-up rejected, at member level

    actions = group_actions(group=finalized_group)
    assert actions["resubmit"] is False and actions["follow_up"] is False  # Luis unchanged since
    assert [(m.member_ref, m.state) for m in actions["rejected"]] == [("E-002", follow_up.State.NOT_CHANGED)]
    with pytest.raises(services.TransmissionRefused, match="follow-up instead"):
        services.transmission_start(group=finalized_group, purpose=P.RESUBMISSION)

    members_source.bodies[LUIS]["lastName"] = "Ortega"
    assert group_actions(group=finalized_group)["follow_up"] is True
    third = finish(
        services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP),
        fake_carrier,
        accepted(["E-002"]),
    )
    assert third.status == S.ACCEPTED and third.follows == second
    assert group_actions(group=finalized_group)["rejected"] == []


def test_members_a_follow_up_lost_as_a_whole_go_again_as_they_are(
    finalized_group, members_source, fake_carrier
):
    finish(
        services.transmission_start(group=finalized_group),
        fake_carrier,
        accepted(ALL_REFS, rejected=("E-002",)),
    )
    members_source.bodies[LUIS]["middleName"] = "Javier"
    lost = finish(
        services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP),
        fake_carrier,
        rejected_only(["E-002"], whole=True),
    )
    assert lost.members.get().errors[0]["whole_file"] is True
    plan = follow_up.follow_up_plan(group=finalized_group)
    assert plan.ready_refs == {"E-002"} and not plan.can_resubmit


def test_a_corrected_dependent_waits_for_its_rejected_employee(finalized_group, members_source, fake_carrier):
    finish(
        services.transmission_start(group=finalized_group),
        fake_carrier,
        accepted(ALL_REFS, rejected=("E-001", "E-001-C1")),
    )
    members_source.bodies[2]["middleName"] = "Rose"  # the child corrected, not its employee
    states = {m.member_ref: m.state for m in follow_up.follow_up_plan(group=finalized_group).rejected}
    assert states == {"E-001": follow_up.State.NOT_CHANGED, "E-001-C1": follow_up.State.WAITS_FOR_EMPLOYEE}
    members_source.bodies[0]["middleName"] = "Marie"
    follow = services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP)
    assert list(follow.members.values_list("member_ref", flat=True)) == ["E-001", "E-001-C1"]


def test_the_group_page_lists_the_rejected_members_and_offers_the_follow_up_once_corrected(
    broker_client, finalized_group, members_source, fake_carrier
):
    finish(
        services.transmission_start(group=finalized_group),
        fake_carrier,
        accepted(ALL_REFS, rejected=("E-002",)),
    )
    members_source.bodies[LUIS]["middleName"] = "Javier"
    finish(
        services.transmission_start(group=finalized_group, purpose=P.FOLLOW_UP),
        fake_carrier,
        rejected_only(["E-002"]),
    )
    url = reverse("edi_group_files", args=[finalized_group.pk])
    page = broker_client.get(url).content.decode()
    assert "Resubmit whole group" not in page
    assert "Not changed since it was rejected: correct it first." in page
    assert "The follow-up opens once a rejected member has been corrected" in page

    members_source.bodies[LUIS]["lastName"] = "Ortega"
    page = broker_client.get(url).content.decode()
    assert "Send follow-up for rejected members" in page and "Resubmit whole group" not in page
    response = broker_client.post(reverse("edi_follow_up", args=[finalized_group.pk]))
    assert response.status_code == 302
    assert Transmission.objects.filter(purpose=P.FOLLOW_UP).count() == 2
