"""The sandbox's OpenAPI document: generated from the contract's models (a change to a model changes both
the document and the sandbox's validation), it describes every route, and schemathesis, driven by the
document the live sandbox serves, finds no 5xx and no answer that breaks it (a bounded number of examples,
faults off)."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest
import requests
import schemathesis
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from groupsales.contract import operations
from groupsales.contract.models import CreateGroupRequest, MemberValidationRequest
from groupsales.contract.operations import openapi_document
from groupsales.contract.wire import wire_problems
from sandbox.services_admin import partner_add_key
from tests.carrier import payloads

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
    served = requests.get(f"{live_server.url}{BASE}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(served)
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
    assert len(checked) == sum(len(methods) for methods in served["paths"].values())


class ExtendedGroupRequest(CreateGroupRequest):
    """The create body with one more required field, as a later version of the contract might have."""

    preferred_language: str


def _required(document: dict, operation_id: str) -> list[str]:
    """The required fields of the operation's JSON request body, as the document states them."""
    (operation,) = [
        op
        for methods in document["paths"].values()
        for op in methods.values()
        if op["operationId"] == operation_id
    ]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"]


def test_the_served_document_is_the_one_generated_from_the_models(client):
    served = client.get(f"{BASE}/openapi.json").json()
    assert served == openapi_document(served["servers"][0]["url"])
    schema = CreateGroupRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    assert _required(served, "createGroup") == schema["required"]
    assert served["components"]["schemas"]["Line"]["enum"] == ["MEDICAL", "DENTAL", "VISION"]  # codes.Line


@pytest.mark.django_db
def test_a_change_to_a_model_changes_both_the_document_and_the_sandbox_validation(api, client, monkeypatch):
    assert "preferredLanguage" not in _required(client.get(f"{BASE}/openapi.json").json(), "createGroup")
    assert api.post("/groups", payloads.create_group()).status_code == 201
    create = operations.OPERATIONS["createGroup"]
    monkeypatch.setitem(
        operations.OPERATIONS, "createGroup", dataclasses.replace(create, request=ExtendedGroupRequest)
    )

    assert "preferredLanguage" in _required(client.get(f"{BASE}/openapi.json").json(), "createGroup")
    refused = api.post("/groups", payloads.create_group())
    assert refused.status_code == 422
    assert {(e["code"], e["pointer"], e["message"]) for e in refused.json()["errors"]} == {
        ("SCHEMA", "/preferredLanguage", "preferredLanguage is required.")
    }
    assert api.post("/groups", {**payloads.create_group(), "preferredLanguage": "es"}).status_code == 201


def test_the_sandbox_validates_with_the_models_the_client_sends_with():
    # every api.md example the client sends fits the sandbox's reading of the same model, unchanged
    assert wire_problems(CreateGroupRequest, payloads.create_group()) == []
    assert all(wire_problems(MemberValidationRequest, member) == [] for member in payloads.family())
