"""api.md's operations (route, request, answer) and the OpenAPI 3.1 document generated from them.

``OPERATIONS`` names each operation's models; the sandbox validates a request with the model named here
(``request_of``), and ``openapi_document`` builds every schema of the document from the same models
(pydantic's JSON Schema, validation mode: what a reader of the JSON accepts). Only the document's frame is
written here: paths, parameters, status codes and their descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from .base import IdempotencyKey
from .maintenance import (
    ChangeBatchRequest,
    ChangeBatchResult,
    ChangeFileStatus,
    ChangeValidationRequest,
    ChangeValidationResult,
    ChangeValidationSummary,
    RosterPage,
    RosterQuery,
)
from .models import (
    AgentGroup,
    AgentGroupsQuery,
    CreatedGroup,
    CreateGroupRequest,
    FileReceipt,
    FinalizedGroup,
    FinalizeRequest,
    GroupDetail,
    Page,
    PageQuery,
    PatchGroupRequest,
    Problem,
)
from .renewal import Renewal, RenewalDecisionRequest, RenewalDecisionResult, RenewalSummary

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
X12 = "application/edi-x12"
PROBLEM = "application/problem+json"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    """One call of api.md. ``request`` and ``answer`` are types pydantic can describe (a model, ``str``
    for an X12 text); ``query`` a model of the query parameters."""

    method: str
    path: str
    summary: str
    ok: int
    answer: Any = None
    answer_type: str = JSON
    request: Any = None
    request_type: str = JSON
    query: type[BaseModel] | None = None


GROUP = "/groups/{groupId}"
MEMBERS = f"{GROUP}/member-validations"
FILES = f"{GROUP}/enrollment-files"

OPERATIONS: dict[str, Operation] = {
    "listAgentGroups": Operation(
        "GET",
        "/agents/{npn}/groups",
        "Groups written with an agent",
        200,
        Page[AgentGroup],
        query=AgentGroupsQuery,
    ),
    "createGroup": Operation(
        "POST", "/groups", "Create group", 201, CreatedGroup, request=CreateGroupRequest
    ),
    "getGroup": Operation("GET", GROUP, "The group", 200, GroupDetail),
    "patchGroup": Operation(
        "PATCH",
        GROUP,
        "Change the group (JSON merge patch)",
        200,
        GroupDetail,
        request=PatchGroupRequest,
        request_type=MERGE_PATCH,
    ),
    "finalizeGroup": Operation(
        "POST", f"{GROUP}/finalize", "Finalize", 200, FinalizedGroup, request=FinalizeRequest
    ),
    "validateMember": Operation(
        "POST",
        MEMBERS,
        "Validate one covered life",
        200,
        ChangeValidationResult,
        request=ChangeValidationRequest,
    ),
    "listMemberValidations": Operation(
        "GET", MEMBERS, "Current validations", 200, Page[ChangeValidationSummary], query=PageQuery
    ),
    "validateMembers": Operation(
        "POST",
        f"{MEMBERS}/batch",
        "Validate up to 200 covered lives",
        200,
        ChangeBatchResult,
        request=ChangeBatchRequest,
    ),
    "withdrawMember": Operation("DELETE", f"{MEMBERS}/{{memberRef}}", "Withdraw a member", 204),
    "uploadEnrollmentFile": Operation(
        "POST", FILES, "Upload an 834", 202, FileReceipt, request=str, request_type=X12
    ),
    "listEnrollmentFiles": Operation(
        "GET", FILES, "The group's files", 200, Page[ChangeFileStatus], query=PageQuery
    ),
    "getEnrollmentFile": Operation("GET", f"{FILES}/{{fileId}}", "File status", 200, ChangeFileStatus),
    # 1.1, api.md *Maintenance*: the carrier's roster.
    "listGroupMembers": Operation(
        "GET", f"{GROUP}/members", "The carrier's roster", 200, RosterPage, query=RosterQuery
    ),
    "getAcknowledgment": Operation(
        "GET", f"{FILES}/{{fileId}}/acknowledgment", "The 999", 200, str, answer_type=X12
    ),
    # 1.1, *Renewal*
    "getRenewal": Operation("GET", f"{GROUP}/renewal", "The current renewal", 200, Renewal),
    "listRenewals": Operation(
        "GET", f"{GROUP}/renewals", "Every renewal, newest first", 200, Page[RenewalSummary], query=PageQuery
    ),
    "decideRenewal": Operation(
        "POST",
        f"{GROUP}/renewal-decisions",
        "The employer's signed renewal decision",
        201,
        RenewalDecisionResult,
        request=RenewalDecisionRequest,
    ),
}

ERRORS = {
    400: "Malformed request",
    401: "No key or an unknown key",
    404: "No such resource",
    409: "Conflict",
    413: "Too large",
    415: "Wrong content type",
    422: "Rules broken",
    429: "Rate limited",
    503: "Unavailable; retry",
}


def request_of(operation_id: str) -> type[BaseModel]:
    """The model a JSON request of the operation must fit."""
    return OPERATIONS[operation_id].request


class _Schema(GenerateJsonSchema):
    """pydantic's JSON Schema without a title on every property (the property's name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _schemas(types: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each type's schema (a ``$ref`` for a model) and the components they refer to."""
    generator = _Schema(ref_template=REF)
    found, components = generator.generate_definitions(
        [(name, "validation", TypeAdapter(t).core_schema) for name, t in types.items()]
    )
    return {name: found[(name, "validation")] for name in types}, {str(k): v for k, v in components.items()}


def _parameters(op: Operation, query: dict[str, Any], text: dict[str, Any], key: dict[str, Any]) -> list:
    names = [part[1:-1] for part in op.path.split("/") if part.startswith("{")]
    out = [{"name": name, "in": "path", "required": True, "schema": text} for name in names]
    if op.query is not None:
        required = set(query.get("required", []))
        for name, schema in query["properties"].items():
            schema = {k: v for k, v in schema.items() if (k, v) != ("default", None)}  # left out: absent
            out.append({"name": name, "in": "query", "required": name in required, "schema": schema})
    if op.method == "POST":  # api.md: every POST carries one
        out.append({"name": "Idempotency-Key", "in": "header", "required": True, "schema": key})
    return out


def _content(media_type: str, schema: Any) -> dict[str, Any]:
    return {"content": {media_type: {"schema": schema}}}


def _paths(operations: dict[str, Operation]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document's paths and its components (the schemas they refer to)."""
    types: dict[str, Any] = {"text": str, "key": IdempotencyKey, "problem": Problem}
    for op_id, op in operations.items():
        for part in ("request", "answer", "query"):
            if getattr(op, part) is not None:
                types[f"{op_id}.{part}"] = getattr(op, part)
    schemas, components = _schemas(types)
    # the query models are spelled out as parameters, not referred to
    query_names = {
        op_id: schemas[f"{op_id}.query"]["$ref"].rsplit("/", 1)[1]
        for op_id, op in operations.items()
        if op.query is not None
    }
    queries = {op_id: components[name] for op_id, name in query_names.items()}
    for name in set(query_names.values()):
        del components[name]
    errors = {
        str(status): {"description": text, **_content(PROBLEM, schemas["problem"])}
        for status, text in ERRORS.items()
    }
    paths: dict[str, Any] = {}
    for op_id, op in operations.items():
        query = queries.get(op_id, {})
        ok = {"description": op.summary}
        if op.answer is not None:
            ok |= _content(op.answer_type, schemas[f"{op_id}.answer"])
        paths.setdefault(op.path, {})[op.method.lower()] = {
            "operationId": op_id,
            "summary": op.summary,
            "parameters": _parameters(op, query, schemas["text"], schemas["key"]),
            **(
                {"requestBody": {"required": True, **_content(op.request_type, schemas[f"{op_id}.request"])}}
                if op.request is not None
                else {}
            ),
            "responses": {str(op.ok): ok, **errors},
        }
    return paths, components


def openapi_document(server_url: str = "/sandbox/groupsales/v1") -> dict[str, Any]:
    """The document of api.md's operations, every schema generated from ``OPERATIONS``' models."""
    paths, components = _paths(OPERATIONS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Humana Group Sales API (sandbox)", "version": "1"},
        "servers": [{"url": server_url}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }
