"""api.md's scenario table: what the sandbox does on purpose for some data, so every path can be tested.

| when | what |
|---|---|
| FEIN begins 98 | create group answers 503 to the first two attempts of an idempotency key, then 201 |
| FEIN begins 97 | the group's first file ends REJECTED (FIL-900); later files are processed normally |
| FEIN begins 96 | files stay PROCESSING ``SANDBOX_STUCK_PROCESSING_SECONDS`` (15 minutes), then end |
| FEIN begins 95 | finalize answers 422 GRP-900 |
| subscriber's last name Rejectsmith | that subscriber and their dependents are REJECTED (FIL-901) |
| writing agent NPN 99999999 | create group answers 422 AGT-002 (``CarrierFacts.agent_appointed``) |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .http import ApiProblem, error
from .models import Group, KeyAttempt, Partner

REJECTED_LAST_NAME = "rejectsmith"


def _fein(body: Any) -> str:
    try:
        return str(body["employer"]["fein"] or "")
    except (KeyError, TypeError):
        return ""


def before_create(*, partner: Partner, body: Any, idempotency_key: str) -> None:
    """FEIN 98: the first two attempts of a key are answered 503 (nothing stored, nothing created)."""
    if not _fein(body).startswith("98"):
        return
    with transaction.atomic():
        row, _ = KeyAttempt.objects.get_or_create(partner=partner, key=idempotency_key)
        KeyAttempt.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        row.refresh_from_db()
    if row.attempts <= 2:
        raise ApiProblem.of(503, "UNAVAILABLE", "The service is unavailable; retry later (sandbox: FEIN 98).")


def at_finalize(*, group: Group) -> list[dict[str, Any]]:
    if group.fein.startswith("95"):
        return [error("GRP-900", "Underwriting declined the group (sandbox: FEIN 95).", "")]
    return []


def processing_seconds(*, group: Group) -> float:
    if group.fein.startswith("96"):
        return float(getattr(settings, "SANDBOX_STUCK_PROCESSING_SECONDS", 15 * 60))
    return float(settings.SANDBOX_FILE_PROCESSING_SECONDS)


def file_rejected_whole(*, group: Group, is_first_file: bool) -> list[dict[str, Any]]:
    if group.fein.startswith("97") and is_first_file:
        return [
            {
                "code": "FIL-900",
                "message": "The group is not in good standing (sandbox: FEIN 97).",
                "segment": None,
                "line": None,
            }
        ]
    return []


def member_rejected(*, subscriber_last_name: str | None) -> bool:
    return (subscriber_last_name or "").strip().lower() == REJECTED_LAST_NAME
