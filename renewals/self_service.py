"""The employee's side of renewal open enrollment (issue 20 item 4): a link per employee, e-mailed when the
broker opens renewal enrollment; the page shows each line's current plan, its renewal plan and the new
cost, and takes the employee's choice (keep, another plan of the renewal, or waive). Doing nothing keeps
the passive renewal.

The link lives in this app (not ``members``' open-enrollment invitations, which end with the group's
first open enrollment): one ``RenewalLink`` per renewal and employee, a token derived from a random salt
(``salted_hmac``), only its sha256 stored, valid until the enrollment cutoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from enrollment import notices
from members.models import Member, coverage_tier
from members.self_service import employee_costs_by_line
from portal.display import plan_label

from .elections import LineChoice, renewal_choices, renewal_enrollment_open
from .family import FamilyMember, renewal_family, renewal_family_chosen
from .models import Renewal, RenewalElection, RenewalLink

KIND = "RENEWAL_ENROLLMENT"


def _token(salt: str) -> str:
    digest = salted_hmac("renewals.link", salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def renewal_link_token(link: RenewalLink) -> str:
    return _token(link.salt)


def renewal_link_url(link: RenewalLink) -> str:
    path = reverse("renewals:enroll", args=[renewal_link_token(link)])
    return str(getattr(settings, "SITE_URL", "")).rstrip("/") + path


def renewal_link_for(*, renewal: Renewal, subscriber: Member) -> RenewalLink:
    link = RenewalLink.objects.filter(renewal=renewal, subscriber=subscriber).first()
    if link is None:
        salt = secrets.token_urlsafe(32)
        link = RenewalLink.objects.create(
            renewal=renewal, subscriber=subscriber, salt=salt, token_hash=_hash(_token(salt))
        )
    return link


def renewal_links_send(*, renewal: Renewal) -> int:
    """E-mail each employee with an address their renewal link (once per employee and renewal)."""
    sent = 0
    employees = Member.objects.filter(
        group=renewal.group, subscriber__isnull=True, withdrawn_at__isnull=True
    ).exclude(email="")
    for subscriber in employees:
        link = renewal_link_for(renewal=renewal, subscriber=subscriber)
        language = link.language or _language(subscriber)
        notice = notices.notice_send_to_employee(
            group=renewal.group, kind=KIND, member_id=subscriber.pk, email=subscriber.email,
            language=language,
            context={"first_name": subscriber.first_name, "url": renewal_link_url(link),
                     "renewal_date": renewal.renewal_date, "cutoff": renewal.enrollment_cutoff},
            key=f"renewal-link:{link.pk}",
        )  # fmt: skip
        if notice is not None:
            RenewalLink.objects.filter(pk=link.pk).update(sent_at=timezone.now())
            sent += 1
    return sent


def _language(subscriber: Member) -> str:
    earlier = subscriber.invitations.exclude(language="").order_by("-created_at").first()
    return earlier.language if earlier else ""


def renewal_link_find(*, token: str) -> RenewalLink:
    """The link of a token (Http404 for anything else, the same for every reason)."""
    if not token or len(token) > 128:
        raise Http404("No such link.")
    digest = _hash(token)
    link = (
        RenewalLink.objects.select_related("renewal__group", "subscriber").filter(token_hash=digest).first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, digest) or link.subscriber.withdrawn_at:
        raise Http404("No such link.")
    if link.opened_at is None:
        RenewalLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    return link


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class FamilyTick:
    """One family member's box on a line: covered there from R or not; a child aging out before R cannot
    be kept (``ends_on``, MNT-007)."""

    member_ref: str
    name: str
    covered_now: bool
    ticked: bool
    ends_on: date | None
    problems: list[tuple[str, str]]


@dataclass(frozen=True)
class LineView:
    line: str
    current: str  # the plan's name, or "" when waived
    renewal: str  # the passive renewal's plan name ("" when none)
    renewal_plan: str | None
    options: list[tuple[str, str, Decimal | None]]  # (plan ID, name, the employee's monthly cost)
    renewal_cost: Decimal | None  # the employee's monthly cost on the renewal plan (or the family's premium)
    cost_is_share: bool
    chosen: str  # plan ID or "WAIVE"
    family: list[FamilyTick] = field(default_factory=list)
    tier_now: str | None = None  # the coverage tier on R − 1 (None: waived)
    tier: str = "EMP"  # the coverage tier from R, from who is ticked
    chosen_cost: Decimal | None = None  # the employee's monthly cost on the chosen plan with that family
    reason: str = ""  # the waiver's reason, as chosen


class _RenewalGroup:
    """The group as it will be on R (its renewal offerings, rated on R), for the catalogue's quote."""

    def __init__(self, renewal: Renewal, offerings: list[dict[str, Any]]) -> None:
        group = renewal.group
        self.pk, self.zip5, self.county_fips = group.pk, group.zip5, group.county_fips
        self.requested_effective_date = renewal.renewal_date
        self._offerings = {o["line"]: o for o in offerings}

    def offering(self, line: str) -> dict[str, Any]:
        return self._offerings.get(line, {})


def _costs(
    renewal: Renewal, subscriber: Member, lines: list[str], from_r: Mapping[str, tuple[str, ...]]
) -> dict[str, dict[str, Any]]:
    """Per line and plan, the employee's cost on R (``employee_costs_by_line``: the catalogue's rates on R,
    the renewal's contribution) for the family covered there from R (``from_r``: dependent → its lines)."""
    carrier = renewal.carrier_renewal or {}
    offerings = list(carrier.get("renewalOfferings") or [])
    if not offerings:
        return {}
    dependents: list[Mapping[str, Any]] = [
        {"date_of_birth": d.date_of_birth, "tobacco_use": d.tobacco_use, "relationship": d.relationship,
         "covered_lines": list(from_r.get(d.member_ref, d.covered_lines or []))}
        for d in subscriber.dependents.filter(withdrawn_at__isnull=True)
    ]  # fmt: skip
    found: dict[str, dict[str, Any]] = {}
    for line in lines:
        covered: list[Mapping[str, Any]] = [d for d in dependents if line in (d["covered_lines"] or [])]
        found |= employee_costs_by_line(
            group=_RenewalGroup(renewal, offerings),  # type: ignore[arg-type]
            subscriber={"date_of_birth": subscriber.date_of_birth, "tobacco_use": subscriber.tobacco_use},
            dependents=covered,
            lines=[line],
        )
    return found


def renewal_page_lines(
    *,
    renewal: Renewal,
    subscriber: Member,
    plans: Mapping[str, str] | None = None,
    family: Mapping[str, Iterable[str]] | None = None,
    problems: Mapping[str, list[tuple[str, str]]] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> list[LineView]:
    """Each line as the employee's renewal page shows it, with the choice already made (else the passive),
    or with what was just submitted (``plans``: line → plan ID or "WAIVE"; ``family``: dependent → its
    lines from R) when it was refused; ``problems``: the portal's checks per dependent."""
    choices: list[LineChoice] = renewal_choices(renewal=renewal, subscriber=subscriber)
    members = renewal_family(renewal=renewal, subscriber=subscriber)
    if family is None:
        ticked = renewal_family_chosen(renewal=renewal, subscriber=subscriber)
    else:
        ticked = {f.member_ref: tuple(family.get(f.member_ref) or ()) for f in members}
    from_r = {f.member_ref: () if f.ends_on else tuple(ticked.get(f.member_ref, ())) for f in members}
    costs = _costs(renewal, subscriber, [c.line for c in choices if c.options], from_r)
    election = RenewalElection.objects.filter(renewal=renewal, member=subscriber).first()
    chosen = (
        {c["line"]: (c.get("planId") or "WAIVE") for c in election.body.get("coverage", [])}
        if election
        else {}
    )
    stored = election.body.get("coverage", []) if election else []
    why = {c["line"]: c.get("waiverReason") or "" for c in stored}
    if plans is not None:
        chosen |= dict(plans)
    why |= dict(reasons or {})
    dependents = list(subscriber.dependents.filter(withdrawn_at__isnull=True))
    said = problems or {}
    return [
        _line_view(c, costs.get(c.line, {}), members, from_r, dependents, chosen, why, said)
        for c in choices
        if c.options
    ]


def _line_view(
    c: LineChoice,
    priced: Mapping[str, Mapping[str, Any]],
    members: list[FamilyMember],
    from_r: Mapping[str, tuple[str, ...]],
    dependents: list[Member],
    chosen: Mapping[str, str],
    why: Mapping[str, str],
    said: Mapping[str, list[tuple[str, str]]],
) -> LineView:
    """One line of the renewal page: its plans with the employee's cost on R for the family kept there."""
    share = {p: Decimal(str(q["employee"])) for p, q in priced.items() if q.get("employee") is not None}
    options = [(p, plan_label(p), share.get(p)) for p in c.options]
    renewal_cost = share.get(c.renewal_plan or "")
    is_share = renewal_cost is not None
    same_family = all((c.line in from_r[f.member_ref]) == (c.line in f.lines) for f in members)
    if renewal_cost is None and c.renewal_cost is not None and same_family:
        renewal_cost = Decimal(c.renewal_cost)  # the family's premium as the carrier's offer prices it
    picked = chosen.get(c.line) or c.renewal_plan or "WAIVE"
    ticks = [
        FamilyTick(f.member_ref, f"{f.member.first_name} {f.member.last_name}", c.line in f.lines,
                   c.line in from_r[f.member_ref], f.ends_on, list(said.get(f.member_ref, [])))
        for f in members
    ]  # fmt: skip
    on_line = [d for d in dependents if c.line in from_r.get(d.member_ref, tuple(d.covered_lines or []))]
    return LineView(
        c.line,
        plan_label(c.current_plan) if c.current_plan else "",
        plan_label(c.renewal_plan) if c.renewal_plan else "",
        c.renewal_plan,
        options,
        renewal_cost,
        is_share,
        picked,
        ticks,
        coverage_tier(f.member.relationship for f in members if c.line in f.lines)
        if c.current_plan
        else None,
        coverage_tier(d.relationship for d in on_line),
        share.get(picked),
        why.get(c.line, ""),
    )  # fmt: skip


def renewal_page_open(*, link: RenewalLink) -> bool:
    return renewal_enrollment_open(renewal=link.renewal)
