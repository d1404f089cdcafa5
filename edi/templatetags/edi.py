from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("edi/_transmission_list.html", takes_context=True)
def group_transmissions(context, group):
    """The group's enrollment files, their timelines and the broker's actions."""
    actions = selectors.group_actions(group=group)
    links = selectors.member_family_urls(group=group, member_refs=[m.member_ref for m in actions["rejected"]])
    return {
        "group": group,
        "transmissions": selectors.transmissions_for_group(group=group),
        "actions": actions,
        "rejected": [(m, links.get(m.member_ref)) for m in actions["rejected"]],
        "csrf_token": context.get("csrf_token"),
    }
