"""The group lifecycle: the ONE place where a group's status changes.

``TRANSITIONS`` lists every allowed move. ``group_transition`` moves a group with a conditional
update on its current status (so two workers, or two clicks, never both move it) and records a
``GroupTransition`` row with who, when and why.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from . import notices
from .models import EmployerGroup, GroupTransition

S = EmployerGroup.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.CREATING}),
    S.CREATING: frozenset({S.OPEN_ENROLLMENT, S.DRAFT, S.NEEDS_ATTENTION}),
    S.OPEN_ENROLLMENT: frozenset({S.FINALIZING, S.NEEDS_ATTENTION}),
    S.FINALIZING: frozenset({S.FINALIZED, S.OPEN_ENROLLMENT, S.NEEDS_ATTENTION}),
    S.FINALIZED: frozenset({S.ENROLLING, S.NEEDS_ATTENTION}),
    S.ENROLLING: frozenset({S.ENROLLED, S.FINALIZED, S.NEEDS_ATTENTION}),
    S.ENROLLED: frozenset({S.ENROLLING, S.NEEDS_ATTENTION}),
    # From NEEDS_ATTENTION a person (admin action) or a re-sync puts the group back on its way.
    S.NEEDS_ATTENTION: frozenset({S.CREATING, S.DRAFT, S.OPEN_ENROLLMENT, S.FINALIZED, S.ENROLLED}),
}

# The carrier's group status (api.md, "Statuses at a glance") for each local status that has one.
CARRIER_STATUS: dict[str, str] = {
    S.OPEN_ENROLLMENT: "CREATED",
    S.FINALIZING: "CREATED",
    S.FINALIZED: "FINALIZED",
    S.ENROLLING: "ENROLLING",
    S.ENROLLED: "ENROLLED",
}
# A carrier status seen on sync -> the local status a NEEDS_ATTENTION / CREATING group can take.
LOCAL_FOR_CARRIER = {
    "CREATED": S.OPEN_ENROLLMENT,
    "FINALIZED": S.FINALIZED,
    "ENROLLING": S.ENROLLING,
    "ENROLLED": S.ENROLLED,
}


class TransitionNotAllowed(Exception):
    """The move is not in ``TRANSITIONS``, or the group was no longer in the expected status."""


def carrier_status_matches(local: str, carrier: str) -> bool:
    return CARRIER_STATUS.get(local) == carrier


def can_transition(frm: str, to: str) -> bool:
    return to in TRANSITIONS.get(frm, frozenset())


# The moves the broker and the employer are told of (``enrollment.notices``): created, finalized, enrolled.
NOTICED_MOVES = frozenset(
    {(S.CREATING, S.OPEN_ENROLLMENT), (S.FINALIZING, S.FINALIZED), (S.ENROLLING, S.ENROLLED)}
)


def group_transition(
    *,
    group: EmployerGroup,
    to: str,
    by: User | None = None,
    reason: str = "",
    frm: str | None = None,
    **fields,
) -> EmployerGroup:
    """Move ``group`` from ``frm`` (default: its status as loaded) to ``to``; also set ``fields``.

    Raises ``TransitionNotAllowed`` when the move is not allowed or another process moved the group
    first (the conditional update matched no row). The group instance is refreshed on success.
    """
    frm = frm or group.status
    if to in CARRIER_STATUS:
        # Every move into a carrier-backed status follows the carrier's own answer (created, finalized,
        # file received or ended), so the carrier's status is known; a later sync may still disagree.
        fields.setdefault("carrier_status", CARRIER_STATUS[to])
    if not can_transition(frm, to):
        raise TransitionNotAllowed(f"A group cannot go from {frm} to {to}.")
    reason = (reason or "")[:500]
    with transaction.atomic():
        updated = EmployerGroup.objects.filter(pk=group.pk, status=frm).update(
            status=to,
            status_reason=reason if to == S.NEEDS_ATTENTION else "",
            updated_at=timezone.now(),
            **fields,
        )
        if updated != 1:
            raise TransitionNotAllowed(f"The group is no longer {frm}.")
        transition = GroupTransition.objects.create(
            group=group,
            from_status=frm,
            to_status=to,
            by=by if by and by.is_authenticated else None,
            reason=reason,
        )
        if (frm, to) in NOTICED_MOVES:
            transaction.on_commit(
                lambda: notices.group_status_notice(group_id=group.pk, status=to, transition_id=transition.pk)
            )
    group.refresh_from_db()
    return group


# ------------------------------------------------------------------------ changes after creation (PATCH)

C = EmployerGroup.ChangeState

# NONE: the portal's values are the carrier's. EDITING: the broker changed some (``carrier_copy`` keeps the
# carrier's). SENDING: a task is sending the patch. REFUSED: the carrier said no (its errors beside the
# fields); the broker edits, sends again or discards.
CHANGE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.NONE: frozenset({C.EDITING}),
    C.EDITING: frozenset({C.SENDING, C.NONE}),
    C.SENDING: frozenset({C.NONE, C.REFUSED}),
    C.REFUSED: frozenset({C.EDITING, C.SENDING, C.NONE}),
}


def group_change_move(*, group: EmployerGroup, to: str, frm: str | None = None, **fields) -> EmployerGroup:
    """Move the group's changes from ``frm`` (default: as loaded) to ``to`` with a conditional update, so
    that two tabs or two workers never both send (or both discard) them; ``TransitionNotAllowed`` else."""
    frm = group.change_state if frm is None else frm
    if to not in CHANGE_TRANSITIONS.get(frm, frozenset()):
        raise TransitionNotAllowed(f"The group's changes cannot go from {frm or 'NONE'} to {to or 'NONE'}.")
    updated = EmployerGroup.objects.filter(pk=group.pk, change_state=frm, status=S.OPEN_ENROLLMENT).update(
        change_state=to, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise TransitionNotAllowed("The group's changes moved on meanwhile.")
    group.refresh_from_db()
    return group
