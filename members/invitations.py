"""The broker's invitation e-mails: what may go in them, and how many may go.

The invitation's subject and body carry the employer's legal name and the employee's first name, typed
by people (a draft group saves any legal name; GRP-001 is checked only when the group is created). Before
an invitation is sent or sent again:

- **INV-001**: each of those names is one line of ordinary text: no line break or control character
  (a CR/LF in a subject is also what made Django refuse the header, a 500), no invisible formatting
  character (bidirectional overrides), nothing that reads as a web or e-mail address, and not longer than
  the carrier allows (GRP-001's 60, MBR-001's 35);
- **INV-002**: at most ``MEMBERS_INVITATION_THROTTLE["family"]`` e-mails per family and
  ``["broker"]`` per broker in their windows (count, seconds), each e-mail recorded
  (``InvitationEmail``) in the same transaction as the invitation, under a row lock on the family and on
  the sender, so two clicks at once cannot both pass.

Each refusal is a ``ValidationError`` whose message names the rule and says what to do; the sending
itself is ``members.self_service`` (``invitation_send``, ``invitation_resend``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.models import Notice

from . import self_service
from .models import Invitation, InvitationEmail, Member

THROTTLE_DEFAULTS = {"family": (3, 24 * 3600), "broker": (60, 3600)}
LEGAL_NAME_MAX = 60  # GRP-001
FIRST_NAME_MAX = 35  # MBR-001
# A scheme (http:, https:, mailto:, javascript:), www., an e-mail address, or a bare domain (evil.example):
# what a mail reader turns into a link.
_ADDRESS_LIKE = re.compile(
    r"[a-z][a-z0-9+.-]*:/|\b(?:mailto|javascript|data|tel):|\bwww\d{0,3}\.|[^\s@]+@[^\s@]+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\b",
    re.IGNORECASE,
)
# Line and paragraph separators, control characters, format characters (U+202E…), unassigned, private use.
_INVISIBLE = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class InvitationRule:
    code: str
    summary: str


INV_001 = InvitationRule(
    "INV-001",
    "A name that goes into an invitation e-mail (the employer's legal name, the employee's first name) is "
    "one line of ordinary text: no line break, control or invisible character, no web or e-mail address, "
    "at most 60 (legal name) or 35 (first name) characters.",
)
INV_002 = InvitationRule(
    "INV-002",
    "At most a few invitation e-mails per family a day and per broker an hour (MEMBERS_INVITATION_THROTTLE).",
)


def _refuse(rule: InvitationRule, message: str, fix: str) -> ValidationError:
    return ValidationError(f"{rule.code}: {message} {fix}", code=rule.code)


def name_problem(value: str, *, limit: int) -> str | None:
    """Why ``value`` cannot go into an e-mail (None when it can)."""
    if any(unicodedata.category(ch) in _INVISIBLE for ch in value):
        return _("it contains a line break or an invisible or control character")
    if _ADDRESS_LIKE.search(value):
        return _("it reads as a web or e-mail address")
    if len(value) > limit:
        return _("it is longer than %(n)s characters") % {"n": limit}
    return None


def invitation_names_check(*, subscriber: Member) -> None:
    """INV-001 over the names the invitation e-mail carries (ValidationError naming the rule and fix)."""
    legal_name = subscriber.group.legal_name or ""
    problem = name_problem(legal_name, limit=LEGAL_NAME_MAX)
    if problem:
        raise _refuse(
            INV_001,
            _("The employer's legal name cannot go into an e-mail: %(why)s.") % {"why": problem},
            _(
                "Correct it on the group's Employer step (as on the IRS letter: letters, digits, spaces "
                "and & , . ' - #), then invite again."
            ),
        )
    problem = name_problem(subscriber.first_name or "", limit=FIRST_NAME_MAX)
    if problem:
        raise _refuse(
            INV_001,
            _("The employee's first name cannot go into an e-mail: %(why)s.") % {"why": problem},
            _("Correct the first name on the family page (letters, spaces, ' - . only), then invite again."),
        )


def _limits() -> dict[str, tuple[int, int]]:
    configured = getattr(settings, "MEMBERS_INVITATION_THROTTLE", None) or {}
    return {key: tuple(configured.get(key, default)) for key, default in THROTTLE_DEFAULTS.items()}


def _next_at(sent: list, window: int) -> str:
    moment = timezone.localtime(min(sent) + timedelta(seconds=window))
    return formats.date_format(moment, "DATETIME_FORMAT")


def invitation_throttle_check(*, subscriber: Member, by: User | None) -> None:
    """INV-002: refuse one more e-mail to this family, or from this broker, over its limit. Call inside
    the transaction that records the e-mail, after locking the family (``_lock``)."""
    limits, now = _limits(), timezone.now()
    count, window = limits["family"]
    sent = list(
        InvitationEmail.objects.filter(
            subscriber=subscriber, sent_at__gt=now - timedelta(seconds=window)
        ).values_list("sent_at", flat=True)
    )
    if len(sent) >= count:
        raise _refuse(
            INV_002,
            ngettext(
                "This family was sent %(n)s invitation e-mail in the last %(hours)s hours: the next can "
                "go at %(at)s.",
                "This family was sent %(n)s invitation e-mails in the last %(hours)s hours: the next can "
                "go at %(at)s.",
                len(sent),
            )
            % {"n": len(sent), "hours": round(window / 3600), "at": _next_at(sent, window)},
            _(
                "Ask the employee to look in their spam folder, and check the e-mail address on the "
                "family page; the last link sent still works."
            ),
        )
    if by is None or not getattr(by, "is_authenticated", False):
        return
    count, window = limits["broker"]
    sent = list(
        InvitationEmail.objects.filter(sent_by=by, sent_at__gt=now - timedelta(seconds=window)).values_list(
            "sent_at", flat=True
        )
    )
    if len(sent) >= count:
        raise _refuse(
            INV_002,
            ngettext(
                "You sent %(n)s invitation e-mail in the last %(minutes)s minutes: the next can go at "
                "%(at)s.",
                "You sent %(n)s invitation e-mails in the last %(minutes)s minutes: the next can go at "
                "%(at)s.",
                len(sent),
            )
            % {"n": len(sent), "minutes": round(window / 60), "at": _next_at(sent, window)},
            _("Wait until then; an employee who did not get theirs can be sent it again afterwards."),
        )


def _lock(subscriber: Member, by: User | None) -> None:
    """Row locks that make the count and the record one step per family and per sender."""
    from django.contrib.auth import get_user_model

    list(Member.objects.select_for_update().filter(pk=subscriber.pk).values_list("pk", flat=True))
    if by is not None and getattr(by, "pk", None):
        list(get_user_model().objects.select_for_update().filter(pk=by.pk).values_list("pk", flat=True))


def _record(invitation: Invitation, by: User | None, kind: str) -> None:
    InvitationEmail.objects.create(
        invitation=invitation,
        subscriber=invitation.subscriber,
        sent_by=by if by is not None and getattr(by, "is_authenticated", False) else None,
        kind=kind,
    )


def invitation_email_send(*, subscriber: Member, by: User | None) -> Invitation:
    """Check INV-001 and INV-002, then send a new invitation (``self_service.invitation_send``)."""
    invitation_names_check(subscriber=subscriber)
    with transaction.atomic():
        _lock(subscriber, by)
        invitation_throttle_check(subscriber=subscriber, by=by)
        invitation = self_service.invitation_send(subscriber=subscriber, by=by)
        _record(invitation, by, InvitationEmail.Kind.SEND)
    return invitation


def invitation_email_resend(*, invitation: Invitation, by: User | None) -> Invitation:
    """Check INV-001 and INV-002, then send the invitation again (``self_service.invitation_resend``)."""
    subscriber = invitation.subscriber
    invitation_names_check(subscriber=subscriber)
    with transaction.atomic():
        _lock(subscriber, by)
        invitation_throttle_check(subscriber=subscriber, by=by)
        invitation = self_service.invitation_resend(invitation=invitation, by=by)
        _record(invitation, by, InvitationEmail.Kind.RESEND)
    return invitation


def invitation_email_remind(
    *, invitation: Invitation, by: User | None, key: str = "", days_left: int | None = None
) -> bool:
    """Check INV-001 and INV-002, then e-mail a reminder with the invitation's own link (unchanged), in the
    employee's language, recorded as an invitation e-mail and as a notice on the group's timeline. With a
    ``key`` it goes once (False: that key was sent already)."""
    from enrollment import notices

    subscriber = invitation.subscriber
    invitation_names_check(subscriber=subscriber)
    with transaction.atomic():
        _lock(subscriber, by)
        if key and Notice.objects.filter(key=key).exists():
            return False
        invitation_throttle_check(subscriber=subscriber, by=by)
        subject = self_service.invitation_remind(invitation=invitation, days_left=days_left)
        notices.notice_record(
            group=subscriber.group,
            kind="EMPLOYEE_REMINDER",
            role=Notice.Role.EMPLOYEE,
            email=subscriber.email,
            language="/".join(self_service.email_languages(invitation)),
            subject=subject,
            key=key,
            member_id=subscriber.pk,
        )
        _record(invitation, by, InvitationEmail.Kind.REMIND)
    return True
