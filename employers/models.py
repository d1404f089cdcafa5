"""An employer group's HR contact, with their own login.

Decision (issue 22 item 1): a login of their own rather than a long-lived signed link. The employer comes
back all year (the application, documents, the renewal decision, changes), signs documents that must be
tied to a person, and a login gets what the broker's has: the password rules, lockout (django-axes), an
8-hour session and a password they can reset. The broker's invitation is a one-use link to set that
password (Django's password-reset token: it expires after ``PASSWORD_RESET_TIMEOUT`` and dies once the
password is set or a later link is used).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField

from enrollment.models import EmployerGroup


class EmployerContact(models.Model):
    """A user who may see one group as its employer (an HR contact); one row per group they reach."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        SPANISH = "es", "Español"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employer_contacts"
    )
    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="employer_contacts")
    title = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    last_invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_contact_per_user_and_group")
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} for {self.group}"


class EmployerRequest(models.Model):
    """A change the employer asks the broker for from their own page ("Request a change"): a kind and what
    they wrote (encrypted at rest: it may name people), until the broker marks it done."""

    class Kind(models.TextChoices):
        NEW_HIRE = "NEW_HIRE", _("A new hire")
        TERMINATION = "TERMINATION", _("An employee leaves")
        GROUP_DATA = "GROUP_DATA", _("Address or other group details")
        PLANS = "PLANS", _("Plans or contribution")

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="employer_requests")
    contact = models.ForeignKey(
        EmployerContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = EncryptedTextField()
    asked_by = models.CharField(max_length=150, help_text="the contact's name as it was when they asked")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.group_id}"

    @property
    def done(self) -> bool:
        return self.done_at is not None
