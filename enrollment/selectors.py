"""Reads of employer groups, always scoped to what the user may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import EmployerGroup


def group_list_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[EmployerGroup]:
    """Staff see every group; an agency principal the agency's; a broker their own; anyone else none."""
    groups = EmployerGroup.objects.select_related("agency", "broker__user")
    if not user.is_authenticated:
        return groups.none()
    if user.is_staff:
        return groups
    broker = getattr(user, "broker", None)
    if broker is None:
        return groups.none()
    if broker.is_principal:
        return groups.filter(agency_id=broker.agency_id)
    return groups.filter(broker_id=broker.pk)
