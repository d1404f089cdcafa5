"""What the portal keeps of its conversation with the carrier.

``CarrierOperation``: one logical write (create group, validate a member, finalize, upload a file) and
its idempotency key, saved before the first call so that a retry after a crash reuses the key.
Lifecycle: ``OPEN`` → ``SUCCEEDED`` | ``FAILED`` (``carrier.services``); at most one ``OPEN`` operation
per (kind, subject).

``ApiCall``: one HTTP attempt, with masked and truncated bodies (``groupsales.masking``).
"""

from __future__ import annotations

from django.db import models
from encrypted_fields.fields import EncryptedTextField


class CarrierOperation(models.Model):
    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"

    kind = models.CharField(max_length=64, help_text="e.g. create_group, validate_member, finalize_group")
    subject = models.CharField(max_length=128, help_text="what it is about, e.g. group:12 or member:12:E-001")
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    request_digest = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the first body sent")
    response = models.JSONField(null=True, blank=True, help_text="the carrier's answer, masked")
    covers = models.JSONField(
        default=list, blank=True, help_text="a batch's member subjects in the order sent (member:12:v3, …)"
    )
    sent_bodies = EncryptedTextField(
        null=True, blank=True,
        help_text="a batch's member bodies as first sent, JSON (encrypted: SSNs, dates of birth), so a run "
        "can send it again as it was when one of its members has moved on",
    )  # fmt: skip
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=models.Q(status="OPEN"),
                name="carrier_operation_one_open_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["kind", "subject"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.status})"


class ApiCall(models.Model):
    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        HTTP_ERROR = "http_error", "HTTP error"
        CONNECTION_ERROR = "connection_error", "Connection error"
        TIMEOUT = "timeout", "Timeout"
        INVALID_RESPONSE = "invalid_response", "Invalid response"

    operation = models.ForeignKey(
        CarrierOperation, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    subject = models.CharField(max_length=128, blank=True, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    correlation_id = models.CharField(max_length=64, db_index=True)
    idempotency_key = models.CharField(max_length=64, blank=True, db_index=True)
    request_body = models.TextField(blank=True, help_text="masked, truncated")
    response_body = models.TextField(blank=True, help_text="masked, truncated")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API call"
        indexes = [
            models.Index(fields=["method", "status_code"]),
            models.Index(fields=["outcome", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code or self.outcome} (attempt {self.attempt})"


class OutboxTask(models.Model):
    """A task the portal means to queue, written in the same transaction as the change that calls for
    it (``carrier.outbox``): queued on commit; if the broker is down then, the outbox sweep queues it."""

    task_name = models.CharField(max_length=128)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    countdown = models.FloatField(
        default=0, help_text="seconds the task waits once queued (a poll's backoff)"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["queued_at", "created_at"])]

    def __str__(self) -> str:
        state = "queued" if self.queued_at else "waiting"
        return f"{self.task_name}{tuple(self.args)} ({state})"
