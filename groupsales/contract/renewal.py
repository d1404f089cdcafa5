"""api.md 1.1, *Renewal*: the bodies of ``GET /groups/{id}/renewal``, ``GET /groups/{id}/renewals`` and
``POST /groups/{id}/renewal-decisions``, as pydantic models shared by both ends (see ``models``).

The portal's client validates the decision it sends and parses the renewal it reads with them; the
sandbox validates a decision with ``RenewalDecisionRequest`` (``wire``) and the OpenAPI document
describes all of them (``operations``). The decision's business rules (REN-001 to REN-005) are
``groupsales.rules.renewal``'s, not the schema's: a signature with a bad e-mail is a ``422 REN-002``,
not a ``SCHEMA`` problem.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field

from groupsales.codes import Line, RatingOption, RenewalStatus, Tier

from .base import ApiModel, Money, Timestamp
from .models import Contribution, ProblemError

__all__ = [
    "CrosswalkReason",
    "EmployerSignature",
    "NonRenewal",
    "NonRenewalReason",
    "PlanMapping",
    "PlanYear",
    "Renewal",
    "RenewalDecision",
    "RenewalDecisionKind",
    "RenewalDecisionRequest",
    "RenewalDecisionResult",
    "RenewalLine",
    "RenewalMember",
    "RenewalOffer",
    "RenewalOffering",
    "RenewalPlan",
    "RenewalStatus",
    "RenewalSummary",
    "RenewalTotals",
]


class RenewalDecisionKind(StrEnum):
    RENEW_AS_OFFERED = "RENEW_AS_OFFERED"
    RENEW_WITH_CHANGES = "RENEW_WITH_CHANGES"
    DO_NOT_RENEW = "DO_NOT_RENEW"


class CrosswalkReason(StrEnum):
    """etss-rate-file.md, XWK ``REASON``."""

    SAME_PLAN = "SAME_PLAN"
    MAPPED = "MAPPED"
    DISCONTINUED = "DISCONTINUED"


class NonRenewalReason(StrEnum):
    EMPLOYER_DECLINED = "EMPLOYER_DECLINED"
    NO_RENEWABLE_PLAN = "NO_RENEWABLE_PLAN"
    NON_PAYMENT = "NON_PAYMENT"
    FRAUD = "FRAUD"
    PARTICIPATION_OR_CONTRIBUTION = "PARTICIPATION_OR_CONTRIBUTION"
    MARKET_EXIT = "MARKET_EXIT"
    PRODUCT_DISCONTINUED = "PRODUCT_DISCONTINUED"
    OUTSIDE_SERVICE_AREA = "OUTSIDE_SERVICE_AREA"


# --------------------------------------------------------------------------- the decision (request)


class EmployerSignature(ApiModel):
    """REN-002 checks the values (a valid e-mail, ``signedAt`` at most 30 days old, ``ELECTRONIC``)."""

    signed_by: str
    title: str
    email: str
    signed_at: Timestamp
    method: str


class PlanMapping(ApiModel):
    """Sends a current plan's members to a plan the decision keeps (REN-004)."""

    from_plan_id: str
    to_plan_id: str


class RenewalOffering(ApiModel):
    """One line of a ``RENEW_WITH_CHANGES`` decision, and of ``renewalOfferings`` once accepted."""

    omit_when_none = frozenset({"rating_option"})

    line: Line
    plan_ids: list[str]
    rating_option: RatingOption | None = None  # medical only; AGE when left out
    contribution: Contribution
    plan_mappings: list[PlanMapping] = Field(default_factory=list)


class RenewalDecisionRequest(ApiModel):
    """``POST /groups/{id}/renewal-decisions``: the employer's signed decision."""

    omit_when_none = frozenset({"offerings"})

    renewal_date: date
    decision: RenewalDecisionKind
    offerings: list[RenewalOffering] | None = None  # only with RENEW_WITH_CHANGES
    document_sha256: str
    employer_signature: EmployerSignature


class RenewalDecisionResult(ApiModel):
    """``201`` of ``POST /groups/{id}/renewal-decisions``."""

    decision_id: str
    renewal_date: date
    decision: RenewalDecisionKind
    source: Literal["EMPLOYER", "PASSIVE"]
    decided_at: Timestamp
    renewal_status: RenewalStatus
    renewal_monthly_premium: Money | None = None
    employer_monthly_contribution: Money | None = None
    warnings: list[ProblemError] = Field(default_factory=list)


# --------------------------------------------------------------------------- the renewal (answers)


class PlanYear(ApiModel):
    start: date
    end: date


class RenewalMember(ApiModel):
    """A continuing member priced on the current and the renewal plan: age-rated lines carry its age on
    R, tier-rated and composite lines list subscribers with their tier."""

    member_ref: str
    age_on_renewal_date: int | None = None
    coverage_tier: Tier | None = None
    current_monthly_premium: Money
    renewal_monthly_premium: Money


class RenewalPlan(ApiModel):
    current_plan_id: str
    successor_plan_id: str | None = None
    crosswalk_reason: CrosswalkReason
    renewal_plan_id: str | None = None  # null: no renewal plan (REN-006)
    rating_method: Literal["AGE", "COMPOSITE", "TIER"]
    members: list[RenewalMember] = Field(default_factory=list)
    current_tier_rates: dict[Tier, Money] | None = None
    renewal_tier_rates: dict[Tier, Money] | None = None
    current_monthly_premium: Money
    renewal_monthly_premium: Money
    change_amount: Money
    change_percent: Money | None = None  # null when the current premium is 0


class RenewalLine(ApiModel):
    line: Line
    rating_option: RatingOption | None = None
    plans: list[RenewalPlan]
    current_monthly_premium: Money
    renewal_monthly_premium: Money
    current_employer_contribution: Money
    renewal_employer_contribution: Money


class RenewalTotals(ApiModel):
    current_monthly_premium: Money
    renewal_monthly_premium: Money
    change_amount: Money
    change_percent: Money | None = None
    current_employer_contribution: Money
    renewal_employer_contribution: Money


class RenewalOffer(ApiModel):
    offered_at: Timestamp
    lines: list[RenewalLine]
    totals: RenewalTotals


class RenewalDecision(ApiModel):
    decision_id: str | None = None
    decision: RenewalDecisionKind
    source: Literal["EMPLOYER", "PASSIVE"]
    decided_at: Timestamp


class NonRenewal(ApiModel):
    reason: NonRenewalReason | str  # a carrier reason this client does not know is shown as it is
    coverage_ends: date


class Renewal(ApiModel):
    """``GET /groups/{id}/renewal``: the current renewal, priced on each read."""

    group_id: str
    renewal_date: date
    status: RenewalStatus | str
    plan_year: PlanYear
    offer_date: date
    decision_deadline: date
    enrollment_cutoff: date
    rating_area_id: str | None = None
    as_of: date
    offer: RenewalOffer | None = None
    decision: RenewalDecision | None = None
    renewal_offerings: list[RenewalOffering] | None = None
    non_renewal: NonRenewal | None = None
    warnings: list[ProblemError] = Field(default_factory=list)


class RenewalSummary(ApiModel):
    """An item of ``GET /groups/{id}/renewals`` (newest first)."""

    renewal_date: date
    status: RenewalStatus | str
    offer_date: date
    decision_deadline: date
    decision: RenewalDecision | None = None
    non_renewal: NonRenewal | None = None
    updated_at: Timestamp
