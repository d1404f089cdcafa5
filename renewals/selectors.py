"""Reads of renewals: the current one of a group, its headline for the book, the renewals due, and the
renewal page's figures from the carrier's offer (plans by name, change per plan and for the group)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from carrier.rules import carrier_today
from enrollment.renewal_facts import CurrentRenewal
from enrollment.selectors import group_list_visible_to
from groupsales.change_events import renewal_date_after
from portal.display import plan_label

from .models import PlanYear, Renewal, RenewalEvent

S = Renewal.Status
OPEN = (S.UPCOMING, S.OFFERED, S.DECIDED, S.PASSIVELY_ACCEPTED, S.RENEWAL_OE, S.FILES)
_CENT = Decimal("0.01")


#: The portal's statuses of a renewal the carrier has ACCEPTED (``states.target_of``), RENEWED included.
ACCEPTED = frozenset({S.DECIDED, S.PASSIVELY_ACCEPTED, S.RENEWAL_OE, S.FILES, S.RENEWED})


def renewal_for_changes(group: Any) -> CurrentRenewal | None:
    """The group's current renewal for MNT-011 (``enrollment.renewal_facts``): the earliest not yet
    RENEWED, accepted when the carrier has it ACCEPTED as last read; with none read yet, the effective
    date's next anniversary, not accepted (the carrier's ``UPCOMING``)."""
    renewal = Renewal.objects.filter(group=group).exclude(status=S.RENEWED).order_by("renewal_date").first()
    if renewal is not None:
        accepted = renewal.status in ACCEPTED or renewal.carrier_status in ("ACCEPTED", "RENEWED")
        return CurrentRenewal(renewal.renewal_date, accepted)
    if group.requested_effective_date is None:
        return None
    return CurrentRenewal(renewal_date_after(group.requested_effective_date, carrier_today()), False)


def renewal_current(*, group: Any, today: date | None = None) -> Renewal | None:
    """The group's next renewal (the earliest after today), else its latest."""
    today = today or carrier_today()
    rows = list(Renewal.objects.filter(group=group).order_by("renewal_date"))
    return next((r for r in rows if r.renewal_date > today), rows[-1] if rows else None)


@dataclass(frozen=True)
class Headline:
    renewal_date: date
    status: str
    status_label: str
    days_to_deadline: int | None  # while the employer may still decide
    days_to_cutoff: int | None  # while renewal open enrollment is open


def renewal_headline(*, renewal: Renewal | None, today: date | None = None) -> Headline | None:
    if renewal is None:
        return None
    today = today or carrier_today()
    deciding = renewal.status in (S.UPCOMING, S.OFFERED) and today <= renewal.decision_deadline
    enrolling = (
        renewal.status in (S.DECIDED, S.PASSIVELY_ACCEPTED, S.RENEWAL_OE)
        and today <= renewal.enrollment_cutoff
    )
    return Headline(
        renewal.renewal_date,
        renewal.status,
        renewal.get_status_display(),
        (renewal.decision_deadline - today).days if deciding else None,
        (renewal.enrollment_cutoff - today).days if enrolling else None,
    )


def renewals_due(
    *, user: AbstractBaseUser | AnonymousUser, within_days: int | None = None, status: str = ""
) -> QuerySet[Renewal]:
    """The open renewals of the groups the user may see, soonest first; ``within_days``: renewal date at
    most that many days away; ``status``: one status."""
    rows = Renewal.objects.filter(group__in=group_list_visible_to(user=user), status__in=OPEN)
    if within_days is not None:
        rows = rows.filter(renewal_date__lte=date.fromordinal(carrier_today().toordinal() + within_days))
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("group").order_by("renewal_date", "group__pk")


# --------------------------------------------------------------------------- the renewal page


@dataclass
class PlanRow:
    line: str
    current_plan: str
    renewal_plan: str | None
    reason: str
    current: Decimal
    renewal: Decimal
    change: Decimal
    percent: Decimal | None
    members: int


@dataclass
class Figures:
    plans: list[PlanRow] = field(default_factory=list)
    current: Decimal = Decimal("0.00")
    renewal: Decimal = Decimal("0.00")
    change: Decimal = Decimal("0.00")
    percent: Decimal | None = None
    employer_current: Decimal = Decimal("0.00")
    employer_renewal: Decimal = Decimal("0.00")
    employees_current: Decimal = Decimal("0.00")
    employees_renewal: Decimal = Decimal("0.00")
    leaving: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def percent_of(change: Decimal, current: Decimal) -> Decimal | None:
    """api.md: change ÷ current, rounded half up to two decimals; None when current is 0."""
    return None if current == 0 else (change * 100 / current).quantize(_CENT, rounding=ROUND_HALF_UP)


def renewal_figures(*, renewal: Renewal, enrolled_refs: set[str] | None = None) -> Figures | None:
    """The renewal page's figures from the offer as last read (None before the offer). ``enrolled_refs``:
    the members the portal has enrolled; those the offer does not price will not continue."""
    offer = (renewal.carrier_renewal or {}).get("offer")
    if not offer:
        return None
    figures = Figures(warnings=list((renewal.carrier_renewal or {}).get("warnings") or []))
    priced: set[str] = set()
    for line in offer["lines"]:
        for plan in line["plans"]:
            current, after = Decimal(plan["currentMonthlyPremium"]), Decimal(plan["renewalMonthlyPremium"])
            priced |= {m["memberRef"] for m in plan["members"]}
            figures.plans.append(
                PlanRow(
                    line["line"],
                    plan_label(plan["currentPlanId"]),
                    plan_label(plan["renewalPlanId"]) if plan["renewalPlanId"] else None,
                    plan["crosswalkReason"],
                    current,
                    after,
                    after - current,
                    percent_of(after - current, current),
                    len(plan["members"]),
                )
            )
        figures.employer_current += Decimal(line["currentEmployerContribution"])
        figures.employer_renewal += Decimal(line["renewalEmployerContribution"])
    totals = offer["totals"]
    figures.current, figures.renewal = (
        Decimal(totals["currentMonthlyPremium"]),
        Decimal(totals["renewalMonthlyPremium"]),
    )
    figures.change = figures.renewal - figures.current
    figures.percent = percent_of(figures.change, figures.current)
    figures.employees_current = figures.current - figures.employer_current
    figures.employees_renewal = figures.renewal - figures.employer_renewal
    figures.leaving = sorted((enrolled_refs or set()) - priced)
    return figures


def renewal_timeline(group: Any) -> list[dict[str, Any]]:
    """Every renewal step of the group, for the group page's timeline (``enrollment.timeline``)."""
    events = RenewalEvent.objects.filter(renewal__group=group).select_related("renewal")
    return [{"at": e.at, "kind": "renewal", "item": e} for e in events[:500]]


@dataclass
class PlanYearRow:
    line: str
    plan: str
    monthly: Decimal


@dataclass
class PlanYearView:
    year: PlanYear
    current: bool
    plans: list[PlanYearRow]
    employer: dict[str, Decimal]
    members: int


def plan_years(*, group: Any, today: date | None = None) -> list[PlanYearView]:
    """The group's plan years, newest first, the one holding today marked current."""
    today = today or carrier_today()
    views = []
    for year in PlanYear.objects.filter(group=group).order_by("-start"):
        rows = [
            PlanYearRow(r["line"], plan_label(r["planId"]), Decimal(r["totalMonthlyPremium"]))
            for r in year.rates
        ]
        views.append(
            PlanYearView(
                year,
                year.start <= today <= year.end,
                rows,
                {line: Decimal(v) for line, v in (year.employer_contributions or {}).items()},
                len(year.members),
            )
        )
    return views
