"""Employer groups: the broker's work from draft to an enrolled group."""

from __future__ import annotations

from django.db import models

from agencies.models import Agency, Broker


class EmployerGroup(models.Model):
    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        CREATING = "CREATING", "Creating with carrier"
        OPEN_ENROLLMENT = "OPEN_ENROLLMENT", "Open enrollment"
        FINALIZING = "FINALIZING", "Finalizing"
        FINALIZED = "FINALIZED", "Finalized"
        ENROLLING = "ENROLLING", "Enrolling"
        ENROLLED = "ENROLLED", "Enrolled"
        NEEDS_ATTENTION = "NEEDS_ATTENTION", "Needs attention"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="groups")
    broker = models.ForeignKey(Broker, on_delete=models.PROTECT, related_name="groups")
    legal_name = models.CharField(max_length=60)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    requested_effective_date = models.DateField(null=True, blank=True)
    humana_group_id = models.CharField("Humana Group ID", max_length=6, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["broker", "status"])]

    def __str__(self) -> str:
        return self.legal_name
