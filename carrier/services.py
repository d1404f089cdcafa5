"""Services of the carrier app: idempotent operations and the record of every HTTP attempt.

Every call goes through ``carrier.operations.carrier_call``, which opens nothing itself: the caller
gets the operation (and its key) from :func:`operation_for`, the helper marks it FAILED or SUCCEEDED.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from groupsales.masking import mask_json

from .models import ApiCall, CarrierOperation

logger = logging.getLogger(__name__)

_CREATE_ATTEMPTS = 5


class OperationStateError(ValueError):
    """A transition the operation's lifecycle does not allow (e.g. FAILED → SUCCEEDED)."""


def new_idempotency_key() -> str:
    """A fresh key: 32 hex characters (api.md allows 1 to 64)."""
    return uuid.uuid4().hex


def operation_for(*, kind: str, subject: str) -> CarrierOperation:
    """The OPEN operation for (kind, subject), or a new one with a fresh key, saved before any call.

    Safe under concurrency: the partial unique constraint allows one OPEN row per (kind, subject);
    a worker that loses the race reads the winner's row.
    """
    if not kind or not subject:
        raise ValueError("an operation needs a kind and a subject")
    for _ in range(_CREATE_ATTEMPTS):
        existing = CarrierOperation.objects.filter(
            kind=kind, subject=subject, status=CarrierOperation.Status.OPEN
        ).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return CarrierOperation.objects.create(
                    kind=kind, subject=subject, idempotency_key=new_idempotency_key()
                )
        except IntegrityError:
            continue  # another worker opened it first: read theirs
    raise RuntimeError(f"could not open a carrier operation for {kind} {subject}")


def _close(*, operation: CarrierOperation, status: str, fields: dict[str, Any]) -> CarrierOperation:
    now = timezone.now()
    # A batch's bodies are kept only while it may be sent again (personal data: not once it is closed).
    updated = CarrierOperation.objects.filter(id=operation.id, status=CarrierOperation.Status.OPEN).update(
        status=status, updated_at=now, sent_bodies=None, **fields
    )
    operation.refresh_from_db()
    if not updated and operation.status != status:
        raise OperationStateError(
            f"operation {operation.id} is {operation.status}; it cannot become {status}"
        )
    return operation


def operation_mark_succeeded(*, operation: CarrierOperation, response: dict[str, Any]) -> CarrierOperation:
    """OPEN → SUCCEEDED, keeping the (masked) answer. Marking a succeeded operation again is a no-op."""
    return _close(
        operation=operation,
        status=CarrierOperation.Status.SUCCEEDED,
        fields={"response": mask_json(response), "error": ""},
    )


def operation_mark_failed(*, operation: CarrierOperation, error: str) -> CarrierOperation:
    """OPEN → FAILED. The next ``operation_for`` of the same (kind, subject) gets a new key."""
    return _close(operation=operation, status=CarrierOperation.Status.FAILED, fields={"error": error[:10000]})


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def operation_note_request(*, idempotency_key: str, digest: str) -> CarrierOperation | None:
    """Remember the first body sent under a key; warn when a later one differs (the carrier answers 409).

    Returns the operation owning the key, or ``None`` when the caller used a key of its own.
    """
    operation = CarrierOperation.objects.filter(idempotency_key=idempotency_key).first()
    if operation is None:
        return None
    if not operation.request_digest:
        CarrierOperation.objects.filter(id=operation.id, request_digest="").update(request_digest=digest)
        operation.request_digest = digest
    elif operation.request_digest != digest:
        logger.warning(
            "carrier operation %s (%s %s): a different body under the same idempotency key",
            operation.id,
            operation.kind,
            operation.subject,
        )
    return operation


def api_call_record(
    *,
    operation: CarrierOperation | None,
    subject: str,
    method: str,
    path: str,
    status_code: int | None,
    outcome: str,
    duration_ms: int,
    attempt: int,
    correlation_id: str,
    idempotency_key: str = "",
    request_body: str = "",
    response_body: str = "",
    error: str = "",
) -> ApiCall:
    """Store one HTTP attempt. Bodies must already be masked (``groupsales.masking.masked_body``)."""
    return ApiCall.objects.create(
        operation=operation,
        subject=subject[:128],
        method=method,
        path=path[:500],
        status_code=status_code,
        outcome=outcome,
        duration_ms=max(0, duration_ms),
        attempt=attempt,
        correlation_id=correlation_id[:64],
        idempotency_key=idempotency_key[:64],
        request_body=request_body,
        response_body=response_body,
        error=error[:2000],
    )
