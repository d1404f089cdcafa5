"""Template helpers that show the carrier's codes, plans and money in words (see ``portal.display``).

``{{ amount|money }}`` → $3,304.90 · ``{{ difference|money:"signed" }}`` → +$12.00 ·
``{{ o.line|code:"line" }}`` → Medical / Médica · ``{% plan_name plan_id %}`` → Humana Silver PPO 3500
(Silver, PPO). ``plan_name`` reads the catalogue once per request for every plan the page shows.
"""

from __future__ import annotations

from typing import Any

from django import template

from portal import display

register = template.Library()


@register.filter
def money(value: Any, arg: str = "") -> str:
    return display.money(value, signed=arg == "signed")


@register.filter
def code(value: Any, kind: str) -> str:
    return display.code_label(value, kind)


@register.filter
def contribution(value: Any) -> str:
    return display.contribution_words(value)


@register.filter
def codes(values: Any, kind: str) -> str:
    """A list of codes in words, joined: ``{{ group.lines|codes:"line" }}`` → Medical, Dental."""
    return ", ".join(display.code_label(v, kind) for v in values or []) or display.NONE


def _names(context: template.Context) -> dict:
    """Every catalogue plan's name, read once per request (once per render without a request)."""
    from catalogue.plan_names import plan_names_all

    request = context.get("request")
    names = getattr(request, "_plan_names", None)
    if names is None:
        names = plan_names_all()
        if request is not None:
            request._plan_names = names
    return names


@register.simple_tag(takes_context=True)
def plan_name(context: template.Context, plan_id: Any) -> str:
    return display.plan_label(plan_id, _names(context))


@register.simple_tag(takes_context=True)
def plan_names(context: template.Context, plan_ids: Any) -> str:
    """Several plans in words, joined with "; "."""
    names = _names(context)
    return "; ".join(display.plan_label(p, names) for p in plan_ids or []) or display.NONE
