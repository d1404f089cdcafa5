import pytest

from enrollment.models import EmployerGroup, GroupTransition
from enrollment.states import TransitionNotAllowed, group_transition
from tests.factories import EmployerGroupFactory

S = EmployerGroup.Status
pytestmark = pytest.mark.django_db


def test_it_moves_a_group_and_records_who_when_and_why(broker):
    group = EmployerGroupFactory(broker=broker)
    group_transition(group=group, to=S.CREATING, by=broker.user, reason="Submitted")
    assert group.status == S.CREATING
    t = GroupTransition.objects.get(group=group)
    assert (t.from_status, t.to_status, t.by, t.reason) == (S.DRAFT, S.CREATING, broker.user, "Submitted")
    assert t.at is not None


def test_it_records_the_system_when_no_user_moves_it(broker):
    group = EmployerGroupFactory(broker=broker, status=S.CREATING)
    group_transition(group=group, to=S.NEEDS_ATTENTION, by=None, reason="carrier down")
    assert group.transitions.get().by_label == "system"
    assert group.status_reason == "carrier down"


def test_it_refuses_a_move_the_table_does_not_allow(broker):
    group = EmployerGroupFactory(broker=broker)
    with pytest.raises(TransitionNotAllowed):
        group_transition(group=group, to=S.ENROLLED, by=None, reason="")
    assert EmployerGroup.objects.get(pk=group.pk).status == S.DRAFT
    assert not GroupTransition.objects.exists()


def test_it_refuses_a_stale_move_when_another_process_moved_the_group_first(broker):
    group = EmployerGroupFactory(broker=broker)
    stale = EmployerGroup.objects.get(pk=group.pk)
    group_transition(group=group, to=S.CREATING, by=None, reason="first")
    with pytest.raises(TransitionNotAllowed):
        group_transition(group=stale, to=S.CREATING, by=None, reason="second")
    assert GroupTransition.objects.filter(group=group).count() == 1


def test_it_records_the_carriers_status_with_each_carrier_backed_move(broker):
    from enrollment.models import EmployerGroup
    from enrollment.selectors import differs_from_carrier_q
    from enrollment.states import group_transition
    from tests.factories import EmployerGroupFactory

    group = EmployerGroupFactory(
        broker=broker, agency=broker.agency, status="FINALIZED", carrier_status="FINALIZED"
    )
    group = group_transition(group=group, to="ENROLLING", reason="file received")
    group = group_transition(group=group, to="ENROLLED", reason="file accepted")
    assert group.carrier_status == "ENROLLED"
    assert not EmployerGroup.objects.filter(differs_from_carrier_q(), pk=group.pk).exists()
    group = group_transition(group=group, to="NEEDS_ATTENTION", reason="stuck")
    assert group.carrier_status == "ENROLLED"  # no carrier status of its own: the last one known stays
