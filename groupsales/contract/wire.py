"""A body as the carrier reads it, and pydantic's errors as api.md's ``SCHEMA`` problems.

``wire_problems(Model, body)`` validates a decoded JSON body the way the carrier does: as JSON, strictly
(a number is no string, ``"3"`` no number, a date is ``YYYY-MM-DD``, money a string with two decimals), by
the camelCase names only (a snake_case key is an unknown field, ignored). ``schema_problems(exc)`` turns
any ``ValidationError`` of a contract model into problems with a JSON Pointer into the body and a sentence
in the carrier's words (never pydantic's own); the portal's client words its refusals the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from groupsales.codes import MEMBER_REF_PATTERN

from .base import MONEY_ERROR


@dataclass(frozen=True)
class SchemaProblem:
    """A ``SCHEMA`` problem: where (a JSON Pointer), what (the carrier's words), and whether the value
    is missing (absent or null), which a rule that names the same pointer may say instead."""

    pointer: str
    message: str
    missing: bool = False


_EXPECTED = (  # error type (a prefix) -> what was expected
    ("string_type", "A string is expected here."),
    ("int_", "A whole number is expected here."),
    ("bool_", "true or false is expected here."),
    ("date_", "A date YYYY-MM-DD is expected here."),
    ("datetime_", "A timestamp like 2026-11-23T15:00:00Z is expected here."),
    (MONEY_ERROR, 'An amount as a string with two decimals ("412.50") is expected here.'),
    ("model_", "An object is expected here."),
    ("dict_", "An object is expected here."),
    ("list_", "An array is expected here."),
)
_PATTERNS = {
    MEMBER_REF_PATTERN: "A reference of 1 to 30 capital letters, digits or hyphens is expected here."
}
_CHOICES = ("enum", "literal_error")


def wire_problems(model: type[BaseModel], body: Any) -> list[SchemaProblem]:
    """Every ``SCHEMA`` problem of ``body`` (decoded JSON) as a request of ``model``; empty: it fits."""
    try:
        model.model_validate_json(json.dumps(body), strict=True, by_alias=True, by_name=False)
    except ValidationError as exc:
        return schema_problems(exc)
    return []


def schema_problems(exc: ValidationError) -> list[SchemaProblem]:
    """One problem per pointer, in the body's order; the members of a union (``Tier`` or ``WAIVE``)
    make one "one of" problem."""
    by_pointer: dict[str, list[ErrorDetails]] = {}
    for err in exc.errors():
        by_pointer.setdefault(pointer_of(err["loc"]), []).append(err)
    return [_problem(pointer, errors) for pointer, errors in by_pointer.items()]


def pointer_of(loc: tuple[int | str, ...]) -> str:
    """The JSON Pointer of an error's location (without pydantic's union and validator tags)."""
    return "".join(f"/{_escape(str(part))}" for part in loc if not _is_tag(part))


def _is_tag(part: int | str) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _problem(pointer: str, errors: list[ErrorDetails]) -> SchemaProblem:
    first = errors[0]
    if first["type"] == "missing":
        name = next((str(p) for p in reversed(first["loc"]) if not _is_tag(p)), "A value")
        return SchemaProblem(pointer, f"{name} is required.", missing=True)
    if first.get("input", "") is None:
        return SchemaProblem(pointer, "A value is required here (not null).", missing=True)
    if all(e["type"] in _CHOICES for e in errors):
        expected = " ".join(str((e.get("ctx") or {}).get("expected")) for e in errors)
        allowed = re.findall(r"'([^']*)'", expected)
        return SchemaProblem(pointer, f"The value must be one of {', '.join(allowed)}.")
    return SchemaProblem(pointer, _words(first))


def _words(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return _PATTERNS.get(pattern, f"A value matching {pattern} is expected here.")
    if kind == "too_short":
        return f"At least {ctx.get('min_length')} items are needed here."
    if kind == "too_long":
        return f"At most {ctx.get('max_length')} items are allowed here."
    return next((words for prefix, words in _EXPECTED if kind.startswith(prefix)), err["msg"])
