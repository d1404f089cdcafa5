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
