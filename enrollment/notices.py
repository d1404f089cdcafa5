"""Notices: the e-mails the portal sends about a group, who gets which, and the record of each.

Issue 22 item 4.

Every notice is one ``Notice`` row per recipient (who, what, when, in which language), shown on the group's
timeline. A notice goes to the group's broker and its employer contacts (``EmployerContact``) in each
one's language, or to one employee; each is an e-mail with a plain-text part and an HTML part.

The broker and the employer choose which notices they get (``NoticePreference``; every notice is on until
turned off). A notice with a ``key`` goes once per key and recipient (a reminder per offset, a digest per
day, a notice per status change): a second call finds the row and sends nothing.

No notice carries an SSN or a date of birth: the templates get none, and ``_refuse_personal_data`` stops
an e-mail whose text still looks like an SSN.

Other apps call ``notice_send`` with a kind of ``KINDS``: ``RENEWAL_OFFERED``, ``RENEWAL_DEADLINE``,
``RENEWAL_SIGNATURE_REQUESTED`` (to the employer) and ``RENEWAL_DECISION_SIGNED`` (to the broker) (the
renewal work), ``EMPLOYER_REQUEST`` (to the broker) and ``EMPLOYER_REQUEST_DONE`` (to the employer)
(``employers``: "Request a change"), ``CHANGE_APPLIED`` / ``CHANGE_REJECTED`` (``enrollment.changes``),
``MEMBER_CHANGES`` and ``CHILD_AGING_OUT`` (``maintenance``: a change file's results, a child turning
26), ``FILE_REJECTIONS`` (``edi``), ``EMPLOYEE_SIGNED`` and ``EMPLOYEE_REMINDER`` (``members``, with
``notice_send_to_employee``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import EmployerGroup, Notice, NoticePreference

logger = logging.getLogger(__name__)
Role = Notice.Role
LANGUAGES = ("en", "es")
# An SSN as people write it (ddd-dd-dddd, ddd dd dddd) or nine digits alone.
_SSN_LIKE = re.compile(r"(?<![\d-])\d{3}[- ]?\d{2}[- ]?\d{4}(?![\d-])")


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: Any
    roles: frozenset[str]

    @property
    def choosable(self) -> bool:
        """Whether the broker and the employer may turn it off (an employee's own notices: not here)."""
        return Role.EMPLOYEE not in self.roles


_BOTH = frozenset({Role.BROKER, Role.EMPLOYER})
KINDS: dict[str, NoticeKind] = {
    k.code: k
    for k in (
        NoticeKind("GROUP_CREATED", _("The group is created with the carrier"), _BOTH),
        NoticeKind("GROUP_FINALIZED", _("The group is finalized"), _BOTH),
        NoticeKind("GROUP_ENROLLED", _("The group is enrolled"), _BOTH),
        NoticeKind("FILE_REJECTIONS", _("An enrollment file ended with rejected members"), _BOTH),
        NoticeKind("RENEWAL_OFFERED", _("A renewal is offered"), _BOTH),
        NoticeKind("RENEWAL_DEADLINE", _("The renewal decision's deadline is near"), _BOTH),
        NoticeKind(
            "RENEWAL_SIGNATURE_REQUESTED",
            _("A renewal decision waits for the employer's signature"),
            frozenset({Role.EMPLOYER}),
        ),
        NoticeKind(
            "RENEWAL_DECISION_SIGNED", _("The employer signed the renewal decision"), frozenset({Role.BROKER})
        ),
        NoticeKind("EMPLOYER_REQUEST", _("The employer asks for a change"), frozenset({Role.BROKER})),
        NoticeKind(
            "EMPLOYER_REQUEST_DONE",
            _("The broker did the change the employer asked for"),
            frozenset({Role.EMPLOYER}),
        ),
        NoticeKind("CHANGE_APPLIED", _("A change to the group was applied"), _BOTH),
        NoticeKind("CHANGE_REJECTED", _("A change to the group was rejected"), _BOTH),
        NoticeKind("DOCUMENT_REVIEWED", _("A document was reviewed"), _BOTH),
        NoticeKind("MEMBER_CHANGES", _("A change file for the members ended (applied or rejected)"), _BOTH),
        NoticeKind("CHILD_AGING_OUT", _("A covered child's coverage ends soon at 26"), _BOTH),
        NoticeKind("BROKER_DIGEST", _("Daily summary of open enrollment"), frozenset({Role.BROKER})),
        NoticeKind(
            "EMPLOYEE_SIGNED", _("The employee's elections, after signing"), frozenset({Role.EMPLOYEE})
        ),
        NoticeKind(
            "EMPLOYEE_REMINDER", _("A reminder to an employee who has not signed"), frozenset({Role.EMPLOYEE})
        ),
        NoticeKind(
            "RENEWAL_ENROLLMENT",
            _("An employee's link to renewal open enrollment"),
            frozenset({Role.EMPLOYEE}),
        ),
    )
}
STATUS_KINDS: dict[str, str] = {
    EmployerGroup.Status.OPEN_ENROLLMENT: "GROUP_CREATED",
    EmployerGroup.Status.FINALIZED: "GROUP_FINALIZED",
    EmployerGroup.Status.ENROLLED: "GROUP_ENROLLED",
}


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


@dataclass(frozen=True)
class Recipient:
    role: str
    email: str
    language: str
    user: User | None = None
    member_id: int | None = None


def _site(path: str) -> str:
    return str(getattr(settings, "SITE_URL", "")).rstrip("/") + path


def notice_enabled(*, user: User, kind: str) -> bool:
    return not NoticePreference.objects.filter(user=user, kind=kind, enabled=False).exists()


def notice_preferences_set(*, user: User, enabled: dict[str, bool]) -> None:
    """Store the user's choices (kind -> on/off) for the kinds they may choose."""
    for code, on in enabled.items():
        if code in KINDS and KINDS[code].choosable:
            NoticePreference.objects.update_or_create(user=user, kind=code, defaults={"enabled": bool(on)})


def notice_recipients(*, group: EmployerGroup, kind: str) -> list[Recipient]:
    """The broker and the employer contacts the kind goes to, without those who turned it off."""
    roles = KINDS[kind].roles
    found: list[Recipient] = []
    broker_user = group.broker.user if group.broker_id else None
    if Role.BROKER in roles and broker_user is not None and broker_user.email:
        found.append(Recipient(Role.BROKER, broker_user.email, settings.LANGUAGE_CODE[:2], broker_user))
    if Role.EMPLOYER in roles:
        for contact in group.employer_contacts.select_related("user"):  # the employers app's contacts
            if contact.user.email and contact.user.is_active:
                found.append(Recipient(Role.EMPLOYER, contact.user.email, contact.language, contact.user))
    return [r for r in found if r.user is None or notice_enabled(user=r.user, kind=kind)]


def _refuse_personal_data(*texts: str) -> None:
    for text in texts:
        if _SSN_LIKE.search(text):
            raise ValueError("A notice's text looks like it holds an SSN: it is not sent.")


def _render(kind: str, context: dict[str, Any], languages: tuple[str, ...]) -> tuple[str, str, str]:
    subjects, texts, htmls = [], [], []
    for language in languages:
        with translation.override(language):
            subjects.append(render_to_string(f"emails/notices/{kind.lower()}_subject.txt", context).strip())
            text = render_to_string(f"emails/notices/{kind.lower()}.txt", context).strip()
            texts.append(text)
            htmls.append(
                render_to_string("emails/notice.html", {**context, "text": text, "language": language})
            )
    subject = " ".join(" / ".join(subjects).split())[:300]
    return (
        subject,
        "\n\n----------------------------------------\n\n".join(texts) + "\n",
        "\n<hr>\n".join(htmls),
    )


def _deliver(
    *, group: EmployerGroup, kind: str, recipient: Recipient, context: dict[str, Any], key: str
) -> Notice | None:
    """Render, record and send one notice; None when its key was already sent."""
    languages = (recipient.language,) if recipient.language in LANGUAGES else LANGUAGES
    url = context.get("url") or _site(
        reverse("employers:group", args=[group.pk])
        if recipient.role == Role.EMPLOYER
        else reverse("enrollment:group_detail", args=[group.pk])
    )
    full = {**context, "group": group, "role": recipient.role, "url": url}
    subject, text, html = _render(kind, full, languages)
    _refuse_personal_data(subject, text)
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                group=group,
                kind=kind,
                role=recipient.role,
                to_email=recipient.email,
                to_user=recipient.user,
                member_id=recipient.member_id,
                language="/".join(languages),
                subject=subject,
                key=key[:120],
            )
            message = EmailMultiAlternatives(
                subject, text, getattr(settings, "DEFAULT_FROM_EMAIL", None), [recipient.email]
            )
            message.attach_alternative(html, "text/html")
            message.send()
    except IntegrityError:  # this key went already
        return None
    return notice


def notice_send(
    *, group: EmployerGroup, kind: str, context: dict[str, Any] | None = None, key: str = ""
) -> list[Notice]:
    """Send one kind of notice about the group to its broker and employer contacts (those who want it)."""
    sent = []
    for recipient in notice_recipients(group=group, kind=kind):
        who = f"{recipient.role}:{getattr(recipient.user, 'pk', recipient.email)}"
        notice = _deliver(
            group=group,
            kind=kind,
            recipient=recipient,
            context=context or {},
            key=f"{key}:{who}" if key else "",
        )
        if notice is not None:
            sent.append(notice)
    return sent


def notice_send_to_employee(
    *,
    group: EmployerGroup,
    kind: str,
    member_id: int,
    email: str,
    language: str,
    context: dict[str, Any] | None = None,
    key: str = "",
) -> Notice | None:
    """Send an employee's notice (their elections after signing, a reminder) in their language."""
    recipient = Recipient(Role.EMPLOYEE, email, language, None, member_id)
    return _deliver(group=group, kind=kind, recipient=recipient, context=context or {}, key=key)


def notice_record(
    *,
    group: EmployerGroup,
    kind: str,
    role: str,
    email: str,
    language: str,
    subject: str,
    key: str,
    member_id: int | None = None,
) -> Notice | None:
    """Record an e-mail another service sends itself (an employee's reminder); None when ``key`` was already
    recorded. Call it in the transaction that sends, so a failed send records nothing."""
    try:
        with transaction.atomic():
            return Notice.objects.create(
                group=group,
                kind=kind,
                role=role,
                to_email=email,
                member_id=member_id,
                language=language,
                subject=subject[:300],
                key=key[:120],
            )
    except IntegrityError:
        return None


def notice_send_quietly(**kwargs: Any) -> list[Notice]:
    """``notice_send`` for callers whose own work must not fail with a notice (a carrier answer, a file)."""
    try:
        return notice_send(**kwargs)
    except Exception:  # noqa: BLE001 - a notice never undoes the work it tells of
        logger.exception(
            "notice %s of group %s not sent", kwargs.get("kind"), getattr(kwargs.get("group"), "pk", None)
        )
        return []


def group_status_notice(*, group_id: int, status: str, transition_id: int) -> list[Notice]:
    """The notice of a group's move into ``status`` (created, finalized, enrolled), once per transition."""
    kind = STATUS_KINDS.get(status)
    group = EmployerGroup.objects.filter(pk=group_id).select_related("broker__user").first()
    if kind is None or group is None:
        return []
    return notice_send_quietly(group=group, kind=kind, key=f"status:{transition_id}")


def group_notices(*, group: EmployerGroup) -> list[Notice]:
    """What was sent about the group, for its timeline."""
    return list(group.notices.all()[:200])
