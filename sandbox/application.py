"""The signed Employer Group Application (api.md 1.1, ``employerGroupApplication``; business-rules.md
GRP-015 at create and PATCH): what the carrier checks when one is sent, and how it is stored (apart from
the body, with ``receivedAt`` and ``stale``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import clock
from .http import error

APPLICATION = "employerGroupApplication"


def application_stored(application: Any, received: Any) -> dict[str, Any] | None:
    if not isinstance(application, dict):
        return None
    return {**application, "receivedAt": clock.rfc3339(received), "stale": False}


def moment(value: Any) -> Any:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def application_errors(
    application: dict[str, Any], body: dict[str, Any], *, changed_before: Any
) -> list[dict]:
    """GRP-015 (C) over a sent ``employerGroupApplication``: the document's SHA-256, both signatures, the
    agent's NPN equal to the writing agent's, each ``signedAt`` not in the future and, on a PATCH, later
    than the last earlier request that changed application data (``changed_before``); ``ELECTRONIC``."""
    base = f"/{APPLICATION}"
    errors = []
    digest = application.get("documentSha256")
    if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
        errors.append(
            error("GRP-015", "documentSha256 is 64 lower-case hex digits.", f"{base}/documentSha256")
        )
    agent_npn = str((body.get("writingAgent") or {}).get("npn") or "")
    for who, needed in (
        ("employerSignature", ("signedBy", "title", "email")),
        ("agentSignature", ("npn", "signedBy", "email")),
    ):
        signature = application.get(who)
        if not isinstance(signature, dict):
            errors.append(error("GRP-015", f"{who} is required.", f"{base}/{who}"))
            continue
        for name in needed:
            if not str(signature.get(name) or "").strip():
                errors.append(error("GRP-015", f"{who}.{name} is required.", f"{base}/{who}/{name}"))
        if who == "agentSignature" and signature.get("npn") and str(signature["npn"]) != agent_npn:
            errors.append(
                error(
                    "GRP-015",
                    "The agent's signature names another NPN than the writing agent.",
                    f"{base}/{who}/npn",
                )
            )
        if signature.get("method") != "ELECTRONIC":
            errors.append(error("GRP-015", "method is ELECTRONIC.", f"{base}/{who}/method"))
        signed = moment(signature.get("signedAt"))
        if signed is None or signed.tzinfo is None:
            errors.append(error("GRP-015", "signedAt is an RFC 3339 date-time.", f"{base}/{who}/signedAt"))
        elif signed > clock.now():
            errors.append(error("GRP-015", "signedAt is in the future.", f"{base}/{who}/signedAt"))
        elif changed_before is not None and signed <= changed_before.replace(microsecond=0):
            # applicationChangedAt is given to the second: a signature of that very second is not later.
            errors.append(
                error("GRP-015", "Signed before the last change of the application data: sign it again.",
                      f"{base}/{who}/signedAt")
            )  # fmt: skip
    return errors


def application_bare(application: Any) -> Any:
    """A stored application without what the carrier added to it."""
    if not isinstance(application, dict):
        return application
    return {k: v for k, v in application.items() if k not in ("receivedAt", "stale")}
