"""schemathesis against the JSON endpoints the portal serves to its own pages (live server, a logged-in
broker): the step check the group forms call as the broker types, the group's status, the counties of a
ZIP and the health probe. Generated input never causes a 5xx, and every answer fits the contract below.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.enrollment.conftest import make_complete_group
from tests.factories import PASSWORD

STR = {"type": "string"}
PROBLEM = {
    "type": "object",
    "required": ["code", "message", "fix"],
    "properties": {"code": STR, "message": STR, "fix": STR},
}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _form(fields: list[str]) -> dict:
    properties = {name: {"type": "string", "maxLength": 80} for name in fields}
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": properties}}
        },
    }


STEP_FIELDS = {
    "employer": ["legal_name", "dba_name", "fein", "sic_code", "entity_type", "established_date", "phone"],
    "address": ["address_line1", "address_line2", "city", "state", "zip5", "zip4", "county_fips"],
    "contact": ["contact_first_name", "contact_last_name", "contact_email", "contact_phone"],
    "agent": ["writing_agent"],
    "coverage": [
        "requested_effective_date",
        "total_employees",
        "eligible_employees",
        "minimum_hours_per_week",
        "waiting_period",
    ],
}
CHECK_ANSWER = {
    "type": "object",
    "required": ["fields", "general"],
    "properties": {
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": PROBLEM}},
        "general": {"type": "array", "items": PROBLEM},
    },
}


def portal_document(group_pk: int) -> dict:
    counties = {
        "type": "object",
        "required": ["counties"],
        "properties": {
            "counties": {
                "type": "array",
                "items": {"type": "object", "required": ["countyFips", "ratingArea"]},
            }
        },
    }
    paths: dict = {
        "/healthz": {
            "get": {
                "responses": {
                    "200": {
                        "description": "up",
                        **_json(
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"enum": ["ok"]}},
                            }
                        ),
                    }
                }
            }
        },
        "/quotes/counties/": {
            "get": {
                "parameters": [{"name": "zip", "in": "query", "schema": STR}],
                "responses": {"200": {"description": "counties", **_json(counties)}},
            }
        },
        f"/groups/{group_pk}/status.json": {
            "get": {
                "responses": {
                    "200": {
                        "description": "status",
                        **_json({"type": "object", "required": ["status"], "properties": {"status": STR}}),
                    }
                }
            }
        },
    }
    for step, fields in STEP_FIELDS.items():
        paths[f"/groups/{group_pk}/{step}/check"] = {
            "post": {
                "requestBody": _form(fields),
                "responses": {"200": {"description": "problems", **_json(CHECK_ANSWER)}},
            }
        }
    return {"openapi": "3.1.0", "info": {"title": "portal JSON endpoints", "version": "1"}, "paths": paths}


@pytest.mark.django_db(transaction=True)
def test_it_answers_generated_input_on_every_json_endpoint(live_server, broker):
    group = make_complete_group(broker)
    session = requests.Session()
    login = session.get(f"{live_server.url}/accounts/login/")
    token = session.cookies["csrftoken"]
    assert login.status_code == 200
    session.post(
        f"{live_server.url}/accounts/login/",
        data={"username": broker.user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{live_server.url}/accounts/login/"},
    )
    assert "sessionid" in session.cookies
    schema = schemathesis.openapi.from_dict(portal_document(group.pk))
    # A fresh connection per case: the test server's keep-alive otherwise reads a body it refused to
    # read as the next request line and answers it without a status line (a flake, not the portal's).
    csrf = {
        "X-CSRFToken": session.cookies["csrftoken"],
        "Referer": f"{live_server.url}/",
        "Connection": "close",
    }
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            case.call_and_validate(
                base_url=live_server.url,
                session=session,
                headers=csrf,
                checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
            )

        conforms()
        checked += 1
    assert checked == 3 + len(STEP_FIELDS)
    group.refresh_from_db()
    assert group.status == "DRAFT"  # the step check never saves what it checks
