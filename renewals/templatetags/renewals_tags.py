"""``{% renewal_badge group %}``: the book's and the group page's line about the group's next renewal
("Renews 2028-01-01 · decision due in 12 days")."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("renewals/_badge.html")
def renewal_badge(group) -> dict:
    renewal = selectors.renewal_current(group=group)
    return {"group": group, "headline": selectors.renewal_headline(renewal=renewal)}


@register.inclusion_tag("renewals/_plan_years.html")
def plan_years(group) -> dict:
    """The group's plan years: the one in force (plans, rates, employer's contribution) and the earlier."""
    years = selectors.plan_years(group=group)
    return {"group": group, "years": years}
