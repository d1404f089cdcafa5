"""The carrier sandbox's own records: partners and keys, its copy of the rate file, groups, member
validations, enrollment files and stored idempotent answers.

Nothing here is shared with the portal's tables: the sandbox plays the carrier, which keeps its own books.
It keeps members' SSNs and dates of birth encrypted at rest, as a carrier must (the same keys as the
portal's, django-fernet-encrypted-fields): the ``ssn`` and ``dateOfBirth`` values of group and member
bodies (``sandbox.fields.SealedJSONField``), the 834s, the 999s and the stored answers.
"""

from __future__ import annotations

import hashlib
import re

from django.db import models
from encrypted_fields.fields import EncryptedTextField

from .fields import SealedJSONField


def key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def default_sender_id(name: str) -> str:
    """api.md: the name in capitals with other characters removed, cut to 15."""
    return re.sub(r"[^A-Z0-9]", "", name.upper())[:15]


class Partner(models.Model):
    """An enrollment application registered with the carrier."""

    name = models.CharField(max_length=100, unique=True)
    sender_id = models.CharField("sender ID", max_length=15, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.sender_id})"


class ApiKey(models.Model):
    """A partner's key. Only its SHA-256 and first characters are kept."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="keys")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    label = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.partner.name})"


class RuleThresholds(models.Model):
    """Thresholds of business-rules.md kept as data: merged over ``HUMANA_RULE_SETTINGS``.

    The one row with the highest id is in force (see ``RuleSettings.from_mapping`` for the keys).
    """

    values = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "rule thresholds"

    # --------------------------------------------------------------------------- the carrier's rate file

    def __str__(self) -> str:
        return self.note or f"thresholds #{self.pk}"


class RateFile(models.Model):
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    plan_id = models.CharField(max_length=20)
    line = models.CharField(max_length=10)  # MEDICAL / DENTAL / VISION
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2)
    rating_method = models.CharField(max_length=5)  # AGE / TIER
    tobacco_rated = models.BooleanField(default=False)
    composite_allowed = models.BooleanField(default=False)
    max_children_u21 = models.PositiveSmallIntegerField(null=True)
    eff_date = models.DateField()
    exp_date = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["plan_id", "eff_date"])]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.name}"


class Geo(models.Model):
    state = models.CharField(max_length=2)
    geo_type = models.CharField(max_length=10)  # ZIP5 / ZIP3 / COUNTY
    geo_value = models.CharField(max_length=10)
    county_fips = models.CharField(max_length=5)
    rating_area_id = models.CharField(max_length=20)
    eff_date = models.DateField()
    exp_date = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["geo_type", "geo_value"]), models.Index(fields=["county_fips"])]

    def __str__(self) -> str:
        return f"{self.geo_type} {self.geo_value} {self.county_fips} → {self.rating_area_id}"


class AgeRate(models.Model):
    plan_id = models.CharField(max_length=20)
    rating_area_id = models.CharField(max_length=20)
    eff_date = models.DateField()
    exp_date = models.DateField()
    age_band = models.CharField(max_length=5)
    rate = models.DecimalField(max_digits=10, decimal_places=2)
    tobacco_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True)

    class Meta:
        indexes = [models.Index(fields=["rating_area_id", "eff_date"])]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.rating_area_id} {self.age_band}"


class TierRate(models.Model):
    plan_id = models.CharField(max_length=20)
    rating_area_id = models.CharField(max_length=20)  # "*": the whole state
    eff_date = models.DateField()
    exp_date = models.DateField()
    tier = models.CharField(max_length=3)  # EMP / ESP / ECH / FAM
    rate = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["plan_id", "eff_date"])]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.rating_area_id} {self.tier}"


class Factor(models.Model):
    scope = models.CharField(max_length=10)
    scope_id = models.CharField(max_length=20)
    factor_type = models.CharField(max_length=30)
    key = models.CharField(max_length=20)
    value = models.DecimalField(max_digits=12, decimal_places=6)
    eff_date = models.DateField()
    exp_date = models.DateField()

    # --------------------------------------------------------------------------- groups and members

    def __str__(self) -> str:
        return f"{self.scope} {self.scope_id} {self.factor_type} {self.key}"


class Group(models.Model):
    class Status(models.TextChoices):
        CREATED = "CREATED"
        FINALIZED = "FINALIZED"
        ENROLLING = "ENROLLING"
        ENROLLED = "ENROLLED"
        TERMINATED = "TERMINATED"  # 1.1: a NOT_RENEWED renewal's date has come

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="groups")
    group_id = models.CharField(max_length=6, unique=True)
    body = SealedJSONField(help_text="The create body as patched since (census dates of birth encrypted)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    status_history = models.JSONField(default=list)
    rating_area_id = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    created_on = models.DateField(help_text="The carrier's business day of the create call")
    updated_at = models.DateTimeField()
    estimated_rates = models.JSONField(default=list)
    finalized_at = models.DateTimeField(null=True)
    finalized = models.JSONField(null=True, help_text="participation, finalRates and totals")
    # api.md 1.1 (GRP-015): the last create or PATCH that changed application data, and the signed
    # Employer Group Application as stored (with receivedAt and stale), kept apart from the body.
    application_changed_at = models.DateTimeField(null=True)
    application = models.JSONField(null=True, help_text="employerGroupApplication with receivedAt, stale")

    class Meta:
        indexes = [models.Index(fields=["partner", "status"])]

    def __str__(self) -> str:
        return f"{self.group_id} {self.body.get('employer', {}).get('legalName', '')}"

    @property
    def fein(self) -> str:
        return str((self.body.get("employer") or {}).get("fein") or "")

    @property
    def agent_npn(self) -> str:
        return str((self.body.get("writingAgent") or {}).get("npn") or "")


class MemberValidation(models.Model):
    """A member's current validation in a group (one row per memberRef, replaced when revalidated)."""

    class Status(models.TextChoices):
        NOT_SENT = "NOT_SENT"
        ACCEPTED = "ACCEPTED"
        REJECTED = "REJECTED"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="validations")
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    relationship = models.CharField(max_length=20)
    body = SealedJSONField(help_text="ssn and dateOfBirth encrypted")
    valid = models.BooleanField(default=True)
    errors = models.JSONField(default=list, blank=True)
    validation_id = models.CharField(max_length=40)
    validated_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOT_SENT)
    humana_member_id = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member_ref"], name="sandbox_one_validation")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.member_ref} in {self.group_id}"


class EnrollmentFile(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "RECEIVED"
        PROCESSING = "PROCESSING"
        ACCEPTED = "ACCEPTED"
        ACCEPTED_WITH_ERRORS = "ACCEPTED_WITH_ERRORS"
        REJECTED = "REJECTED"

    IN_FLIGHT = (Status.RECEIVED, Status.PROCESSING)

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="files")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="files")
    file_id = models.CharField(max_length=12, unique=True)
    interchange_control_number = models.CharField(max_length=9)
    content = EncryptedTextField(null=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField()
    processing_after = models.DateTimeField()
    ends_after = models.DateTimeField()
    completed_at = models.DateTimeField(null=True)
    errors = models.JSONField(default=list)
    summary = models.JSONField(null=True)
    members = models.JSONField(default=list)
    acknowledgment = EncryptedTextField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "interchange_control_number"], name="sandbox_isa13_once_per_partner"
            )
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file_id


class IdempotentAnswer(models.Model):
    """A stored answer to a POST (api.md: answers below 500 other than 429, kept 24 hours)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=60)
    content = EncryptedTextField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="sandbox_one_answer_per_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.status}"


class KeyAttempt(models.Model):
    """How often a key was tried for a scenario that counts attempts (FEIN 98)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="sandbox_one_attempt_row")]

    def __str__(self) -> str:
        return f"{self.key}: {self.attempts}"


class Crosswalk(models.Model):
    """ETSS 2.2 ``XWK``: what becomes of a plan whose plan year ends on ``plan_year_end``."""

    state = models.CharField(max_length=2)
    plan_id = models.CharField(max_length=20)
    plan_year_end = models.DateField()
    successor_plan_id = models.CharField(max_length=20, blank=True)
    successor_eff_date = models.DateField(null=True)
    reason = models.CharField(max_length=12)  # SAME_PLAN / MAPPED / DISCONTINUED

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan_id", "plan_year_end"], name="sandbox_one_crosswalk_row")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.plan_year_end} {self.reason} {self.successor_plan_id}"


class Renewal(models.Model):
    """A group's renewal on one renewal date (api.md 1.1, *Renewal*). ``offer`` is fixed when made (the
    plans, the crosswalk and the rates' source); members and money are computed on each read."""

    class Status(models.TextChoices):
        UPCOMING = "UPCOMING"
        OFFERED = "OFFERED"
        ACCEPTED = "ACCEPTED"
        RENEWED = "RENEWED"
        NOT_RENEWED = "NOT_RENEWED"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="renewals")
    renewal_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPCOMING)
    offered_at = models.DateTimeField(null=True)
    offer = models.JSONField(null=True, help_text="lines with each plan's crosswalk; trend; useLoaded")
    decision = models.JSONField(null=True, help_text="decisionId, decision, source, decidedAt")
    renewal_offerings = models.JSONField(null=True)
    non_renewal = models.JSONField(null=True)
    previous_offerings = models.JSONField(null=True, help_text="the offerings in force before R")
    locked = models.BooleanField(default=False, help_text="an election validated or a renewal file received")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "renewal_date"], name="sandbox_one_renewal_per_date")
        ]
        ordering = ["-renewal_date"]

    def __str__(self) -> str:
        return f"{self.group_id} {self.renewal_date} {self.status}"


# 1.1: the carrier's books after enrollment (pending changes, the roster).
from .roster_models import MemberChange, RosterEntry  # noqa: E402, F401
