"""The renewal lifecycle (renewals.states): every move it allows, one it refuses, and the carrier's
statuses mapped to the portal's."""

from __future__ import annotations

import pytest

from renewals import states
from renewals.models import Renewal

S = Renewal.Status


@pytest.mark.parametrize(
    ("frm", "to", "allowed"),
    [
        (S.UPCOMING, S.OFFERED, True),
        (S.UPCOMING, S.CARRIER_NON_RENEWAL, True),
        (S.OFFERED, S.DECIDED, True),
        (S.OFFERED, S.PASSIVELY_ACCEPTED, True),
        (S.DECIDED, S.RENEWAL_OE, True),
        (S.PASSIVELY_ACCEPTED, S.RENEWAL_OE, True),
        (S.RENEWAL_OE, S.FILES, True),
        (S.FILES, S.RENEWED, True),
        (S.NOT_RENEWED, S.DECIDED, True),
        (S.RENEWED, S.OFFERED, False),
        (S.CARRIER_NON_RENEWAL, S.DECIDED, False),
        (S.UPCOMING, S.RENEWAL_OE, False),
        (S.PASSIVELY_ACCEPTED, S.DECIDED, False),
    ],
)
def test_the_moves(frm, to, allowed):
    assert states.can_transition(frm, to) is allowed


@pytest.mark.parametrize(
    ("current", "carrier", "source", "reason", "expected"),
    [
        (S.UPCOMING, "OFFERED", None, None, S.OFFERED),
        (S.OFFERED, "ACCEPTED", "EMPLOYER", None, S.DECIDED),
        (S.OFFERED, "ACCEPTED", "PASSIVE", None, S.PASSIVELY_ACCEPTED),
        (S.RENEWAL_OE, "ACCEPTED", "PASSIVE", None, S.RENEWAL_OE),
        (S.OFFERED, "NOT_RENEWED", "EMPLOYER", "EMPLOYER_DECLINED", S.NOT_RENEWED),
        (S.UPCOMING, "NOT_RENEWED", None, "PARTICIPATION_OR_CONTRIBUTION", S.CARRIER_NON_RENEWAL),
        (S.FILES, "RENEWED", None, None, S.RENEWED),
    ],
)
def test_the_carrier_statuses(current, carrier, source, reason, expected):
    assert states.target_of(current=current, carrier_status=carrier, source=source, reason=reason) == expected


def test_a_refused_move_raises_and_changes_nothing(db, broker):
    from datetime import date

    from tests.enrollment.conftest import make_complete_group

    renewal = Renewal.objects.create(
        group=make_complete_group(broker),
        renewal_date=date(2028, 1, 1),
        offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2),
        enrollment_cutoff=date(2027, 12, 31),
    )
    with pytest.raises(states.TransitionNotAllowed):
        states.renewal_transition(renewal=renewal, to=S.RENEWAL_OE)
    renewal.refresh_from_db()
    assert renewal.status == S.UPCOMING and not renewal.events.exists()
    states.renewal_transition(renewal=renewal, to=S.OFFERED, reason="carrier: OFFERED")
    assert [(e.from_status, e.to_status) for e in renewal.events.all()] == [(S.UPCOMING, S.OFFERED)]
