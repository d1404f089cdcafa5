"""The renewal's notices to the broker and the employer (``enrollment.notices``): ``RENEWAL_OFFERED`` when a
sync first sees the carrier's offer, ``RENEWAL_DEADLINE`` when the decision is due soon and none is sent.

Both go through ``notice_send_quietly`` (a notice never undoes a sync) with a key, so each goes once per
recipient: the offer once per renewal, a deadline reminder once per offset of
``RENEWALS_DEADLINE_REMINDER_DAYS`` (default 14, 7 and 1 days before the deadline; only the offset just
reached, so a sync that first runs 3 days before the deadline sends one reminder, not three). Each is a
``Notice`` row, on the group's timeline.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

from enrollment import notices

from .models import Renewal

S = Renewal.Status


def deadline_offsets() -> tuple[int, ...]:
    configured = getattr(settings, "RENEWALS_DEADLINE_REMINDER_DAYS", (14, 7, 1))
    return tuple(sorted({int(days) for days in configured if int(days) >= 0}, reverse=True))


def deadline_offset(*, deadline: date, today: date) -> int | None:
    """The reminder offset reached today (the smallest offset not yet past); None after the deadline."""
    days_left = (deadline - today).days
    reached = [days for days in deadline_offsets() if days >= days_left]
    return min(reached) if days_left >= 0 and reached else None


def _context(renewal: Renewal) -> dict:
    return {"renewal_date": renewal.renewal_date, "deadline": renewal.decision_deadline}


def renewal_notices_send(*, renewal: Renewal, today: date) -> list[str]:
    """Send what the renewal's state calls for today; the kinds sent (each key at most once)."""
    sent: list[str] = []
    if renewal.status not in (S.OFFERED, S.UPCOMING) or not (renewal.carrier_renewal or {}).get("offer"):
        return sent
    group = renewal.group
    if notices.notice_send_quietly(
        group=group, kind="RENEWAL_OFFERED", context=_context(renewal), key=f"renewal-offered:{renewal.pk}"
    ):
        sent.append("RENEWAL_OFFERED")
    offset = deadline_offset(deadline=renewal.decision_deadline, today=today)
    deciding = renewal.sending in (Renewal.Sending.QUEUED, Renewal.Sending.SENT)
    if offset is not None and not deciding and renewal.status == S.OFFERED:
        if notices.notice_send_quietly(
            group=group,
            kind="RENEWAL_DEADLINE",
            context=_context(renewal),
            key=f"renewal-deadline:{renewal.pk}:{offset}",
        ):
            sent.append("RENEWAL_DEADLINE")
    return sent
