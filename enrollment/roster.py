"""What a group's lifecycle reads of its members, and tells them: the roster, answered by ``members``.

A member belongs to a group, so ``members`` sits above ``enrollment`` (docs/architecture.md) and nothing
here imports it. The group's checks that count its people (finalize readiness, the finalize forecast
over the validated members, the change guard, the book's validated count) and what follows an accepted
patch ask the :class:`Roster` that ``members.apps`` registers when Django starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Subquery

if TYPE_CHECKING:
    from .models import EmployerGroup


@dataclass
class GroupProgress:
    """A group's people in counts (the members page, the finalize checklist)."""

    subscribers: int = 0
    members: int = 0
    enrolled: int = 0
    waived: int = 0
    not_started: int = 0
    validated: int = 0
    invalid: int = 0
    incomplete: int = 0
    waiting: int = 0
    participation: list[Any] = field(default_factory=list)  # groupsales.rules.LineParticipation
    blockers: list[str] = field(default_factory=list)

    @property
    def percent_validated(self) -> int:
        return round(100 * self.validated / self.members) if self.members else 0


class Roster(Protocol):
    def validated_bodies(self, *, group: EmployerGroup) -> list[dict[str, Any]]:
        """api.md validation bodies of the group's VALID members (what the carrier's finalize counts)."""
        ...

    def progress(self, *, group: EmployerGroup) -> GroupProgress: ...

    def validated_elections(self, *, group: EmployerGroup) -> list[tuple[str, str, str]] | None:
        """(line, plan ID, member ref) of each plan a current validated member elects, ordered; ``None``
        when the carrier holds no validation of the group."""
        ...

    def validated_subscribers(self) -> Subquery:
        """Per group (``OuterRef("pk")``): how many current subscribers the carrier validated."""
        ...

    def lines_changed(self, *, group: EmployerGroup, removed: set[str], added: set[str]) -> None:
        """The carrier accepted a patch that removed or added lines: its validations follow."""
        ...


_registered: list[Roster] = []


def roster_register(roster: Roster) -> None:
    _registered[:] = [roster]


def roster() -> Roster:
    if not _registered:
        raise ImproperlyConfigured("No group roster: the members app registers it (members.apps).")
    return _registered[0]
