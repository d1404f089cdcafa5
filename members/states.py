"""A member's validation with the carrier: the ONE place where ``validation_status`` changes.

    NOT_VALIDATED ──claim──▶ PENDING ──the carrier's answer──▶ VALID | INVALID
       │    ▲                 │  └──▶ INCOMPLETE (not sent: what it lacks) | CARRIER_UNREACHABLE
       │    │                 └──▶ NOT_VALIDATED (released: no answer for it, a bug, an edit)
       │    └── every edit, "validate again", a held dependent released (a new edit_version) ◀── any
       └──▶ INCOMPLETE (a census member that lacks names, SSN, ...) | CARRIER_UNREACHABLE (retries used up)
    CARRIER_UNREACHABLE ──claim──▶ PENDING

``members_validation_move`` moves members with a conditional update (their status one the table lets
go to the target, plus whatever the caller's queryset guards: the edit version sent, a claim's age), so
a late answer or a second worker moves nothing, and records a ``ValidationEvent`` for each member moved:
the member history of its validation, which a bulk update would bypass.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from .models import Member, ValidationEvent

V = Member.ValidationStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    V.NOT_VALIDATED: frozenset({V.PENDING, V.INCOMPLETE, V.CARRIER_UNREACHABLE, V.NOT_VALIDATED}),
    # PENDING → PENDING: a dead worker's claim, expired, taken over.
    V.PENDING: frozenset(
        {V.VALID, V.INVALID, V.INCOMPLETE, V.CARRIER_UNREACHABLE, V.NOT_VALIDATED, V.PENDING}
    ),
    V.VALID: frozenset({V.NOT_VALIDATED}),
    V.INVALID: frozenset({V.NOT_VALIDATED}),
    V.INCOMPLETE: frozenset({V.NOT_VALIDATED}),
    V.CARRIER_UNREACHABLE: frozenset({V.PENDING, V.NOT_VALIDATED}),
}


def sources_of(to: str) -> list[str]:
    """The statuses a member may leave for ``to``."""
    return [frm for frm, targets in TRANSITIONS.items() if to in targets]


def members_validation_move(
    *, members: QuerySet[Member], to: str, reason: str, new_edit: bool = False, **fields: object
) -> list[int]:
    """Move the members of ``members`` whose status may go to ``to``; set ``fields`` too. ``new_edit``:
    the move starts a new logical attempt (``edit_version`` + 1: a new idempotency key). Returns the ids
    moved (in id order); the others (another status, or moved meanwhile) are left as they are."""
    allowed = sources_of(to)
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            members.filter(validation_status__in=allowed)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", "validation_status", "edit_version")
        )
        if not rows:
            return []
        if new_edit:
            fields["edit_version"] = F("edit_version") + 1
        fields["updated_at"] = now
        ids = [pk for pk, _, _ in rows]
        # The guard again in the update (the rows are locked on PostgreSQL; SQLite has no row locks).
        updated = members.filter(pk__in=ids, validation_status__in=allowed).update(
            validation_status=to, **fields
        )
        if updated != len(ids):
            moved = set(
                Member.objects.filter(pk__in=ids, validation_status=to, updated_at=now).values_list(
                    "pk", flat=True
                )
            )
            rows = [row for row in rows if row[0] in moved]
            ids = [pk for pk, _, _ in rows]
        ValidationEvent.objects.bulk_create(
            ValidationEvent(
                member_id=pk, from_status=frm, to_status=to, edit_version=version + int(new_edit),
                reason=reason[:200], at=now,
            )
            for pk, frm, version in rows
        )  # fmt: skip
    return ids


def member_validation_move(
    *, member: Member, to: str, reason: str, frm: str | None = None, new_edit: bool = False, **fields: object
) -> bool:
    """One member's move, guarded by the edit version it was loaded with (a newer edit wins) and, given
    ``frm``, by that status."""
    guard = Member.objects.filter(pk=member.pk, edit_version=member.edit_version)
    if frm is not None:
        guard = guard.filter(validation_status=frm)
    return bool(members_validation_move(members=guard, to=to, reason=reason, new_edit=new_edit, **fields))
