"""The typed client of the carrier's Group Sales API (api.md), used by every portal task: one method
per endpoint, on :class:`carrier.transport.CarrierTransport` (timeouts, correlation IDs, idempotency
keys, retries, the ``ApiCall`` records and the typed errors).

Requests may be dicts (snake_case or camelCase keys): they are validated with the models of
``groupsales.contract`` (``carrier.schemas``) and an unfit one raises ``InvalidCarrierRequest``
(``ValueError``) before any call. Answers are validated: one that does not fit api.md raises
``CarrierResponseError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from pydantic import BaseModel

from groupsales.contract.maintenance import (
    ChangeFileStatus,
    ChangeValidationRequest,
    ChangeValidationResult,
    RosterMember,
    RosterPage,
)
from groupsales.contract.models import (
    AgentGroup,
    BatchValidationRequest,
    BatchValidationResult,
    CreatedGroup,
    CreateGroupRequest,
    EnrollmentFileStatus,
    FileReceipt,
    FinalizedGroup,
    GroupDetail,
    MemberValidationRequest,
    MemberValidationResult,
    MemberValidationSummary,
    Page,
    PatchGroupRequest,
)
from groupsales.contract.renewal import Renewal, RenewalDecisionRequest, RenewalDecisionResult, RenewalSummary

from .schemas import request_body
from .transport import JSON, CarrierTransport, M

MERGE_PATCH = "application/merge-patch+json"
X12 = "application/edi-x12"
MAX_FILE_BYTES = 5 * 1024 * 1024  # api.md: at most 5 MB
MAX_PAGE_SIZE = 200


class GroupSalesClient(CarrierTransport):
    """One partner's connection to the Group Sales API. Not shared between threads."""

    # ------------------------------------------------------------------ book of business

    def list_agent_groups(
        self,
        npn: str,
        *,
        status: str | None = None,
        effective_from: date | str | None = None,
        effective_to: date | str | None = None,
        renewal_status: str | None = None,
        renewal_from: date | str | None = None,
        renewal_to: date | str | None = None,
        page: int = 1,
        page_size: int = 200,
        subject: str = "",
    ) -> Page[AgentGroup]:
        params = _page_params(page, page_size)
        if status:
            params["status"] = str(status)
        if effective_from:
            params["effectiveFrom"] = _iso(effective_from)
        if effective_to:
            params["effectiveTo"] = _iso(effective_to)
        if renewal_status:  # 1.1
            params["renewalStatus"] = str(renewal_status)
        if renewal_from:
            params["renewalFrom"] = _iso(renewal_from)
        if renewal_to:
            params["renewalTo"] = _iso(renewal_to)
        answer = self._call("GET", f"/agents/{_seg(npn)}/groups", params=params, subject=subject)
        return self._parse(Page[AgentGroup], answer)

    def iter_agent_groups(self, npn: str, **filters: Any) -> Iterator[AgentGroup]:
        """Every group of every page (``filters`` as ``list_agent_groups``)."""
        page = int(filters.pop("page", 1))
        while True:
            result = self.list_agent_groups(npn, page=page, **filters)
            yield from result.items
            if not result.items or not result.has_next:
                return
            page += 1

    # ------------------------------------------------------------------ groups

    def create_group(
        self, payload: dict | BaseModel, *, idempotency_key: str, subject: str = ""
    ) -> CreatedGroup:
        body = request_body(CreateGroupRequest, payload)
        answer = self._call(
            "POST", "/groups", json_body=body, idempotency_key=idempotency_key, subject=subject
        )
        return self._parse(CreatedGroup, answer)

    def get_group(self, group_id: str, *, subject: str = "") -> GroupDetail:
        answer = self._call("GET", f"/groups/{_seg(group_id)}", subject=subject)
        return self._parse(GroupDetail, answer, defaults={"groupId": str(group_id)})

    def patch_group(self, group_id: str, patch: dict | BaseModel, *, subject: str = "") -> GroupDetail:
        """JSON merge patch: only the keys given are sent; an explicit ``None`` removes a nullable value."""
        body = request_body(PatchGroupRequest, patch, partial=True)
        if not body:
            raise ValueError("an empty patch changes nothing")
        answer = self._call(
            "PATCH", f"/groups/{_seg(group_id)}", json_body=body, content_type=MERGE_PATCH, subject=subject
        )
        if not answer.response.content.strip():
            # api.md does not say what PATCH answers; with no body, read the group back.
            return self.get_group(group_id, subject=subject)
        return self._parse(GroupDetail, answer, defaults={"groupId": str(group_id)})

    def finalize_group(self, group_id: str, *, idempotency_key: str, subject: str = "") -> FinalizedGroup:
        answer = self._call(
            "POST",
            f"/groups/{_seg(group_id)}/finalize",
            json_body={},
            idempotency_key=idempotency_key,
            subject=subject,
        )
        return self._parse(FinalizedGroup, answer)

    # ------------------------------------------------------------------ members

    def validate_member(
        self, group_id: str, body: dict | BaseModel, *, idempotency_key: str, subject: str = ""
    ) -> MemberValidationResult:
        return self._validate(
            group_id,
            request_body(MemberValidationRequest, body),
            MemberValidationResult,
            idempotency_key=idempotency_key,
            subject=subject,
        )

    def _validate(
        self, group_id: str, payload: Any, result: type[M], *, idempotency_key: str, subject: str
    ) -> M:
        """POST member-validations: new business and a change after enrollment share the route."""
        answer = self._call(
            "POST",
            f"/groups/{_seg(group_id)}/member-validations",
            json_body=payload,
            idempotency_key=idempotency_key,
            subject=subject,
        )
        return self._parse(result, answer)

    def validate_members(
        self, group_id: str, bodies: list[dict | BaseModel], *, idempotency_key: str, subject: str = ""
    ) -> BatchValidationResult:
        """At most 200 members (api.md); results come in the order sent."""
        payload = request_body(BatchValidationRequest, {"members": list(bodies)})
        answer = self._call(
            "POST",
            f"/groups/{_seg(group_id)}/member-validations/batch",
            json_body=payload,
            idempotency_key=idempotency_key,
            subject=subject,
        )
        return self._parse(BatchValidationResult, answer)

    def list_member_validations(
        self, group_id: str, *, page: int = 1, page_size: int = 200, subject: str = ""
    ) -> Page[MemberValidationSummary]:
        answer = self._call(
            "GET",
            f"/groups/{_seg(group_id)}/member-validations",
            params=_page_params(page, page_size),
            subject=subject,
        )
        return self._parse(Page[MemberValidationSummary], answer)

    def iter_member_validations(
        self, group_id: str, *, page_size: int = 200
    ) -> Iterator[MemberValidationSummary]:
        page = 1
        while True:
            result = self.list_member_validations(group_id, page=page, page_size=page_size)
            yield from result.items
            if not result.items or not result.has_next:
                return
            page += 1

    def withdraw_member(self, group_id: str, member_ref: str, *, subject: str = "") -> None:
        """``DELETE``; a 404 after an attempt whose answer was lost means the first attempt did it."""
        self._call(
            "DELETE",
            f"/groups/{_seg(group_id)}/member-validations/{_seg(member_ref)}",
            subject=subject,
            gone_after_lost_answer=True,
        )

    # ------------------------------------------------------------------ enrollment files

    def upload_enrollment_file(
        self, group_id: str, content: bytes, *, idempotency_key: str, subject: str = ""
    ) -> FileReceipt:
        if isinstance(content, str):
            content = content.encode("ascii")
        if not content:
            raise ValueError("an enrollment file cannot be empty")
        if len(content) > MAX_FILE_BYTES:
            raise ValueError(f"the 834 is {len(content)} bytes; the carrier accepts at most {MAX_FILE_BYTES}")
        answer = self._call(
            "POST",
            f"/groups/{_seg(group_id)}/enrollment-files",
            raw_body=content,
            content_type=X12,
            idempotency_key=idempotency_key,
            subject=subject,
        )
        return self._parse(
            FileReceipt, answer, defaults={"location": answer.response.headers.get("Location")}
        )

    def get_enrollment_file(self, group_id: str, file_id: str, *, subject: str = "") -> EnrollmentFileStatus:
        answer = self._call(
            "GET", f"/groups/{_seg(group_id)}/enrollment-files/{_seg(file_id)}", subject=subject
        )
        return self._parse(EnrollmentFileStatus, answer)

    def list_enrollment_files(
        self, group_id: str, *, page: int = 1, page_size: int = 50, subject: str = ""
    ) -> Page[EnrollmentFileStatus]:
        answer = self._call(
            "GET",
            f"/groups/{_seg(group_id)}/enrollment-files",
            params=_page_params(page, page_size),
            subject=subject,
        )
        return self._parse(Page[EnrollmentFileStatus], answer)

    def get_acknowledgment(self, group_id: str, file_id: str, *, subject: str = "") -> str:
        """The X12 999 as text (``409 INVALID_STATE`` until processing has ended)."""
        answer = self._call(
            "GET",
            f"/groups/{_seg(group_id)}/enrollment-files/{_seg(file_id)}/acknowledgment",
            accept=f"{X12}, {JSON};q=0.5",
            subject=subject,
        )
        text = answer.response.content.decode("ascii", errors="replace")
        if not text.startswith("ISA"):
            self._invalid(answer, "the acknowledgment is not an X12 interchange")
        return text

    # ------------------------------------------------------------------ maintenance (1.1)

    def validate_change(
        self, group_id: str, body: dict | BaseModel, *, idempotency_key: str, subject: str = ""
    ) -> ChangeValidationResult:
        """A member validation with an ``event`` (api.md *Maintenance*): the answer's ``change`` block."""
        return self._validate(
            group_id,
            request_body(ChangeValidationRequest, body),
            ChangeValidationResult,
            idempotency_key=idempotency_key,
            subject=subject,
        )

    def get_change_file(self, group_id: str, file_id: str, *, subject: str = "") -> ChangeFileStatus:
        """A file's status with the 1.1 fields (``kind``; each member's ``action`` and dates)."""
        answer = self._call(
            "GET", f"/groups/{_seg(group_id)}/enrollment-files/{_seg(file_id)}", subject=subject
        )
        return self._parse(ChangeFileStatus, answer)

    def list_group_members(
        self,
        group_id: str,
        *,
        as_of: date | None = None,
        page: int = 1,
        page_size: int = 200,
        subject: str = "",
    ) -> RosterPage:
        """The carrier's roster ``GET /groups/{groupId}/members`` on ``as_of`` (default: its today)."""
        params = _page_params(page, page_size)
        if as_of is not None:
            params["asOf"] = as_of.isoformat()
        answer = self._call("GET", f"/groups/{_seg(group_id)}/members", params=params, subject=subject)
        return self._parse(RosterPage, answer)

    def iter_group_members(self, group_id: str, *, as_of: date | None = None) -> Iterator[RosterMember]:
        page = 1
        while True:
            result = self.list_group_members(group_id, as_of=as_of, page=page)
            yield from result.items
            if not result.items or not result.has_next:
                return
            page += 1

    # ------------------------------------------------------------------ renewals (1.1)

    def get_renewal(self, group_id: str, *, subject: str = "") -> Renewal:
        answer = self._call("GET", f"/groups/{_seg(group_id)}/renewal", subject=subject)
        return self._parse(Renewal, answer)

    def list_renewals(self, group_id: str, *, page: int = 1, page_size: int = 50, subject: str = "") -> Page:
        params = _page_params(page, page_size)
        answer = self._call("GET", f"/groups/{_seg(group_id)}/renewals", params=params, subject=subject)
        return self._parse(Page[RenewalSummary], answer)

    def decide_renewal(
        self, group_id: str, decision: dict | BaseModel, *, idempotency_key: str, subject: str = ""
    ) -> RenewalDecisionResult:
        body = request_body(RenewalDecisionRequest, decision)
        answer = self._call(
            "POST",
            f"/groups/{_seg(group_id)}/renewal-decisions",
            json_body=body,
            idempotency_key=idempotency_key,
            subject=subject,
        )
        return self._parse(RenewalDecisionResult, answer)


def _seg(value: str) -> str:
    text = str(value)
    if not text:
        raise ValueError("an empty path segment")
    return quote(text, safe="")


def _iso(value: date | datetime | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _page_params(page: int, page_size: int) -> dict[str, str]:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page must be 1 or more and page_size 1 to {MAX_PAGE_SIZE}")
    return {"page": str(page), "pageSize": str(page_size)}


def get_client(**overrides: Any) -> GroupSalesClient:
    """A client configured from settings (``HUMANA_API_*``); ``overrides`` for tests (e.g. ``sleep``)."""
    options: dict[str, Any] = {
        "connect_timeout": settings.HUMANA_API_CONNECT_TIMEOUT,
        "read_timeout": settings.HUMANA_API_READ_TIMEOUT,
        "max_attempts": settings.HUMANA_API_MAX_ATTEMPTS,
    }
    options.update(overrides)
    base_url = options.pop("base_url", settings.HUMANA_API_BASE_URL)
    api_key = options.pop("api_key", settings.HUMANA_API_KEY)
    return GroupSalesClient(base_url, api_key, **options)


__all__ = ["GroupSalesClient", "get_client"]
