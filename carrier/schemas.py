"""Pydantic v2 models of every request and response body of api.md.

Attributes are snake_case, JSON keys camelCase (``alias_generator=to_camel``, ``populate_by_name``).
Money is a ``Decimal`` read from a string with at most two decimals (never a float) and written back
as a two-decimal string; dates are ``date``, timestamps aware ``datetime``.

Requests: ``request_body(Model, data)`` validates a dict (or a model) and gives the JSON body to send;
unknown keys are dropped, so nothing the portal keeps for itself reaches the carrier, and a dict that
does not fit raises ``InvalidCarrierRequest`` (a permanent error, and a ``ValueError``) before any call.
Responses: ``parse_response(Model, data, ...)`` raises ``CarrierResponseError`` naming the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    create_model,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from groupsales.codes import (
    MEMBER_REF_PATTERN,
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
    Tier,
    WaitingPeriod,
    WaiverReason,
)

from .errors import CarrierPermanentError, CarrierResponseError, ProblemError

CENT = Decimal("0.01")
_MONEY_TEXT = re.compile(r"^-?\d+(\.\d{1,2})?$")


def _to_money(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError('money must be a string with two decimals (e.g. "412.50"), not a float')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if not _MONEY_TEXT.match(value.strip()):
            raise ValueError(f"{value!r} is not an amount with at most two decimals")
        return Decimal(value.strip())
    if isinstance(value, Decimal):
        try:
            if not value.is_finite() or value != value.quantize(CENT):
                raise ValueError(f"{value} is not an amount with at most two decimals")
        except InvalidOperation as exc:
            raise ValueError(f"{value} is not an amount") from exc
        return value
    raise ValueError("money must be a string with two decimals")


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


Money = Annotated[Decimal, BeforeValidator(_to_money), PlainSerializer(_money_text, return_type=str)]
MemberRef = Annotated[str, Field(pattern=MEMBER_REF_PATTERN)]


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown keys ignored (api.md: "Unknown fields")."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    # Optional keys left out of the body when None (instead of sent as null).
    omit_when_none: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _leave_out_nones(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if self.omit_when_none and isinstance(data, dict):
            for name in self.omit_when_none:
                key = to_camel(name) if info.by_alias else name
                if key in data and data[key] is None:
                    del data[key]
        return data


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
    signed_at: datetime


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
    census: list[CensusRow]


def _partial(model: type[ApiModel], name: str) -> type[ApiModel]:
    """The same model with every field optional, nested objects partial too (JSON merge patch)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
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
    created_at: datetime
    estimated_rates: list[EstimatedRate] = Field(default_factory=list)


class StatusChange(ApiModel):
    status: GroupStatus
    at: datetime


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
    finalized_at: datetime
    participation: list[LineParticipation]
    final_rates: list[FinalRate]
    total_monthly_premium: Money
    employer_monthly_contribution: Money


class GroupDetail(ApiModel):
    """``GET /groups/{id}`` (and the answer to PATCH): the group as created plus its state."""

    group_id: str | None = None
    status: GroupStatus
    status_history: list[StatusChange] = Field(default_factory=list)
    rating_area_id: str | None = None
    created_at: datetime
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
    application_changed_at: datetime | None = None
    employer_group_application: dict[str, Any] | None = None
    finalized_at: datetime | None = None
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
    validated_at: datetime
    warnings: list[ProblemError] = Field(default_factory=list)


class BatchItemResult(ApiModel):
    member_ref: str | None = None
    valid: bool
    validation_id: str | None = None
    validated_at: datetime | None = None
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
    validated_at: datetime | None = None
    status: MemberEnrollmentStatus
    humana_member_id: str | None = None


class FileReceipt(ApiModel):
    """``202`` of ``POST /groups/{id}/enrollment-files``."""

    file_id: str
    status: FileStatus
    received_at: datetime
    interchange_control_number: str
    location: str | None = None  # the Location header, set by the client


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
    received_at: datetime
    completed_at: datetime | None = None
    interchange_control_number: str
    errors: list[FileError] = Field(default_factory=list)
    summary: FileSummary | None = None
    members: list[FileMemberResult] = Field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.status in {FileStatus.ACCEPTED, FileStatus.ACCEPTED_WITH_ERRORS, FileStatus.REJECTED}


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
    updated_at: datetime


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total_items: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total_items


class Problem(ApiModel):
    """``application/problem+json``."""

    type: str = "about:blank"
    title: str = ""
    status: int | None = None
    correlation_id: str | None = None
    errors: list[ProblemError] = Field(default_factory=list)


# --------------------------------------------------------------------------- helpers


class InvalidCarrierRequest(CarrierPermanentError, ValueError):
    """A request body that does not fit api.md; caught in the portal, never sent.

    A permanent error (the same body is refused every time; only a corrected one can go), so a task
    that catches ``CarrierPermanentError`` ends instead of retrying. Still a ``ValueError`` for callers
    that check for one. ``errors`` are ``ProblemError``s with code ``SCHEMA`` and a JSON Pointer, like
    the carrier's own; ``status`` is None (nothing was sent).
    """

    default_code = "SCHEMA"

    def __init__(self, model_name: str, errors: list[ProblemError]) -> None:
        detail = "; ".join(f"{e.pointer or '/'}: {e.message}" for e in errors)
        super().__init__(f"{model_name} does not fit api.md: {detail}", errors=errors)

    def __str__(self) -> str:
        return self.message


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "".join(f"/{part}" for part in loc)


def _problems(exc: ValidationError) -> list[ProblemError]:
    return [
        ProblemError(code="SCHEMA", pointer=_pointer(err["loc"]), message=err["msg"]) for err in exc.errors()
    ]


M = TypeVar("M", bound=BaseModel)


def request_model(model: type[M], data: dict[str, Any] | BaseModel) -> M:
    """Validate a request given as a dict (snake_case or camelCase keys) or as a model."""
    if isinstance(data, BaseModel):
        data = data.model_dump(by_alias=True, exclude_unset=True)
    if not isinstance(data, dict):
        raise InvalidCarrierRequest(model.__name__, [ProblemError(code="SCHEMA", message="not an object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidCarrierRequest(model.__name__, _problems(exc)) from None


def request_body(
    model: type[M], data: dict[str, Any] | BaseModel, *, partial: bool = False
) -> dict[str, Any]:
    """The JSON body to send: validated, unknown keys dropped, camelCase, money as strings.

    ``partial`` (merge patch): only the keys that were given, nested too.
    """
    return request_model(model, data).model_dump(mode="json", by_alias=True, exclude_unset=partial)


def parse_response(
    model: type[M], data: Any, *, what: str, correlation_id: str = "", status: int | None = None
) -> M:
    """Validate a decoded response body; a body that does not fit is a ``CarrierResponseError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise CarrierResponseError(
            f"the answer to {what} does not fit {model.__name__}: {fields}",
            status=status,
            correlation_id=correlation_id,
        ) from None
