"""The OpenAPI 3.1 document of the sandbox (api.md), served at ``openapi.json`` beside it.

Written by hand from api.md and kept beside the handlers; ``tests/sandbox/test_openapi.py`` checks that
every route is described and runs schemathesis against the live sandbox.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from groupsales.codes import (
    ContributionBasis,
    EmploymentStatus,
    EntityType,
    Gender,
    Line,
    MaritalStatus,
    RatingOption,
    Relationship,
    Tier,
    WaitingPeriod,
    WaiverReason,
)


def _enum(codes: Any, *extra: Any) -> dict[str, Any]:
    return {"enum": [c.value for c in codes] + list(extra)}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
NMONEY = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NBOOL = {"type": ["boolean", "null"]}
REF = {"type": "string", "pattern": r"^[A-Z0-9-]{1,30}$"}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(name: str) -> dict[str, Any]:
    return {"oneOf": [ref(name), {"type": "null"}]}


ADDRESS = obj(
    {"line1": STR, "city": STR, "state": STR, "zip5": STR, "countyFips": STR}, {"line2": NSTR, "zip4": NSTR}
)
CONTRIBUTION = obj({"basis": _enum(ContributionBasis), "employee": MONEY, "dependents": MONEY})
SCHEMAS: dict[str, Any] = {
    "Address": ADDRESS,
    "Contribution": CONTRIBUTION,
    "CreateGroup": obj(
        {
            "employer": obj(
                {
                    "legalName": STR,
                    "fein": STR,
                    "sicCode": STR,
                    "entityType": _enum(EntityType),
                    "establishedDate": DATE,
                    "address": ref("Address"),
                    "phone": STR,
                },
                {"dbaName": NSTR},
            ),
            "contact": obj({"firstName": STR, "lastName": STR, "email": STR, "phone": STR}),
            "writingAgent": obj({"npn": STR, "firstName": STR, "lastName": STR, "email": STR}),
            "requestedEffectiveDate": DATE,
            "workforce": obj({"totalEmployees": INT, "eligibleEmployees": INT}),
            "eligibility": obj({"minimumHoursPerWeek": INT, "waitingPeriod": _enum(WaitingPeriod)}),
            "offerings": {
                "type": "array",
                "items": obj(
                    {
                        "line": _enum(Line),
                        "planIds": {"type": "array", "items": STR},
                        "contribution": ref("Contribution"),
                    },
                    {"ratingOption": _enum(RatingOption)},
                ),
            },
            "census": {
                "type": "array",
                "items": obj(
                    {
                        "memberRef": REF,
                        "dateOfBirth": DATE,
                        "gender": _enum(Gender),
                        "zip5": STR,
                        "tobaccoUse": BOOL,
                        "isOwner": BOOL,
                        "isOwnerSpouse": BOOL,
                        "coverageTier": _enum(Tier, "WAIVE"),
                    },
                    {
                        "dependents": {
                            "type": "array",
                            "items": obj(
                                {"relationship": _enum(Relationship), "dateOfBirth": DATE, "tobaccoUse": BOOL}
                            ),
                        }
                    },
                ),
            },
        },
        {
            "smallEmployerAttestation": {
                "oneOf": [obj({"signedBy": STR, "title": STR, "signedAt": DATETIME}), {"type": "null"}]
            }
        },
    ),
    "EstimatedRate": obj({"planId": STR, "line": _enum(Line), "estimatedMonthlyPremium": MONEY}),
    "CreatedGroup": obj(
        {
            "groupId": STR,
            "status": STR,
            "ratingAreaId": STR,
            "createdAt": DATETIME,
            "estimatedRates": {"type": "array", "items": ref("EstimatedRate")},
        }
    ),
    "Participation": obj(
        {"line": _enum(Line), "eligible": INT, "enrolled": INT, "validWaivers": INT, "percent": MONEY}
    ),
    "FinalRate": obj(
        {
            "planId": STR,
            "line": _enum(Line),
            "ratingMethod": {"enum": ["AGE", "COMPOSITE", "TIER"]},
            "members": {
                "type": ["array", "null"],
                "items": obj({"memberRef": STR, "age": INT, "monthlyPremium": MONEY}),
            },
            "tierRates": {"type": ["object", "null"], "additionalProperties": MONEY},
            "totalMonthlyPremium": MONEY,
            "employerMonthlyContribution": MONEY,
        }
    ),
    "FinalizedGroup": obj(
        {
            "groupId": STR,
            "status": STR,
            "finalizedAt": DATETIME,
            "participation": {"type": "array", "items": ref("Participation")},
            "finalRates": {"type": "array", "items": ref("FinalRate")},
            "totalMonthlyPremium": MONEY,
            "employerMonthlyContribution": MONEY,
        }
    ),
    "GroupDetail": {
        "type": "object",
        "required": ["groupId", "status", "statusHistory", "ratingAreaId", "createdAt"],
        "properties": {
            "groupId": STR,
            "status": STR,
            "ratingAreaId": STR,
            "createdAt": DATETIME,
            "statusHistory": {"type": "array", "items": obj({"status": STR, "at": DATETIME})},
            # 1.1: the last create or PATCH that changed application data; the signed application as
            # stored, with receivedAt and stale (GRP-015), or null
            "applicationChangedAt": DATETIME,
            "employerGroupApplication": {"type": ["object", "null"]},
        },
    },
    "AgentGroup": obj(
        {
            "groupId": STR,
            "employerName": STR,
            "status": STR,
            "requestedEffectiveDate": DATE,
            "situsState": STR,
            "lines": {"type": "array", "items": _enum(Line)},
            "subscribersEnrolled": INT,
            "totalMonthlyPremium": NMONEY,
            "updatedAt": DATETIME,
        }
    ),
    "Coverage": obj(
        {"line": _enum(Line)},
        {
            "planId": NSTR,
            "coverageTier": {"enum": [t.value for t in Tier] + [None]},
            "waived": NBOOL,
            "waiverReason": {"enum": [w.value for w in WaiverReason] + [None]},
        },
    ),
    "MemberValidation": obj(
        {
            "memberRef": REF,
            "subscriberRef": REF,
            "relationship": _enum(Relationship),
            "firstName": STR,
            "lastName": STR,
            "ssn": NSTR,
            "dateOfBirth": DATE,
            "gender": _enum(Gender),
            "coverage": {"type": "array", "items": ref("Coverage")},
        },
        {
            "middleName": NSTR,
            "suffix": NSTR,
            "maritalStatus": {"enum": [m.value for m in MaritalStatus] + [None]},
            "tobaccoUse": NBOOL,
            "disabled": NBOOL,
            "isOwner": NBOOL,
            "isOwnerSpouse": NBOOL,
            "address": nullable("Address"),
            "phone": NSTR,
            "email": NSTR,
            "employment": {
                "oneOf": [
                    obj({"hireDate": DATE, "hoursPerWeek": INT, "status": _enum(EmploymentStatus)}),
                    {"type": "null"},
                ]
            },
        },
    ),
    "ValidationResult": obj(
        {
            "validationId": STR,
            "memberRef": STR,
            "valid": BOOL,
            "validatedAt": DATETIME,
            "warnings": {"type": "array", "items": ref("ProblemError")},
        }
    ),
    "BatchResult": obj(
        {
            "results": {
                "type": "array",
                "items": obj(
                    {"memberRef": NSTR, "valid": BOOL},
                    {
                        "validationId": STR,
                        "validatedAt": DATETIME,
                        "warnings": {"type": "array", "items": ref("ProblemError")},
                        "errors": {"type": "array", "items": ref("ProblemError")},
                    },
                ),
            }
        }
    ),
    "ValidationSummary": obj(
        {
            "memberRef": STR,
            "subscriberRef": STR,
            "relationship": _enum(Relationship),
            "valid": BOOL,
            "validatedAt": DATETIME,
            "status": {"enum": ["NOT_SENT", "ACCEPTED", "REJECTED"]},
            "humanaMemberId": NSTR,
        }
    ),
    "FileReceipt": obj(
        {"fileId": STR, "status": STR, "receivedAt": DATETIME, "interchangeControlNumber": STR}
    ),
    "FileStatus": obj(
        {
            "fileId": STR,
            "status": {"enum": ["RECEIVED", "PROCESSING", "ACCEPTED", "ACCEPTED_WITH_ERRORS", "REJECTED"]},
            "receivedAt": DATETIME,
            "interchangeControlNumber": STR,
        },
        {
            "completedAt": {"type": ["string", "null"], "format": "date-time"},
            "errors": {"type": "array"},
            "summary": {"type": ["object", "null"]},
            "members": {"type": "array"},
        },
    ),
    "ProblemError": obj(
        {"code": STR, "pointer": STR, "severity": {"enum": ["error", "warning"]}, "message": STR},
        {"memberRef": NSTR},
    ),
    "Problem": obj(
        {
            "type": STR,
            "title": STR,
            "status": INT,
            "correlationId": STR,
            "errors": {"type": "array", "items": ref("ProblemError")},
        }
    ),
}


def page_of(name: str) -> dict[str, Any]:
    return obj(
        {"items": {"type": "array", "items": ref(name)}, "page": INT, "pageSize": INT, "totalItems": INT}
    )


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


PROBLEM = {"content": {"application/problem+json": {"schema": ref("Problem")}}}
ERRORS = {
    code: {"description": text, **PROBLEM}
    for code, text in (
        ("400", "Malformed request"),
        ("401", "No key or an unknown key"),
        ("404", "No such resource"),
        ("409", "Conflict"),
        ("413", "Too large"),
        ("415", "Wrong content type"),
        ("422", "Rules broken"),
        ("429", "Rate limited"),
        ("503", "Unavailable; retry"),
    )
}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
}
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "pageSize", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
]
GROUP_ID = {"name": "groupId", "in": "path", "required": True, "schema": STR}


def _op(summary: str, ok: str, body: dict[str, Any] | None, params: list | None = None, **extra: Any) -> dict:
    responses = {ok: {"description": summary, **(body or {})}, **ERRORS}
    return {"summary": summary, "parameters": params or [], "responses": responses, **extra}


def _post(summary: str, ok: str, request: dict, answer: dict | None, params: list | None = None) -> dict:
    return _op(summary, ok, answer, [IDEMPOTENCY, *(params or [])], requestBody={"required": True, **request})


PATHS: dict[str, Any] = {
    "/agents/{npn}/groups": {
        "get": _op(
            "Groups written with an agent",
            "200",
            _json(page_of("AgentGroup")),
            [
                {"name": "npn", "in": "path", "required": True, "schema": STR},
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": ["CREATED", "FINALIZED", "ENROLLING", "ENROLLED"]},
                },
                {"name": "effectiveFrom", "in": "query", "schema": DATE},
                {"name": "effectiveTo", "in": "query", "schema": DATE},
                *PAGING,
            ],
        )
    },
    "/groups": {"post": _post("Create group", "201", _json(ref("CreateGroup")), _json(ref("CreatedGroup")))},
    "/groups/{groupId}": {
        "get": _op("The group", "200", _json(ref("GroupDetail")), [GROUP_ID]),
        "patch": _op(
            "Change the group (JSON merge patch)",
            "200",
            _json(ref("GroupDetail")),
            [GROUP_ID],
            requestBody={
                "required": True,
                "content": {"application/merge-patch+json": {"schema": {"type": "object"}}},
            },
        ),
    },
    "/groups/{groupId}/finalize": {
        "post": _post("Finalize", "200", _json({"type": "object"}), _json(ref("FinalizedGroup")), [GROUP_ID])
    },
    "/groups/{groupId}/member-validations": {
        "post": _post(
            "Validate one covered life",
            "200",
            _json(ref("MemberValidation")),
            _json(ref("ValidationResult")),
            [GROUP_ID],
        ),
        "get": _op("Current validations", "200", _json(page_of("ValidationSummary")), [GROUP_ID, *PAGING]),
    },
    "/groups/{groupId}/member-validations/batch": {
        "post": _post(
            "Validate up to 200 covered lives",
            "200",
            _json(obj({"members": {"type": "array", "items": ref("MemberValidation"), "minItems": 1}})),
            _json(ref("BatchResult")),
            [GROUP_ID],
        )
    },
    "/groups/{groupId}/member-validations/{memberRef}": {
        "delete": _op(
            "Withdraw a member",
            "204",
            None,
            [GROUP_ID, {"name": "memberRef", "in": "path", "required": True, "schema": STR}],
        )
    },
    "/groups/{groupId}/enrollment-files": {
        "post": _post(
            "Upload an 834",
            "202",
            {"content": {"application/edi-x12": {"schema": {"type": "string"}}}},
            _json(ref("FileReceipt")),
            [GROUP_ID],
        ),
        "get": _op("The group's files", "200", _json(page_of("FileStatus")), [GROUP_ID, *PAGING]),
    },
    "/groups/{groupId}/enrollment-files/{fileId}": {
        "get": _op(
            "File status",
            "200",
            _json(ref("FileStatus")),
            [GROUP_ID, {"name": "fileId", "in": "path", "required": True, "schema": STR}],
        )
    },
    "/groups/{groupId}/enrollment-files/{fileId}/acknowledgment": {
        "get": _op(
            "The 999",
            "200",
            {"content": {"application/edi-x12": {"schema": {"type": "string"}}}},
            [GROUP_ID, {"name": "fileId", "in": "path", "required": True, "schema": STR}],
        )
    },
}


def openapi_document(server_url: str = "/sandbox/groupsales/v1") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Humana Group Sales API (sandbox)", "version": "1"},
        "servers": [{"url": server_url}],
        "security": [{"apiKey": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }


def document(request: HttpRequest) -> JsonResponse:
    """Public, like the carrier's developer portal: the contract, not data."""
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0])
    return JsonResponse(openapi_document(base))
