"""Typed errors of the Group Sales API client (api.md, "Errors").

Two families, so a Celery task needs one decision: ``CarrierTransientError`` (retry later, the
same idempotency key) and ``CarrierPermanentError`` (the operation is over; a corrected request is a
new operation). Every error carries ``status`` (HTTP status or ``None`` when no answer came),
``code`` (the carrier's code, or the client's own for a failure without a body) and
``correlation_id`` (the ``X-Correlation-ID`` of the call, to find it in ``carrier.models.ApiCall``).
``ProblemError`` (an error object of api.md) is the contract's, re-exported here.
"""

from __future__ import annotations

from typing import Any

from groupsales.contract.models import ProblemError

_KEPT = {"code", "pointer", "message", "severity", "member_ref"}


class CarrierError(Exception):
    """Anything that kept a carrier call from giving its answer."""

    default_code = "CARRIER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str = "",
        errors: list[ProblemError] | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or self.default_code
        self.correlation_id = correlation_id
        self.errors: list[ProblemError] = list(errors or [])
        self.problem = problem

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.code}{where}: {self.message} [correlation {self.correlation_id or '-'}]"

    def error_dicts(self) -> list[dict[str, Any]]:
        """The carrier's errors as the portal keeps them beside the fields (camelCase, as api.md writes)."""
        return [e.model_dump(by_alias=True, include=_KEPT) for e in self.errors]

    def codes_text(self) -> str:
        """The distinct codes of the errors ("GRP-001, GRP-007"), or the error's own code."""
        return ", ".join(sorted({e.code for e in self.errors})) or self.code


class CarrierTransientError(CarrierError):
    """Connection failure, timeout, 429 or 500/502/503/504 after the client's own retries: retry later.

    ``retry_after`` is the carrier's ``Retry-After`` in seconds when it sent one, else ``None``.
    """

    default_code = "UNAVAILABLE"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class CarrierPermanentError(CarrierError):
    """The carrier refused the request (400, 401, 413, 415, another 4xx): retrying will not help."""


class CarrierRuleError(CarrierPermanentError):
    """422: the request breaks carrier rules; ``errors`` lists every broken rule (``SCHEMA`` or a rule ID)."""

    default_code = "SCHEMA"

    @property
    def blocking(self) -> list[ProblemError]:
        return [e for e in self.errors if not e.is_warning]

    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


class CarrierNotFoundError(CarrierPermanentError):
    """404: no such resource for this partner (another partner's group looks the same)."""

    default_code = "NOT_FOUND"


class CarrierConflictError(CarrierPermanentError):
    """409: ``INVALID_STATE``, ``IDEMPOTENCY_KEY_REUSED`` or ``FIL-002`` (``file_id`` = the earlier file)."""

    default_code = "INVALID_STATE"

    def __init__(self, message: str, *, file_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.file_id = file_id


class CarrierResponseError(CarrierPermanentError):
    """The carrier answered something that does not fit api.md (bad JSON, a missing or mistyped field)."""

    default_code = "INVALID_RESPONSE"


__all__ = [
    "CarrierConflictError",
    "CarrierError",
    "CarrierNotFoundError",
    "CarrierPermanentError",
    "CarrierResponseError",
    "CarrierRuleError",
    "CarrierTransientError",
    "ProblemError",
]
