"""Template filters of the quote pages: ``{{ amount|money }}``, ``{{ plan.deductible|plan_amount }}``."""

from __future__ import annotations

from django import template

from catalogue import display

register = template.Library()
register.filter("money", display.money)
register.filter("plan_amount", display.plan_amount)


@register.filter
def line_label(line: str) -> str:
    """MEDICAL -> "Medical", in the reader's language."""
    from catalogue.quoting import LINE_LABELS

    return str(LINE_LABELS.get(line, line))


@register.filter
def relationship_label(relationship: str) -> str:
    from catalogue.forms import RELATIONSHIP_LABELS

    return str(RELATIONSHIP_LABELS.get(relationship, relationship))


@register.filter
def tier_meaning(tier: str) -> str:
    """What a tier covers (api.md's code list), in the reader's language."""
    from catalogue.forms import TIER_MEANINGS

    return str(TIER_MEANINGS.get(tier, tier))
