"""REN-007 (phase ``V``): renewal open enrollment, a member validation with ``event.type``
``RENEWAL_OPEN_ENROLLMENT`` (business-rules.md *Renewal*; api.md *Passive renewal and renewal open
enrollment*).

It runs over the maintenance rules' :class:`~.maintenance.ChangeCheck`; the caller gives the group body
with the renewal's offerings (``renewalOfferings`` as ``offerings``: the member rules apply on the renewal
date, to the plans of the renewal) and ``renewal_offerings``. The mid-year rules that judge a change's
dates and plans (MNT-002's dates, MNT-003, MNT-006, MNT-008, MNT-011) leave a renewal election to this
rule.

Decisions where the documents are silent:

* "accepted" is the caller's ``renewal_accepted`` for the current renewal (ACCEPTED; RENEWED is after
  the cutoff anyway);
* "coverage the day before the renewal date" is the roster's, on R − 1;
* an election's plan that the renewal does not offer for its line is reported at
  ``/coverage/{i}/planId``, a line the renewal does not keep at ``/coverage/{i}/line``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from ..change_events import ChangeAction, EventType
from . import renewal  # noqa: F401  (defines REN-007 before it registers)
from ._base import Finding, rule
from .maintenance import ChangeCheck, _is_change
from .member import MemberCheck

__all__: list[str] = []


def _renewal_election(check: MemberCheck) -> bool:
    return _is_change(check) and getattr(check, "event_type", None) == EventType.RENEWAL_OPEN_ENROLLMENT


@rule("REN-007", when="V")
def _renewal_open_enrollment(check: MemberCheck) -> Iterator[Finding]:
    if not _renewal_election(check):
        return
    assert isinstance(check, ChangeCheck)
    event, renewal_date = check.event, check.renewal_date
    if renewal_date is None or not check.renewal_accepted:
        yield Finding(
            event["type"].pointer,
            "Renewal open enrollment opens once the group's renewal is accepted (decided or passively).",
        )
        return
    cutoff = renewal_date - timedelta(days=1)
    if check.event_date != renewal_date:
        yield Finding(
            event["date"].pointer, f"A renewal election's event date is the renewal date {renewal_date}."
        )
    if check.request_date is not None and check.request_date > cutoff:
        yield Finding(event["date"].pointer, f"Renewal open enrollment ended on {cutoff}.")
    yield from _plans(check)
    held = check.on_roster
    covered = held is not None and held.covered_on(cutoff)
    if check.action == ChangeAction.ADD and covered:
        yield Finding(
            event["action"].pointer, f"The member is covered on {cutoff}: its election is a CHANGE."
        )
    elif check.action in (ChangeAction.CHANGE, ChangeAction.TERMINATE) and not covered:
        yield Finding(
            event["action"].pointer, f"The member is not covered on {cutoff}: its election is an ADD."
        )


def _plans(check: ChangeCheck) -> Iterator[Finding]:
    if check.action == ChangeAction.TERMINATE or check.renewal_offerings is None:
        return
    offered = {str(o.get("line")): set(o.get("planIds") or []) for o in check.renewal_offerings}
    for entry in check.member.coverage:
        if entry.line is None:
            continue
        if entry.line not in offered:
            yield Finding(
                entry.node["line"].pointer, f"The renewal does not keep the {entry.line.lower()} line."
            )
        elif entry.is_election and entry.plan_id not in offered[entry.line]:
            yield Finding(
                entry.node["planId"].pointer,
                f"{entry.plan_id} is not a plan of the renewal for {entry.line.lower()}.",
            )
