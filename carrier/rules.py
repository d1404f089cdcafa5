"""What the carrier's rules read from the portal's settings: the carrier's business day and the rule
settings (thresholds of ``groupsales.rules``). Every app that runs a rule or dates a carrier step reads
them here, the catalogue's quotes and proposals as much as the group's forms."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from groupsales.rules import RuleSettings


def rule_settings() -> RuleSettings:
    return RuleSettings.from_mapping(getattr(settings, "HUMANA_RULE_SETTINGS", None))


def carrier_today() -> date:
    """The carrier's business day (America/New_York; SANDBOX_TODAY when the sandbox sets one)."""
    if settings.SANDBOX_ENABLED and getattr(settings, "SANDBOX_TODAY", ""):
        return date.fromisoformat(settings.SANDBOX_TODAY)
    return timezone.now().astimezone(ZoneInfo("America/New_York")).date()
