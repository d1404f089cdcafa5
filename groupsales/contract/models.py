"""Every request and response body of api.md (and the query parameters of its lists).

Attributes are snake_case, JSON keys camelCase; dates are ``date``, timestamps ``Timestamp`` (a
``datetime``), money ``Money`` (``base``). A model's docstring says which call it is; it becomes the
schema's description in the OpenAPI document (``operations``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from groupsales.codes import (
    FINAL_FILE_STATUSES,
    ContributionBasis,
    EmploymentStatus,
    EntityType,
    FileStatus,
    Gender,
    GroupStatus,
    Line,
    MaritalStatus,
    MemberEnrollmentStatus,
    RatingOption,
    Relationship,
    RenewalStatus,
    Tier,
    WaitingPeriod,
    WaiverReason,
)

from .base import ApiModel, MemberRef, Money, Timestamp

# --------------------------------------------------------------------------- problems


class ProblemError(BaseModel):
    """One error object of a problem+json body, or of a batch result."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    code: str
    pointer: str = ""
    message: str = ""
    severity: str = "error"
    member_ref: str | None = None
    # FIL-002: the earlier file that used the interchange control number.
    file_id: str | None = Field(default=None, validation_alias=AliasChoices("fileId", "file_id"))

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


class Problem(ApiModel):
    """``application/problem+json``: every error answer."""

    type: str = "about:blank"
    title: str = ""
    status: int | None = None
    correlation_id: str | None = None
    errors: list[ProblemError] = Field(default_factory=list)


# --------------------------------------------------------------------------- shared pieces


class Address(ApiModel):
    line1: str
    line2: str | None = None
    city: str
    state: str
    zip5: str
    zip4: str | None = None
    county_fips: str


class Employer(ApiModel):
    legal_name: str
    dba_name: str | None = None
    fein: str
    sic_code: str
    entity_type: EntityType
    established_date: date
    address: Address
    phone: str


class Contact(ApiModel):
    first_name: str
    last_name: str
    email: str
    phone: str


class WritingAgent(ApiModel):
    npn: str
    first_name: str
    last_name: str
    email: str


class Workforce(ApiModel):
    total_employees: int
    eligible_employees: int


class Eligibility(ApiModel):
    minimum_hours_per_week: int
    waiting_period: WaitingPeriod


class Contribution(ApiModel):
    basis: ContributionBasis
    employee: Money
    dependents: Money


class Offering(ApiModel):
    omit_when_none = frozenset({"rating_option"})

    line: Line
    plan_ids: list[str]
    rating_option: RatingOption | None = None  # medical only; AGE when left out
    contribution: Contribution


class Attestation(ApiModel):
    signed_by: str
    title: str
    signed_at: Timestamp


class CensusDependent(ApiModel):
    omit_when_none = frozenset({"gender", "disabled"})

    relationship: Relationship
    date_of_birth: date
    tobacco_use: bool
    gender: Gender | None = None
    disabled: bool | None = None


class CensusRow(ApiModel):
    member_ref: MemberRef
    date_of_birth: date
    gender: Gender
    zip5: str
    tobacco_use: bool
    is_owner: bool
    is_owner_spouse: bool
    coverage_tier: Tier | Literal["WAIVE"]
    dependents: list[CensusDependent] = Field(default_factory=list)


# --------------------------------------------------------------------------- group enrollment


class CreateGroupRequest(ApiModel):
    """``POST /groups``."""

    employer: Employer
    contact: Contact
    writing_agent: WritingAgent
    requested_effective_date: date
    workforce: Workforce
    eligibility: Eligibility
    offerings: list[Offering]
    small_employer_attestation: Attestation | None = None
    # 1.1: the signed Employer Group Application. An object the carrier checks as GRP-015 (not SCHEMA):
    # documentSha256, employerSignature, agentSignature (api.md "POST /groups").
    employer_group_application: dict[str, Any] | None = None
    census: list[CensusRow]


def _partial(model: type[ApiModel], name: str) -> type[ApiModel]:
    """The same model with every field optional, nested objects partial too (JSON merge patch)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, ApiModel):
            annotation = _partial(annotation, f"{annotation.__name__}Patch")
        fields[field_name] = (annotation | None, None)
    return create_model(name, __base__=ApiModel, __module__=__name__, **fields)


#: ``PATCH /groups/{id}``: any part of the create body; only the keys given are sent (merge patch),
#: an explicit ``None`` is sent as ``null`` (which removes a nullable value). Lists replace whole.
PatchGroupRequest = _partial(CreateGroupRequest, "PatchGroupRequest")


class EstimatedRate(ApiModel):
    plan_id: str
    line: Line
    estimated_monthly_premium: Money


class CreatedGroup(ApiModel):
    """``201`` of ``POST /groups``."""

    group_id: str
    status: GroupStatus
    rating_area_id: str
    created_at: Timestamp
    estimated_rates: list[EstimatedRate] = Field(default_factory=list)


class StatusChange(ApiModel):
    status: GroupStatus
    at: Timestamp


class LineParticipation(ApiModel):
    line: Line
    eligible: int
    enrolled: int
    valid_waivers: int
    percent: Money


class MemberRate(ApiModel):
    member_ref: str
    age: int
    monthly_premium: Money


class FinalRate(ApiModel):
    plan_id: str
    line: Line
    rating_method: Literal["AGE", "COMPOSITE", "TIER"]
    members: list[MemberRate] | None = None
    tier_rates: dict[Tier, Money] | None = None
    total_monthly_premium: Money
    employer_monthly_contribution: Money


class FinalizedGroup(ApiModel):
    """``200`` of ``POST /groups/{id}/finalize``."""

    group_id: str
    status: GroupStatus
    finalized_at: Timestamp
    participation: list[LineParticipation]
    final_rates: list[FinalRate]
    total_monthly_premium: Money
    employer_monthly_contribution: Money
    warnings: list[ProblemError] = Field(default_factory=list)  # 1.1: e.g. GRP-015 before its cutover


class GroupDetail(ApiModel):
    """``GET /groups/{id}`` (and the answer to PATCH): the group as created plus its state."""

    group_id: str | None = None
    status: GroupStatus
    status_history: list[StatusChange] = Field(default_factory=list)
    rating_area_id: str | None = None
    created_at: Timestamp
    employer: Employer
    contact: Contact
    writing_agent: WritingAgent
    requested_effective_date: date
    workforce: Workforce
    eligibility: Eligibility
    offerings: list[Offering]
    small_employer_attestation: Attestation | None = None
    census: list[CensusRow] = Field(default_factory=list)
    # 1.1: the last create or PATCH that changed application data, and the signed application as stored
    # (with ``receivedAt`` and ``stale``), GRP-015.
    application_changed_at: Timestamp | None = None
    employer_group_application: dict[str, Any] | None = None
    finalized_at: Timestamp | None = None
    participation: list[LineParticipation] | None = None
    final_rates: list[FinalRate] | None = None
    total_monthly_premium: Money | None = None
    employer_monthly_contribution: Money | None = None


# --------------------------------------------------------------------------- member enrollment


class CoverageElection(ApiModel):
    """An election (``planId`` + ``coverageTier``), a waiver (``waived`` + ``waiverReason``) or, for a
    dependent, just the ``line``. Keys not given are left out of the body."""

    omit_when_none = frozenset({"plan_id", "coverage_tier", "waived", "waiver_reason"})

    line: Line
    plan_id: str | None = None
    coverage_tier: Tier | None = None
    waived: bool | None = None
    waiver_reason: WaiverReason | None = None


class Employment(ApiModel):
    hire_date: date
    hours_per_week: int
    status: EmploymentStatus


class MemberValidationRequest(ApiModel):
    """``POST /groups/{id}/member-validations``: one covered life."""

    # Subscriber-only keys are left out for a dependent rather than sent as null.
    omit_when_none = frozenset({"marital_status", "is_owner", "is_owner_spouse", "address", "employment"})

    member_ref: MemberRef
    subscriber_ref: MemberRef
    relationship: Relationship
    first_name: str
    middle_name: str | None = None
    last_name: str
    suffix: str | None = None
    ssn: str | None  # null only for a dependent under 1
    date_of_birth: date
    gender: Gender
    marital_status: MaritalStatus | None = None
    tobacco_use: bool | None = None
    disabled: bool = False
    is_owner: bool | None = None
    is_owner_spouse: bool | None = None
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    employment: Employment | None = None
    coverage: list[CoverageElection]


class BatchValidationRequest(ApiModel):
    """``POST /groups/{id}/member-validations/batch`` (at most 200 members)."""

    members: list[MemberValidationRequest] = Field(min_length=1, max_length=200)


class MemberValidationResult(ApiModel):
    validation_id: str
    member_ref: str
    valid: bool
    validated_at: Timestamp
    warnings: list[ProblemError] = Field(default_factory=list)


class BatchItemResult(ApiModel):
    member_ref: str | None = None
    valid: bool
    validation_id: str | None = None
    validated_at: Timestamp | None = None
    warnings: list[ProblemError] = Field(default_factory=list)
    errors: list[ProblemError] = Field(default_factory=list)


class BatchValidationResult(ApiModel):
    results: list[BatchItemResult]

    @property
    def invalid(self) -> list[BatchItemResult]:
        return [r for r in self.results if not r.valid]


class MemberValidationSummary(ApiModel):
    member_ref: str
    subscriber_ref: str
    relationship: Relationship
    valid: bool
    validated_at: Timestamp | None = None
    status: MemberEnrollmentStatus
    humana_member_id: str | None = None


class FileReceipt(ApiModel):
    """``202`` of ``POST /groups/{id}/enrollment-files``."""

    file_id: str
    status: FileStatus
    received_at: Timestamp
    interchange_control_number: str
    location: SkipJsonSchema[str | None] = None  # the Location header, set by the client


class FileError(ApiModel):
    code: str
    message: str = ""
    segment: str | None = None
    line: int | None = None
    member_ref: str | None = None


class FileSummary(ApiModel):
    members: int
    accepted: int
    rejected: int


class FileMemberResult(ApiModel):
    member_ref: str | None = None
    relationship: Relationship | None = None
    status: MemberEnrollmentStatus
    humana_member_id: str | None = None
    errors: list[FileError] = Field(default_factory=list)


class EnrollmentFileStatus(ApiModel):
    file_id: str
    status: FileStatus
    received_at: Timestamp
    completed_at: Timestamp | None = None
    interchange_control_number: str
    errors: list[FileError] = Field(default_factory=list)
    summary: FileSummary | None = None
    members: list[FileMemberResult] = Field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_FILE_STATUSES


# --------------------------------------------------------------------------- book of business


class AgentGroup(ApiModel):
    group_id: str
    employer_name: str
    status: GroupStatus
    requested_effective_date: date
    situs_state: str
    lines: list[Line]
    subscribers_enrolled: int
    total_monthly_premium: Money | None = None
    updated_at: Timestamp
    # 1.1: the current renewal (null before ENROLLED) and the end of coverage (null unless it ends)
    renewal_date: date | None = None
    renewal_status: RenewalStatus | None = None
    coverage_end_date: date | None = None


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    """A page of a list (api.md, "Paging")."""

    items: list[T]
    page: int
    page_size: int
    total_items: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total_items


# --------------------------------------------------------------------------- empty bodies, query parameters


class FinalizeRequest(ApiModel):
    """``POST /groups/{id}/finalize``: an empty body (``{}``)."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(ApiModel):
    """``?page=1&pageSize=50`` (pageSize 1 to 200, else 400)."""

    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


class AgentGroupsQuery(PageQuery):
    """The filters of ``GET /agents/{npn}/groups`` (a filter left out is no filter; none is null)."""

    status: GroupStatus | SkipJsonSchema[None] = None
    effective_from: date | SkipJsonSchema[None] = None
    effective_to: date | SkipJsonSchema[None] = None
    renewal_status: RenewalStatus | SkipJsonSchema[None] = None  # 1.1
    renewal_from: date | SkipJsonSchema[None] = None
    renewal_to: date | SkipJsonSchema[None] = None
