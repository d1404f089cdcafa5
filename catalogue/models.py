"""Plans and rates loaded from the carrier's ETSS files, the files themselves, and saved quotes.

The rate tables hold what is in force; a file is loaded in one transaction (see ``services``), so a
reader sees either the rates before a file or after it, never half a file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedDateField


class EtssFile(models.Model):
    """One delivered ETSS file and what became of it (a small explicit state machine)."""

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", "Received"
        HELD = "HELD", "Held (sequence gap)"
        LOADING = "LOADING", "Loading"
        LOADED = "LOADED", "Loaded"
        REJECTED = "REJECTED", "Rejected"
        SKIPPED_DUPLICATE = "SKIPPED_DUPLICATE", "Skipped (already loaded)"

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.RECEIVED: frozenset({Status.HELD, Status.LOADING, Status.REJECTED, Status.SKIPPED_DUPLICATE}),
        Status.HELD: frozenset({Status.LOADING, Status.REJECTED, Status.SKIPPED_DUPLICATE}),
        Status.LOADING: frozenset({Status.LOADED, Status.REJECTED}),
        Status.LOADED: frozenset(),
        Status.REJECTED: frozenset(),
        Status.SKIPPED_DUPLICATE: frozenset(),
    }

    name = models.CharField(max_length=200)
    sequence = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    load_type = models.CharField(max_length=4, blank=True)
    states = models.CharField(max_length=200, blank=True)
    coverage_start = models.DateField(null=True, blank=True)
    coverage_end = models.DateField(null=True, blank=True)
    file_sha256 = models.CharField("digest of the delivered bytes", max_length=64, blank=True)
    content_sha256 = models.CharField("trailer SHA256 (content digest)", max_length=64, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    errors = models.JSONField(default=list, blank=True)  # [{"line","recordType","field","message"}]
    stored_path = models.CharField(max_length=500, blank=True)
    loaded_by = models.CharField(max_length=150, blank=True)  # a username, "sftp" or "command"
    received_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "ETSS file"

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class Plan(models.Model):
    """A PLN row: one plan for one plan year."""

    plan_id = models.CharField(max_length=14)
    plan_eff_date = models.DateField()
    plan_exp_date = models.DateField()
    state = models.CharField(max_length=2, db_index=True)
    line = models.CharField(max_length=7)  # MEDICAL, DENTAL, VISION
    carrier_plan_code = models.CharField(max_length=40)
    marketing_name = models.CharField(max_length=200)
    plan_type = models.CharField(max_length=5)
    metal_level = models.CharField(max_length=20)
    rating_method = models.CharField(max_length=4)
    tobacco_rated = models.BooleanField()
    composite_allowed = models.BooleanField()
    max_children_u21 = models.PositiveSmallIntegerField(null=True, blank=True)
    dep_max_age = models.PositiveSmallIntegerField()
    service_area_id = models.CharField(max_length=40)
    network_id = models.CharField(max_length=40)
    hsa_eligible = models.BooleanField()
    ded_ind = models.DecimalField(max_digits=11, decimal_places=2)
    ded_fam = models.DecimalField(max_digits=11, decimal_places=2)
    moop_ind = models.DecimalField(max_digits=11, decimal_places=2)
    moop_fam = models.DecimalField(max_digits=11, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan_id", "plan_eff_date"], name="catalogue_plan_key")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.marketing_name} ({self.plan_eff_date:%Y})"


class PlanCrosswalk(models.Model):
    """ETSS 2.2 ``XWK``: the successor of a plan at a group's renewal after the plan year that ends on
    ``plan_year_end`` (the ``plan_exp_date`` of that year's :class:`Plan` row)."""

    state = models.CharField(max_length=2, db_index=True)
    plan_id = models.CharField(max_length=14)
    plan_year_end = models.DateField()
    successor_plan_id = models.CharField(max_length=14, blank=True)
    successor_eff_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=12)  # SAME_PLAN, MAPPED, DISCONTINUED

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan_id", "plan_year_end"], name="catalogue_xwk_key")]

    def __str__(self) -> str:
        return f"{self.plan_id} after {self.plan_year_end}: {self.reason} {self.successor_plan_id}".strip()


class RatingArea(models.Model):
    state = models.CharField(max_length=2, db_index=True)
    rating_area_id = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    basis = models.CharField(max_length=6)
    eff_date = models.DateField()
    exp_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rating_area_id", "eff_date"], name="catalogue_area_key")
        ]

    def __str__(self) -> str:
        return f"{self.rating_area_id} from {self.eff_date}"


class GeoPlace(models.Model):
    """A GEO row: a county, ZIP3 or ZIP5 (per county) mapped to its rating and service areas."""

    state = models.CharField(max_length=2, db_index=True)
    geo_type = models.CharField(max_length=6)
    geo_value = models.CharField(max_length=5)
    county_fips = models.CharField(max_length=5)
    rating_area_id = models.CharField(max_length=40)
    service_area_id = models.CharField(max_length=40)
    partial_county = models.BooleanField()
    eff_date = models.DateField()
    exp_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["geo_type", "geo_value", "county_fips", "eff_date"], name="catalogue_geo_key"
            )
        ]
        indexes = [models.Index(fields=["geo_value", "geo_type"])]

    def __str__(self) -> str:
        return f"{self.geo_type} {self.geo_value} {self.county_fips}"


class AgeRate(models.Model):
    state = models.CharField(max_length=2)
    plan_id = models.CharField(max_length=14)
    rating_area_id = models.CharField(max_length=40)
    rate_eff_date = models.DateField()
    rate_exp_date = models.DateField()
    age_band = models.CharField(max_length=4)
    rate = models.DecimalField(max_digits=11, decimal_places=2)
    tobacco_rate = models.DecimalField(max_digits=11, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan_id", "rating_area_id", "rate_eff_date", "age_band"], name="catalogue_ara_key"
            )
        ]
        indexes = [models.Index(fields=["rating_area_id", "rate_eff_date"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.rating_area_id} {self.age_band} {self.rate_eff_date}"


class TierRate(models.Model):
    state = models.CharField(max_length=2)
    plan_id = models.CharField(max_length=14)
    rating_area_id = models.CharField(max_length=40)  # "*" = the whole state
    rate_eff_date = models.DateField()
    rate_exp_date = models.DateField()
    tier = models.CharField(max_length=3)  # EMP, ESP, ECH, FAM
    rate = models.DecimalField(max_digits=11, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan_id", "rating_area_id", "rate_eff_date", "tier"], name="catalogue_tra_key"
            )
        ]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.rating_area_id} {self.tier} {self.rate_eff_date}"


class Factor(models.Model):
    state = models.CharField(max_length=2)
    scope = models.CharField(max_length=5)
    scope_id = models.CharField(max_length=14)
    factor_type = models.CharField(max_length=40)
    key = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=9, decimal_places=4)
    eff_date = models.DateField()
    exp_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "scope_id", "factor_type", "key", "eff_date"], name="catalogue_fac_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.scope_id} {self.factor_type} {self.key}"


class Quote(models.Model):
    """A saved quote for a prospective employer. ``contributions``: {line: {basis, employee, dependents}}."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="quotes")
    broker = models.ForeignKey("agencies.Broker", on_delete=models.PROTECT, related_name="quotes")
    employer_name = models.CharField(max_length=200)
    zip5 = models.CharField(max_length=5)
    county_fips = models.CharField(max_length=5)
    effective_date = models.DateField()
    composite = models.BooleanField(default=False)
    contributions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.employer_name} {self.effective_date}"


class QuoteCensusRow(models.Model):
    """One person of a quote's census; the tiers (EMP/ESP/ECH/FAM/WAIVE) only on subscribers:
    ``coverage_tier`` is the tier of every line whose own tier (``medical_tier``, …) is empty."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="census_rows")
    position = models.PositiveIntegerField(default=0)
    member_ref = models.CharField(max_length=30)
    subscriber_ref = models.CharField(max_length=30)
    relationship = models.CharField(max_length=20)
    date_of_birth = EncryptedDateField()
    tobacco_use = models.BooleanField(null=True, blank=True)
    coverage_tier = models.CharField(max_length=5, blank=True)
    medical_tier = models.CharField(max_length=5, blank=True)
    dental_tier = models.CharField(max_length=5, blank=True)
    vision_tier = models.CharField(max_length=5, blank=True)
    waiver_reason = models.CharField(max_length=30, blank=True)  # why the lines waived are waived

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.member_ref} ({self.relationship})"


class QuoteScenario(models.Model):
    """One of up to three contribution scenarios of a quote (``catalogue.scenarios``).

    ``contributions``: {line: {basis, employee, dependents}}; ``plan_ids``: {line: [planId, …]}, the plans
    the scenario would offer (a line with none is not offered). Scenario 1's contributions are also the
    quote's ``contributions`` (what "Start a group from this quote" takes).
    """

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="scenarios")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    contributions = models.JSONField(default=dict)
    plan_ids = models.JSONField(default=dict)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="catalogue_quote_scenario_key"),
            models.CheckConstraint(
                condition=models.Q(position__gte=1, position__lte=3), name="catalogue_quote_scenario_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote} scenario {self.position}: {self.name}"
