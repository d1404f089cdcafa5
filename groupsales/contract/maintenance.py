"""api.md *Maintenance* (1.1): member validations with an ``event``, the computed ``change`` block, the
1.1 fields of the validation list and the file status, and the roster ``GET /groups/{groupId}/members``.

Written as the 1.0 models plus what 1.1 adds (api.md: 1.1 only adds optional request fields and answer
fields), so a 1.0 body reads and writes as before. The code lists are ``groupsales.change_events``'.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from groupsales.change_events import ChangeAction, ChangeStatus, EventType, RosterStatus
from groupsales.codes import Gender, Line, Relationship, Tier, WaiverReason

from .base import ApiModel, Timestamp
from .models import (
    BatchItemResult,
    BatchValidationRequest,
    EnrollmentFileStatus,
    FileMemberResult,
    MemberValidationRequest,
    MemberValidationResult,
    MemberValidationSummary,
    Page,
    PageQuery,
)

FileKind = Literal["NEW_BUSINESS", "CHANGE", "RENEWAL"]
#: api.md: a roster ``endReason`` is the event type that ended it or one of these.
EndReason = EventType | Literal["GROUP_TERMINATED", "LINE_NOT_RENEWED", "PLAN_DISCONTINUED"]


class ChangeEvent(ApiModel):
    """A validation's ``event``: why (``type``), what happens to this member (``action``), and when."""

    type: EventType
    action: ChangeAction
    date: date


class ChangeValidationRequest(MemberValidationRequest):
    """``POST /groups/{id}/member-validations`` (1.1): the member as it is after the change, plus ``event``
    (optional: without it, a 1.0 validation)."""

    omit_when_none = MemberValidationRequest.omit_when_none | {"event"}

    event: ChangeEvent | None = None


class ChangeBatchRequest(BatchValidationRequest):
    """``POST /groups/{id}/member-validations/batch`` (1.1): bodies may carry an ``event``."""

    # The subclass narrows the field (pydantic validates 1.1 bodies); mypy sees a mutable list override.
    members: list[ChangeValidationRequest] = Field(min_length=1, max_length=200)  # type: ignore[assignment]


class ChangeBlock(ApiModel):
    """The dates and codes the carrier computes for a validation with an ``event``."""

    type: EventType
    action: ChangeAction
    event_date: date
    request_date: date
    effective_date: date
    coverage_end: date | None = None
    send_by: date
    maintenance_type_code: str  # INS03
    maintenance_reason_code: str  # INS04


class ChangeValidationResult(MemberValidationResult):
    """``200`` of a member validation (1.1: ``change`` when it carries an ``event``)."""

    change: ChangeBlock | None = None


class ChangeBatchItemResult(BatchItemResult):
    change: ChangeBlock | None = None


class ChangeBatchResult(ApiModel):
    results: list[ChangeBatchItemResult]


class ChangeValidationSummary(MemberValidationSummary):
    """An item of ``GET /groups/{id}/member-validations`` (1.1: the event and its change's state)."""

    event: ChangeEvent | None = None
    change_status: ChangeStatus | None = None
    effective_date: date | None = None


class ChangeFileMemberResult(FileMemberResult):
    """A member entry of a file's status (1.1: the action and the validation's dates)."""

    action: ChangeAction | None = None
    effective_date: date | None = None
    coverage_end: date | None = None


class ChangeFileStatus(EnrollmentFileStatus):
    """``GET /groups/{id}/enrollment-files/{fileId}`` (1.1: ``kind`` and the members' actions and dates)."""

    kind: FileKind | None = None
    # Narrowed as in ChangeBatchRequest: every member of a 1.1 status carries its action and dates.
    members: list[ChangeFileMemberResult] = Field(default_factory=list)  # type: ignore[assignment]


# --------------------------------------------------------------------------- the roster


class RosterLine(ApiModel):
    line: Line
    plan_id: str
    coverage_tier: Tier
    start: date
    end: date | None = None
    end_reason: EndReason | None = None
    monthly_premium: str | None = None


class RosterWaiver(ApiModel):
    line: Line
    waiver_reason: WaiverReason


class RosterLastChange(ApiModel):
    file_id: str | None = None
    action: ChangeAction
    event_type: EventType | None = None
    effective_date: date


class RosterMember(ApiModel):
    """One member of ``GET /groups/{id}/members``: the carrier's view (upper-case names, no SSN)."""

    member_ref: str
    subscriber_ref: str
    relationship: Relationship
    humana_member_id: str | None = None
    first_name: str
    middle_name: str | None = None
    last_name: str
    suffix: str | None = None
    date_of_birth: date
    gender: Gender
    status: RosterStatus
    benefit_status: Literal["ACTIVE", "CONTINUATION"] = "ACTIVE"
    coverage_start: date
    coverage_end: date | None = None
    end_reason: EndReason | None = None
    coverage: list[RosterLine] = Field(default_factory=list)
    waivers: list[RosterWaiver] = Field(default_factory=list)
    last_change: RosterLastChange | None = None
    updated_at: Timestamp | None = None


class RosterPage(Page[RosterMember]):
    """The roster's page: a list page plus the ``asOf`` it was read on."""

    as_of: date


class RosterQuery(PageQuery):
    """The filters of ``GET /groups/{id}/members`` (``asOf`` at most the current renewal date)."""

    as_of: date | SkipJsonSchema[None] = None
    status: RosterStatus | SkipJsonSchema[None] = None
    subscriber_ref: str | SkipJsonSchema[None] = None
