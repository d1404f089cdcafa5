"""E-mails about a transmission: the broker once its file ends (or cannot be uploaded), the admins when
it is stuck."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.urls import reverse
from django.utils import timezone

from enrollment.notices import notice_send_quietly

from ..models import Transmission
from .files import group_facts


def transmission_notify_broker(transmission: Transmission) -> None:
    """Tell the broker once that the file reached a final status (or could not be uploaded)."""
    if not Transmission.objects.filter(pk=transmission.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return
    transmission.refresh_from_db()
    to = transmission.group.broker.user.email if transmission.group.broker else ""
    if not to:
        return
    label = transmission.get_status_display()
    summary = transmission.summary or {}
    counts = (
        f"{summary.get('accepted', 0)} of {summary.get('members', transmission.member_count)} members "
        "accepted, "
        f"{summary.get('rejected', 0)} rejected.\n"
        if summary
        else ""
    )
    link = settings.SITE_URL.rstrip("/") + reverse("edi_transmission", args=[transmission.pk])
    body = (
        f"The enrollment file for {str(transmission.group)} "
        f"(Humana Group ID {group_facts(group=transmission.group).group_id}) is {label.lower()}.\n"
        f"{counts}{transmission.status_reason}\n\nDetails: {link}\n"
    )
    # A legal name typed with a line break must not get the header refused (BadHeaderError), failing the poll.
    group_label = " ".join(str(transmission.group).split())
    send_mail(
        f"Enrollment file {label.lower()}: {group_label}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        fail_silently=True,
    )
    if summary.get("rejected"):
        notice_send_quietly(
            group=transmission.group,
            kind="FILE_REJECTIONS",
            context={"rejected": summary.get("rejected", 0), "accepted": summary.get("accepted", 0),
                     "members": summary.get("members", transmission.member_count), "file_url": link},
            key=f"file:{transmission.pk}",
        )  # fmt: skip


def transmission_notify_admins(transmission: Transmission) -> None:
    mail_admins(
        f"Enrollment file #{transmission.pk} is stuck", transmission.status_reason, fail_silently=True
    )
