"""What an employer contact may reach: only the groups they are a contact of (another is 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, QuerySet
from django.http import Http404

from enrollment.models import EmployerGroup
from groupsales.change_events import ChangeAction, EventType
from maintenance.models import ACTION_WORDS, EVENT_WORDS
from maintenance.selectors import change_list
from renewals.forms import KINDS as DECISION_KINDS
from renewals.models import Renewal
from renewals.selectors import Figures, Headline, renewal_current, renewal_figures, renewal_headline
from renewals.signing import decision_state

from .models import EmployerContact, EmployerRequest


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
    to_sign: bool = False  # a prepared decision waits for the employer's signature


def employer_renewal(*, group: EmployerGroup) -> RenewalView | None:
    """The group's current renewal with its figures and decision, for the employer's page."""
    renewal = renewal_current(group=group)
    if renewal is None:
        return None
    kind = (renewal.decision_body or renewal.decision_draft or {}).get("decision", "")
    to_sign = bool(renewal.decision_draft) and decision_state(renewal=renewal).employer is None
    return RenewalView(
        renewal=renewal,
        headline=renewal_headline(renewal=renewal),
        figures=renewal_figures(renewal=renewal),
        decision=str(dict(DECISION_KINDS).get(kind, kind)),
        to_sign=to_sign,
    )


def employer_requests(*, group: EmployerGroup) -> QuerySet[EmployerRequest]:
    """The changes the group's employer asked for, open ones first, newest first."""
    return (
        EmployerRequest.objects.filter(group=group)
        .select_related("done_by")
        .order_by(F("done_at").desc(nulls_first=True), "-created_at", "-pk")
    )


def employer_request_get(*, group: EmployerGroup, pk: int) -> EmployerRequest:
    """One of the group's requests (another group's is 404)."""
    try:
        return EmployerRequest.objects.get(group=group, pk=pk)
    except EmployerRequest.DoesNotExist as exc:
        raise Http404("No such request.") from exc


def employer_request_timeline(group: Any) -> list[dict[str, Any]]:
    """Each request asked and each marked done, for the group page's timeline (``enrollment.timeline``)."""
    entries: list[dict[str, Any]] = []
    for request in EmployerRequest.objects.filter(group=group).select_related("done_by")[:500]:
        entries.append({"at": request.created_at, "kind": "employer_request", "item": request})
        if request.done_at is not None:
            entries.append({"at": request.done_at, "kind": "employer_request_done", "item": request})
    return entries
