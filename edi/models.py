"""Enrollment files (834) sent to the carrier for a group, and what became of them.

``ControlNumberSequence``: the interchange/group control numbers (ISA13, GS06), one counter row,
incremented atomically, never reused. ``Transmission``: one 834 for one group, with its lifecycle
(``edi.states``), its text (encrypted) and what the carrier said. ``TransmissionDownload``: who
downloaded a file, when. ``TransmissionEvent``: a timeline row per
status change. ``TransmissionMember``: each member in the file and its result.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField

from enrollment.models import EmployerGroup


class SentFile(models.Model):
    """What a change or renewal 834 the portal sent has in common: its text (encrypted), control number,
    the carrier's file ID, status, problems and per-member results. The new-business 834 is ``Transmission``
    (its own lifecycle: precheck, upload retries, polls, follow-ups)."""

    class Status(models.TextChoices):
        PRECHECK_FAILED = "PRECHECK_FAILED", _("Refused by the portal's check")
        SENT = "SENT", _("Sent, being processed")
        ACCEPTED = "ACCEPTED", _("Accepted")
        ACCEPTED_WITH_ERRORS = "ACCEPTED_WITH_ERRORS", _("Accepted with errors")
        REJECTED = "REJECTED", _("Rejected")
        UPLOAD_FAILED = "UPLOAD_FAILED", _("Upload failed")

    FINAL = (Status.ACCEPTED, Status.ACCEPTED_WITH_ERRORS, Status.REJECTED)

    control_number = models.PositiveIntegerField()
    reference = models.CharField(max_length=30)
    content = EncryptedTextField(help_text="the 834 (SSNs and dates of birth inside: encrypted)")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.SENT)
    file_id = models.CharField(max_length=20, blank=True)
    problems = models.JSONField(default=list, blank=True)
    results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"


class ControlNumberSequence(models.Model):
    name = models.CharField(max_length=40, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} = {self.last_value}"


class Transmission(models.Model):
    class Purpose(models.TextChoices):
        ORIGINAL = "ORIGINAL", _("Original file")
        FOLLOW_UP = "FOLLOW_UP", _("Follow-up for rejected members")
        RESUBMISSION = "RESUBMISSION", _("Resubmission of the whole group")

    class Status(models.TextChoices):
        BUILT = "BUILT", _("Built")
        PRECHECK_FAILED = "PRECHECK_FAILED", _("Failed the check before upload")
        READY = "READY", _("Ready to upload")
        UPLOADING = "UPLOADING", _("Uploading")
        RECEIVED = "RECEIVED", _("Received by the carrier")
        PROCESSING = "PROCESSING", _("Processing")
        ACCEPTED = "ACCEPTED", _("Accepted")
        ACCEPTED_WITH_ERRORS = "ACCEPTED_WITH_ERRORS", _("Accepted with errors")
        REJECTED = "REJECTED", _("Rejected")
        STUCK = "STUCK", _("Stuck at the carrier (admin)")
        UPLOAD_FAILED = "UPLOAD_FAILED", _("Upload failed (admin)")

    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="transmissions")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.ORIGINAL)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.BUILT, db_index=True)
    status_reason = models.CharField(max_length=500, blank=True)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="the transmission this one corrects (follow-up or resubmission)",
    )

    # The file
    isa13 = models.PositiveIntegerField("ISA13", null=True, blank=True, unique=True)
    gs06 = models.PositiveIntegerField("GS06", null=True, blank=True, unique=True)
    reference = models.CharField("BGN02", max_length=30, blank=True)
    original_reference = models.CharField("BGN06", max_length=30, blank=True)
    # The exact text sent (its SHA-256 below), encrypted at rest with the members' keys: it holds every
    # member's SSN and date of birth. ``reencrypt_pii`` rotates it with them.
    content = EncryptedTextField(null=True, blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    member_count = models.PositiveIntegerField(default=0)
    subscriber_count = models.PositiveIntegerField(default=0)
    precheck_errors = models.JSONField(default=list, blank=True, help_text="plain words, no personal data")

    # The carrier
    idempotency_key = models.CharField(max_length=64, blank=True)
    file_id = models.CharField(max_length=40, blank=True, db_index=True)
    carrier_status = models.CharField(max_length=24, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    file_errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    ack_999 = models.TextField("999 acknowledgment", blank=True, help_text="masked")
    upload_attempts = models.PositiveIntegerField(default=0)
    poll_attempts = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    poll_started_at = models.DateTimeField(null=True, blank=True, help_text="the age limit counts from here")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("download_transmission", "Can download the 834 file (SSNs and dates of birth)")]
        constraints = [
            # One file in flight per group: a double click (or two brokers) gets an IntegrityError.
            models.UniqueConstraint(
                fields=["group"],
                condition=models.Q(
                    status__in=["BUILT", "READY", "UPLOADING", "RECEIVED", "PROCESSING", "STUCK"]
                ),
                name="edi_one_transmission_in_flight_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"834 #{self.pk} ({self.get_purpose_display()}, {self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def control_number(self) -> str:
        return f"{self.isa13:09d}" if self.isa13 else ""


FINAL_STATUSES = frozenset(
    {Transmission.Status.ACCEPTED, Transmission.Status.ACCEPTED_WITH_ERRORS, Transmission.Status.REJECTED}
)
IN_FLIGHT_STATUSES = frozenset({"BUILT", "READY", "UPLOADING", "RECEIVED", "PROCESSING", "STUCK"})


class TransmissionDownload(models.Model):
    """Who downloaded a file and when: the 834 holds every member's SSN and date of birth."""

    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE, related_name="downloads")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, help_text="kept if the user is deleted")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M}"


class TransmissionEvent(models.Model):
    """One status change of a transmission: the timeline."""

    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=24, choices=Transmission.Status.choices)
    to_status = models.CharField(max_length=24, choices=Transmission.Status.choices)
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class TransmissionMember(models.Model):
    """One member in a file, and the carrier's result for it."""

    class Status(models.TextChoices):
        NOT_SENT = "NOT_SENT", _("Not processed yet")
        ACCEPTED = "ACCEPTED", _("Accepted")
        REJECTED = "REJECTED", _("Rejected")

    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE, related_name="members")
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    relationship = models.CharField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOT_SENT)
    humana_member_id = models.CharField(max_length=30, blank=True)
    errors = models.JSONField(default=list, blank=True)
    # A keyed digest (HMAC of SECRET_KEY: the body holds an SSN) of the member's validation body as
    # written into the file: a follow-up sends a rejected member only once its body differs from this.
    body_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["transmission", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transmission", "member_ref"], name="edi_unique_member_per_file"),
        ]

    def __str__(self) -> str:
        return f"{self.member_ref} ({self.status})"
