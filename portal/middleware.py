"""Site-wide middleware: a correlation ID for every request (so a page, its log lines and its carrier
calls can be joined); what may be kept of pages with personal data; session lifetimes."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CorrelatedRequest(HttpRequest):
    """A request past :class:`CorrelationIdMiddleware`: it carries its correlation ID."""

    correlation_id: str


class CorrelationIdMiddleware:
    header = "X-Correlation-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: CorrelatedRequest) -> HttpResponse:
        incoming = request.headers.get(self.header, "")
        request.correlation_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response.setdefault(self.header, request.correlation_id)
        return response


def is_self_service(request: HttpRequest) -> bool:
    """An employee's page, reached by the token in its link (members.self_service_urls)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.namespace == "self_service"
    return request.path_info.startswith("/enroll/")


class PersonalPagesMiddleware:
    """What a browser and the proxies in between may keep of pages that show personal data.

    Every page of a logged-in user (broker, principal, admin) and every self-service page is sent with
    ``Cache-Control: no-store`` (and Django's other never-cache headers): no shared or back-button copy
    of a family's details. Self-service pages also send ``Referrer-Policy: no-referrer``: their URL holds
    the employee's token, which must not reach even the portal's own static files in a Referer.
    Placed after SecurityMiddleware, so that its ``same-origin`` default stays for other pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        self_service = is_self_service(request)
        user = getattr(request, "user", None)
        if self_service or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        if self_service:
            response["Referrer-Policy"] = "no-referrer"
        return response


class SessionLifetimeMiddleware:
    """An idle timeout refreshed by activity, and an absolute lifetime, for logged-in sessions.

    ``SESSION_COOKIE_AGE`` is the idle timeout: the session is saved again (its expiry moved on) at most
    once every ``SESSION_REFRESH_SECONDS`` while the user is active. ``SESSION_ABSOLUTE_SECONDS`` after
    the login the user is logged out whatever their activity. Placed after AuthenticationMiddleware.
    """

    LOGGED_IN_AT = "_portal_logged_in_at"
    TOUCHED_AT = "_portal_touched_at"

    @classmethod
    def on_login(cls, sender, request, user, **kwargs) -> None:
        """``user_logged_in``: the absolute lifetime counts from here."""
        if request is not None and hasattr(request, "session"):
            request.session[cls.LOGGED_IN_AT] = request.session[cls.TOUCHED_AT] = int(time.time())

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            logged_in_at = session.setdefault(self.LOGGED_IN_AT, now)  # a session from before this
            if now - int(logged_in_at) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
            elif now - int(session.get(self.TOUCHED_AT, 0)) >= settings.SESSION_REFRESH_SECONDS:
                session[self.TOUCHED_AT] = now  # modified: saved with a new expiry
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Refuses (413) a body over its route's limit from its Content-Length, before anything reads it.

    ``REQUEST_BODY_LIMITS`` lists (path regex, bytes) for the routes that take uploads; every other route
    takes ``REQUEST_BODY_MAX_BYTES``. nginx enforces the same figures (``deploy/nginx.conf``); this is the
    second line, for gunicorn reached some other way. Placed before anything that reads the body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limits = [(re.compile(pattern), limit) for pattern, limit in settings.REQUEST_BODY_LIMITS]

    def limit_for(self, path: str) -> int:
        return next(
            (limit for pattern, limit in self.limits if pattern.match(path)), settings.REQUEST_BODY_MAX_BYTES
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse(
                "The request's Content-Length is not a number.", status=400, content_type="text/plain"
            )
        limit = self.limit_for(request.path_info)
        if length > limit:
            message = f"The request is too large: at most {limit // (1024 * 1024)} MB here."
            if any(re.match(prefix, request.path_info) for prefix in settings.REQUEST_BODY_PROBLEM_PATHS):
                return problem_413(request, message)
            return HttpResponse(message, status=413, content_type="text/plain")
        return self.get_response(request)


def problem_413(request: HttpRequest, message: str) -> HttpResponse:
    """api.md's problem body for a 413 on an API route (a client that reads 500 as "retry" would not stop)."""
    incoming = request.headers.get(CorrelationIdMiddleware.header, "")
    correlation_id = incoming[:100] if incoming else uuid.uuid4().hex
    body = {
        "type": "https://developer.humana.com/groupsales/problems/payload-too-large",
        "title": "The request is too large",
        "status": 413,
        "correlationId": correlation_id,
        "errors": [
            {
                "code": "PAYLOAD_TOO_LARGE",
                "pointer": "",
                "severity": "error",
                "memberRef": None,
                "message": message,
            }
        ],
    }
    response = HttpResponse(json.dumps(body), status=413, content_type="application/problem+json")
    response[CorrelationIdMiddleware.header] = correlation_id
    return response
