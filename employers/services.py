"""Inviting the employer's HR contact, and what they do: sign the application, ask for a change."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from enrollment import notices
from enrollment.models import EmployerGroup
from groupsales.masking import mask_personal_data

from .models import EmployerContact, EmployerRequest

logger = logging.getLogger(__name__)


def welcome_url(user: User) -> str:
    """The one-use link that sets the contact's password (Django's password-reset token)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("employers:welcome", args=[uid, default_token_generator.make_token(user)])
    return str(getattr(settings, "SITE_URL", "")).rstrip("/") + path


def _send_invitation(contact: EmployerContact) -> None:
    context = {"contact": contact, "group": contact.group, "url": welcome_url(contact.user),
               "days": settings.PASSWORD_RESET_TIMEOUT // 86400}  # fmt: skip
    languages = [contact.language] + [code for code in ("en", "es") if code != contact.language]
    subjects, parts = [], []
    for language in languages:
        with translation.override(language):
            subjects.append(render_to_string("emails/employer_invitation_subject.txt", context).strip())
            parts.append(render_to_string("emails/employer_invitation.txt", context).strip())
    send_mail(
        subject=" / ".join(subjects),
        message="\n\n----------------------------------------\n\n".join(parts) + "\n",
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        recipient_list=[contact.user.email],
    )


def employer_invite(
    *,
    group: EmployerGroup,
    first_name: str,
    last_name: str,
    email: str,
    title: str,
    language: str,
    by: User | None,
) -> EmployerContact:
    """Give the group's HR contact their own login (or this group on the login they have) and e-mail
    them the link that sets its password."""
    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and (user.is_staff or hasattr(user, "broker")):
            raise ValidationError(
                _("This e-mail belongs to a broker or staff account: give the employer's own e-mail address.")
            )
        if user is None:
            user = User(
                username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip()
            )
            user.set_unusable_password()
            user.save()
        contact, _created = EmployerContact.objects.get_or_create(
            user=user, group=group, defaults={"title": title.strip(), "language": language, "invited_by": by}
        )
        contact.title, contact.language = title.strip() or contact.title, language
        contact.last_invited_at = timezone.now()
        contact.save(update_fields=["title", "language", "last_invited_at"])
        transaction.on_commit(lambda: _send_invitation(contact))
    logger.info("employer contact %s invited to group %s by %s", contact.pk, group.pk, by)
    return contact


# --------------------------------------------------------------------------- "Request a change"

REQUEST_MAX_CHARS = 2000


def employer_request_create(*, contact: EmployerContact, kind: str, text: str) -> EmployerRequest:
    """The employer asks the broker for a change (a new hire, someone leaving, the group's details, plans or
    contribution): recorded, on the group's timeline, e-mailed to the broker (its dates and numbers
    masked: the text may name people)."""
    text = text.strip()
    if kind not in EmployerRequest.Kind.values:
        raise ValidationError(_("Choose what kind of change you ask for."), code="kind")
    if not text:
        raise ValidationError(_("Say what should change (who, what and from when)."), code="text")
    if len(text) > REQUEST_MAX_CHARS:
        raise ValidationError(
            _("Keep it under %(limit)d characters.") % {"limit": REQUEST_MAX_CHARS}, code="text"
        )
    user = contact.user
    with transaction.atomic():
        request = EmployerRequest.objects.create(
            group=contact.group,
            contact=contact,
            kind=kind,
            text=text,
            asked_by=(user.get_full_name() or user.email)[:150],
        )
        transaction.on_commit(
            lambda: notices.notice_send_quietly(
                group=contact.group,
                kind="EMPLOYER_REQUEST",
                context={"employer_request": request, "text": mask_personal_data(text)},
                key=f"employer-request:{request.pk}",
            )  # fmt: skip
        )
    logger.info("employer request %s (%s) for group %s", request.pk, kind, contact.group_id)
    return request


def employer_request_done(*, request: EmployerRequest, by: User) -> EmployerRequest:
    """The broker marks the employer's request done; the employer is told."""
    updated = EmployerRequest.objects.filter(pk=request.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=by
    )
    request.refresh_from_db()
    if updated:
        notices.notice_send_quietly(
            group=request.group,
            kind="EMPLOYER_REQUEST_DONE",
            context={"employer_request": request},
            key=f"employer-request-done:{request.pk}",
        )
    return request
