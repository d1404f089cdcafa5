"""What an employer contact may reach: only the groups they are a contact of (another is 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from enrollment.models import EmployerGroup
from groupsales.change_events import ChangeAction, EventType
from maintenance.models import ACTION_WORDS, EVENT_WORDS
from maintenance.selectors import change_list
from renewals.forms import KINDS as DECISION_KINDS
from renewals.models import Renewal
from renewals.selectors import Figures, Headline, renewal_current, renewal_figures, renewal_headline

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


@dataclass(frozen=True)
class ChangeRow:
    """A change after enrollment as the employer sees it: who, what, from when, where it stands."""

    person: str
    event: str
    effective: str
    state: str


def employer_changes(*, group: EmployerGroup, limit: int = 50) -> list[ChangeRow]:
    """The group's changes after enrollment, newest first (names and dates only: no SSN, no birth date)."""
    rows = []
    for request in change_list(group=group).select_related("member").order_by("-pk")[:limit]:
        body = request.body or {}
        member = request.member
        name = (
            f"{member.first_name} {member.last_name}"
            if member is not None
            else f"{body.get('firstName', '')} {body.get('lastName', '')}"
        )
        event = EVENT_WORDS.get(EventType(request.event_type), request.event_type)
        action = ACTION_WORDS.get(ChangeAction(request.action), request.action)
        rows.append(
            ChangeRow(
                person=" ".join(name.split()) or request.member_ref,
                event=f"{event} ({action})",
                effective=(request.change or {}).get("effectiveDate") or "",
                state=str(request.get_state_display()),
            )
        )
    return rows


@dataclass(frozen=True)
class RenewalView:
    renewal: Renewal
    headline: Headline | None
    figures: Figures | None
    decision: str  # the decision's words, "" before one is recorded


def employer_renewal(*, group: EmployerGroup) -> RenewalView | None:
    """The group's current renewal with its figures and decision, for the employer's page."""
    renewal = renewal_current(group=group)
    if renewal is None:
        return None
    kind = (renewal.decision_body or {}).get("decision", "")
    return RenewalView(
        renewal=renewal,
        headline=renewal_headline(renewal=renewal),
        figures=renewal_figures(renewal=renewal),
        decision=str(dict(DECISION_KINDS).get(kind, kind)),
    )
