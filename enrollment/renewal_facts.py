"""What a group's renewal tells the apps beside ``renewals`` (MNT-011), without importing it.

``renewals`` registers a source in its ``AppConfig.ready``: a function of the group that answers the
group's current renewal (the next renewal date not yet renewed) as the portal last read it from the
carrier, or None when it knows of none. ``maintenance`` reads it to hold a change effective on or after
that date until the renewal is accepted (business-rules.md MNT-011); the carrier refuses such a change
at validation until then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CurrentRenewal:
    """The group's current renewal: its date, and whether the carrier has it ``ACCEPTED`` (or RENEWED)."""

    renewal_date: date
    accepted: bool


RenewalSource = Callable[[Any], CurrentRenewal | None]
_SOURCES: list[RenewalSource] = []


def renewal_source_register(source: RenewalSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def current_renewal(*, group: Any) -> CurrentRenewal | None:
    """The first answer of the registered sources (None: no source, or no renewal known)."""
    for source in _SOURCES:
        found = source(group)
        if found is not None:
            return found
    return None
