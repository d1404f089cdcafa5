from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("edi/_transmission_list.html", takes_context=True)
def group_transmissions(context, group):
    """The group's enrollment files, their timelines and the broker's actions."""
    return {
        "group": group,
        "transmissions": selectors.transmissions_for_group(group=group),
        "actions": selectors.group_actions(group=group),
        "csrf_token": context.get("csrf_token"),
    }
