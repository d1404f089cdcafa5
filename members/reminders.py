"""Reminders to employees who have not signed, the broker's daily digest, and the employee's notice after
signing (issue 22 item 4).

**Reminders.** ``MEMBERS_REMINDER_OFFSETS_DAYS`` (default 7, 3 and 1) are days before the group's
open-enrollment window ends (``enrollment.window``). The beat task (``members.tasks.send_reminders``) runs
``reminders_send_due``: an employee with a live invitation, not signed, gets at most one reminder per offset
— the offset just reached, keyed ``reminder:<invitation>:<offset>`` so a second run sends nothing, and only
if the invitation went before that offset's day (a fresh invitation needs no reminder). The reminder carries
the invitation's own link (unchanged: the earlier e-mail's link keeps working), in the language the employee
reads their pages in (both languages until known), renews the link's expiry as "Resend" does (never past
the window's end), and counts under INV-002 like any invitation e-mail.

**Remind all not started** (the member list): every employee invited whose link was never opened, at most
once a day each (``remind-all:<invitation>:<day>``).

**Digest.** Once a day per open group (``digest:<group>:<day>``) the broker gets the counts: signed, started
(the link opened, not signed), not started, and each line's participation against the carrier's minimum.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError
from django.db import transaction

from enrollment import notices
from enrollment.models import EmployerGroup
from enrollment.window import oe_window

from . import self_service
from .invitations import invitation_email_remind
from .models import Invitation, Member, member_coverage_tier
from .selectors import group_progress

logger = logging.getLogger(__name__)


def reminder_offsets() -> tuple[int, ...]:
    configured = getattr(settings, "MEMBERS_REMINDER_OFFSETS_DAYS", (7, 3, 1))
    return tuple(sorted({int(days) for days in configured if int(days) >= 0}, reverse=True))


def due_offset(*, ends_on: date, today: date, invited_on: date) -> int | None:
    """The offset reached today (the smallest offset not yet past), if the invitation went before its day."""
    days_left = (ends_on - today).days
    if days_left < 0:
        return None
    reached = [days for days in reminder_offsets() if days >= days_left]
    if not reached:
        return None
    offset = min(reached)
    return offset if invited_on < ends_on - timedelta(days=offset) else None


def _live_unsigned(group: EmployerGroup):
    return (
        Invitation.objects.filter(
            subscriber__group=group,
            subscriber__withdrawn_at__isnull=True,
            revoked_at__isnull=True,
            signed_at__isnull=True,
        )
        .select_related("subscriber__group")
        .order_by("pk")
    )


def _remind(invitation: Invitation, *, by: User | None, key: str, days_left: int | None) -> bool:
    if self_service.invitation_state(invitation) not in ("LIVE", "EXPIRED"):  # an expired link is renewed
        return False
    try:
        return invitation_email_remind(invitation=invitation, by=by, key=key, days_left=days_left)
    except (ValidationError, BadHeaderError) as exc:  # INV-001/INV-002, an old link: the next run tries again
        logger.info("no reminder for invitation %s: %s", invitation.pk, exc)
        return False


def reminders_send_for_group(*, group: EmployerGroup, today: date) -> int:
    """Send the group's reminders due today; returns how many went."""
    ends_on = oe_window(group=group).ends_on
    if ends_on is None or not self_service.group_open_for_employees(group):
        return 0
    sent = 0
    for invitation in _live_unsigned(group):
        invited_on = (invitation.created_at if invitation.sent_at is None else invitation.sent_at).date()
        offset = due_offset(ends_on=ends_on, today=today, invited_on=invited_on)
        if offset is None:
            continue
        key = f"reminder:{invitation.pk}:{offset}"
        sent += _remind(invitation, by=None, key=key, days_left=(ends_on - today).days)
    return sent


def open_groups():
    return EmployerGroup.objects.filter(status__in=self_service.OPEN_STATUSES, humana_group_id__isnull=False)


def reminders_send_due(*, today: date) -> int:
    return sum(reminders_send_for_group(group=group, today=today) for group in open_groups())


def reminders_send_not_started(*, group: EmployerGroup, by: User | None, today: date) -> int:
    """ "Remind all not started": every live invitation never opened, at most once a day each."""
    ends_on = oe_window(group=group).ends_on
    days_left = (ends_on - today).days if ends_on else None
    return sum(
        _remind(invitation, by=by, key=f"remind-all:{invitation.pk}:{today.isoformat()}", days_left=days_left)
        for invitation in _live_unsigned(group).filter(opened_at__isnull=True)
    )


# ------------------------------------------------------------------------------------------ the digest


@dataclass(frozen=True)
class SigningCounts:
    signed: int
    started: int
    not_started: int
    not_invited: int


def signing_counts(*, group: EmployerGroup) -> SigningCounts:
    counts = {"SIGNED": 0, "STARTED": 0, "INVITED": 0, "NONE": 0}
    subscribers = Member.objects.filter(group=group, subscriber__isnull=True, withdrawn_at__isnull=True)
    for subscriber in subscribers.prefetch_related("invitations"):
        invitations = list(subscriber.invitations.all())
        live = next((i for i in invitations if i.revoked_at is None), None)  # newest first
        if any(i.signed_at for i in invitations):
            counts["SIGNED"] += 1
        elif live is None:
            counts["NONE"] += 1
        else:
            counts["STARTED" if live.opened_at else "INVITED"] += 1
    return SigningCounts(counts["SIGNED"], counts["STARTED"], counts["INVITED"], counts["NONE"])


def broker_digest_send(*, group: EmployerGroup, today: date) -> int:
    """The broker's digest of one open group, once a day."""
    counts = signing_counts(group=group)
    participation = [
        {
            "label": p.line,
            "line": p.line,
            "percent": p.percent,
            "enrolled": p.enrolled,
            "eligible": p.eligible,
            "minimum": f"{p.required * 100:.0f}",
            "ok": p.ok,
        }
        for p in group_progress(group=group).participation
    ]
    context = {
        "signed": counts.signed,
        "started": counts.started,
        "not_started": counts.not_started + counts.not_invited,
        "participation": participation,
        "ends_on": oe_window(group=group).ends_on,
    }
    sent = notices.notice_send_quietly(
        group=group, kind="BROKER_DIGEST", context=context, key=f"digest:{group.pk}:{today.isoformat()}"
    )
    return len(sent)


def broker_digests_send(*, today: date) -> int:
    return sum(broker_digest_send(group=group, today=today) for group in open_groups())


# ---------------------------------------------------------------------------- after the employee signs


def employee_signed_notice(*, invitation_id: int) -> None:
    """E-mail the employee a summary of what they signed (lines, plans, tiers, waivers; no SSN, no date of
    birth), in their language."""
    invitation = Invitation.objects.select_related("subscriber__group").filter(pk=invitation_id).first()
    if invitation is None or invitation.signed_at is None or not invitation.subscriber.email:
        return
    subscriber = invitation.subscriber
    elections = {e.line: e for e in subscriber.elections.all()}
    dependents = [d for d in subscriber.dependents.all() if d.withdrawn_at is None]
    lines = []
    for line in subscriber.group.lines:
        election = elections.get(line)
        plan_id = election.plan_id if election is not None and not election.waived else ""
        waived = not plan_id
        lines.append(
            {
                "line": line,
                "waived": waived,
                "plan_id": plan_id,
                "tier": "" if waived else member_coverage_tier(subscriber, line, dependents),
            }
        )
    try:
        notices.notice_send_to_employee(
            group=subscriber.group,
            kind="EMPLOYEE_SIGNED",
            member_id=subscriber.pk,
            email=subscriber.email,
            language=invitation.language,
            context={"first_name": subscriber.first_name, "lines": lines},
            key=f"signed:{invitation.pk}",
        )
    except Exception:  # noqa: BLE001 - the signature stands without its e-mail
        logger.exception("no signed notice for invitation %s", invitation_id)


def employee_signed_notice_on_commit(invitation: Invitation) -> None:
    transaction.on_commit(lambda: employee_signed_notice(invitation_id=invitation.pk))
