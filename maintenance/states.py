"""A change request's lifecycle: the ONE place where ``ChangeRequest.state`` changes.

    DRAFT ──carrier valid──▶ VALIDATED ──gathered──▶ IN_FILE ──file applied──▶ APPLIED
    DRAFT ──carrier 422──▶ REFUSED ──corrected──▶ DRAFT
    IN_FILE ──file rejected its loop──▶ REJECTED ──corrected──▶ DRAFT
    VALIDATED ──corrected──▶ DRAFT;  IN_FILE ──whole file refused──▶ VALIDATED (sent again)
    DRAFT ──carrier 422 MNT-011 alone──▶ HELD;  VALIDATED ──effective on/after an unaccepted renewal──▶ HELD
    HELD ──the renewal accepted, or corrected──▶ DRAFT (validated again, then the next change file)

``change_request_move`` moves a request with a conditional update (its state one the table lets go to the
target), so a late answer or a second worker moves nothing, and records a ``ChangeHistory`` row.
"""

from __future__ import annotations

from django.db import transaction

from .models import ChangeHistory, ChangeRequest

S = ChangeRequest.State

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.VALIDATED, S.REFUSED, S.HELD}),
    S.REFUSED: frozenset({S.DRAFT}),
    S.VALIDATED: frozenset({S.IN_FILE, S.DRAFT, S.HELD}),
    S.HELD: frozenset({S.DRAFT}),
    S.IN_FILE: frozenset({S.APPLIED, S.REJECTED, S.VALIDATED}),
    S.REJECTED: frozenset({S.DRAFT}),
    S.APPLIED: frozenset(),
}


class InvalidMove(ValueError):
    pass


def change_request_move(
    *, request: ChangeRequest, to: str, reason: str = "", by=None, file_reference: str = "", **fields: object
) -> bool:
    """Move ``request`` to ``to`` when the table allows it from its stored state; False when it moved
    meanwhile (nothing changed). Raises ``InvalidMove`` for a move the table never allows."""
    if to not in TRANSITIONS[request.state]:
        raise InvalidMove(f"{request.state} → {to}")
    with transaction.atomic():
        updated = ChangeRequest.objects.filter(pk=request.pk, state=request.state).update(state=to, **fields)
        if not updated:
            return False
        ChangeHistory.objects.create(
            request=request, from_state=request.state, to_state=to, by=by, reason=reason[:200],
            file_reference=file_reference,
        )  # fmt: skip
    request.refresh_from_db()
    return True
