"""How the portal shows the carrier's codes, plans and money to people: one place for every page.

* the words of the code lists and money (``LABELS``, ``code_label``, ``money``, ...): ``portal.words``;
* ``plan_label``: a plan's marketing name with its metal level and type, from the loaded rate files
  (``catalogue.plan_names``), the plan ID when the catalogue does not know it.

``portal/templatetags/display.py`` makes them template filters (``|money``, ``|code:"line"``) and a tag
(``{% plan_name plan_id %}``); Python code (form choices) calls these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from catalogue.plan_names import plan_names_for

from .words import (
    LABELS,
    LINE_PHRASES,
    NONE,
    code_choices,
    code_label,
    contribution_words,
    line_phrase,
    money,
)

__all__ = [
    "LABELS",
    "LINE_PHRASES",
    "NONE",
    "code_choices",
    "code_label",
    "contribution_words",
    "line_phrase",
    "money",
    "plan_choices",
    "plan_label",
]


def plan_label(plan_id: Any, names: Mapping[str, Any] | None = None) -> str:
    """'Humana Silver PPO 3500 (Silver, PPO)'; the plan ID when the catalogue does not know it."""
    if not plan_id:
        return NONE
    if names is None:
        names = plan_names_for([plan_id])
    plan = names.get(str(plan_id))
    if plan is None:
        return str(plan_id)
    facts = [f for f in (code_label(plan.metal_level, "metal"), plan.plan_type) if f and f != NONE]
    facts = [f for f in facts if f.upper() not in ("VIS",)]
    return f"{plan.name} ({', '.join(facts)})" if facts else plan.name


def plan_choices(plan_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(plan ID, label) for form choices, one catalogue query for all of them."""
    ids = [str(p) for p in plan_ids]
    names = plan_names_for(ids)
    return [(p, plan_label(p, names)) for p in ids]
