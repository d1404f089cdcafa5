"""A group's renewal per plan year (api.md 1.1 *Renewal*), as the portal follows it (``states``)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField

from edi.models import SentFile
from enrollment.models import DocumentSignature, EmployerGroup, SignedDocument


class Renewal(models.Model):
    """One renewal date of one group: the carrier's renewal as last read, the portal's state, and the
    employer's decision on its way to the carrier (with its stored idempotency key)."""

    class Status(models.TextChoices):
        UPCOMING = "UPCOMING", _("Upcoming")
        OFFERED = "OFFERED", _("Offered")
        DECIDED = "DECIDED", _("Decided by the employer")
        PASSIVELY_ACCEPTED = "PASSIVELY_ACCEPTED", _("Renewing as offered (no decision sent)")
        RENEWAL_OE = "RENEWAL_OE", _("Renewal open enrollment")
        FILES = "FILES", _("Renewal elections sent")
        RENEWED = "RENEWED", _("Renewed")
        NOT_RENEWED = "NOT_RENEWED", _("Not renewed")
        CARRIER_NON_RENEWAL = "CARRIER_NON_RENEWAL", _("Not renewed by the carrier")

    class Sending(models.TextChoices):
        NONE = "", _("Nothing to send")
        QUEUED = "QUEUED", _("Decision being sent to the carrier")
        REFUSED = "REFUSED", _("The carrier refused the decision")
        SENT = "SENT", _("Decision accepted by the carrier")

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="renewals")
    renewal_date = models.DateField()
    offer_date = models.DateField()
    decision_deadline = models.DateField()
    enrollment_cutoff = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPCOMING)
    carrier_status = models.CharField(max_length=20, blank=True)
    carrier_renewal = models.JSONField(null=True, blank=True, help_text="GET /renewal as last read")
    non_renewal_reason = models.CharField(max_length=40, blank=True)
    decision_draft = models.JSONField(
        null=True, blank=True, help_text="the decision the broker prepared, for the employer to sign"
    )
    decision_body = models.JSONField(null=True, blank=True, help_text="the signed decision to send")
    decision_key = models.CharField(max_length=64, blank=True)
    sending = models.CharField(max_length=10, choices=Sending.choices, blank=True, default="")
    decision_problems = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "renewal_date"], name="renewals_one_per_group_and_date")
        ]
        ordering = ["-renewal_date"]

    def __str__(self) -> str:
        return f"{self.group_id} renews {self.renewal_date} ({self.status})"


class RenewalEvent(models.Model):
    """A step of a renewal, for the group's timeline."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"

    @property
    def from_label(self) -> str:
        return (
            str(Renewal.Status(self.from_status).label) if self.from_status in Renewal.Status.values else ""
        )

    @property
    def to_label(self) -> str:
        return str(Renewal.Status(self.to_status).label) if self.to_status in Renewal.Status.values else ""

    @property
    def is_move(self) -> bool:
        return self.from_status != self.to_status


class PlanYear(models.Model):
    """A plan year of a group as it was in force: its offerings, rates and members (the group's history).

    The first is written when the group first renews (the plan year it closes, from the group's offerings
    and final rates); each renewal that reaches RENEWED writes the year it opens, from the carrier's
    renewal as last read (``renewalOfferings`` and the offer's renewal money)."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="plan_years")
    start = models.DateField()
    end = models.DateField()
    renewal = models.OneToOneField(
        Renewal, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_year"
    )
    offerings = models.JSONField(default=list, blank=True)
    rates = models.JSONField(default=list, blank=True, help_text="{line, planId, totalMonthlyPremium}")
    employer_contributions = models.JSONField(default=dict, blank=True, help_text="line -> monthly amount")
    members = models.JSONField(default=list, blank=True, help_text="{memberRef, relationship, elections}")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "start"], name="renewals_one_plan_year_a_start")
        ]
        ordering = ["-start"]

    def __str__(self) -> str:
        return f"{self.group_id} {self.start}–{self.end}"


class RenewalFile(SentFile):
    """A renewal 834 (header DTP*007 = R) the portal sent, and what the carrier made of it."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="files")

    class Meta(SentFile.Meta):
        pass


class RenewalElection(models.Model):
    """One member's renewal open-enrollment election (what differs from the passive renewal), validated
    with ``RENEWAL_OPEN_ENROLLMENT``: VALIDATED (or REFUSED) → IN_FILE → APPLIED | REJECTED."""

    class State(models.TextChoices):
        VALIDATED = "VALIDATED", _("Validated by the carrier")
        REFUSED = "REFUSED", _("Refused by the carrier")
        IN_FILE = "IN_FILE", _("In a renewal file")
        APPLIED = "APPLIED", _("Applied")
        REJECTED = "REJECTED", _("Rejected in the file")

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="elections")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="renewal_elections")
    action = models.CharField(max_length=10)  # ADD, CHANGE, TERMINATE
    body_text = EncryptedTextField(help_text="the validation body with its event (encrypted: SSN, DOB)")
    before = models.JSONField(
        default=list, blank=True, help_text="lines held on R − 1 {line, planId, coverageTier}"
    )
    change = models.JSONField(null=True, blank=True, help_text="the carrier's change block")
    carrier_errors = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.VALIDATED)
    renewal_file = models.ForeignKey(RenewalFile, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["renewal", "member"], name="renewals_one_election_per_member")
        ]
        ordering = ["renewal", "member"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.action} {self.state}"

    @property
    def action_label(self) -> str:
        labels = {"ADD": _("Joins on the renewal date"), "CHANGE": _("Changes coverage"),
                  "TERMINATE": _("Leaves the day before")}  # fmt: skip
        return str(labels.get(self.action, self.action))

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.body_text or "{}")

    @body.setter
    def body(self, value: dict[str, Any]) -> None:
        self.body_text = json.dumps(value)


class RenewalLink(models.Model):
    """An employee's self-service link for renewal open enrollment (only the token's sha256 is stored;
    the token is an HMAC of ``salt``, so the same link can be e-mailed again)."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="links")
    subscriber = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="renewal_links")
    token_hash = models.CharField(max_length=64, unique=True)
    salt = models.CharField(max_length=64)
    language = models.CharField(max_length=5, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["renewal", "subscriber"], name="renewals_one_link_per_employee")
        ]

    def __str__(self) -> str:
        return f"renewal link {self.renewal_id}/{self.subscriber_id}"


class DecisionDocument(SignedDocument):
    """The renewal decision as the employer (and the writing agent) sign it: one version of the decision the
    broker prepared (``Renewal.decision_draft``); its SHA-256 is the ``documentSha256`` the carrier
    receives (``renewals.signing``)."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="decision_documents")
    decision = models.JSONField(help_text="the decision it shows (api.md's body without the signature)")

    class Meta(SignedDocument.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["renewal"], condition=models.Q(voided_at__isnull=True), name="one_live_decision"
            )
        ]

    def __str__(self) -> str:
        return f"Decision of renewal {self.renewal_id} ({self.sha256[:12]})"


class DecisionSignature(DocumentSignature):
    """One signature on a decision document: the employer's signer (from their own login) or the writing
    agent."""

    document = models.ForeignKey(DecisionDocument, on_delete=models.CASCADE, related_name="signatures")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(DocumentSignature.Meta):
        constraints = [
            models.UniqueConstraint(fields=["document", "role"], name="one_decision_signature_per_role")
        ]
