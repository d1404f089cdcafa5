"""Who may reach every agency's records through the broker pages: only a staff user whose Django
permissions say so. A broker reaches their own groups, a principal the agency's (the selectors of each
app); ``is_staff`` alone grants nothing there (it only opens the admin, which checks the same
permissions), and a permission given to a user who is not staff (a broker) does not widen their reach."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AbstractUser, AnonymousUser, User
from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind ``login_required``: its user is signed in (the type of its views'
    ``request``, so that a service's ``by`` gets a user, never ``AnonymousUser``)."""

    user: User


def may_reach_every(user: AbstractBaseUser | AnonymousUser, *, records: Sequence[str], write: bool) -> bool:
    """Whether ``user`` is staff and holds ``<app>.view_<model>`` (``write``: ``<app>.change_<model>``)
    for every ``records`` label (``app_label.model``, e.g. ``enrollment.employergroup``)."""
    action = "change" if write else "view"
    if not (isinstance(user, AbstractUser) and user.is_authenticated and user.is_staff) or not records:
        return False
    return all(user.has_perm(f"{app}.{action}_{model}") for app, model in (r.split(".") for r in records))
