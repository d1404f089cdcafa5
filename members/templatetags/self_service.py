"""Template helpers of employee self-service (the broker's member list)."""

from django import template
from django.db.models import prefetch_related_objects

register = template.Library()


@register.simple_tag
def prefetch_invitations(subscribers) -> str:
    """Load the invitations of every listed subscriber in one query (``sub.invitations.all.0`` is then
    the latest one without a query per family)."""
    prefetch_related_objects(list(subscribers), "invitations")
    return ""
