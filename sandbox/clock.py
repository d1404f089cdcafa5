"""The carrier's clock: its business day (America/New_York, or ``SANDBOX_TODAY``) and timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

NEW_YORK = ZoneInfo("America/New_York")


def now() -> datetime:
    return datetime.now(UTC)


def carrier_today() -> date:
    """``SANDBOX_TODAY`` when set, else today in New York."""
    fixed = getattr(settings, "SANDBOX_TODAY", "")
    if fixed:
        return date.fromisoformat(str(fixed))
    return now().astimezone(NEW_YORK).date()


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
