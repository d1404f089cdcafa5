"""The client's side of the contract (``groupsales.contract``): what it sends and how it reads answers.

Requests: ``request_body(Model, data)`` validates a dict (snake_case or camelCase keys, or a model) and
gives the JSON body to send; unknown keys are dropped, so nothing the portal keeps for itself reaches
the carrier, and a dict that does not fit raises ``InvalidCarrierRequest`` (a permanent error, and a
``ValueError``) before any call, with the ``SCHEMA`` problems the carrier would answer.
Responses: ``parse_response(Model, data, ...)`` raises ``CarrierResponseError`` naming the field.

The models are ``groupsales.contract.models``'; the ones the portal's apps import from here are
re-exported below.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from groupsales.contract.models import (
    BatchValidationRequest,
    CreateGroupRequest,
    EnrollmentFileStatus,
    FileReceipt,
    FinalizedGroup,
    MemberValidationRequest,
    ProblemError,
)
from groupsales.contract.wire import schema_problems

from .errors import CarrierPermanentError, CarrierResponseError

__all__ = [
    "BatchValidationRequest",
    "CreateGroupRequest",
    "EnrollmentFileStatus",
    "FileReceipt",
    "FinalizedGroup",
    "InvalidCarrierRequest",
    "MemberValidationRequest",
    "parse_response",
    "request_body",
    "request_model",
]


class InvalidCarrierRequest(CarrierPermanentError, ValueError):
    """A request body that does not fit api.md; caught in the portal, never sent.

    A permanent error (the same body is refused every time; only a corrected one can go), so a task
    that catches ``CarrierPermanentError`` ends instead of retrying. Still a ``ValueError`` for callers
    that check for one. ``errors`` are ``ProblemError``s with code ``SCHEMA``, a JSON Pointer and the
    carrier's words, like the carrier's own; ``status`` is None (nothing was sent).
    """

    default_code = "SCHEMA"

    def __init__(self, model_name: str, errors: list[ProblemError]) -> None:
        detail = "; ".join(f"{e.pointer or '/'}: {e.message}" for e in errors)
        super().__init__(f"{model_name} does not fit api.md: {detail}", errors=errors)

    def __str__(self) -> str:
        return self.message


M = TypeVar("M", bound=BaseModel)


def request_model(model: type[M], data: dict[str, Any] | BaseModel) -> M:
    """Validate a request given as a dict (snake_case or camelCase keys) or as a model."""
    if isinstance(data, BaseModel):
        data = data.model_dump(by_alias=True, exclude_unset=True)
    if not isinstance(data, dict):
        raise InvalidCarrierRequest(model.__name__, [ProblemError(code="SCHEMA", message="not an object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            ProblemError(code="SCHEMA", pointer=p.pointer, message=p.message) for p in schema_problems(exc)
        ]
        raise InvalidCarrierRequest(model.__name__, errors) from None


def request_body(
    model: type[M], data: dict[str, Any] | BaseModel, *, partial: bool = False
) -> dict[str, Any]:
    """The JSON body to send: validated, unknown keys dropped, camelCase, money as strings.

    ``partial`` (merge patch): only the keys that were given, nested too.
    """
    return request_model(model, data).model_dump(mode="json", by_alias=True, exclude_unset=partial)


def parse_response(
    model: type[M], data: Any, *, what: str, correlation_id: str = "", status: int | None = None
) -> M:
    """Validate a decoded response body; a body that does not fit is a ``CarrierResponseError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise CarrierResponseError(
            f"the answer to {what} does not fit {model.__name__}: {fields}",
            status=status,
            correlation_id=correlation_id,
        ) from None
