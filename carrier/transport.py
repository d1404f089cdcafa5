"""The HTTP side of the carrier client: one logical call, its attempts, their records, typed errors.

Every call has explicit (connect, read) timeouts and its own ``X-Correlation-ID``, the same on each of
its attempts; POSTs carry the caller's ``Idempotency-Key``. Transient failures (connection errors,
timeouts, 429, 500/502/503/504) are retried a few times with exponential backoff and full jitter,
honouring ``Retry-After`` up to ``retry_after_cap``; a longer wait, or the last failed attempt, raises
``CarrierTransientError`` so that the Celery task retries later instead of blocking a worker. Other
answers are never retried and raise a ``CarrierPermanentError`` (rule, not found, conflict). Every
attempt is stored as a ``carrier.models.ApiCall`` with masked bodies; an answer that does not fit api.md
marks its record ``INVALID_RESPONSE`` and raises ``CarrierResponseError``.

The endpoints are :class:`carrier.client.GroupSalesClient`, built on :class:`CarrierTransport`.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Self, TypeVar
from urllib.parse import urlencode

import requests
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from groupsales.contract.models import Problem
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
from .schemas import parse_response

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
JSON = "application/json"

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
_MISCONFIGURED = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)

M = TypeVar("M", bound=BaseModel)


@dataclass
class Answer:
    response: requests.Response
    correlation_id: str
    call: ApiCall | None
    what: str


@dataclass
class _Request:
    """One logical call as every attempt sends it, with the fields each attempt's record repeats."""

    method: str
    path: str
    params: dict[str, str] | None
    body: bytes | None
    headers: dict[str, str]
    correlation_id: str
    what: str
    record: dict[str, Any]


@dataclass
class _Sent:
    """One attempt: the answer, or no answer and why (``outcome``, ``failure``)."""

    response: requests.Response | None
    outcome: str
    failure: str
    duration_ms: int


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


class CarrierTransport:
    """One partner's connection: sends calls, retries, records them. Not shared between threads."""

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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ one call

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
    ) -> Answer:
        """Send one logical call, retrying transient failures; return the 2xx answer or raise."""
        request = self._prepare(
            method, path, params, json_body, raw_body, content_type, idempotency_key, accept, subject
        )
        answer_lost = False  # an earlier attempt may have been carried out without our hearing of it
        for attempt in range(1, self.max_attempts + 1):
            sent = self._send(request)
            response = sent.response
            if response is None:
                self._record(
                    **request.record,
                    status_code=None,
                    outcome=sent.outcome,
                    duration_ms=sent.duration_ms,
                    attempt=attempt,
                    error=sent.failure,
                )
                answer_lost = True
                if attempt >= self.max_attempts:
                    raise self._no_answer(request, sent, attempt)
                self._wait(self._backoff(attempt), request.what, attempt, sent.failure)
                continue
            call = self._record_answer(request, sent, response, attempt)
            if self._answered(request, response, gone=gone_after_lost_answer and answer_lost):
                return Answer(response, request.correlation_id, call, request.what)
            wait = self._retry_wait(request, response, attempt)  # raises when the answer is final
            answer_lost = answer_lost or response.status_code != 429
            self._wait(wait, request.what, attempt, f"HTTP {response.status_code}")
        raise AssertionError("unreachable")  # the loop returns or raises

    def _prepare(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        json_body: dict | None,
        body: bytes | None,
        content_type: str | None,
        idempotency_key: str | None,
        accept: str,
        subject: str,
    ) -> _Request:
        """The call's body, headers and correlation ID, the same on every attempt; its operation noted."""
        if method == "POST" and not idempotency_key:
            raise ValueError("every POST needs an idempotency key (carrier.services.operation_for)")
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 64:
            raise ValueError("an idempotency key has 1 to 64 characters")
        correlation_id = uuid.uuid4().hex
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            content_type = content_type or JSON
        headers = {"x-api-key": self.api_key, "Accept": accept, "X-Correlation-ID": correlation_id}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if content_type:
            headers["Content-Type"] = content_type
        full_path = path + (f"?{urlencode(params)}" if params else "")
        record: dict[str, Any] = {
            "operation": self._operation(idempotency_key, body),
            "subject": subject,
            "method": method,
            "path": full_path,
            "correlation_id": correlation_id,
            "idempotency_key": idempotency_key or "",
            "request_body": masked_body(json_body if json_body is not None else body, content_type or ""),
        }
        what = f"{method} {full_path}"
        return _Request(method, path, params, body, headers, correlation_id, what, record)

    def _send(self, request: _Request) -> _Sent:
        """One attempt; a misconfigured client raises at once, the network's failures are returned."""
        started = time.monotonic()
        response: requests.Response | None = None
        failure, outcome = "", ApiCall.Outcome.OK
        try:
            response = self.session.request(
                request.method,
                self.base_url + request.path,
                params=request.params,
                data=request.body,
                headers=request.headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except _MISCONFIGURED as exc:
            raise CarrierPermanentError(
                f"{request.what}: the client is misconfigured ({exc})",
                code="CLIENT_CONFIGURATION",
                correlation_id=request.correlation_id,
            ) from exc
        except requests.Timeout as exc:
            outcome, failure = ApiCall.Outcome.TIMEOUT, f"{type(exc).__name__}: {exc}"
        except requests.RequestException as exc:
            outcome, failure = ApiCall.Outcome.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}"
        return _Sent(response, outcome, failure, int((time.monotonic() - started) * 1000))

    @staticmethod
    def _no_answer(request: _Request, sent: _Sent, attempt: int) -> CarrierTransientError:
        code = "TIMEOUT" if sent.outcome == ApiCall.Outcome.TIMEOUT else "CONNECTION_ERROR"
        return CarrierTransientError(
            f"no answer to {request.what} after {attempt} attempts ({sent.failure})",
            code=code,
            correlation_id=request.correlation_id,
        )

    def _record_answer(
        self, request: _Request, sent: _Sent, response: requests.Response, attempt: int
    ) -> ApiCall | None:
        ok = 200 <= response.status_code < 300
        return self._record(
            **request.record,
            status_code=response.status_code,
            outcome=ApiCall.Outcome.OK if ok else ApiCall.Outcome.HTTP_ERROR,
            duration_ms=sent.duration_ms,
            attempt=attempt,
            response_body=masked_body(response.content, response.headers.get("Content-Type", "")),
        )

    @staticmethod
    def _answered(request: _Request, response: requests.Response, *, gone: bool) -> bool:
        """A 2xx, or (``gone``) a 404 of a DELETE whose earlier attempt was done without our hearing."""
        if 200 <= response.status_code < 300:
            return True
        if response.status_code == 404 and gone:
            logger.info("carrier %s: 404 after a lost answer; the earlier attempt did it", request.what)
            return True
        return False

    def _retry_wait(self, request: _Request, response: requests.Response, attempt: int) -> float:
        """The wait before the next attempt; raises the typed error of an answer that is final (not
        retryable, a ``Retry-After`` over the cap, or the last attempt)."""
        if response.status_code not in RETRYABLE_STATUSES:
            raise self._error(response, request.correlation_id, request.what)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if (retry_after is not None and retry_after > self.retry_after_cap) or attempt >= self.max_attempts:
            raise self._error(response, request.correlation_id, request.what, retry_after=retry_after)
        return retry_after if retry_after is not None else self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def _wait(self, seconds: float, what: str, attempt: int, reason: str) -> None:
        logger.warning("carrier %s attempt %s failed (%s); retrying in %.2fs", what, attempt, reason, seconds)
        self.sleep(seconds)

    # ------------------------------------------------------------------ records

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

    # ------------------------------------------------------------------ answers

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

    def _parse(self, model: type[M], answer: Answer, *, defaults: dict[str, Any] | None = None) -> M:
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

    def _invalid(self, answer: Answer, reason: str) -> None:
        message = f"the answer to {answer.what} does not fit api.md: {reason}"
        self._mark_invalid(answer, message)
        raise CarrierResponseError(
            message, status=answer.response.status_code, correlation_id=answer.correlation_id
        )

    def _mark_invalid(self, answer: Answer, message: str) -> None:
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
