"""Employer groups: the broker's work from draft to an enrolled group.

The draft holds every field of api.md's create-group body (``payload.group_build_create_payload``
turns it into that body); the census is flat rows in the quote CSV layout (a subscriber's row has
``subscriber_ref == member_ref``). The lifecycle is guarded in ``enrollment.states``; each change is a
``GroupTransition`` row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedDateField, EncryptedTextField
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Broker
from portal.words import LABELS


def code_choices(name: str, kind: str) -> type[models.TextChoices]:
    """A code list of ``groupsales.codes`` as model choices, with the words of ``portal.words.LABELS``."""
    members = [(str(v), (str(v), words)) for v, words in LABELS[kind].items()]
    return models.TextChoices(name, members)  # type: ignore[call-overload]  # the stubs lack the functional API


class EmployerGroup(models.Model):
    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        CREATING = "CREATING", _("Creating with carrier")
        OPEN_ENROLLMENT = "OPEN_ENROLLMENT", _("Open enrollment")
        FINALIZING = "FINALIZING", _("Finalizing")
        FINALIZED = "FINALIZED", _("Finalized")
        ENROLLING = "ENROLLING", _("Enrolling")
        ENROLLED = "ENROLLED", _("Enrolled")
        NEEDS_ATTENTION = "NEEDS_ATTENTION", _("Needs attention")

    class ChangeState(models.TextChoices):
        """Changes to a created group's details on their way to the carrier (PATCH); see ``states``."""

        NONE = "", _("No changes")
        EDITING = "EDITING", _("Changed, not sent to the carrier yet")
        SENDING = "SENDING", _("Sending the changes to the carrier")
        REFUSED = "REFUSED", _("The carrier refused the changes")

    class PayFrequency(models.TextChoices):
        """How often the employer pays: the employee's cost is shown and deducted per pay period. The
        portal's own fact (the carrier's contract has no pay periods); ``periods_per_year`` below."""

        WEEKLY = "WEEKLY", _("Weekly")
        BIWEEKLY = "BIWEEKLY", _("Every two weeks")
        SEMIMONTHLY = "SEMIMONTHLY", _("Twice a month")
        MONTHLY = "MONTHLY", _("Monthly")

    PERIODS_PER_YEAR = {"WEEKLY": 52, "BIWEEKLY": 26, "SEMIMONTHLY": 24, "MONTHLY": 12}

    # The carrier's code lists, with the words of portal.display (one mapping for every page).
    EntityType = code_choices("EntityType", "entity_type")
    WaitingPeriod = code_choices("WaitingPeriod", "waiting_period")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="groups")
    broker = models.ForeignKey(Broker, on_delete=models.PROTECT, related_name="groups")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    status_reason = models.CharField(max_length=500, blank=True)
    quote_id = models.BigIntegerField(null=True, blank=True, help_text="The quote this group started from")

    # Employer
    legal_name = models.CharField(max_length=100, blank=True)
    dba_name = models.CharField("DBA name", max_length=100, blank=True)
    fein = models.CharField("FEIN", max_length=20, blank=True, db_index=True)
    sic_code = models.CharField("SIC code", max_length=10, blank=True)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices, blank=True)
    established_date = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # Principal address
    address_line1 = models.CharField("address line 1", max_length=100, blank=True)
    address_line2 = models.CharField("address line 2", max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip5 = models.CharField("ZIP code", max_length=10, blank=True)
    zip4 = models.CharField("ZIP+4", max_length=4, blank=True)
    county_fips = models.CharField("county", max_length=5, blank=True)
    # Contact
    contact_first_name = models.CharField(max_length=60, blank=True)
    contact_last_name = models.CharField(max_length=60, blank=True)
    contact_email = models.CharField(max_length=254, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    # Writing agent (prefilled from the broker)
    agent_npn = models.CharField("agent NPN", max_length=20, blank=True)
    agent_first_name = models.CharField(max_length=60, blank=True)
    agent_last_name = models.CharField(max_length=60, blank=True)
    agent_email = models.CharField(max_length=254, blank=True)
    # Effective date, workforce, eligibility
    requested_effective_date = models.DateField(null=True, blank=True)
    total_employees = models.PositiveIntegerField(null=True, blank=True)
    eligible_employees = models.PositiveIntegerField(null=True, blank=True)
    minimum_hours_per_week = models.PositiveIntegerField(null=True, blank=True, default=30)
    waiting_period = models.CharField(max_length=40, choices=WaitingPeriod.choices, blank=True)
    pay_frequency = models.CharField(
        max_length=12, choices=PayFrequency.choices, default=PayFrequency.MONTHLY
    )
    # Offerings: api.md's ``offerings`` list as is ({line, planIds, ratingOption?, contribution}).
    offerings = models.JSONField(default=list, blank=True)
    # Small employer attestation
    attestation_signed_by = models.CharField(max_length=120, blank=True)
    attestation_title = models.CharField(max_length=60, blank=True)
    attestation_signed_at = models.DateTimeField(null=True, blank=True)

    # What the carrier said about the last create attempt: api.md error objects.
    carrier_errors = models.JSONField(default=list, blank=True)
    create_attempts = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, blank=True)
    create_claimed_at = models.DateTimeField(null=True, blank=True)
    # Carrier fields (read-only for people)
    humana_group_id = models.CharField("Humana Group ID", max_length=6, null=True, blank=True, unique=True)
    rating_area_id = models.CharField(max_length=20, blank=True)
    estimated_rates = models.JSONField(default=list, blank=True)
    estimated_monthly_premium = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    final_monthly_premium = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    final_rates = models.JSONField(default=list, blank=True, help_text="finalRates of the carrier's finalize")
    participation = models.JSONField(default=list, blank=True, help_text="participation per line at finalize")
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalize_attempts = models.PositiveIntegerField(default=0)
    carrier_created_at = models.DateTimeField(null=True, blank=True)
    carrier_status = models.CharField(max_length=20, blank=True)
    carrier_updated_at = models.DateTimeField(null=True, blank=True)
    carrier_synced_at = models.DateTimeField(null=True, blank=True)
    # Changes after creation (api.md PATCH /groups/{id} while CREATED): the changeable fields as the carrier
    # has them are kept in ``carrier_copy`` from the first change until the carrier accepts the patch.
    change_state = models.CharField(max_length=10, choices=ChangeState.choices, blank=True, default="")
    carrier_copy = models.JSONField(default=dict, blank=True)
    change_attempts = models.PositiveIntegerField(default=0)
    change_claimed_at = models.DateTimeField(null=True, blank=True)
    change_reason = models.CharField(max_length=500, blank=True)
    application_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="The carrier's applicationChangedAt (GRP-015)"
    )
    # The open-enrollment window the broker sets (``enrollment.window``); empty: the defaults.
    oe_starts_on = models.DateField("open enrollment starts", null=True, blank=True)
    oe_ends_on = models.DateField("open enrollment ends", null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what, when (issue 22 item 5); the request's user comes from simple_history's middleware.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["broker", "status"])]

    def __str__(self) -> str:
        return self.legal_name or str(_("Draft group %(id)s") % {"id": self.pk})

    @property
    def lines(self) -> list[str]:
        return [o["line"] for o in self.offerings if isinstance(o, dict) and o.get("line")]

    def offering(self, line: str) -> dict:
        for o in self.offerings:
            if isinstance(o, dict) and o.get("line") == line:
                return o
        return {}

    @property
    def pay_periods_per_year(self) -> int:
        return self.PERIODS_PER_YEAR.get(self.pay_frequency, 12)

    @property
    def differs_from_carrier(self) -> bool:
        from .states import carrier_status_matches

        return bool(self.carrier_status) and not carrier_status_matches(self.status, self.carrier_status)


class CensusMember(models.Model):
    """One row of the preliminary census (quote CSV layout plus gender, ZIP and owner flags)."""

    # The stubs lack TextChoices' functional API (the members are the code lists' values).
    Relationship = models.TextChoices(  # type: ignore[call-overload]
        "Relationship", [(v, (v, w)) for v, w in LABELS["relationship"].items()]
    )
    Gender = models.TextChoices("Gender", [(v, (v, w)) for v, w in LABELS["gender"].items()])  # type: ignore[call-overload]
    Tier = models.TextChoices("Tier", [(v, (v, w)) for v, w in LABELS["tier"].items()])  # type: ignore[call-overload]

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="census")
    position = models.PositiveIntegerField(default=0)
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.SUBSCRIBER
    )
    date_of_birth = EncryptedDateField(null=True, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    zip5 = models.CharField("ZIP code", max_length=5, blank=True)
    tobacco_use = models.BooleanField(default=False)
    is_owner = models.BooleanField("owner", default=False)
    is_owner_spouse = models.BooleanField("owner's spouse", default=False)
    coverage_tier = models.CharField(max_length=5, choices=Tier.choices, blank=True)

    class Meta:
        ordering = ["group", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "member_ref"], name="unique_census_member_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.member_ref} ({self.get_relationship_display()})"

    @property
    def is_subscriber(self) -> bool:
        return self.relationship == self.Relationship.SUBSCRIBER


class GroupTransition(models.Model):
    """One change of a group's status: who (a user, or the system), when and why."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=EmployerGroup.Status.choices)
    to_status = models.CharField(max_length=20, choices=EmployerGroup.Status.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def by_label(self) -> str:
        return self.by.get_username() if self.by is not None else "system"


class SignedDocument(models.Model):
    """A document both signers see (the Employer Group Application, a renewal decision): the PDF of one
    version of the data it shows, encrypted at rest, with its SHA-256 (``enrollment.signed_documents``).

    ``data_sha256`` fingerprints the data it shows; when that data changes the document is voided
    (``voided_at``, both signatures with it) and the next reader gets a new one. Each kind adds what it
    belongs to and its one-live-document constraint."""

    data_sha256 = models.CharField(max_length=64)
    sha256 = models.CharField("document SHA-256", max_length=64)
    pdf_base64 = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class DocumentSignature(models.Model):
    """One signature on a signed document: the employer's signer or the writing agent, with the consent to
    electronic records and signatures, when, from where (IP, user agent) and the hash of the document that
    was shown. Each kind adds its ``document`` and its one-signature-per-role constraint."""

    class Role(models.TextChoices):
        EMPLOYER = "EMPLOYER", _("Employer")
        AGENT = "AGENT", _("Writing agent")

    role = models.CharField(max_length=10, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    signed_by = models.CharField(max_length=120)
    title = models.CharField(max_length=60, blank=True)
    email = models.EmailField()
    npn = models.CharField("NPN", max_length=10, blank=True)
    document_sha256 = models.CharField(max_length=64)
    consent = models.BooleanField(default=False)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.signed_by}"


class ApplicationDocument(SignedDocument):
    """The Employer Group Application (api.md 1.1 ``employerGroupApplication``) as shown to both signers:
    one version of the group's application data (``enrollment.application``)."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="application_documents")

    class Meta(SignedDocument.Meta):
        constraints = [
            # One live document per group: a second "make the document" loses the race cleanly.
            models.UniqueConstraint(
                fields=["group"], condition=models.Q(voided_at__isnull=True), name="one_live_application"
            )
        ]

    def __str__(self) -> str:
        return f"Application of {self.group_id} ({self.sha256[:12]})"


class ApplicationSignature(DocumentSignature):
    """One signature on an application document."""

    document = models.ForeignKey(ApplicationDocument, on_delete=models.CASCADE, related_name="signatures")

    class Meta(DocumentSignature.Meta):
        constraints = [models.UniqueConstraint(fields=["document", "role"], name="one_signature_per_role")]


class GroupDocument(models.Model):
    """A document the employer or the broker uploaded for one checklist item (``enrollment.documents``):
    the file encrypted at rest (base64 of its bytes), its type as its content says, and the review.

    A later upload for the same item replaces this one (``replaced_at``); what was replaced is kept."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting for review")
        ACCEPTED = "ACCEPTED", _("Accepted")
        REJECTED = "REJECTED", _("Rejected")
        MORE_NEEDED = "MORE_NEEDED", _("More needed")

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="documents")
    requirement = models.CharField(max_length=10)
    filename = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    content_base64 = EncryptedTextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    review_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "requirement", "-uploaded_at", "-id"]
        indexes = [models.Index(fields=["group", "requirement"])]

    def __str__(self) -> str:
        return f"{self.requirement} of group {self.group_id}: {self.filename}"


class Notice(models.Model):
    """One e-mail the portal sent about a group: to whom, what (``kind``), when, in which language.
    ``key`` makes a notice that must go once (a reminder per offset, a digest per day) go once."""

    class Role(models.TextChoices):
        EMPLOYEE = "EMPLOYEE", _("Employee")
        EMPLOYER = "EMPLOYER", _("Employer")
        BROKER = "BROKER", _("Broker")

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30)
    role = models.CharField(max_length=10, choices=Role.choices)
    to_email = models.EmailField()
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member_id = models.PositiveIntegerField(null=True, blank=True, help_text="The employee's member row")
    language = models.CharField(max_length=5, blank=True)
    subject = models.CharField(max_length=300)
    key = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="one_notice_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email}"


class NoticePreference(models.Model):
    """A broker's or an employer's choice not to get (or to get again) one kind of notice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {'on' if self.enabled else 'off'}"
