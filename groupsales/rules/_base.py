"""The rule machinery: violations, the rule table, a never-raising view of a JSON body, the registry.

A rule is a small generator registered with :func:`rule` under its ID and phase; it receives the
phase's input object and yields :class:`Finding` values (a pointer, optionally a more specific message,
a member reference). :func:`run` turns them into :class:`Violation` objects with the rule's fix,
de-duplicated and sorted by (pointer, code).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

__all__ = ["RULES", "Finding", "Node", "Rule", "Violation", "rule", "run"]

logger = logging.getLogger(__name__)

#: Tests set this to True so that a rule that raises fails loudly instead of being logged and skipped.
STRICT = False


@dataclass(frozen=True)
class Violation:
    code: str
    pointer: str
    message: str
    fix: str
    severity: str = "error"
    member_ref: str | None = None

    def as_problem(self) -> dict[str, Any]:
        """The error object of api.md's problem body."""
        return {
            "code": self.code,
            "pointer": self.pointer,
            "message": self.message,
            "severity": self.severity,
            "memberRef": self.member_ref,
        }


@dataclass(frozen=True)
class Rule:
    code: str
    when: frozenset[str]
    summary: str
    fix: str


RULES: dict[str, Rule] = {}


def _define(code: str, when: str, summary: str, fix: str) -> None:
    RULES[code] = Rule(code=code, when=frozenset(when), summary=summary, fix=fix)


class Finding(NamedTuple):
    """What a rule function yields: where, and optionally a more specific message or fix."""

    pointer: str
    message: str | None = None
    member_ref: str | None = None
    fix: str | None = None
    severity: str = "error"  # "warning": reported, never refusing (GRP-015 before its cutover date)


_Check = Callable[[Any], Iterable[Finding]]
_REGISTRY: dict[str, list[tuple[str, _Check]]] = {}


def rule(code: str, *, when: str) -> Callable[[_Check], _Check]:
    """Register a rule function for phase ``when`` (one of C, V, F, P); the ID must be in RULES."""
    if code not in RULES:
        raise KeyError(f"{code} is not in RULES")
    if when not in RULES[code].when:
        raise ValueError(f"{code} is not checked at {when}")

    def register(func: _Check) -> _Check:
        _REGISTRY.setdefault(when, []).append((code, func))
        return func

    return register


def registered(when: str) -> list[str]:
    """The rule IDs registered for a phase (for tests and documentation)."""
    return [code for code, _func in _REGISTRY.get(when, [])]


def run(when: str, subject: Any, *, only: Iterable[str] | None = None) -> list[Violation]:
    """Every registered rule of the phase over ``subject``: all violations, sorted by (pointer, code)."""
    wanted = None if only is None else set(only)
    found: dict[tuple[str, str, str | None, str], Violation] = {}
    for code, func in _REGISTRY.get(when, []):
        if wanted is not None and code not in wanted:
            continue
        spec = RULES[code]
        try:
            findings = list(func(subject))
        except Exception as exc:
            if STRICT:
                raise
            # Never let one broken rule take the whole check down. Only the exception's type is logged:
            # its message could quote the body (personal data).
            logger.error("rule %s raised %s on its input; skipped", code, type(exc).__name__)
            continue
        for finding in findings:
            violation = Violation(
                code=code,
                pointer=finding.pointer,
                message=finding.message or spec.summary,
                fix=finding.fix or spec.fix,
                member_ref=finding.member_ref,
                severity=finding.severity,
            )
            found.setdefault((violation.pointer, code, violation.member_ref, violation.message), violation)
    return sorted(found.values(), key=lambda v: (v.pointer, v.code, v.member_ref or "", v.message))


# --------------------------------------------------------------------------------------------------
# A typed, never-raising view of a JSON body


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


class Node:
    """A value found (or not) at a JSON Pointer.

    Reading a key that is absent gives a missing node pointing at that key; reading below a missing node
    gives the same missing node (its pointer stays at the first absent key, whose parent exists); reading a
    key of a value that is not an object gives a missing node pointing at that value. So the pointer of
    any node either resolves or names an absent key of an existing object.
    """

    __slots__ = ("missing", "pointer", "value")

    def __init__(self, value: Any, pointer: str = "", *, missing: bool = False) -> None:
        self.value = None if missing else value
        self.pointer = pointer
        self.missing = missing

    def __repr__(self) -> str:
        return f"Node({self.pointer!r}, missing={self.missing})"

    def __getitem__(self, key: str) -> Node:
        if self.missing:
            return self
        if isinstance(self.value, dict):
            if key in self.value:
                return Node(self.value[key], f"{self.pointer}/{_escape(key)}")
            return Node(None, f"{self.pointer}/{_escape(key)}", missing=True)
        return Node(None, self.pointer, missing=True)

    def at(self, index: int) -> Node:
        if isinstance(self.value, list) and 0 <= index < len(self.value):
            return Node(self.value[index], f"{self.pointer}/{index}")
        return Node(None, self.pointer, missing=True)

    def items(self) -> list[Node]:
        """The elements of a list (nothing for anything else)."""
        if isinstance(self.value, list):
            return [Node(item, f"{self.pointer}/{index}") for index, item in enumerate(self.value)]
        return []

    def child(self, name: str) -> str:
        """The pointer of a key below this node (for a key that may be absent)."""
        if self.missing or not isinstance(self.value, dict):
            return self.pointer
        return f"{self.pointer}/{_escape(name)}"

    # ---- typed reads: None when the value is absent or of another type

    @property
    def is_null(self) -> bool:
        """Absent or JSON null."""
        return self.value is None

    @property
    def is_dict(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def text(self) -> str | None:
        return self.value if isinstance(self.value, str) else None

    def code(self, allowed: Iterable[str]) -> str | None:
        """The string when it is one of ``allowed``."""
        value = self.text()
        return value if value is not None and value in set(allowed) else None

    def integer(self) -> int | None:
        value = self.value
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return None

    def number(self) -> Decimal | None:
        value = self.value
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float) and value == value and abs(value) != float("inf"):
            return Decimal(str(value))
        return None

    def boolean(self) -> bool | None:
        return self.value if isinstance(self.value, bool) else None

    def date(self) -> date | None:
        """A ``YYYY-MM-DD`` string that names a real day."""
        value = self.text()
        if value is None or not _DATE.fullmatch(value):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None

    def money(self) -> Decimal | None:
        """A decimal string (``"412.50"``; a bare number is accepted too, floats are not)."""
        value = self.value
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return Decimal(value)
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            return None
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None


def as_date(value: object) -> date | None:
    """A date (a datetime gives its date); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
