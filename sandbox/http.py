"""api.md's conventions, once for every endpoint: keys, faults, idempotency, correlation, problems, paging.

An endpoint is a function ``handler(request, partner, **url_kwargs) -> Answer`` wrapped by
:func:`endpoint`; it raises :class:`ApiProblem` for any error answer. The wrapper runs, in order:
latency, method check, ``x-api-key`` (401), the per-key rate limit (429 with ``Retry-After``), the error
rate (503 before anything changes), ``Idempotency-Key`` on POST (400; replay; 409 on reuse with another
body), the handler, then stores the answer of a POST unless it is a 5xx or a 429.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import clock
from .models import ApiKey, IdempotentAnswer, Partner, key_digest

logger = logging.getLogger(__name__)
PROBLEM_TYPE = "https://developer.humana.com/groupsales/problems/"
TITLES = {
    400: "The request is malformed",
    401: "An API key is needed",
    404: "Not found",
    405: "Method not allowed",
    409: "The request conflicts with the resource's state",
    413: "The request is too large",
    415: "Unsupported media type",
    422: "The request breaks enrollment rules",
    429: "Too many requests",
    500: "The service failed",
    503: "The service is unavailable",
}
KEEP_ANSWERS = timedelta(hours=24)


def error(
    code: str,
    message: str,
    pointer: str = "",
    *,
    member_ref: str | None = None,
    severity: str = "error",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "pointer": pointer,
        "severity": severity,
        "memberRef": member_ref,
        "message": message,
        **extra,
    }


class ApiProblem(Exception):
    def __init__(
        self, status: int, errors: list[dict[str, Any]], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {[e['code'] for e in errors]}")
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def of(cls, status: int, code: str, message: str, pointer: str = "", **extra: Any) -> ApiProblem:
        return cls(status, [error(code, message, pointer, **extra)])


@dataclass
class Answer:
    status: int
    body: Any = None  # a dict/list for JSON, a str for X12, None for no content
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def problem_response(problem: ApiProblem, correlation_id: str) -> HttpResponse:
    kind = (
        "validation"
        if problem.status == 422
        else (problem.errors[0]["code"].lower() if problem.errors else "error")
    )
    body = {
        "type": PROBLEM_TYPE + kind.replace("_", "-"),
        "title": TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "correlationId": correlation_id,
        "errors": problem.errors,
    }
    response = HttpResponse(json.dumps(body), status=problem.status, content_type="application/problem+json")
    for name, value in problem.headers.items():
        response[name] = value
    return response


def _render(answer: Answer) -> HttpResponse:
    if answer.body is None:
        response = HttpResponse(status=answer.status)
    elif isinstance(answer.body, str):
        response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    else:
        response = HttpResponse(
            json.dumps(answer.body), status=answer.status, content_type=answer.content_type
        )
    for name, value in answer.headers.items():
        response[name] = value
    return response


def _partner_for(request: HttpRequest) -> Partner:
    raw = request.headers.get("x-api-key", "")
    key = (
        ApiKey.objects.select_related("partner").filter(digest=key_digest(raw), active=True).first()
        if raw
        else None
    )
    if key is None:
        raise ApiProblem.of(401, "UNAUTHENTICATED", "Send a valid API key in the x-api-key header.")
    request.sandbox_key_digest = key.digest  # type: ignore[attr-defined]
    return key.partner


def faults_on() -> bool:
    """The injected faults (503s, 429s, latency) apply unless ``SANDBOX_FAULTS_FILE`` names a file that
    is not there: a chaos run turns them off mid-run by deleting it, without restarting the sandbox."""
    switch = str(getattr(settings, "SANDBOX_FAULTS_FILE", "") or "")
    return not switch or os.path.exists(switch)


def latency_ms() -> int:
    """``SANDBOX_LATENCY_MS``, or a uniform draw up to ``SANDBOX_LATENCY_MAX_MS`` when that is larger."""
    low = int(getattr(settings, "SANDBOX_LATENCY_MS", 0) or 0)
    high = int(getattr(settings, "SANDBOX_LATENCY_MAX_MS", 0) or 0)
    return random.randint(low, high) if high > low else low


def _rate_limit(request: HttpRequest) -> None:
    limit = int(getattr(settings, "SANDBOX_RATE_LIMIT_PER_MINUTE", 0) or 0)
    if limit <= 0 or not faults_on():
        return
    now = time.time()
    minute = int(now // 60)
    counter = f"sandbox-rate:{request.sandbox_key_digest}:{minute}"  # type: ignore[attr-defined]
    cache.add(counter, 0, timeout=120)
    try:
        used = cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=120)
        used = 1
    if used > limit:
        retry_after = max(1, int(60 - (now % 60)) + 1)
        raise ApiProblem(
            429,
            [error("RATE_LIMITED", f"More than {limit} requests a minute; retry in {retry_after} s.")],
            headers={"Retry-After": str(retry_after)},
        )


def _faults() -> None:
    rate = float(getattr(settings, "SANDBOX_ERROR_RATE", 0) or 0)
    if rate > 0 and faults_on() and random.random() < rate:
        raise ApiProblem.of(503, "UNAVAILABLE", "The service is unavailable; retry later.")


class ApiRequest(HttpRequest):
    """A request inside :func:`endpoint`: the wrapper sets its correlation ID, and on a POST the
    ``Idempotency-Key`` it checked (what a creating handler passes on)."""

    correlation_id: str
    idempotency_key: str


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise ApiProblem.of(400, "IDEMPOTENCY_KEY_MISSING", "Every POST needs an Idempotency-Key header.")
    if len(key) > 64:
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "An Idempotency-Key has 1 to 64 characters.")
    return key


def _read_body(request: HttpRequest) -> None:
    """Read the body once, at most the sandbox's limit (an 834's 5 MB): 413 over it.

    Django's ``request.body`` refuses anything over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (1 MB) with an
    exception, which would make every 834 over 1 MB a 500; the route's own limit is checked from
    ``Content-Length`` before this (``portal.middleware.RequestBodyLimitMiddleware``), this bounds the read.
    """
    if hasattr(request, "_body"):
        return
    limit = int(getattr(settings, "SANDBOX_MAX_FILE_BYTES", 5 * 1024 * 1024))
    data = request.read(limit + 1)
    if len(data) > limit:
        raise ApiProblem.of(413, "PAYLOAD_TOO_LARGE", f"A request has at most {limit} bytes.")
    request._body = data  # what request.body answers from now on


def _request_digest(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def endpoint(*methods: str) -> Callable[[Callable[..., Answer]], Callable[..., HttpResponse]]:
    """Wrap ``handler(request, partner, **kwargs)`` in api.md's conventions; one handler per method."""

    def wrap(handler: Callable[..., Answer]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def view(request: ApiRequest, **kwargs: Any) -> HttpResponse:
            correlation_id = (request.headers.get("X-Correlation-ID") or uuid.uuid4().hex)[:100]
            request.correlation_id = correlation_id
            latency = latency_ms() if faults_on() else 0
            if latency > 0:
                time.sleep(latency / 1000)
            try:
                response = _dispatch(request, handler, methods, kwargs)
            except ApiProblem as problem:
                response = problem_response(problem, correlation_id)
            except Exception:  # a bug of ours: still a problem body, and logged with its traceback
                logger.exception("sandbox %s %s failed", request.method, request.path)
                failure = ApiProblem.of(
                    500, "UNAVAILABLE", "The sandbox failed; retry, or report the correlation ID."
                )
                response = problem_response(failure, correlation_id)
            response["X-Correlation-ID"] = correlation_id
            return response

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return wrap


def _dispatch(
    request: ApiRequest, handler: Callable[..., Answer], methods: tuple[str, ...], kwargs: dict
) -> HttpResponse:
    if request.method not in methods:
        raise ApiProblem(
            405,
            [error("METHOD_NOT_ALLOWED", f"Use {', '.join(methods)}.")],
            headers={"Allow": ", ".join(methods)},
        )
    partner = _partner_for(request)
    _read_body(request)
    if any("\x00" in str(value) for value in kwargs.values()):
        raise ApiProblem.of(404, "NOT_FOUND", "No such resource.")
    if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "NUL characters are not allowed in parameters.")
    _rate_limit(request)
    _faults()
    if request.method != "POST":
        return _render(handler(request, partner, **kwargs))

    key = _idempotency_key(request)
    digest = _request_digest(request)
    IdempotentAnswer.objects.filter(partner=partner, created_at__lt=clock.now() - KEEP_ANSWERS).delete()
    stored = IdempotentAnswer.objects.filter(partner=partner, key=key).first()
    if stored is not None:
        if stored.request_digest != digest:
            raise ApiProblem.of(
                409,
                "IDEMPOTENCY_KEY_REUSED",
                "This Idempotency-Key was used with another request; use a new key.",
            )
        response = HttpResponse(stored.content or b"", status=stored.status, content_type=stored.content_type)
        if stored.location:
            response["Location"] = stored.location
        response["Idempotent-Replayed"] = "true"
        return response

    request.idempotency_key = key
    try:
        answer = handler(request, partner, **kwargs)
        response = _render(answer)
    except ApiProblem as problem:
        response = problem_response(problem, request.correlation_id)
    if response.status_code < 500 and response.status_code != 429:
        try:
            with transaction.atomic():
                IdempotentAnswer.objects.create(
                    partner=partner,
                    key=key,
                    request_digest=digest,
                    status=response.status_code,
                    content_type=response["Content-Type"] if response.has_header("Content-Type") else "",
                    content=response.content.decode("utf-8", "replace"),
                    location=response.get("Location", ""),
                )
        except IntegrityError:  # the same key answered by a concurrent request: theirs stands
            pass
    return response


# --------------------------------------------------------------------------- bodies and paging


MAX_JSON_DEPTH = 32  # api.md's bodies nest a few levels; a deeper one is no request of the contract
_TOO_DEEP = object()


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_body(request: HttpRequest, *, patch: bool = False) -> Any:
    content_type = request.content_type or ""
    allowed = {"application/json", "application/merge-patch+json"} if patch else {"application/json"}
    if content_type not in allowed:
        raise ApiProblem.of(415, "UNSUPPORTED_MEDIA_TYPE", f"Send {' or '.join(sorted(allowed))}.")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "The body is not JSON.") from None
    except RecursionError:
        body = _TOO_DEEP
    if body is _TOO_DEEP or _depth(body) > MAX_JSON_DEPTH:
        raise ApiProblem.of(
            400, "MALFORMED_REQUEST", f"The body nests objects and arrays over {MAX_JSON_DEPTH} levels deep."
        )
    if "\\u0000" in request.body.decode("utf-8", "replace"):  # PostgreSQL's jsonb cannot keep NUL
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "NUL characters are not allowed in the body.")
    return body


def paging(request: HttpRequest) -> tuple[int, int]:
    try:
        page = int(request.GET.get("page", "1"))
        size = int(request.GET.get("pageSize", "50"))
    except ValueError:
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "page and pageSize are whole numbers.") from None
    if page < 1:
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "page starts at 1.")
    if not 1 <= size <= 200:
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "pageSize is 1 to 200.")
    return page, size


def page_of(items: list[Any], page: int, size: int) -> dict[str, Any]:
    start = (page - 1) * size
    return {"items": items[start : start + size], "page": page, "pageSize": size, "totalItems": len(items)}
