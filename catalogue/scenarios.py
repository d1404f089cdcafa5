"""Contribution scenarios: up to three ways for the employer to pay, side by side on one quote.

A scenario is a name, a contribution per line (api.md "Contributions") and the plans it would offer on
each line (a line with none is not offered). For each, the quote shows per plan the employer's monthly
and annual cost and the employee's cost per tier, and whether the carrier would write the group:

* the rules are the carrier's finalize rules, run by the same code as the group's finalize checklist
  (``groupsales.rules.check_finalize``) over a group body and member bodies built from the quote: every
  employee of the census is eligible; an employee electing a line elects the scenario's lowest-cost plan
  of it (the case GRP-022's minimum is measured on: any dearer plan only raises a percent contribution);
  an employee waiving a line waives it with the census's ``waiverReason`` (only the valid reasons lower
  the participation denominator);
* only GRP-020, GRP-021 and GRP-022 are reported (participation and the minimum contribution): the
  others need what only the group forms collect. The open-enrollment exception is not assumed; the page
  says when creating the group today would bring it.

Pricing reads nothing more than the quote did (``QuoteBasis.price``), and the rules' premiums come from
the rates the quote already read (``QuoteFacts``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from groupsales.codes import ContributionBasis, Line, Relationship, Tier
from groupsales.rating import Contribution, CoveredPerson, Family, PlanTerms, TierRates, age_on, price_plan
from groupsales.rules import LineParticipation, RuleSettings, check_finalize, participation

from .models import Quote, QuoteScenario
from .quoting import (
    LINE_LABELS,
    LINES,
    WAIVE,
    CensusRow,
    PlanQuote,
    QuoteBasis,
    contributions_from_json,
    contributions_to_json,
)
from .selectors import CatalogueFacts, PlanOffer

MAX_SCENARIOS = 3
SCENARIO_RULES = ("GRP-020", "GRP-021", "GRP-022")
_PARTICIPATION_RULE = {"MEDICAL": "GRP-020", "DENTAL": "GRP-021", "VISION": "GRP-021"}
_HUNDRED = Decimal(100)
NO_CONTRIBUTION = Contribution(ContributionBasis.PERCENT, Decimal("0.00"), Decimal("0.00"))


@dataclass(frozen=True)
class Scenario:
    position: int
    name: str
    contributions: dict[str, Contribution]
    plan_ids: dict[str, list[str]]  # line -> the plans offered; empty: the line is not offered

    def offered(self, line: str) -> list[str]:
        return list(self.plan_ids.get(line) or [])

    def contribution(self, line: str) -> Contribution:
        """The line's contribution; a line without one: the employer pays nothing."""
        return self.contributions.get(line) or NO_CONTRIBUTION

    @property
    def offered_contributions(self) -> list[tuple[str, Contribution]]:
        """(line, contribution) of every line the scenario offers."""
        return [(line, self.contribution(line)) for line in LINES if self.offered(line)]


@dataclass(frozen=True)
class TierCost:
    tier: str
    low: Decimal | None  # the employee's monthly cost; None: nobody of the census in the tier
    high: Decimal | None

    @property
    def single(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class PlanCosts:
    plan: PlanQuote
    employer_monthly: Decimal
    employer_annual: Decimal
    employee_monthly: Decimal
    by_tier: list[TierCost]


@dataclass(frozen=True)
class RuleFlag:
    code: str
    ok: bool
    message: str


@dataclass
class ScenarioResult:
    scenario: Scenario
    plans: list[PlanCosts]
    flags: list[RuleFlag] = field(default_factory=list)
    participation: list[LineParticipation] = field(default_factory=list)
    employer_monthly_lowest: Decimal = Decimal("0.00")  # the lowest-cost plan of each offered line

    @property
    def writable(self) -> bool:
        return all(flag.ok for flag in self.flags)

    @property
    def employer_annual_lowest(self) -> Decimal:
        return self.employer_monthly_lowest * 12


# --------------------------------------------------------------------------------------------------
# Reading and saving


def default_plan_ids(offers: list[PlanOffer], settings: RuleSettings) -> dict[str, list[str]]:
    """Every plan sold, in the quote's order, up to the number a group may offer per line (GRP-010)."""
    chosen: dict[str, list[str]] = defaultdict(list)
    for offer in offers:
        if len(chosen[offer.line]) < settings.max_plans.get(offer.line, 0):
            chosen[offer.line].append(offer.plan_id)
    return dict(chosen)


def quote_scenarios(*, quote: Quote, offers: list[PlanOffer], settings: RuleSettings) -> list[Scenario]:
    """The quote's saved scenarios; without any, scenario 1: the quote's contributions, every plan."""
    rows = list(quote.scenarios.all())
    if rows:
        return [
            Scenario(
                r.position,
                r.name,
                contributions_from_json(r.contributions),
                {k: list(v) for k, v in r.plan_ids.items()},
            )
            for r in rows
        ]
    return [
        Scenario(
            1,
            _("Scenario 1"),
            contributions_from_json(quote.contributions),
            default_plan_ids(offers, settings),
        )
    ]


def quote_scenarios_save(*, quote: Quote, scenarios: list[Scenario]) -> None:
    """Replace the quote's scenarios (1 to 3, numbered in order); scenario 1 becomes the quote's
    contributions."""
    if not 1 <= len(scenarios) <= MAX_SCENARIOS:
        raise ValueError(f"a quote has 1 to {MAX_SCENARIOS} scenarios, not {len(scenarios)}")
    with transaction.atomic():
        Quote.objects.filter(pk=quote.pk).update(
            contributions=contributions_to_json(scenarios[0].contributions)
        )
        quote.scenarios.all().delete()
        QuoteScenario.objects.bulk_create(
            QuoteScenario(
                quote=quote,
                position=position,
                name=scenario.name,
                contributions=contributions_to_json(scenario.contributions),
                plan_ids={line: ids for line, ids in scenario.plan_ids.items() if ids},
            )
            for position, scenario in enumerate(scenarios, start=1)
        )
    quote.contributions = contributions_to_json(scenarios[0].contributions)


def quote_scenarios_copy(*, source: Quote, target: Quote) -> int:
    """The source's saved scenarios onto a copy; scenario 1 keeps the copy's own contributions."""
    rows = list(source.scenarios.all())
    if not rows:
        return 0
    QuoteScenario.objects.bulk_create(
        QuoteScenario(
            quote=target,
            position=r.position,
            name=r.name,
            contributions=target.contributions if r.position == 1 else r.contributions,
            plan_ids=r.plan_ids,
        )
        for r in rows
    )
    return len(rows)


def scenario_offerings(scenario: Scenario, *, composite: bool) -> list[dict[str, Any]]:
    """The scenario as api.md's ``offerings`` (what the group is started with)."""
    offerings = []
    for line in LINES:
        ids = scenario.offered(line)
        contribution = scenario.contribution(line)
        if not ids:
            continue
        offering: dict[str, Any] = {"line": line, "planIds": ids}
        if line == Line.MEDICAL:
            offering["ratingOption"] = "COMPOSITE" if composite else "AGE"
        offering["contribution"] = contributions_to_json({line: contribution})[line]
        offerings.append(offering)
    return offerings


# --------------------------------------------------------------------------------------------------
# Costs


def _tier_costs(plan: PlanQuote, contribution: Contribution, effective: date) -> list[TierCost]:
    """The employee's monthly cost per tier: exact for a tier rate (tier-rated or composite), else the
    range over the census's families in the tier."""
    price = plan.price
    if price.tier_rates is not None:
        terms = PlanTerms(plan.offer.plan_id, Line(plan.offer.line), "TIER", False, False, None)
        tiers = [tier for tier in Tier if tier in price.tier_rates]
        one_each = [Family(CoveredPerson(f"T-{t}", Relationship.SUBSCRIBER, effective), (), t) for t in tiers]
        each = price_plan(
            terms, families=one_each, effective_date=effective, tier_rates=TierRates(price.tier_rates),
            contribution=contribution,
        )  # fmt: skip
        costs = {t: each.families[f"T-{t}"].employee for t in tiers}
        return [TierCost(t.value, costs.get(t), costs.get(t)) for t in Tier]
    by_tier: dict[str, list[Decimal]] = defaultdict(list)
    for family in price.families.values():
        if family.employee is not None:
            by_tier[family.tier].append(family.employee)
    return [
        TierCost(t.value, min(by_tier[t]) if by_tier[t] else None, max(by_tier[t]) if by_tier[t] else None)
        for t in Tier
    ]


def _plan_costs(plan: PlanQuote, contribution: Contribution, effective: date) -> PlanCosts:
    employer = plan.price.employer_monthly_contribution or Decimal("0.00")
    return PlanCosts(
        plan=plan,
        employer_monthly=employer,
        employer_annual=employer * 12,
        employee_monthly=plan.price.total_monthly_premium - employer,
        by_tier=_tier_costs(plan, contribution, effective),
    )


# --------------------------------------------------------------------------------------------------
# The carrier's rules


class QuoteFacts(CatalogueFacts):
    """The catalogue's rule facts, answering premiums from the rates the quote has read already
    (GRP-022 asks one per employee and plan)."""

    def __init__(self, basis: QuoteBasis, *, today: date, settings: RuleSettings) -> None:
        super().__init__(today=today, settings=settings)
        self._basis = basis
        self._offers = {offer.plan_id: offer for offer in basis.offers}

    def rating_area_for(self, zip5: str, county_fips: str, on: date) -> str | None:
        return self._basis.place.rating_area_id

    def own_premium(self, plan_id: str, *, rating_area_id: str, date_of_birth: date, tobacco: bool,
                    effective_date: date, rating_option: str = "AGE") -> Decimal | None:  # fmt: skip
        offer = self._offers.get(plan_id)
        if offer is None or date_of_birth > effective_date:
            return None
        if offer.rating_method == "TIER":
            return self._basis.tier_rates[plan_id].rates.get(Tier.EMP)
        rates = self._basis.age_rates[plan_id]
        return rates.rate(age_on(date_of_birth, effective_date), tobacco=tobacco and offer.tobacco_rated)


def _group_body(basis: QuoteBasis, scenario: Scenario, employees: int, composite: bool) -> dict[str, Any]:
    place = basis.place
    return {
        "requestedEffectiveDate": basis.effective_date.isoformat(),
        "employer": {"address": {"zip5": place.zip5, "countyFips": place.county_fips}},
        "workforce": {"totalEmployees": employees, "eligibleEmployees": employees},
        "offerings": scenario_offerings(scenario, composite=composite),
    }


def _member_bodies(census: list[CensusRow], cheapest: dict[str, str]) -> list[dict[str, Any]]:
    """Each employee as a validated subscriber: the lowest-cost plan of each line elected, or a waiver."""
    bodies = []
    for row in census:
        if row.relationship != Relationship.SUBSCRIBER:
            continue
        coverage: list[dict[str, Any]] = []
        for line, plan_id in cheapest.items():
            tier = row.tier_on(line)
            if tier == WAIVE:
                coverage.append({"line": line, "waived": True, "waiverReason": row.waiver_reason or None})
            else:
                coverage.append({"line": line, "planId": plan_id, "coverageTier": tier})
        bodies.append(
            {
                "memberRef": row.member_ref, "subscriberRef": row.member_ref, "relationship": "SUBSCRIBER",
                "dateOfBirth": row.date_of_birth.isoformat(), "tobaccoUse": row.tobacco_use,
                "coverage": coverage,
            }
        )  # fmt: skip
    return bodies


def _percent(share: Decimal) -> str:
    return f"{(share * _HUNDRED).normalize():f}"


def _participation_flag(part: LineParticipation) -> RuleFlag:
    values = {
        "line": LINE_LABELS[part.line], "percent": part.percent, "required": _percent(part.required),
        "enrolled": part.enrolled, "eligible": part.eligible, "waivers": part.valid_waivers,
        "min": part.min_enrolled,
    }  # fmt: skip
    if part.ok:
        message = _("%(line)s participation would be %(percent)s%%; the minimum is %(required)s%%.")
    elif part.ratio < part.required:
        message = _(
            "%(line)s participation would be %(percent)s%%, below the minimum of %(required)s%% "
            "(%(enrolled)d enrolling of %(eligible)d eligible, %(waivers)d valid waivers)."
        )
    else:
        message = _("%(line)s needs at least %(min)d enrolling employees (%(enrolled)d enroll).")
    return RuleFlag(_PARTICIPATION_RULE[part.line], part.ok, message % values)


def _contribution_flags(violations: list[Any], body: dict[str, Any], enrolled: dict[str, int],
                        settings: RuleSettings) -> list[RuleFlag]:  # fmt: skip
    """GRP-022 per line with a minimum: its violations point at ``/offerings/{i}/contribution/employee``."""
    flags = []
    index = {offering["line"]: i for i, offering in enumerate(body["offerings"])}
    for line, share in settings.min_contribution.items():
        if not share or line not in index or not enrolled.get(line):
            continue
        pointer = f"/offerings/{index[line]}/"
        short = sorted(
            {v.member_ref for v in violations if v.code == "GRP-022" and v.pointer.startswith(pointer)}
        )
        values = {"line": LINE_LABELS[line], "share": _percent(share), "count": len(short),
                  "enrolled": enrolled[line], "refs": ", ".join(short)}  # fmt: skip
        if short:
            message = _(
                "%(line)s: the employer would pay less than %(share)s%% of the employee-only premium of the "
                "lowest-cost plan for %(count)d of %(enrolled)d enrolling employees (%(refs)s). Raise the "
                "employer's contribution for the employee."
            )
        else:
            message = _("%(line)s: the employer pays at least %(share)s%% of every enrolling employee's "
                        "employee-only premium.")  # fmt: skip
        flags.append(RuleFlag("GRP-022", not short, message % values))
    return flags


def scenario_evaluate(
    *, basis: QuoteBasis, scenario: Scenario, census: list[CensusRow], facts: QuoteFacts
) -> ScenarioResult:
    """Price the scenario's plans and run the carrier's participation and contribution rules on it."""
    result = basis.price({line: scenario.contribution(line) for line in LINES})
    offered = {line: set(scenario.offered(line)) for line in LINES}
    plans = [p for p in result.plans if p.offer.plan_id in offered[p.offer.line]]
    costs = [_plan_costs(p, scenario.contribution(p.offer.line), basis.effective_date) for p in plans]
    cheapest: dict[str, PlanCosts] = {}
    for cost in costs:
        line = cost.plan.offer.line
        if (
            line not in cheapest
            or cost.plan.price.total_monthly_premium < cheapest[line].plan.price.total_monthly_premium
        ):
            cheapest[line] = cost
    body = _group_body(basis, scenario, basis.census.employees, basis.composite)
    members = _member_bodies(census, {line: c.plan.offer.plan_id for line, c in cheapest.items()})
    # created_on None: the open-enrollment exception is not assumed (the page says when it would apply).
    violations = check_finalize(body, members, ctx=facts, created_on=None)
    lines = participation(body, members, settings=facts.settings)
    flags = [_participation_flag(part) for part in lines if part.line in cheapest]
    flags += _contribution_flags(violations, body, result.enrolled_by_line, facts.settings)
    flags.sort(key=lambda flag: flag.code)
    return ScenarioResult(
        scenario=scenario,
        plans=costs,
        flags=flags,
        participation=lines,
        employer_monthly_lowest=sum((c.employer_monthly for c in cheapest.values()), Decimal("0.00")),
    )


def scenarios_evaluate(*, basis: QuoteBasis, scenarios: list[Scenario], census: list[CensusRow],
                       today: date, settings: RuleSettings) -> list[ScenarioResult]:  # fmt: skip
    facts = QuoteFacts(basis, today=today, settings=settings)
    return [scenario_evaluate(basis=basis, scenario=s, census=census, facts=facts) for s in scenarios]
