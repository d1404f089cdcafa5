"""The renewal lifecycle: the ONE place where a renewal's status changes.

    UPCOMING ─▶ OFFERED ─▶ DECIDED ───────────┐
       │           ├────▶ PASSIVELY_ACCEPTED ─┴▶ RENEWAL_OE ─▶ FILES ─▶ RENEWED
       │           ├────▶ NOT_RENEWED (employer declined, no renewable plan) ─▶ DECIDED (by the deadline)
       └───────────┴────▶ CARRIER_NON_RENEWAL (REN-900 and the carrier's reasons)

The carrier moves a renewal on its own days (the offer, the passive acceptance, R) and the portal learns
it when it syncs, so one sync may skip states (an UPCOMING renewal read after its deadline is
PASSIVELY_ACCEPTED); those jumps are listed here too. ``renewal_transition`` moves a renewal with a
conditional update on its current status and records a ``RenewalEvent``.
"""

from __future__ import annotations

from django.db import transaction

from .models import Renewal, RenewalEvent

S = Renewal.Status
_ACCEPTED = frozenset({S.DECIDED, S.PASSIVELY_ACCEPTED, S.RENEWAL_OE, S.FILES})

TRANSITIONS: dict[str, frozenset[str]] = {
    S.UPCOMING: frozenset({S.OFFERED, S.CARRIER_NON_RENEWAL, S.PASSIVELY_ACCEPTED, S.NOT_RENEWED, S.RENEWED}),
    S.OFFERED: frozenset({S.DECIDED, S.PASSIVELY_ACCEPTED, S.NOT_RENEWED, S.CARRIER_NON_RENEWAL, S.RENEWED}),
    S.DECIDED: frozenset({S.RENEWAL_OE, S.NOT_RENEWED, S.RENEWED}),
    S.PASSIVELY_ACCEPTED: frozenset({S.RENEWAL_OE, S.NOT_RENEWED, S.RENEWED}),
    S.RENEWAL_OE: frozenset({S.FILES, S.DECIDED, S.RENEWED}),
    S.FILES: frozenset({S.RENEWAL_OE, S.RENEWED}),
    S.NOT_RENEWED: frozenset({S.DECIDED}),
    S.RENEWED: frozenset(),
    S.CARRIER_NON_RENEWAL: frozenset(),
}
EMPLOYER_REASONS = frozenset({"EMPLOYER_DECLINED", "NO_RENEWABLE_PLAN"})


class TransitionNotAllowed(Exception):
    """The move is not in ``TRANSITIONS``, or another process moved the renewal first."""


def can_transition(frm: str, to: str) -> bool:
    return to in TRANSITIONS.get(frm, frozenset())


def target_of(*, current: str, carrier_status: str, source: str | None, reason: str | None) -> str:
    """The portal's status for the carrier's (api.md *Statuses at a glance*, renewal)."""
    if carrier_status == "OFFERED":
        return S.OFFERED
    if carrier_status == "ACCEPTED":
        if current in (S.RENEWAL_OE, S.FILES):
            return current  # the portal's own steps inside the acceptance
        return S.DECIDED if source == "EMPLOYER" else S.PASSIVELY_ACCEPTED
    if carrier_status == "RENEWED":
        return S.RENEWED
    if carrier_status == "NOT_RENEWED":
        return S.NOT_RENEWED if (reason or "") in EMPLOYER_REASONS else S.CARRIER_NON_RENEWAL
    return current if carrier_status == "UPCOMING" or not carrier_status else current


def renewal_transition(*, renewal: Renewal, to: str, reason: str = "", **fields) -> Renewal:
    """Move ``renewal`` from its status as loaded to ``to`` (``fields`` set too); refused moves raise."""
    frm = renewal.status
    if not can_transition(frm, to):
        raise TransitionNotAllowed(f"A renewal cannot go from {frm} to {to}.")
    with transaction.atomic():
        updated = Renewal.objects.filter(pk=renewal.pk, status=frm).update(status=to, **fields)
        if updated != 1:
            raise TransitionNotAllowed(f"The renewal is no longer {frm}.")
        RenewalEvent.objects.create(renewal=renewal, from_status=frm, to_status=to, reason=reason[:300])
    renewal.refresh_from_db()
    return renewal


def renewal_note(*, renewal: Renewal, reason: str) -> RenewalEvent:
    """A step that is no move (a decision signed, sent or refused; the new plan year): on the timeline."""
    return RenewalEvent.objects.create(
        renewal=renewal, from_status=renewal.status, to_status=renewal.status, reason=reason[:300]
    )
