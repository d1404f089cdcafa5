"""The transmission lifecycle: the ONE place where a transmission's status changes.

    BUILT ─▶ PRECHECK_FAILED
      └────▶ READY ─▶ UPLOADING ─▶ RECEIVED ─▶ PROCESSING ─▶ ACCEPTED | ACCEPTED_WITH_ERRORS | REJECTED
                          │            └──────────────┴──▶ STUCK (admin: poll again)
                          └─▶ UPLOAD_FAILED (admin: resubmit as a new file)

``transmission_transition`` moves a transmission with a conditional update on its current status, so two
workers never both move it, and records a ``TransmissionEvent``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Transmission, TransmissionEvent

S = Transmission.Status
_FINAL = frozenset({S.ACCEPTED, S.ACCEPTED_WITH_ERRORS, S.REJECTED})

TRANSITIONS: dict[str, frozenset[str]] = {
    S.BUILT: frozenset({S.READY, S.PRECHECK_FAILED}),
    S.PRECHECK_FAILED: frozenset(),
    S.READY: frozenset({S.UPLOADING, S.UPLOAD_FAILED}),
    # A carrier that answers an upload late may already report the file further on.
    S.UPLOADING: frozenset({S.RECEIVED, S.PROCESSING, S.UPLOAD_FAILED} | _FINAL),
    S.RECEIVED: frozenset({S.PROCESSING, S.STUCK} | _FINAL),
    S.PROCESSING: frozenset({S.STUCK} | _FINAL),
    S.STUCK: frozenset({S.PROCESSING} | _FINAL),
    S.UPLOAD_FAILED: frozenset(),
    S.ACCEPTED: frozenset(),
    S.ACCEPTED_WITH_ERRORS: frozenset(),
    S.REJECTED: frozenset(),
}


class TransitionNotAllowed(Exception):
    """The move is not in ``TRANSITIONS``, or another process moved the transmission first."""


def can_transition(frm: str, to: str) -> bool:
    return to in TRANSITIONS.get(frm, frozenset())


def transmission_transition(
    *, transmission: Transmission, to: str, reason: str = "", frm: str | None = None, **fields
) -> Transmission:
    """Move ``transmission`` from ``frm`` (default: its status as loaded) to ``to``; set ``fields`` too."""
    frm = frm or transmission.status
    if not can_transition(frm, to):
        raise TransitionNotAllowed(f"A transmission cannot go from {frm} to {to}.")
    reason = (reason or "")[:500]
    with transaction.atomic():
        updated = Transmission.objects.filter(pk=transmission.pk, status=frm).update(
            status=to, status_reason=reason, updated_at=timezone.now(), **fields
        )
        if updated != 1:
            raise TransitionNotAllowed(f"The transmission is no longer {frm}.")
        TransmissionEvent.objects.create(
            transmission=transmission, from_status=frm, to_status=to, reason=reason
        )
    transmission.refresh_from_db()
    return transmission
