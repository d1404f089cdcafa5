"""An enrolled employee's own life-event link: "I had a baby", "I got married", "My address changed".

The link ``{SITE_URL}/enroll/life-events/<token>/`` opens one family (the link's subscriber). Its token
is an HMAC of the link's random salt under the server's secret key (as ``members.self_service`` derives
an invitation's); only the salt and the token's sha256 are stored, and a token is found by its hash. A
life event reported there is a ``ChangeRequest`` like the broker's (validated with the carrier as it is
saved, ``reported_by_employee``), which the broker sees on the group's changes page and sends.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from members.models import Member
from members.self_service import token_hash

from .models import LifeEventLink

LINK_DAYS = 60


def life_event_token(salt: str) -> str:
    digest = salted_hmac("maintenance.life_event.link", salt, algorithm="sha256").hexdigest()
    return digest[:43]


def life_event_url(token: str) -> str:
    return f"{str(getattr(settings, 'SITE_URL', '')).rstrip('/')}/enroll/life-events/{token}/"


def life_event_link_send(*, subscriber: Member, by: Any = None) -> tuple[LifeEventLink, str]:
    """A new link for ``subscriber`` (an enrolled employee with an e-mail), e-mailed in English and
    Spanish; the earlier links of the family stop working. Returns the link and its token."""
    if subscriber.subscriber_id is not None or not subscriber.email:
        raise ValueError("a life-event link goes to an employee with an e-mail address")
    salt = secrets.token_urlsafe(32)
    token = life_event_token(salt)
    with transaction.atomic():
        LifeEventLink.objects.filter(subscriber=subscriber, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        link = LifeEventLink.objects.create(
            subscriber=subscriber, token_hash=token_hash(token), link_salt=salt, created_by=by,
            expires_at=timezone.now() + timedelta(days=LINK_DAYS),
        )  # fmt: skip
    context = {"subscriber": subscriber, "group": subscriber.group, "url": life_event_url(token),
               "expires_at": timezone.localtime(link.expires_at)}  # fmt: skip
    subjects, parts = [], []
    for language in ("en", "es"):
        with translation.override(language):
            subjects.append(render_to_string("emails/life_event_link_subject.txt", context).strip())
            parts.append(render_to_string("emails/life_event_link.txt", context).strip())
    send_mail(
        subject=" / ".join(subjects),
        message="\n\n----------------------------------------\n\n".join(parts) + "\n",
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        recipient_list=[subscriber.email],
    )
    return link, token


def life_event_link_find(*, token: str) -> LifeEventLink | None:
    """The live link of ``token`` (None: unknown, revoked, expired, or its group no longer enrolled)."""
    if not token or len(token) > 64:
        return None
    digest = token_hash(token)
    link = LifeEventLink.objects.select_related("subscriber__group").filter(token_hash=digest).first()
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        return None
    if link.revoked_at or link.expires_at <= timezone.now():
        return None
    if link.subscriber.group.status != "ENROLLED" or link.subscriber.withdrawn_at is not None:
        return None
    return link
