"""Who may open what, generated from the URL configuration so that no new view escapes it.

Every route of ``portal.urls`` is listed and classified by how it is protected. A route that fits
no class fails the test: whoever adds a view says here how it is protected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "groups/<int:group_pk>/members/"
    name: str  # "namespace:name" or ""
    converters: tuple[tuple[str, str], ...]  # (kwarg, converter) in order


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if entry.namespace and namespace:
                ns = f"{namespace}:{entry.namespace}"
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield prefix + str(entry.pattern), name


def all_routes() -> list[Route]:
    routes = []
    for pattern, name in _walk(get_resolver().url_patterns):
        converters = tuple(re.findall(r"<(?:(\w+):)?(\w+)>", pattern))
        routes.append(Route(pattern, name, tuple((kw, conv or "str") for conv, kw in converters)))
    return routes


def _dummy(converter: str) -> str:
    return {"int": "999999", "slug": "no-such-thing", "uuid": "00000000-0000-0000-0000-000000000000"}.get(
        converter, "no-such-thing"
    )


def dummy_path(route: Route) -> str | None:
    """A concrete path for the route with values that name nothing, or None for regex routes."""
    if route.pattern.startswith("^") or "(?P<" in route.pattern:
        return None
    path = route.pattern
    for kwarg, converter in route.converters:
        token = f"<{converter}:{kwarg}>" if f"<{converter}:{kwarg}>" in path else f"<{kwarg}>"
        path = path.replace(token, _dummy(converter))
    return "/" + path


# Public on purpose, with the reason.
PUBLIC_NAMES = {
    "healthz": "load balancer probe",
    "login": "the way in",
    "logout": "POST only; harmless when anonymous",
    "password_reset": "the way back in",
    "password_reset_done": "the way back in",
    "password_reset_confirm": "signed link",
    "employers:welcome": "the employer's invitation: a signed, one-use link to set their password",
    "password_reset_complete": "the way back in",
    "set_language": "language switch for employees",
    "sandbox:openapi": "the sandbox's contract (like the carrier's developer portal), no data",
}
# Protected by something other than a portal login.
API_KEY_PREFIX = "sandbox/groupsales/v1/"  # the carrier sandbox: x-api-key
ADMIN_PREFIX = "admin/"  # Django admin: staff login
TOKEN_PREFIX = "enroll/"  # employee self-service: a signed, expiring link to one family


def _kind(route: Route) -> str:
    bare_name = route.name.rsplit(":", 1)[-1]
    if route.name in PUBLIC_NAMES:
        return "public"
    if route.pattern.startswith(API_KEY_PREFIX):
        return "api-key"
    if route.pattern.startswith(ADMIN_PREFIX):
        return "admin"
    if route.pattern.startswith(TOKEN_PREFIX):
        return "token"
    if bare_name in PUBLIC_NAMES and route.name == bare_name:
        return "public"
    return "login"


def test_it_lists_every_route_of_the_portal():
    patterns = {route.pattern for route in all_routes()}
    assert "healthz" in patterns
    assert any(p.startswith(ADMIN_PREFIX) for p in patterns)


def test_it_sends_anonymous_visitors_of_every_broker_page_to_the_login_page(client):
    login = reverse("login")
    checked = []
    for route in all_routes():
        if _kind(route) != "login":
            continue
        path = dummy_path(route)
        if path is None:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            where = f"{method.upper()} {path}"
            assert response.status_code in (302, 405), f"{where} answered {response.status_code}"
            if response.status_code == 302:
                assert response["Location"].startswith(login), f"{where} → {response['Location']}"
        checked.append(path)
    assert "/" in checked  # the book of business at least


def test_it_keeps_the_admin_behind_the_staff_login(client, broker_client):
    for route in all_routes():
        if _kind(route) != "admin":
            continue
        path = dummy_path(route)
        if path is None or route.name.endswith(("login", "logout", "jsi18n")):
            continue
        anonymous = client.get(path)
        assert anonymous.status_code in (302, 404), f"GET {path} answered {anonymous.status_code}"
        broker = broker_client.get(path)
        assert broker.status_code in (302, 404), f"a broker opened {path}: {broker.status_code}"


def test_it_answers_self_service_links_that_name_nothing_with_404(client):
    for route in all_routes():
        if _kind(route) != "token":
            continue
        path = dummy_path(route)
        assert client.get(path).status_code == 404, path


def test_it_answers_401_to_every_sandbox_call_without_a_key(client, db):
    checked = 0
    for route in all_routes():
        if _kind(route) != "api-key":
            continue
        path = dummy_path(route)
        for method in ("get", "post", "patch", "delete"):
            response = getattr(client, method)(path)
            if response.status_code == 405:
                continue
            assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
            assert response["Content-Type"] == "application/problem+json"
            checked += 1
    assert checked >= 13  # api.md's endpoints


def test_it_requires_a_csrf_token_on_every_post_outside_the_carrier_api(db, broker):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(broker.user)
    checked = 0
    for route in all_routes():
        if _kind(route) == "api-key":
            continue  # the sandbox's API: an API key per call, no cookies
        path = dummy_path(route)
        if path is None:
            continue
        response = client.post(path, {"x": "1"})
        assert response.status_code == 403, f"POST {path} without a CSRF token: {response.status_code}"
        checked += 1
    assert checked >= 40
