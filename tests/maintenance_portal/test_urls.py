"""No route hides behind another: every named URL of the portal resolves back to its own name (the
maintenance app's change-file send once answered with the enrollment app's PATCH send, same path)."""

from __future__ import annotations

from django.urls import resolve

from tests.portal.test_url_access import all_routes, dummy_path


def test_every_named_route_resolves_to_itself():
    shadowed = []
    for route in all_routes():
        path = dummy_path(route)
        if path is None or not route.name or "^" in route.pattern:  # the admin's regex routes
            continue
        match = resolve(path)
        if match.view_name != route.name:
            shadowed.append((route.name, path, match.view_name))
    assert shadowed == []


def test_the_maintenance_urls_are_in_the_authorization_matrix():
    from tests.portal.test_authorization_matrix import NOT_OBJECTS

    names = {r.name for r in all_routes() if r.name.startswith("maintenance:")}
    assert {"maintenance:send", "maintenance:life_event", "maintenance:check_again"} <= names
    assert not names & {f"maintenance:{n}" for n in NOT_OBJECTS}
