"""The renewal offer's plans and money (api.md 1.1 *Renewal*, "Renewal data"; etss-rate-file.md *Renewal*).

``RenewalRates`` is the carrier's facts with a fallback: on a date for which the sandbox has loaded no
plan or rates (or, FEIN 93, must ignore what it loaded), a plan is the one of the plan year before and its
rates are that year's × the trend, each rounded half up to the cent. The same pricing arithmetic as at
finalize (``CarrierFacts.price``) then prices the current plan year (the rates of the quarter holding its
start, ages on it) and the renewal (the renewal plan's rates on R, ages on R).

``offer_plans`` fixes the plans of an offer: each current plan's crosswalk row (keyed by the plan and the
``PLAN_EXP_DATE`` of the PLN in force when the plan year began), else ``SAME_PLAN``; a successor not sold
in the group's area on R has no renewal plan (REN-006). ``offer_answer`` prices it on a read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, overload

from groupsales.codes import Relationship, Tier
from groupsales.rating import AgeRates, CoveredPerson, Family, PlanPrice, TierRates, age_on

from . import models as m
from .rates import CarrierFacts

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@overload
def money(amount: Decimal) -> str: ...
@overload
def money(amount: None) -> None: ...
@overload
def money(amount: Decimal | None) -> str | None: ...
def money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{_cents(amount):.2f}"


def change_percent(current: Decimal, renewal: Decimal) -> str | None:
    """api.md: ``changeAmount`` ÷ current, rounded half up to two decimals; null when current is 0."""
    if current == 0:
        return None
    return money((renewal - current) * _HUNDRED / current)


def earlier_year(day: date) -> date:
    return day.replace(year=day.year - 1)


class RenewalRates(CarrierFacts):
    """Loaded plans and rates where they exist for the day asked, else last plan year's × trend."""

    def __init__(self, *, first_year_end: date, trend: Decimal, use_loaded: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.first_year_end = first_year_end  # before it, always what was loaded
        self.trend = trend
        self.use_loaded = use_loaded

    def _loaded(self, on: date) -> bool:
        return self.use_loaded or on <= self.first_year_end

    def _fallback(self, on: date) -> date | None:
        return earlier_year(on) if on > self.first_year_end else None

    def plan(self, plan_id: str, on: date) -> m.Plan | None:
        found = super().plan(plan_id, on) if self._loaded(on) else None
        earlier = self._fallback(on)
        return found if found is not None or earlier is None else self.plan(plan_id, earlier)

    def plan_sold(self, plan_id: str, line: str, rating_area_id: str, on: date) -> bool:
        if self._loaded(on) and super().plan(plan_id, on) is not None:
            return super().plan_sold(plan_id, line, rating_area_id, on)
        earlier = self._fallback(on)
        return earlier is not None and self.plan_sold(plan_id, line, rating_area_id, earlier)

    def age_rates(self, plan_id: str, area: str, on: date) -> AgeRates | None:
        found = super().age_rates(plan_id, area, on) if self._loaded(on) else None
        earlier = self._fallback(on)
        if found is not None or earlier is None:
            return found
        before = self.age_rates(plan_id, area, earlier)
        if before is None:
            return None
        return AgeRates(
            {
                band: (_cents(rate * self.trend), None if tob is None else _cents(tob * self.trend))
                for band, (rate, tob) in before.rates.items()
            }
        )

    def tier_rates(self, plan_id: str, area: str, on: date) -> TierRates | None:
        found = super().tier_rates(plan_id, area, on) if self._loaded(on) else None
        earlier = self._fallback(on)
        if found is not None or earlier is None:
            return found
        before = self.tier_rates(plan_id, area, earlier)
        if before is None:
            return None
        return TierRates({tier: _cents(rate * self.trend) for tier, rate in before.rates.items()})


# --------------------------------------------------------------------------- the roster the offer prices


@dataclass(frozen=True)
class Enrolled:
    """An accepted member as the roster has it (the sandbox's validation rows)."""

    member_ref: str
    subscriber_ref: str
    relationship: str
    date_of_birth: date
    tobacco_use: bool | None
    coverage: list[dict[str, Any]]


def continuing(rows: list[Enrolled], renewal_date: date, child_age_limit: int) -> list[Enrolled]:
    """Members whose coverage continues on R: a child whose coverage ends by MNT-007 (the end of the month
    of its 26th birthday) before R is left out."""
    kept = []
    for row in rows:
        if row.relationship != Relationship.SUBSCRIBER and row.relationship not in (
            "SPOUSE",
            "DOMESTIC_PARTNER",
        ):
            birthday = row.date_of_birth.replace(year=row.date_of_birth.year + child_age_limit)
            if (birthday.year, birthday.month) < (renewal_date.year, renewal_date.month):
                continue
        kept.append(row)
    return kept


def families_on(rows: list[Enrolled], line: str, plan_id: str) -> list[Family]:
    """The families covered on a plan of a line (a dependent follows its subscriber's plan and tier)."""
    subscribers: dict[str, tuple[Enrolled, str]] = {}
    for row in rows:
        if row.relationship != Relationship.SUBSCRIBER:
            continue
        for cover in row.coverage:
            if cover.get("line") == line and cover.get("planId") == plan_id and not cover.get("waived"):
                subscribers[row.member_ref] = (row, cover.get("coverageTier") or "EMP")
    dependents: dict[str, list[CoveredPerson]] = {}
    for row in rows:
        if row.relationship == Relationship.SUBSCRIBER or row.subscriber_ref not in subscribers:
            continue
        if any(c.get("line") == line for c in row.coverage):
            dependents.setdefault(row.subscriber_ref, []).append(_person(row))
    return [
        Family(_person(row), tuple(dependents.get(ref, [])), Tier(tier))
        for ref, (row, tier) in sorted(subscribers.items())
    ]


def _person(row: Enrolled) -> CoveredPerson:
    return CoveredPerson(row.member_ref, Relationship(row.relationship), row.date_of_birth, row.tobacco_use)


# --------------------------------------------------------------------------- the offer's plans


def offer_plans(
    *,
    offerings: list[dict[str, Any]],
    rates: RenewalRates,
    area: str,
    plan_year_start: date,
    renewal_date: date,
    discontinue: str | None,
) -> list[dict[str, Any]]:
    """Per line: its rating option, contribution and each current plan's crosswalk, fixed at the offer."""
    lines = []
    for offering in offerings:
        plans = []
        for plan_id in offering["planIds"]:
            successor, reason = _crosswalk(rates, plan_id, plan_year_start, use_loaded=rates.use_loaded)
            if plan_id == discontinue:
                successor, reason = None, "DISCONTINUED"
            sold = successor is not None and rates.plan_sold(successor, offering["line"], area, renewal_date)
            plans.append(
                {
                    "currentPlanId": plan_id,
                    "successorPlanId": successor,
                    "crosswalkReason": reason,
                    "renewalPlanId": successor if sold else None,
                }
            )
        lines.append(
            {
                "line": offering["line"],
                "ratingOption": offering.get("ratingOption")
                or ("AGE" if offering["line"] == "MEDICAL" else None),
                "contribution": offering["contribution"],
                "plans": plans,
            }
        )
    return lines


def _crosswalk(rates: RenewalRates, plan_id: str, start: date, *, use_loaded: bool) -> tuple[str | None, str]:
    plan = rates.plan(plan_id, start)
    row = None
    if use_loaded and plan is not None:
        row = m.Crosswalk.objects.filter(plan_id=plan_id, plan_year_end=plan.exp_date).first()
    if row is None:
        return plan_id, "SAME_PLAN"
    return (row.successor_plan_id or None), row.reason


# --------------------------------------------------------------------------- pricing on a read


def _price(
    rates: RenewalRates, plan_id: str | None, *, area: str, on: date, families, line: dict
) -> PlanPrice | None:
    if plan_id is None or not families:
        return None
    return rates.price(
        plan_id,
        area=area,
        on=on,
        families=families,
        rating_option=line.get("ratingOption") or "AGE",
        contribution=line.get("contribution"),
    )


def _members(current: PlanPrice | None, renewal: PlanPrice | None, families, renewal_date: date) -> list:
    if current is None:
        return []
    if current.members is None:  # tier-rated: subscribers with their tier
        return [
            {
                "memberRef": family.subscriber.member_ref,
                "coverageTier": family.tier.value,
                "currentMonthlyPremium": money(current.families[family.subscriber.member_ref].total),
                "renewalMonthlyPremium": money(
                    renewal.families[family.subscriber.member_ref].total if renewal else ZERO
                ),
            }
            for family in families
        ]
    after = {p.member_ref: p.monthly_premium for p in (renewal.members or [])} if renewal else {}
    people = {p.member_ref: p for f in families for p in f.people}
    return [
        {
            "memberRef": p.member_ref,
            "ageOnRenewalDate": age_on(people[p.member_ref].date_of_birth, renewal_date),
            "currentMonthlyPremium": money(p.monthly_premium),
            "renewalMonthlyPremium": money(after.get(p.member_ref, ZERO)),
        }
        for p in current.members
        if p.covered
    ]


def _tiers(price: PlanPrice | None) -> dict[str, str] | None:
    if price is None or price.tier_rates is None:
        return None
    return {tier.value: money(rate) for tier, rate in price.tier_rates.items()}


def offer_answer(
    *,
    lines: list[dict],
    rows: list[Enrolled],
    rates: RenewalRates,
    area: str,
    start: date,
    renewal_date: date,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """api.md's ``offer.lines`` and ``offer.totals`` priced now on the continuing members."""
    out, totals = [], {"current": ZERO, "renewal": ZERO, "current_er": ZERO, "renewal_er": ZERO}
    for line in lines:
        plans, sums = [], {"current": ZERO, "renewal": ZERO, "current_er": ZERO, "renewal_er": ZERO}
        for plan in line["plans"]:
            families = families_on(rows, line["line"], plan["currentPlanId"])
            current = _price(rates, plan["currentPlanId"], area=area, on=start, families=families, line=line)
            renewal = _price(
                rates, plan["renewalPlanId"], area=area, on=renewal_date, families=families, line=line
            )
            before = current.total_monthly_premium if current else ZERO
            after = renewal.total_monthly_premium if renewal else ZERO
            sums["current"] += before
            sums["renewal"] += after
            sums["current_er"] += (current.employer_monthly_contribution or ZERO) if current else ZERO
            sums["renewal_er"] += (renewal.employer_monthly_contribution or ZERO) if renewal else ZERO
            plans.append(
                {
                    **plan,
                    "ratingMethod": (current.rating_method if current else None)
                    or ("TIER" if line["line"] != "MEDICAL" else "AGE"),
                    "members": _members(current, renewal, families, renewal_date),
                    "currentTierRates": _tiers(current),
                    "renewalTierRates": _tiers(renewal),
                    "currentMonthlyPremium": money(before),
                    "renewalMonthlyPremium": money(after),
                    "changeAmount": money(after - before),
                    "changePercent": change_percent(before, after),
                }
            )
        for key in totals:
            totals[key] += sums[key]
        out.append(
            {
                "line": line["line"],
                "ratingOption": line.get("ratingOption"),
                "plans": plans,
                "currentMonthlyPremium": money(sums["current"]),
                "renewalMonthlyPremium": money(sums["renewal"]),
                "currentEmployerContribution": money(sums["current_er"]),
                "renewalEmployerContribution": money(sums["renewal_er"]),
            }
        )
    return out, {
        "currentMonthlyPremium": money(totals["current"]),
        "renewalMonthlyPremium": money(totals["renewal"]),
        "changeAmount": money(totals["renewal"] - totals["current"]),
        "changePercent": change_percent(totals["current"], totals["renewal"]),
        "currentEmployerContribution": money(totals["current_er"]),
        "renewalEmployerContribution": money(totals["renewal_er"]),
    }


def decided_totals(
    *,
    offerings: list[dict],
    lines: list[dict],
    rows: list[Enrolled],
    rates: RenewalRates,
    area: str,
    renewal_date: date,
) -> tuple[Decimal, Decimal]:
    """The renewal premium and employer contribution with every member on its passive destination (a
    mapping, else its plan's renewal plan when the line keeps it), at the decided contributions."""
    premium, employer = ZERO, ZERO
    by_line = {line["line"]: line for line in lines}
    for offering in offerings:
        line = by_line.get(offering["line"])
        if line is None:
            continue
        mapped = {p["fromPlanId"]: p["toPlanId"] for p in offering.get("planMappings") or []}
        decided = {
            **line,
            "ratingOption": offering.get("ratingOption") or line.get("ratingOption"),
            "contribution": offering["contribution"],
        }
        for plan in line["plans"]:
            target = mapped.get(plan["currentPlanId"]) or plan["renewalPlanId"]
            if target not in offering["planIds"]:
                continue
            families = families_on(rows, line["line"], plan["currentPlanId"])
            priced = _price(rates, target, area=area, on=renewal_date, families=families, line=decided)
            if priced is not None:
                premium += priced.total_monthly_premium
                employer += priced.employer_monthly_contribution or ZERO
    return premium, employer
