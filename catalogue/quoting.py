"""The quote engine: an employer's place, effective date and census -> every plan sold there, priced.

Reads (constant in the census size and in the number of plans): the GEO rows of the place (1 query),
the plans sold (1), the age rates of every age-rated plan for the area and date (1), the tier rates of
every tier-rated plan (1), the composite factors (1) — five queries whatever the census.

Arithmetic is :func:`groupsales.rating.price_plan`, shared with the carrier sandbox. Rounding (from
there): rates are used as the file gives them (cents); a composite tier rate = unrounded base × factor,
rounded half up to the cent; the employer's share of one family on one line is computed unrounded and
rounded once half up, the employee pays the rest; totals are sums of cents. For an age-rated plan under
composite rating both the composite total and the member total are shown (they may differ by cents).

A census row names its subscriber; the subscriber's row carries the tier of each line: ``medical_tier``,
``dental_tier``, ``vision_tier`` where given, else ``coverage_tier`` (EMP/ESP/ECH/FAM, or WAIVE), so a
census in the one-tier layout keeps its meaning. The tier decides who is covered on the line (api.md's
code list): a listed dependent it leaves out is not covered there, priced at nothing, and listed in
``QuoteResult.not_covered`` for the broker. An employee who waives a line is not priced on it; a line
nobody elects is not quoted (``QuoteResult.lines_not_elected``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from groupsales.codes import (
    ETSS_TO_TIER,
    ContributionBasis,
    Line,
    RatingOption,
    Relationship,
    Tier,
    tier_covers,
)
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
from portal.words import LABELS

from .models import AgeRate, Factor, TierRate
from .selectors import Place, PlanOffer, place_for, plans_sold_in_place

WAIVE = "WAIVE"
TIERS = tuple(t.value for t in Tier)
LINES = tuple(line.value for line in Line)
LINE_LABELS = LABELS["line"]  # one mapping of the code lists to words (portal.words)


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
    coverage_tier: str = ""  # subscribers only: EMP, ESP, ECH, FAM or WAIVE; the tier of every line ...
    medical_tier: str = ""  # ... where the line's own tier is not given
    dental_tier: str = ""
    vision_tier: str = ""
    waiver_reason: str = ""  # subscribers only: why they waive the lines they waive

    def tier_on(self, line: str) -> str:
        """The tier of a line: its own column where given, else the coverage tier."""
        return getattr(self, f"{line.lower()}_tier", "") or self.coverage_tier


@dataclass(frozen=True)
class NotCovered:
    """A listed dependent whom the subscriber's tier on a line leaves out."""

    member_ref: str
    subscriber_ref: str
    relationship: str
    line: str
    tier: str
    covering_tier: str  # the tier that would cover the whole family listed


@dataclass(frozen=True)
class CensusFamilies:
    """The census read per line: the families elected on each line, waivers, who is left out."""

    by_line: dict[str, list[Family]]
    waived: dict[str, int]  # per line: employees waiving it
    employees: int
    enrolling: int  # employees electing at least one line
    not_covered: list[NotCovered] = field(default_factory=list)


@dataclass(frozen=True)
class PlanQuote:
    offer: PlanOffer
    price: PlanPrice  # as quoted: COMPOSITE when asked and allowed, else AGE or TIER
    age_price: PlanPrice | None  # the per-member pricing of an age-rated plan quoted composite
    not_covered: tuple[NotCovered, ...] = ()  # the dependents this line's tiers leave out

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
    families: int  # employees electing at least one line
    waived: int  # employees waiving every line
    plans: list[PlanQuote]
    not_covered: list[NotCovered] = field(default_factory=list)
    enrolled_by_line: dict[str, int] = field(default_factory=dict)
    waived_by_line: dict[str, int] = field(default_factory=dict)
    lines_not_elected: list[str] = field(default_factory=list)


def _covering_tier(relationships: Iterable[str]) -> str:
    kinds = set(relationships)
    return next(tier.value for tier in Tier if all(tier_covers(tier, kind) for kind in kinds))


def _tier_problems(row: CensusRow) -> list[tuple[str, str, str]]:
    """Every tier of an employee's row that names no tier (rule MBR-010), each column once."""
    problems = []
    allowed = (*TIERS, WAIVE)
    for line in LINES:
        own = getattr(row, f"{line.lower()}_tier")
        if own and own not in allowed:
            message = _("%(line)s: the tier “%(tier)s” is not EMP, ESP, ECH, FAM or WAIVE")
            problems.append((row.member_ref, "MBR-010", message % {"line": LINE_LABELS[line], "tier": own}))
    uses_coverage_tier = any(not getattr(row, f"{line.lower()}_tier") for line in LINES)
    if uses_coverage_tier and row.coverage_tier not in allowed:
        message = _("the coverage tier “%(tier)s” is not EMP, ESP, ECH, FAM or WAIVE")
        problems.append((row.member_ref, "MBR-010", message % {"tier": row.coverage_tier}))
    return problems


def _census_problems(rows: list[CensusRow], effective_date: date | None) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []
    if effective_date is not None:
        problems += [
            (r.member_ref, "MBR-003", _("is born %(born)s, after the effective date %(effective)s")
             % {"born": r.date_of_birth, "effective": effective_date})
            for r in rows
            if r.date_of_birth > effective_date
        ]  # fmt: skip
    subscribers = {r.member_ref for r in rows if r.relationship == Relationship.SUBSCRIBER}
    seen: set[str] = set()
    for row in rows:
        if row.member_ref in seen:
            problems.append((row.member_ref, "MBR-020", _("appears twice in the census")))
        seen.add(row.member_ref)
        if row.relationship not in Relationship.__members__:
            problems.append(
                (row.member_ref, "MBR-010", _("the relationship “%s” is not known") % row.relationship)
            )
        elif row.relationship != Relationship.SUBSCRIBER and row.subscriber_ref not in subscribers:
            problems.append(
                (row.member_ref, "MBR-020", _("subscriber %s is not in the census") % row.subscriber_ref)
            )
        elif row.relationship == Relationship.SUBSCRIBER:
            problems += _tier_problems(row)
    return problems


def families_from_census(census: Iterable[CensusRow], effective_date: date | None = None) -> CensusFamilies:
    """The families to price on each line; QuoteError lists every problem of the census at once.

    With ``effective_date``, anyone born after it is a problem (MBR-003): nobody unborn can be rated.
    """
    rows = list(census)
    problems = _census_problems(rows, effective_date)
    if problems:
        raise QuoteError(problems)
    dependents: dict[str, list[CensusRow]] = defaultdict(list)
    for row in rows:
        if row.relationship != Relationship.SUBSCRIBER:
            dependents[row.subscriber_ref].append(row)
    by_line: dict[str, list[Family]] = {line: [] for line in LINES}
    waived = dict.fromkeys(LINES, 0)
    not_covered: list[NotCovered] = []
    employees = enrolling = 0
    for sub in (r for r in rows if r.relationship == Relationship.SUBSCRIBER):
        employees += 1
        family = dependents.get(sub.member_ref, [])
        people = tuple(
            CoveredPerson(d.member_ref, Relationship(d.relationship), d.date_of_birth, d.tobacco_use)
            for d in family
        )
        head = CoveredPerson(sub.member_ref, Relationship.SUBSCRIBER, sub.date_of_birth, sub.tobacco_use)
        elected = False
        for line in LINES:
            tier = sub.tier_on(line)
            if tier == WAIVE:
                waived[line] += 1
                continue
            elected = True
            by_line[line].append(Family(head, people, Tier(tier)))
            covering = _covering_tier(d.relationship for d in family)
            not_covered += [
                NotCovered(d.member_ref, sub.member_ref, d.relationship, line, tier, covering)
                for d in family
                if not tier_covers(tier, d.relationship)
            ]
        enrolling += elected
    return CensusFamilies(by_line, waived, employees, enrolling, not_covered)


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
    for scope, scope_id, key, value in rows.values_list("scope", "scope_id", "key", "value"):
        by_scope[(scope, scope_id)][ETSS_TO_TIER[key]] = value
    factors = {}
    for offer in offers:
        chosen = by_scope.get(("PLAN", offer.plan_id)) or by_scope.get(("STATE", offer.state))
        if chosen and len(chosen) == len(Tier):
            factors[offer.plan_id] = chosen
    return factors


def _read_rates(
    offers: Sequence[PlanOffer], area: str, on: date
) -> tuple[dict[str, dict[str, tuple[Decimal, Decimal | None]]], dict[str, dict[Tier, Decimal]]]:
    """The age rates (1 query) and tier rates (1 query) of the plans, for the area and date."""
    age_ids = [o.plan_id for o in offers if o.rating_method == "AGE"]
    tier_ids = [o.plan_id for o in offers if o.rating_method == "TIER"]
    in_force = Q(rate_eff_date__lte=on, rate_exp_date__gte=on)
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
    return age_rates, tier_rates


@dataclass(frozen=True)
class QuoteBasis:
    """What pricing needs, read once: the place, the plans sold, their rates and the census per line.

    :meth:`price` prices every plan for one set of contributions without reading anything again, so
    several contribution scenarios cost no more queries than one.
    """

    place: Place
    effective_date: date
    census: CensusFamilies
    offers: list[PlanOffer]
    age_rates: dict[str, AgeRates]
    tier_rates: dict[str, TierRates]
    factors: dict[str, dict[Tier, Decimal]]
    composite: bool

    def price(self, contributions: Mapping[str, Contribution] | None = None) -> QuoteResult:
        contributions = contributions or {}
        quotes = [
            self._plan(offer, contributions.get(offer.line))
            for offer in self.offers
            if self.census.by_line[offer.line]  # nobody elects the line: see lines_not_elected
        ]
        read, sold = self.census, {offer.line for offer in self.offers}
        return QuoteResult(
            place=self.place,
            effective_date=self.effective_date,
            families=read.enrolling,
            waived=read.employees - read.enrolling,
            plans=quotes,
            not_covered=[n for n in read.not_covered if n.line in sold],
            enrolled_by_line={ln: len(read.by_line[ln]) for ln in LINES if ln in sold},
            waived_by_line={ln: read.waived[ln] for ln in LINES if ln in sold},
            lines_not_elected=[ln for ln in LINES if ln in sold and not read.by_line[ln]],
        )

    def _plan(self, offer: PlanOffer, contribution: Contribution | None) -> PlanQuote:
        terms = PlanTerms(
            plan_id=offer.plan_id,
            line=Line(offer.line),
            rating_method=offer.rating_method,
            tobacco_rated=offer.tobacco_rated,
            composite_allowed=offer.composite_allowed,
            max_children_u21=offer.max_children_u21,
        )
        common: dict[str, Any] = {
            "families": self.census.by_line[offer.line],
            "effective_date": self.effective_date,
            "contribution": contribution,
        }
        left_out = tuple(n for n in self.census.not_covered if n.line == offer.line)
        if offer.rating_method == "TIER":
            price = price_plan(terms, tier_rates=self.tier_rates[offer.plan_id], **common)
            return PlanQuote(offer, price, None, left_out)
        rates = self.age_rates[offer.plan_id]
        age_price = price_plan(terms, age_rates=rates, **common)
        if not (self.composite and offer.composite_allowed):
            return PlanQuote(offer, age_price, None, left_out)
        price = price_plan(
            terms,
            age_rates=rates,
            rating_option=RatingOption.COMPOSITE,
            composite_factors=self.factors.get(offer.plan_id),
            **common,
        )
        return PlanQuote(offer, price, age_price, left_out)


def quote_prepare(
    *,
    zip5: str,
    county_fips: str,
    effective_date: date,
    census: Iterable[CensusRow],
    composite: bool = False,
    line: str | None = None,
) -> QuoteBasis:
    """Read the census, the place, the plans sold and their rates (five queries); QuoteError if the
    census or the place cannot be quoted."""
    read = families_from_census(census, effective_date)
    if not read.enrolling:
        raise QuoteError([("", "GRP-030", _("at least one employee must elect coverage"))])
    place = place_for(zip5=zip5, county_fips=county_fips, on=effective_date)
    if place.rating_area_id is None:
        raise QuoteError(
            [("", "GRP-004", _("ZIP %(zip)s in county %(county)s is not in the rate file")
              % {"zip": zip5, "county": county_fips})]
        )  # fmt: skip
    offers = plans_sold_in_place(place=place, on=effective_date, line=line)
    age_rates, tier_rates = _read_rates(offers, place.rating_area_id, effective_date)
    return QuoteBasis(
        place=place,
        effective_date=effective_date,
        census=read,
        offers=offers,
        age_rates={o.plan_id: AgeRates(age_rates[o.plan_id]) for o in offers if o.rating_method != "TIER"},
        tier_rates={o.plan_id: TierRates(tier_rates[o.plan_id]) for o in offers if o.rating_method == "TIER"},
        factors=_factors(offers, effective_date) if composite else {},
        composite=composite,
    )


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
    basis = quote_prepare(
        zip5=zip5, county_fips=county_fips, effective_date=effective_date, census=census,
        composite=composite, line=line,
    )  # fmt: skip
    return basis.price(contributions)


def contributions_to_json(contributions: Mapping[str, Contribution]) -> dict[str, dict[str, str]]:
    """``{line: {basis, employee, dependents}}`` with money as strings: how quotes and scenarios store
    contributions (api.md's offering ``contribution``)."""
    return {
        line: {"basis": str(c.basis), "employee": f"{c.employee:.2f}", "dependents": f"{c.dependents:.2f}"}
        for line, c in contributions.items()
    }


def contributions_from_json(raw: Mapping[str, Any] | None) -> dict[str, Contribution]:
    """The inverse of :func:`contributions_to_json` (lines it does not know are left out)."""
    return {
        line: Contribution(
            ContributionBasis(v["basis"]), Decimal(str(v["employee"])), Decimal(str(v["dependents"]))
        )
        for line, v in (raw or {}).items()
        if line in LINES
    }


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def quote_as_json(result: QuoteResult) -> list[dict]:
    """The stable JSON shape of the ``quote`` command (money as strings).

    Each plan lists ``notCovered``: the census's dependents whom their employee's tier on the plan's
    line leaves out; on an age-rated plan they are among ``members`` with ``"covered": false`` and
    ``"0.00"``.
    """
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
            "notCovered": [
                {"memberRef": n.member_ref, "subscriberRef": n.subscriber_ref, "coverageTier": n.tier}
                for n in plan.not_covered
            ],
        }
        if price.members is not None:
            item["members"] = [
                {
                    "memberRef": mp.member_ref,
                    "age": mp.age,
                    "monthlyPremium": _money(mp.monthly_premium),
                    "covered": mp.covered,
                }
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


def census_of_quote(quote: Any) -> list[CensusRow]:
    """A saved quote's census (its ``QuoteCensusRow`` rows) as the engine reads it."""
    return [
        CensusRow(
            r.member_ref, r.subscriber_ref, r.relationship, r.date_of_birth, r.tobacco_use, r.coverage_tier,
            medical_tier=r.medical_tier, dental_tier=r.dental_tier, vision_tier=r.vision_tier,
            waiver_reason=r.waiver_reason,
        )
        for r in quote.census_rows.all()
    ]  # fmt: skip
