"""The quote engine: an employer's place, effective date and census -> every plan sold there, priced.

Reads (constant in the census size and in the number of plans): the GEO rows of the place (1 query),
the plans sold (1), the age rates of every age-rated plan for the area and date (1), the tier rates of
every tier-rated plan (1), the composite factors (1) — five queries whatever the census.

Arithmetic is :func:`groupsales.rating.price_plan`, shared with the carrier sandbox. Rounding (from
there): rates are used as the file gives them (cents); a composite tier rate = unrounded base × factor,
rounded half up to the cent; the employer's share of one family on one line is computed unrounded and
rounded once half up, the employee pays the rest; totals are sums of cents. For an age-rated plan under
composite rating both the composite total and the member total are shown (they may differ by cents).

A census row names its subscriber; ``coverage_tier`` (EMP/ESP/ECH/FAM, or WAIVE) is on the subscriber's
row. A waived employee and their dependents are not priced. The same tier applies to every line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from groupsales.codes import Line, RatingOption, Relationship, Tier
from groupsales.rating import (
    AgeRates,
    Contribution,
    CoveredPerson,
    Family,
    PlanPrice,
    PlanTerms,
    TierRates,
    price_plan,
)

from .models import AgeRate, Factor, TierRate
from .selectors import Place, PlanOffer, place_for, plans_sold_in_place

WAIVE = "WAIVE"
TIERS = tuple(t.value for t in Tier)


class QuoteError(ValueError):
    """The quote cannot be made: ``problems`` are (memberRef or "", rule ID, message) triples."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{ref} {message}".strip() for ref, _code, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class CensusRow:
    member_ref: str
    subscriber_ref: str
    relationship: str
    date_of_birth: date
    tobacco_use: bool | None = None
    coverage_tier: str = ""  # subscribers only: EMP, ESP, ECH, FAM or WAIVE


@dataclass(frozen=True)
class PlanQuote:
    offer: PlanOffer
    price: PlanPrice  # as quoted: COMPOSITE when asked and allowed, else AGE or TIER
    age_price: PlanPrice | None  # the per-member pricing of an age-rated plan quoted composite

    @property
    def employer_cost(self) -> Decimal | None:
        return self.price.employer_monthly_contribution

    @property
    def employee_cost(self) -> Decimal | None:
        return self.price.employee_monthly_cost


@dataclass(frozen=True)
class QuoteResult:
    place: Place
    effective_date: date
    families: int
    waived: int
    plans: list[PlanQuote]


def families_from_census(
    census: Iterable[CensusRow], effective_date: date | None = None
) -> tuple[list[Family], int]:
    """Families to price and the number of waived employees; QuoteError lists every problem.

    With ``effective_date``, anyone born after it is a problem (MBR-003): nobody unborn can be rated.
    """
    rows = list(census)
    problems: list[tuple[str, str, str]] = []
    if effective_date is not None:
        problems += [
            (r.member_ref, "MBR-003", f"is born {r.date_of_birth}, after the effective date {effective_date}")
            for r in rows
            if r.date_of_birth > effective_date
        ]
    subscribers = {r.member_ref: r for r in rows if r.relationship == Relationship.SUBSCRIBER}
    dependents: dict[str, list[CensusRow]] = defaultdict(list)
    seen: set[str] = set()
    for row in rows:
        if row.member_ref in seen:
            problems.append((row.member_ref, "MBR-020", "appears twice in the census"))
        seen.add(row.member_ref)
        if row.relationship not in Relationship.__members__:
            problems.append((row.member_ref, "MBR-010", f"relationship {row.relationship!r} is not known"))
        elif row.relationship != Relationship.SUBSCRIBER:
            if row.subscriber_ref not in subscribers:
                problems.append(
                    (row.member_ref, "MBR-020", f"subscriber {row.subscriber_ref} is not in the census")
                )
            dependents[row.subscriber_ref].append(row)
    families: list[Family] = []
    waived = 0
    for ref, subscriber in subscribers.items():
        if subscriber.coverage_tier == WAIVE:
            waived += 1
            continue
        if subscriber.coverage_tier not in TIERS:
            problems.append(
                (
                    ref,
                    "MBR-010",
                    f"coverage tier {subscriber.coverage_tier!r} is not EMP, ESP, ECH, FAM or WAIVE",
                )
            )
            continue
        people = [
            CoveredPerson(d.member_ref, Relationship(d.relationship), d.date_of_birth, d.tobacco_use)
            for d in dependents.get(ref, ())
            if d.relationship in Relationship.__members__
        ]
        families.append(
            Family(
                CoveredPerson(ref, Relationship.SUBSCRIBER, subscriber.date_of_birth, subscriber.tobacco_use),
                tuple(people),
                Tier(subscriber.coverage_tier),
            )
        )
    if problems:
        raise QuoteError(problems)
    return families, waived


def _factors(offers: Sequence[PlanOffer], on: date) -> dict[str, dict[Tier, Decimal]]:
    """Composite tier factors per plan: the plan's own FAC rows, else its state's."""
    ids = [o.plan_id for o in offers if o.composite_allowed]
    if not ids:
        return {}
    states = {o.state for o in offers}
    rows = Factor.objects.filter(factor_type="COMPOSITE_TIER", eff_date__lte=on, exp_date__gte=on).filter(
        Q(scope="PLAN", scope_id__in=ids) | Q(scope="STATE", scope_id__in=states)
    )
    by_scope: dict[tuple[str, str], dict[Tier, Decimal]] = defaultdict(dict)
    from groupsales.codes import ETSS_TO_TIER

    for scope, scope_id, key, value in rows.values_list("scope", "scope_id", "key", "value"):
        by_scope[(scope, scope_id)][ETSS_TO_TIER[key]] = value
    factors = {}
    for offer in offers:
        chosen = by_scope.get(("PLAN", offer.plan_id)) or by_scope.get(("STATE", offer.state))
        if chosen and len(chosen) == len(Tier):
            factors[offer.plan_id] = chosen
    return factors


def quote_census(
    *,
    zip5: str,
    county_fips: str,
    effective_date: date,
    census: Iterable[CensusRow],
    composite: bool = False,
    contributions: Mapping[str, Contribution] | None = None,
    line: str | None = None,
) -> QuoteResult:
    """Price every plan sold at the place on the date for the census (see the module docstring)."""
    families, waived = families_from_census(census, effective_date)
    if not families:
        raise QuoteError([("", "GRP-030", "at least one employee must elect coverage")])
    place = place_for(zip5=zip5, county_fips=county_fips, on=effective_date)
    if place.rating_area_id is None:
        raise QuoteError([("", "GRP-004", f"ZIP {zip5} in county {county_fips} is not in the rate file")])
    offers = plans_sold_in_place(place=place, on=effective_date, line=line)
    area = place.rating_area_id
    age_ids = [o.plan_id for o in offers if o.rating_method == "AGE"]
    tier_ids = [o.plan_id for o in offers if o.rating_method == "TIER"]
    in_force = Q(rate_eff_date__lte=effective_date, rate_exp_date__gte=effective_date)

    age_rates: dict[str, dict[str, tuple[Decimal, Decimal | None]]] = defaultdict(dict)
    if age_ids:
        for plan_id, band, rate, tobacco in AgeRate.objects.filter(
            in_force, plan_id__in=age_ids, rating_area_id=area
        ).values_list("plan_id", "age_band", "rate", "tobacco_rate"):
            age_rates[plan_id][band] = (rate, tobacco)
    tier_rates: dict[str, dict[Tier, Decimal]] = defaultdict(dict)
    if tier_ids:
        rows = TierRate.objects.filter(in_force, plan_id__in=tier_ids, rating_area_id__in=[area, "*"])
        # The group's own area wins over "*": apply "*" rows first, then the area's.
        for plan_id, _row_area, tier, rate in sorted(
            rows.values_list("plan_id", "rating_area_id", "tier", "rate"), key=lambda r: r[1] != "*"
        ):
            tier_rates[plan_id][Tier(tier)] = rate
    factors = _factors(offers, effective_date) if composite else {}

    contributions = contributions or {}
    quotes: list[PlanQuote] = []
    for offer in offers:
        terms = PlanTerms(
            plan_id=offer.plan_id,
            line=Line(offer.line),
            rating_method=offer.rating_method,
            tobacco_rated=offer.tobacco_rated,
            composite_allowed=offer.composite_allowed,
            max_children_u21=offer.max_children_u21,
        )
        contribution = contributions.get(offer.line)
        if offer.rating_method == "TIER":
            price = price_plan(
                terms,
                families=families,
                effective_date=effective_date,
                tier_rates=TierRates(tier_rates[offer.plan_id]),
                contribution=contribution,
            )
            quotes.append(PlanQuote(offer, price, None))
            continue
        rates = AgeRates(age_rates[offer.plan_id])
        age_price = price_plan(
            terms,
            families=families,
            effective_date=effective_date,
            age_rates=rates,
            contribution=contribution,
        )
        if composite and offer.composite_allowed:
            price = price_plan(
                terms,
                families=families,
                effective_date=effective_date,
                age_rates=rates,
                rating_option=RatingOption.COMPOSITE,
                composite_factors=factors.get(offer.plan_id),
                contribution=contribution,
            )
            quotes.append(PlanQuote(offer, price, age_price))
        else:
            quotes.append(PlanQuote(offer, age_price, None))
    return QuoteResult(place, effective_date, len(families), waived, quotes)


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def quote_as_json(result: QuoteResult) -> list[dict]:
    """The stable JSON shape of the ``quote`` command (money as strings)."""
    out = []
    for plan in result.plans:
        price = plan.price
        item: dict = {
            "planId": plan.offer.plan_id,
            "line": plan.offer.line,
            "marketingName": plan.offer.marketing_name,
            "ratingMethod": price.rating_method,
            "totalMonthlyPremium": _money(price.total_monthly_premium),
            "deductibleIndividual": _money(plan.offer.deductible_individual),
            "moopIndividual": _money(plan.offer.moop_individual),
        }
        if price.members is not None:
            item["members"] = [
                {"memberRef": mp.member_ref, "age": mp.age, "monthlyPremium": _money(mp.monthly_premium)}
                for mp in price.members
            ]
        if price.tier_rates is not None:
            item["tierRates"] = {str(tier): _money(rate) for tier, rate in price.tier_rates.items()}
        if price.rating_method == "COMPOSITE":
            item["memberTotal"] = _money(price.member_total)
        if price.employer_monthly_contribution is not None:
            item["employerMonthlyContribution"] = _money(price.employer_monthly_contribution)
            item["employeeMonthlyCost"] = _money(price.employee_monthly_cost)
        out.append(item)
    return out
