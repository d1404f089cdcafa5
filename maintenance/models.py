"""A change request (one member, one event), the change files that carry them, each request's history,
and the last reconciliation of a group with the carrier's roster."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField

from edi.models import SentFile
from enrollment.models import EmployerGroup
from groupsales.change_events import ChangeAction, EventType

#: Each event in the words people use (the change lists, the timelines).
EVENT_WORDS = {
    EventType.NEW_HIRE: _("New employee"),
    EventType.NEWLY_ELIGIBLE: _("Newly eligible"),
    EventType.BIRTH: _("Birth"),
    EventType.ADOPTION: _("Adoption"),
    EventType.MARRIAGE: _("Marriage"),
    EventType.LOSS_OF_COVERAGE: _("Loss of other coverage"),
    EventType.DEMOGRAPHIC: _("New details"),
    EventType.END_OF_EMPLOYMENT: _("End of employment"),
    EventType.LOSS_OF_ELIGIBILITY: _("No longer eligible"),
    EventType.DIVORCE: _("Divorce"),
    EventType.DEATH: _("Death"),
    EventType.AGE_OUT: _("Turned 26"),
    EventType.VOLUNTARY: _("Taken off coverage"),
    EventType.REINSTATEMENT: _("Coverage restored"),
    EventType.RENEWAL_OPEN_ENROLLMENT: _("Renewal open enrollment"),
}
ACTION_WORDS = {
    ChangeAction.ADD: _("added"),
    ChangeAction.CHANGE: _("changed"),
    ChangeAction.TERMINATE: _("ended"),
    ChangeAction.REINSTATE: _("restored"),
}


class ChangeFile(SentFile):
    """A change 834 (no DTP*007) the portal sent, and what the carrier made of it."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="change_files")

    class Meta(SentFile.Meta):
        pass


class ChangeRequest(models.Model):
    """One member's change: DRAFT → VALIDATED (the carrier's dates) → IN_FILE → APPLIED | REJECTED; HELD
    while it takes effect on or after a renewal date whose renewal is not accepted yet (MNT-011)."""

    class State(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        REFUSED = "REFUSED", _("Refused by the carrier")
        VALIDATED = "VALIDATED", _("Validated by the carrier")
        HELD = "HELD", _("Held until the renewal is accepted")
        IN_FILE = "IN_FILE", _("In a change file")
        APPLIED = "APPLIED", _("Applied")
        REJECTED = "REJECTED", _("Rejected in the file")

    EVENT_TYPES = [(e.value, e.value) for e in EventType]
    ACTIONS = [(a.value, a.value) for a in ChangeAction]

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="change_requests")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL)
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    relationship = models.CharField(max_length=20)
    event_type = models.CharField(max_length=30, choices=EVENT_TYPES)
    action = models.CharField(max_length=10, choices=ACTIONS)
    event_date = models.DateField()
    event_key = models.CharField(
        max_length=32, blank=True, db_index=True, help_text="the requests of one family's event share it"
    )
    body_text = EncryptedTextField(help_text="api.md's validation body with its event (encrypted: SSN, DOB)")
    change = models.JSONField(null=True, blank=True, help_text="the carrier's computed change block")
    before = models.JSONField(default=list, blank=True, help_text="the lines held before (for a CHANGE)")
    carrier_errors = models.JSONField(default=list, blank=True)
    held_for = models.DateField(
        null=True, blank=True, help_text="the renewal date a HELD change waits for (MNT-011)"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    change_file = models.ForeignKey(ChangeFile, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reported_by_employee = models.BooleanField(
        default=False, help_text="reported by the employee on their self-service link"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.member_ref} {self.event_type} {self.state}"

    @property
    def event_words(self) -> str:
        return str(EVENT_WORDS.get(EventType(self.event_type), self.event_type))

    @property
    def action_words(self) -> str:
        return str(ACTION_WORDS.get(ChangeAction(self.action), self.action))

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.body_text or "{}")

    @body.setter
    def body(self, value: dict[str, Any]) -> None:
        self.body_text = json.dumps(value)


class ChangeHistory(models.Model):
    """Every move of a change request: who, when, from what to what, which file carried it."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="history")
    from_state = models.CharField(max_length=12, choices=ChangeRequest.State.choices)
    to_state = models.CharField(max_length=12, choices=ChangeRequest.State.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    file_reference = models.CharField(max_length=30, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "change histories"

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class RosterCheck(models.Model):
    """The last reconciliation of a group with the carrier's roster (the differences found)."""

    group = models.OneToOneField(EmployerGroup, on_delete=models.CASCADE, related_name="roster_check")
    checked_at = models.DateTimeField()
    as_of = models.DateField()
    differences = models.JSONField(default=list, blank=True)
    premiums = models.JSONField(
        default=list,
        blank=True,
        help_text="the roster's monthlyPremium per member and line, when it gives one",
    )

    def __str__(self) -> str:
        return f"{self.group_id}: {len(self.differences)} differences"


class MemberCoverage(models.Model):
    """A member's coverage after enrollment as the APPLIED changes left it: from when, until when, why it
    ended, and the change that last moved it (the member list's current and ended coverage)."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="coverage_span")
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=30, blank=True)
    last_change = models.ForeignKey(ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.member_id}: {self.start} – {self.end or ''}"


class LifeEventLink(models.Model):
    """An enrolled employee's self-service link for life events ("I had a baby"): their own family only.
    Like an invitation, the token is an HMAC of this link's random salt under the server's secret; only
    the salt and the token's sha256 are stored."""

    subscriber = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="life_event_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    link_salt = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"life-event link for {self.subscriber_id}"
