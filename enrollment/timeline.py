"""What other apps add to a group's timeline (the group page), without ``enrollment`` importing them.

An app above ``enrollment`` registers a source in its ``AppConfig.ready``: a function of the group that
returns entries ``{"at": datetime, "kind": str, "item": object}``; the group page's template shows each
``kind`` it knows (``renewal``: a ``renewals.RenewalEvent``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TimelineSource = Callable[[Any], list[dict[str, Any]]]
_SOURCES: list[TimelineSource] = []


def timeline_source_register(source: TimelineSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def timeline_entries(*, group: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for source in _SOURCES:
        entries += source(group)
    return entries
