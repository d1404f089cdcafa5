"""Batches of member validations left OPEN (a worker killed, the carrier unreachable): which are sent
again as they were, under their key, and which are closed because the carrier cannot have acted on them.
"""

from __future__ import annotations

import json

from carrier.models import CarrierOperation
from carrier.services import operation_mark_failed
from enrollment.models import EmployerGroup

from ..models import Member


def member_subject(member: Member) -> str:
    """The operation subject of one member version (its validation's key)."""
    return f"member:{member.pk}:v{member.edit_version}"


def open_batches(group: EmployerGroup, members: list[Member]) -> tuple[list[_Resend], list[Member]]:
    """The OPEN batch operations of the group to be sent again as they were (same bodies, same order, same
    key), and the members left to send.

    A batch whose member versions are all here is sent again. A batch some of whose members moved on
    (edited to a new version, withdrawn) while it was unanswered: if the carrier may have acted on it (a
    body went out and not every attempt was answered 5xx/429, which api.md says store nothing), it is
    sent again as it was, from its stored bodies: the carrier replays its answer, the members still at
    their version take their results and the moved-on ones are sent anew under their own key (sending the
    others anew instead validated each of them a second time). If the carrier cannot have acted, it is
    closed FAILED ("Superseded") and its other members are sent anew. A batch none of whose members is
    here is another run's: left alone."""
    by_subject = {member_subject(m): m for m in members}
    batches: list[_Resend] = []
    taken: set[str] = set()
    open_ops = CarrierOperation.objects.filter(
        kind="validate_members",
        status=CarrierOperation.Status.OPEN,
        subject__startswith=f"group:{group.pk}:batch:",
    ).order_by("id")
    for operation in open_ops:
        covers = [str(s) for s in operation.covers or []]
        here = [s for s in covers if s in by_subject and s not in taken]
        if not here:
            continue
        if len(here) == len(covers):
            batches.append(_Resend(operation, [by_subject[s] for s in covers], _stored_bodies(operation), []))
            taken.update(covers)
            continue
        moved = [s for s in covers if s not in here]
        stored = _stored_bodies(operation)
        if stored is not None and len(stored) == len(covers) and _carrier_may_have_acted(operation):
            batches.append(_Resend(operation, [by_subject[s] for s in here], stored, moved))
            taken.update(here)
        else:
            error = f"Superseded: {len(moved)} of its {len(covers)} members changed before it was answered."
            operation_mark_failed(operation=operation, error=error)
    return batches, [m for m in members if member_subject(m) not in taken]


class _Resend:
    """An OPEN batch sent again: its operation, the members here that take its results, the bodies as
    first sent (None: built again, for a batch stored before its bodies were kept) and the subjects of
    the members that moved on since."""

    def __init__(
        self, operation: CarrierOperation, members: list[Member], bodies: list[dict] | None, moved: list[str]
    ) -> None:
        self.operation, self.members, self.bodies, self.moved = operation, members, bodies, moved


def _stored_bodies(operation: CarrierOperation) -> list[dict] | None:
    try:
        bodies = json.loads(operation.sent_bodies or "null")
    except ValueError:
        return None
    return bodies if isinstance(bodies, list) else None


def _carrier_may_have_acted(operation: CarrierOperation) -> bool:
    """A body went out under the key (the client notes its digest before sending) and not every attempt
    was answered with what api.md says stores nothing (5xx, 429): a timeout, a lost connection, a
    worker killed mid-call (no attempt recorded) or an answer not yet recorded."""
    if not operation.request_digest:
        return False
    statuses = list(operation.calls.values_list("status_code", flat=True))
    return not statuses or not all(s is not None and (s >= 500 or s == 429) for s in statuses)
