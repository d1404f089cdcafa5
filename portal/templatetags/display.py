"""Template helpers that show the carrier's codes, plans and money in words (see ``portal.display``).

``{{ amount|money }}`` → $3,304.90 · ``{{ difference|money:"signed" }}`` → +$12.00 ·
``{{ o.line|code:"line" }}`` → Medical / Médica · ``{% plan_name plan_id %}`` → Humana Silver PPO 3500
(Silver, PPO). ``plan_name`` reads the catalogue once per request for every plan the page shows.
``{{ e.reason|recorded }}``: a sentence the portal recorded, in the reader's language (``portal.recorded``);
``{{ p|rule_message }}``, ``{{ p|rule_fix }}``: a rule problem's texts in the reader's language.
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


@register.filter
def recorded(value: Any) -> str:
    """A sentence the portal recorded (a timeline's reason) in the reader's language (``portal.recorded``)."""
    from portal.recorded import recorded_words

    return recorded_words(value)


def _rule_part(problem: Any, name: str) -> str:
    value = problem.get(name, "") if isinstance(problem, dict) else getattr(problem, name, "")
    return str(value or "")


@register.filter
def rule_message(problem: Any) -> str:
    """A rule problem's message as the reader reads it (``enrollment.rules.rule_words``): English keeps the
    carrier's specific message, another language the rule's statement from the catalogue."""
    from enrollment.rules import rule_words

    return rule_words(_rule_part(problem, "code"), _rule_part(problem, "message"))[0]


@register.filter
def rule_fix(problem: Any) -> str:
    """A rule problem's fix in the reader's language (the rule's own when the problem has none)."""
    from enrollment.rules import rule_words

    code, message, fix = (_rule_part(problem, n) for n in ("code", "message", "fix"))
    return rule_words(code, message, fix)[1]
