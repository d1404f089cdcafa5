"""``{% employer_requests group %}``: the broker's group page lists what the employer asked for, with
"Mark done" (the group page's app, ``enrollment``, imports nothing of ``employers``)."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("employers/_requests_broker.html", takes_context=True)
def employer_requests(context: template.Context, group) -> dict:
    return {"group": group, "requests": list(selectors.employer_requests(group=group)[:50]),
            "csrf_token": context.get("csrf_token")}  # fmt: skip
