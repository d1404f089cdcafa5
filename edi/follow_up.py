"""Which rejected members a follow-up file may carry, and whether the group's next file is a follow-up.

The companion guide: after ``ACCEPTED_WITH_ERRORS``, *correct* the rejected members, validate them again,
and send a file with only them (their subscriber's loop included for a corrected dependent). So a member
goes in a follow-up only when its validation body differs from the one written into the file that
rejected it (``TransmissionMember.body_digest``): a member sent again unchanged is rejected again. A
member that file rejected as a whole (the carrier judged no member: FIL-900, FIL-003) goes again as it
is. A dependent whose employee was rejected and is not corrected waits for the employee (the carrier
rejects a family together).

Once any member of the group has been accepted, every later rejection, a follow-up's own included, leads
to another follow-up (a whole-group resubmission would send the accepted members again). A group none
of whose members was ever accepted is resubmitted whole after a ``REJECTED`` file (``BGN01 = 15``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

from enrollment.models import EmployerGroup

from . import sources
from .models import FINAL_STATUSES, Transmission, TransmissionMember

WHOLE_FILE = "The whole file was rejected."


class State:
    READY = "READY"  # changed since its rejection (or rejected with its whole file), validated: goes
    NOT_CHANGED = "NOT_CHANGED"  # the same body the carrier rejected: correct it first
    NOT_VALIDATED = "NOT_VALIDATED"  # edited, not (yet) valid: validated again first
    WAITS_FOR_EMPLOYEE = "WAITS_FOR_EMPLOYEE"  # its employee was rejected too and is not ready


def body_digest(body: dict) -> str:
    """A keyed digest of a validation body (an SSN is in it: a plain SHA-256 could be guessed back)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return salted_hmac("edi.TransmissionMember.body_digest", canonical, algorithm="sha256").hexdigest()


def rejected_as_a_whole(row: TransmissionMember) -> bool:
    return any(e.get("whole_file") or e.get("message") == WHOLE_FILE for e in row.errors or [])


@dataclass(frozen=True)
class RejectedMember:
    member_ref: str
    subscriber_ref: str
    relationship: str
    transmission_id: int
    errors: list[dict]
    state: str

    @property
    def ready(self) -> bool:
        return self.state == State.READY


@dataclass
class FollowUpPlan:
    """The group's rejected members (by their latest result) and what its next file may be."""

    rejected: list[RejectedMember] = field(default_factory=list)
    ever_accepted: bool = False
    last: Transmission | None = None

    @property
    def ready_refs(self) -> set[str]:
        return {m.member_ref for m in self.rejected if m.ready}

    @property
    def follow_up_due(self) -> bool:
        """Rejected members remain after a file that enrolled someone: they go in follow-ups."""
        return self.ever_accepted and bool(self.rejected)

    @property
    def can_follow_up(self) -> bool:
        return self.follow_up_due and bool(self.ready_refs)

    @property
    def can_resubmit(self) -> bool:
        return (
            self.last is not None
            and self.last.status == Transmission.Status.REJECTED
            and not self.ever_accepted
        )


def _latest_results(group: EmployerGroup) -> tuple[dict[str, TransmissionMember], bool]:
    """memberRef -> its latest result in a file that ended; and whether anyone was ever accepted."""
    rows = (
        TransmissionMember.objects.filter(transmission__group=group, transmission__status__in=FINAL_STATUSES)
        .order_by("transmission__created_at", "transmission_id", "position")
        .only(
            "member_ref",
            "subscriber_ref",
            "relationship",
            "status",
            "errors",
            "body_digest",
            "transmission_id",
        )
    )
    latest: dict[str, TransmissionMember] = {}
    accepted = False
    for row in rows:
        if row.status == TransmissionMember.Status.ACCEPTED:
            accepted = True
        earlier = latest.get(row.member_ref)
        if earlier is not None and earlier.status == TransmissionMember.Status.ACCEPTED:
            continue  # accepted once, accepted for good (reported accepted again later)
        latest[row.member_ref] = row
    return latest, accepted


def _state(row: TransmissionMember, current: Mapping[str | None, dict]) -> str:
    body = current.get(row.member_ref)
    if body is None:
        return State.NOT_VALIDATED
    if rejected_as_a_whole(row) or not row.body_digest:  # a file from before digests: cannot tell
        return State.READY
    return State.READY if body_digest(body) != row.body_digest else State.NOT_CHANGED


def follow_up_plan(*, group: EmployerGroup, bodies: Iterable[dict] | None = None) -> FollowUpPlan:
    """What the group's rejected members need; ``bodies``: its current valid validation bodies (read
    from the members app when not given). ``sources.MembersUnavailable`` when they cannot be read."""
    latest, accepted = _latest_results(group)
    plan = FollowUpPlan(
        ever_accepted=accepted,
        last=Transmission.objects.filter(group=group, status__in=FINAL_STATUSES)
        .defer("content")
        .order_by("-created_at", "-id")
        .first(),
    )
    rejected = [row for row in latest.values() if row.status == TransmissionMember.Status.REJECTED]
    if not rejected:
        return plan
    current = {
        b.get("memberRef"): b for b in (bodies if bodies is not None else sources.member_bodies(group=group))
    }
    states = {row.member_ref: _state(row, current) for row in rejected}
    for row in rejected:  # a corrected dependent of a rejected, uncorrected employee waits for it
        employee = states.get(row.subscriber_ref)
        if row.member_ref != row.subscriber_ref and states[row.member_ref] == State.READY:
            if employee is not None and employee != State.READY:
                states[row.member_ref] = State.WAITS_FOR_EMPLOYEE
    plan.rejected = [
        RejectedMember(
            row.member_ref,
            row.subscriber_ref,
            row.relationship,
            row.transmission_id,
            list(row.errors or []),
            states[row.member_ref],
        )
        for row in sorted(
            rejected, key=lambda r: (r.subscriber_ref, r.member_ref != r.subscriber_ref, r.member_ref)
        )
    ]
    return plan
