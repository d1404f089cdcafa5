"""Members of an employer group: covered lives, their elections and self-service invitations.

A family is a subscriber ``Member`` (``subscriber`` null) and its dependents (``subscriber`` set). The
subscriber's ``Election`` rows say, per offered line, the plan or the waiver; a dependent's
``covered_lines`` say on which of the subscriber's elected lines it is covered. The coverage tier is
never stored: ``coverage_tier(subscriber, line)`` derives it from the dependents covered on the line.

SSN and date of birth are Fernet-encrypted at rest (``encrypted_fields``, keys from ``SECRET_KEY`` and
``SALT_KEY``); the history tables copy the encrypted fields, so they hold no plain SSN either.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from simple_history.models import HistoricalRecords

from enrollment.models import CensusMember, EmployerGroup, code_choices

MEMBER_REF_PATTERN = r"^[A-Z0-9-]{1,30}$"
member_ref_validator = RegexValidator(
    MEMBER_REF_PATTERN, "Use 1 to 30 capital letters, digits or hyphens (e.g. E-001, E-001-S)."
)

LINES = ("MEDICAL", "DENTAL", "VISION")
SPOUSE_RELATIONSHIPS = frozenset({"SPOUSE", "DOMESTIC_PARTNER"})
CHILD_RELATIONSHIPS = frozenset({"CHILD", "STEPCHILD", "FOSTER_CHILD", "WARD"})


class Member(models.Model):
    """One covered life of a group."""

    # The census's own lists (api.md's code lists), not a second copy of them.
    Relationship = CensusMember.Relationship
    Gender = CensusMember.Gender

    class MaritalStatus(models.TextChoices):
        SINGLE = "SINGLE", _("Single")
        MARRIED = "MARRIED", _("Married")
        DIVORCED = "DIVORCED", _("Divorced")
        WIDOWED = "WIDOWED", _("Widowed")
        SEPARATED = "SEPARATED", _("Separated")
        DOMESTIC_PARTNER = "DOMESTIC_PARTNER", _("Domestic partner")
        UNKNOWN = "UNKNOWN", _("Unknown")

    class Suffix(models.TextChoices):
        JR = "JR", _("Jr.")
        SR = "SR", _("Sr.")
        II = "II", "II"
        III = "III", "III"
        IV = "IV", "IV"

    class EmploymentStatus(models.TextChoices):
        FULL_TIME = "FULL_TIME", _("Full time")
        PART_TIME = "PART_TIME", _("Part time")

    class ValidationStatus(models.TextChoices):
        NOT_VALIDATED = "NOT_VALIDATED", _("Not validated")
        PENDING = "PENDING", _("Validating")
        VALID = "VALID", _("Valid")
        INVALID = "INVALID", _("Invalid")
        CARRIER_UNREACHABLE = "CARRIER_UNREACHABLE", _("Carrier unreachable")
        # Not sent: the request would not fit api.md (``portal_errors`` says what is missing). An edit
        # sends it again; nothing retries it as it is.
        INCOMPLETE = "INCOMPLETE", _("Incomplete: not sent")

    class EnrollmentStatus(models.TextChoices):
        NOT_SENT = "NOT_SENT", _("Not sent")
        ACCEPTED = "ACCEPTED", _("Accepted")
        REJECTED = "REJECTED", _("Rejected")

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="members")
    member_ref = models.CharField(_("member ID"), max_length=30, validators=[member_ref_validator])
    subscriber = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="dependents"
    )
    relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.SUBSCRIBER
    )

    # Blank until someone types it (a census gives no names): the member is then INCOMPLETE (MBR-001).
    first_name = models.CharField(max_length=35, blank=True)
    middle_name = models.CharField(max_length=25, blank=True)
    last_name = models.CharField(max_length=60, blank=True)
    suffix = models.CharField(max_length=3, choices=Suffix.choices, blank=True)
    ssn = EncryptedCharField(_("SSN"), max_length=9, null=True, blank=True)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    marital_status = models.CharField(max_length=20, choices=MaritalStatus.choices, blank=True)
    tobacco_use = models.BooleanField(null=True, blank=True)
    disabled = models.BooleanField(default=False)
    is_owner = models.BooleanField(_("owner"), default=False)
    is_owner_spouse = models.BooleanField(_("married to an owner"), default=False)

    # Address (a subscriber's; a dependent without one lives with the subscriber)
    address_line1 = models.CharField(_("address line 1"), max_length=100, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip5 = models.CharField(_("ZIP code"), max_length=5, blank=True)
    zip4 = models.CharField(_("ZIP+4"), max_length=4, blank=True)
    county_fips = models.CharField(_("county"), max_length=5, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(max_length=254, blank=True)

    # Employment (subscribers)
    hire_date = models.DateField(null=True, blank=True)
    hours_per_week = models.PositiveIntegerField(null=True, blank=True)
    employment_status = models.CharField(max_length=10, choices=EmploymentStatus.choices, blank=True)

    # Dependents: the subscriber's elected lines this member is covered on.
    covered_lines = models.JSONField(default=list, blank=True)

    # Carrier validation
    validation_status = models.CharField(
        max_length=20,
        choices=ValidationStatus.choices,
        default=ValidationStatus.NOT_VALIDATED,
        db_index=True,
    )
    validation_id = models.CharField(max_length=64, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    carrier_errors = models.JSONField(default=list, blank=True)
    carrier_warnings = models.JSONField(default=list, blank=True)
    # Why the portal did not send the member (INCOMPLETE): rule problems (code, pointer, field, message, fix).
    portal_errors = models.JSONField(default=list, blank=True)
    validation_attempts = models.PositiveIntegerField(default=0)
    validation_claimed_at = models.DateTimeField(null=True, blank=True)
    edit_version = models.PositiveIntegerField(default=1)

    # Enrollment (834) result
    enrollment_status = models.CharField(
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.NOT_SENT,
        db_index=True,
    )
    humana_member_id = models.CharField(_("Humana member ID"), max_length=30, blank=True)
    enrollment_errors = models.JSONField(default=list, blank=True)

    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["group", "member_ref", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "member_ref"], name="unique_member_ref_per_group"),
            models.CheckConstraint(
                condition=models.Q(member_ref__regex=MEMBER_REF_PATTERN), name="member_ref_format"
            ),
        ]
        indexes = [models.Index(fields=["group", "validation_status"])]

    def __str__(self) -> str:
        return f"{self.member_ref} {self.first_name} {self.last_name}".strip()

    @property
    def is_subscriber(self) -> bool:
        return self.subscriber_id is None

    @property
    def full_name(self) -> str:
        parts = [
            self.first_name,
            self.middle_name,
            self.last_name,
            self.get_suffix_display() if self.suffix else "",
        ]
        return " ".join(p for p in parts if p)

    @property
    def masked_ssn(self) -> str:
        return mask_ssn(self.ssn)

    @property
    def masked_date_of_birth(self) -> str:
        return "****-**-**" if self.date_of_birth else ""


class ValidationEvent(models.Model):
    """One move of a member's validation status (``members.states``): from, to, for which edit, why."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="validation_events")
    from_status = models.CharField(max_length=20, choices=Member.ValidationStatus.choices)
    to_status = models.CharField(max_length=20, choices=Member.ValidationStatus.choices)
    edit_version = models.PositiveIntegerField(help_text="the member's edit version once moved")
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_status} → {self.to_status}"


class Election(models.Model):
    """A subscriber's choice on one offered line: a plan, or a waiver with its reason."""

    # The carrier's code lists, with the words of portal.display (one mapping for every page).
    Line = code_choices("Line", "line")
    WaiverReason = code_choices("WaiverReason", "waiver_reason")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="elections")
    line = models.CharField(max_length=10, choices=Line.choices)
    plan_id = models.CharField(_("plan"), max_length=20, blank=True)
    waived = models.BooleanField(default=False)
    waiver_reason = models.CharField(max_length=30, choices=WaiverReason.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["member", "line"]
        constraints = [
            models.UniqueConstraint(fields=["member", "line"], name="unique_election_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.line}: {'waived' if self.waived else self.plan_id}"


class Invitation(models.Model):
    """A self-service link e-mailed to a subscriber; only the sha256 of its token is stored."""

    subscriber = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    # The link's token is derived from this salt and the server's secret (``self_service``), so the same
    # link can be e-mailed again (a reminder, a resend) while only its hash is stored.
    link_salt = models.CharField(max_length=64, blank=True)
    # The language the employee last read their pages in ("": not known yet, e-mails go in both).
    language = models.CharField(max_length=5, blank=True)
    token: str  # the plain token, only on the object invitation_send/resend returns; never stored
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    signed_name = models.CharField(max_length=120, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # What the employee typed, per step, until they sign (encrypted: it may hold an SSN).
    draft = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.subscriber}"

    @property
    def state(self) -> str:
        """LIVE, SIGNED, REVOKED, EXPIRED or CLOSED (see members.self_service.invitation_state)."""
        from .self_service import invitation_state

        return invitation_state(self)

    @property
    def state_label(self) -> str:
        from django.utils.translation import gettext

        return {
            "LIVE": gettext("Invited"),
            "SIGNED": gettext("Signed"),
            "REVOKED": gettext("Revoked"),
            "EXPIRED": gettext("Link expired"),
            "CLOSED": gettext("Closed"),
        }.get(self.state, self.state)


class RetiredLink(models.Model):
    """The sha256 of a link a resend replaced. It opens nothing; the page it answers names whom to ask
    (the group's broker), as a revoked or expired link's does."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="retired_links")
    token_hash = models.CharField(max_length=64, unique=True)
    retired_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Replaced link of invitation {self.invitation_id}"


class InvitationEmail(models.Model):
    """One invitation e-mail sent (a first send or a resend): who sent it, to which family, when.
    ``members.invitations`` counts these to throttle sending (INV-002)."""

    class Kind(models.TextChoices):
        SEND = "SEND", _("Sent")
        RESEND = "RESEND", _("Sent again")
        REMIND = "REMIND", _("Reminder")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="emails")
    subscriber = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="invitation_emails")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["subscriber", "sent_at"]),
            models.Index(fields=["sent_by", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.subscriber_id} at {self.sent_at:%Y-%m-%d %H:%M}"


class RosterImport(models.Model):
    """A roster file read for a group, between its preview and its import (``members.roster``).

    ``families`` is what the file's values became (SSNs and dates of birth included, so encrypted); the
    errors name lines, columns and rules, never a value of an SSN. Importing claims the row once
    (PREVIEW -> IMPORTED in the transaction that saves the families) and empties ``families_json``."""

    class Status(models.TextChoices):
        PREVIEW = "PREVIEW", _("Preview")
        IMPORTED = "IMPORTED", _("Imported")
        DISCARDED = "DISCARDED", _("Discarded")

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    # JSON text, encrypted whole (EncryptedJSONField would turn every number and None into a string).
    families_json = EncryptedTextField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=dict, blank=True)  # field -> the file's header for it
    family_count = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    skipped_lines = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Roster {self.file_name} for {self.group_id} ({self.status})"

    @property
    def families(self) -> list[dict]:
        import json

        return json.loads(self.families_json) if self.families_json else []


def mask_ssn(ssn: str | None) -> str:
    """***-**-6789 (the last four only); empty when there is no SSN."""
    digits = "".join(c for c in (ssn or "") if c.isdigit())
    return f"***-**-{digits[-4:]}" if digits else ""


def coverage_tier(relationships) -> str:
    """EMP/ESP/ECH/FAM from the relationships of the dependents covered on a line."""
    kinds = set(relationships)
    spouse = bool(kinds & SPOUSE_RELATIONSHIPS)
    child = bool(kinds & CHILD_RELATIONSHIPS)
    return {(False, False): "EMP", (True, False): "ESP", (False, True): "ECH", (True, True): "FAM"}[
        (spouse, child)
    ]


def member_coverage_tier(subscriber: Member, line: str, dependents=None) -> str:
    """The tier of ``subscriber`` on ``line``, derived from the (given or stored) dependents covered there."""
    if dependents is None:
        dependents = [d for d in subscriber.dependents.all() if d.withdrawn_at is None]
    return coverage_tier(d.relationship for d in dependents if line in (d.covered_lines or []))
