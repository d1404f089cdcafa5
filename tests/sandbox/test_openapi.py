"""The sandbox's OpenAPI document: it describes every route, and schemathesis finds no 5xx and no answer
that breaks it (live server, a bounded number of examples, faults off)."""

from __future__ import annotations

import re
import uuid

import pytest
import schemathesis
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from sandbox.openapi import openapi_document
from sandbox.services_admin import partner_add_key

from .conftest import BASE

KEY = "schemathesis-partner-key"


@schemathesis.serializer("application/edi-x12")
def _x12_body(ctx, value) -> bytes:
    """An 834 body is text; generated strings go as UTF-8 (the sandbox answers FIL-001 to what is not X12)."""
    return str(value).encode("utf-8")


def _sandbox_routes() -> set[str]:
    resolver = get_resolver()
    routes = set()
    for pattern in get_resolver("sandbox.urls").url_patterns:
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + _camel(m.group(1)) + "}", str(pattern.pattern))
        routes.add("/" + route)
    assert resolver  # the project's resolver mounts sandbox.urls in development and tests
    return routes


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_it_documents_every_route_of_the_sandbox():
    documented = set(openapi_document()["paths"]) | {"/openapi.json"}
    assert _sandbox_routes() == documented


def test_it_serves_the_document_beside_the_api(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["servers"][0]["url"].endswith(BASE)


@pytest.mark.django_db(transaction=True)
def test_it_answers_every_generated_request_within_its_contract(live_server, sandbox_rates):
    # schemathesis's pytest plugin (from_fixture) does not run under pytest 9 here; its hypothesis
    # strategies are driven directly instead, one operation at a time.
    partner_add_key(name="Schemathesis", sender_id="SCHEMATHESIS", raw_key=KEY)
    schema = schemathesis.openapi.from_dict(openapi_document(live_server.url + BASE))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            case.call_and_validate(
                base_url=live_server.url + BASE,
                headers={"x-api-key": KEY, "Idempotency-Key": uuid.uuid4().hex},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        conforms()
        checked.append(operation.label)
    assert len(checked) == sum(len(methods) for methods in openapi_document()["paths"].values())
