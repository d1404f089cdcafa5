"""The carrier's books after enrollment (api.md 1.1 *Maintenance*): each member's pending change and the
roster (who is covered, on which lines, from when to when, why it ended).

Imported by ``sandbox.models`` so that Django finds them; nothing here is the portal's.
"""

from __future__ import annotations

from django.db import models

from .fields import SealedJSONField


class MemberChange(models.Model):
    """The change a member's current validation carries (one per memberRef, as its validation)."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        APPLIED = "APPLIED"
        REJECTED = "REJECTED"

    group = models.ForeignKey("sandbox.Group", on_delete=models.CASCADE, related_name="changes")
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    validation_id = models.CharField(max_length=40)
    event = models.JSONField(help_text="type, action, date")
    change = models.JSONField(help_text="the computed change block of the validation's answer")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file_id = models.CharField(max_length=12, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member_ref"], name="sandbox_one_change")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.member_ref} {self.event.get('type')} {self.status}"


class RosterEntry(models.Model):
    """A member the carrier has accepted, with its coverage history (``lines``: one item per period)."""

    group = models.ForeignKey("sandbox.Group", on_delete=models.CASCADE, related_name="roster")
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    relationship = models.CharField(max_length=20)
    humana_member_id = models.CharField(max_length=12, blank=True)
    body = SealedJSONField(help_text="the member data as enrolled (ssn and dateOfBirth encrypted)")
    coverage_start = models.DateField()
    coverage_end = models.DateField(null=True)
    end_reason = models.CharField(max_length=30, blank=True)
    ended_by_file = models.BooleanField(default=False)
    lines = models.JSONField(default=list, help_text="[{line, planId, coverageTier, start, end, endReason}]")
    waivers = models.JSONField(default=list)
    last_change = models.JSONField(null=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member_ref"], name="sandbox_one_roster_row")]
        ordering = ["subscriber_ref", "id"]

    def __str__(self) -> str:
        return f"{self.member_ref} in {self.group_id}"
