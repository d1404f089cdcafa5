"""What an employer contact may reach: only the groups they are a contact of (another is 404)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from enrollment.models import EmployerGroup

from .models import EmployerContact


def employer_groups(*, user: User | AnonymousUser) -> QuerySet[EmployerGroup]:
    if not user.is_authenticated:
        return EmployerGroup.objects.none()
    return EmployerGroup.objects.filter(employer_contacts__user=user).order_by("legal_name", "pk")


def employer_contact_get(*, user: User | AnonymousUser, group_pk: int) -> EmployerContact:
    """The user's contact row for the group; Http404 when they are not its employer."""
    if not user.is_authenticated:
        raise Http404("No such group.")
    try:
        return EmployerContact.objects.select_related("group").get(user=user, group_id=group_pk)
    except EmployerContact.DoesNotExist as exc:
        raise Http404("No such group.") from exc
