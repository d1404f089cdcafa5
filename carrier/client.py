"""The typed client of the carrier's Group Sales API (api.md), used by every portal task.

Every call has explicit (connect, read) timeouts and its own ``X-Correlation-ID``, the same on each of
its attempts; POSTs carry the caller's ``Idempotency-Key``. Transient failures (connection errors,
timeouts, 429, 500/502/503/504) are retried a few times with exponential backoff and full jitter,
honouring ``Retry-After`` up to ``retry_after_cap``; a longer wait, or the last failed attempt, raises
``CarrierTransientError`` so that the Celery task retries later instead of blocking a worker. Other
answers are never retried. Every attempt is stored as a ``carrier.models.ApiCall`` with masked bodies.

Requests may be dicts (snake_case or camelCase keys): they are validated with the models of
``groupsales.contract`` (``carrier.schemas``) and an unfit one raises ``InvalidCarrierRequest``
(``ValueError``) before any call. Answers are validated: one that does not fit api.md raises
``CarrierResponseError``.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.utils import timezone
from pydantic import BaseModel, ValidationError

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
    Problem,
)
from groupsales.contract.renewal import Renewal, RenewalDecisionRequest, RenewalDecisionResult, RenewalSummary
from groupsales.masking import masked_body

from . import services
from .errors import (
    CarrierConflictError,
    CarrierError,
    CarrierNotFoundError,
    CarrierPermanentError,
    CarrierResponseError,
    CarrierRuleError,
    CarrierTransientError,
    ProblemError,
)
from .models import ApiCall, CarrierOperation
from .schemas import parse_response, request_body

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
X12 = "application/edi-x12"
MAX_FILE_BYTES = 5 * 1024 * 1024  # api.md: at most 5 MB
MAX_PAGE_SIZE = 200

_DEFAULT_CODES = {
    400: "MALFORMED_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    409: "INVALID_STATE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "SCHEMA",
    429: "RATE_LIMITED",
}

M = TypeVar("M", bound=BaseModel)


@dataclass
class _Answer:
    response: requests.Response
    correlation_id: str
    call: ApiCall | None
    what: str


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date); ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


class GroupSalesClient:
    """One partner's connection to the Group Sales API. Not shared between threads."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        retry_after_cap: float = 60.0,
        sleep: Callable[[float], Any] = time.sleep,
        session: requests.Session | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.sleep = sleep
        self.session = session or requests.Session()
        self.rng = rng or random.Random()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> GroupSalesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    # ------------------------------------------------------------------ transport

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

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict | None = None,
        raw_body: bytes | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        accept: str = JSON,
        subject: str = "",
        gone_after_lost_answer: bool = False,
    ) -> _Answer:
        """Send one logical call, retrying transient failures; return the 2xx answer or raise."""
        if method == "POST" and not idempotency_key:
            raise ValueError("every POST needs an idempotency key (carrier.services.operation_for)")
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 64:
            raise ValueError("an idempotency key has 1 to 64 characters")
        correlation_id = uuid.uuid4().hex
        body: bytes | None = raw_body
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            content_type = content_type or JSON
        headers = {"x-api-key": self.api_key, "Accept": accept, "X-Correlation-ID": correlation_id}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if content_type:
            headers["Content-Type"] = content_type
        full_path = path + (f"?{urlencode(params)}" if params else "")
        what = f"{method} {full_path}"
        record: dict[str, Any] = {
            "operation": self._operation(idempotency_key, body),
            "subject": subject,
            "method": method,
            "path": full_path,
            "correlation_id": correlation_id,
            "idempotency_key": idempotency_key or "",
            "request_body": masked_body(json_body if json_body is not None else body, content_type or ""),
        }

        answer_lost = False  # an earlier attempt may have been carried out without our hearing of it
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            response: requests.Response | None = None
            failure, outcome = "", ApiCall.Outcome.OK
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=body,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
                requests.exceptions.InvalidHeader,
            ) as exc:
                raise CarrierPermanentError(
                    f"{what}: the client is misconfigured ({exc})",
                    code="CLIENT_CONFIGURATION",
                    correlation_id=correlation_id,
                ) from exc
            except requests.Timeout as exc:
                outcome, failure = ApiCall.Outcome.TIMEOUT, f"{type(exc).__name__}: {exc}"
            except requests.RequestException as exc:
                outcome, failure = ApiCall.Outcome.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}"
            duration_ms = int((time.monotonic() - started) * 1000)

            if response is None:
                self._record(
                    **record,
                    status_code=None,
                    outcome=outcome,
                    duration_ms=duration_ms,
                    attempt=attempt,
                    error=failure,
                )
                answer_lost = True
                if attempt < self.max_attempts:
                    self._wait(self._backoff(attempt), what, attempt, failure)
                    continue
                code = "TIMEOUT" if outcome == ApiCall.Outcome.TIMEOUT else "CONNECTION_ERROR"
                raise CarrierTransientError(
                    f"no answer to {what} after {attempt} attempts ({failure})",
                    code=code,
                    correlation_id=correlation_id,
                )

            status = response.status_code
            ok = 200 <= status < 300
            call = self._record(
                **record,
                status_code=status,
                outcome=ApiCall.Outcome.OK if ok else ApiCall.Outcome.HTTP_ERROR,
                duration_ms=duration_ms,
                attempt=attempt,
                response_body=masked_body(response.content, response.headers.get("Content-Type", "")),
            )
            if ok:
                return _Answer(response, correlation_id, call, what)
            if status == 404 and gone_after_lost_answer and answer_lost:
                logger.info("carrier %s: 404 after a lost answer; the earlier attempt did it", what)
                return _Answer(response, correlation_id, call, what)
            if status in RETRYABLE_STATUSES:
                answer_lost = answer_lost or status != 429
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is not None and retry_after > self.retry_after_cap:
                    raise self._error(response, correlation_id, what, retry_after=retry_after)
                if attempt >= self.max_attempts:
                    raise self._error(response, correlation_id, what, retry_after=retry_after)
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                self._wait(wait, what, attempt, f"HTTP {status}")
                continue
            raise self._error(response, correlation_id, what)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def _wait(self, seconds: float, what: str, attempt: int, reason: str) -> None:
        logger.warning("carrier %s attempt %s failed (%s); retrying in %.2fs", what, attempt, reason, seconds)
        self.sleep(seconds)

    def _operation(self, idempotency_key: str | None, body: bytes | None) -> CarrierOperation | None:
        if not idempotency_key:
            return None
        return services.operation_note_request(
            idempotency_key=idempotency_key, digest=services.body_digest(body or b"")
        )

    def _record(self, **fields: Any) -> ApiCall | None:
        try:
            return services.api_call_record(**fields)
        except Exception:  # the record must never hide the carrier's answer
            logger.exception("could not record carrier call %s %s", fields.get("method"), fields.get("path"))
            return None

    def _error(
        self, response: requests.Response, correlation_id: str, what: str, *, retry_after: float | None = None
    ) -> CarrierError:
        status = response.status_code
        problem = _problem(response)
        errors = problem.errors if problem else []
        raw_code = _top_level_code(response)
        code = raw_code or (errors[0].code if errors else _DEFAULT_CODES.get(status, f"HTTP_{status}"))
        title = (problem.title if problem and problem.title else "") or response.reason or "error"
        cid = (
            (problem.correlation_id if problem else None)
            or response.headers.get("X-Correlation-ID")
            or correlation_id
        )
        codes = ", ".join(dict.fromkeys(e.code for e in errors))
        message = f"{what}: {title}" + (f" ({codes})" if codes else "")
        common = {
            "status": status,
            "code": code,
            "correlation_id": cid,
            "errors": errors,
            "problem": _json_or_none(response),
        }
        if status in RETRYABLE_STATUSES:
            return CarrierTransientError(message, retry_after=retry_after, **common)
        if status == 422:
            blocking = [e for e in errors if e.severity != "warning"] or errors
            common["code"] = raw_code or (blocking[0].code if blocking else "SCHEMA")
            return CarrierRuleError(message, **common)
        if status == 404:
            return CarrierNotFoundError(message, **common)
        if status == 409:
            file_id = next((e.file_id for e in errors if e.file_id), None)
            return CarrierConflictError(message, file_id=file_id, **common)
        return CarrierPermanentError(message, **common)

    def _parse(self, model: type[M], answer: _Answer, *, defaults: dict[str, Any] | None = None) -> M:
        try:
            data = answer.response.json()
        except ValueError:
            self._invalid(answer, "the body is not JSON")
        if defaults and isinstance(data, dict):
            data = {**{k: v for k, v in defaults.items() if v is not None}, **data}
        try:
            return parse_response(
                model,
                data,
                what=answer.what,
                correlation_id=answer.correlation_id,
                status=answer.response.status_code,
            )
        except CarrierResponseError as exc:
            self._mark_invalid(answer, exc.message)
            raise

    def _invalid(self, answer: _Answer, reason: str) -> None:
        message = f"the answer to {answer.what} does not fit api.md: {reason}"
        self._mark_invalid(answer, message)
        raise CarrierResponseError(
            message, status=answer.response.status_code, correlation_id=answer.correlation_id
        )

    def _mark_invalid(self, answer: _Answer, message: str) -> None:
        if answer.call is not None:
            ApiCall.objects.filter(id=answer.call.id).update(
                outcome=ApiCall.Outcome.INVALID_RESPONSE, error=message[:2000]
            )


def _problem(response: requests.Response) -> Problem | None:
    data = _json_or_none(response)
    if not isinstance(data, dict):
        return None
    try:
        return Problem.model_validate(data)
    except ValidationError:
        # Keep what can be read of a malformed problem: the error objects that fit.
        errors = []
        for item in data.get("errors") or []:
            try:
                errors.append(ProblemError.model_validate(item))
            except ValidationError:
                continue
        return Problem(title=str(data.get("title") or ""), errors=errors)


def _top_level_code(response: requests.Response) -> str | None:
    data = _json_or_none(response)
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) and code else None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


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


__all__ = ["GroupSalesClient", "get_client", "parse_retry_after"]
