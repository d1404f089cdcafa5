"""Rating arithmetic of the carrier: quotes, the sandbox's estimated and final rates, contributions.

``shared/humana/etss-rate-file.md`` ("Quoting with it") and ``api.md`` (create group: "Contributions";
the finalize example) fix the rules; the portal's quote engine and the carrier sandbox both call
:func:`price_plan` so that a quote and the carrier's final rates can never disagree by construction.

Rounding policy. Money is :class:`~decimal.Decimal`; every rounding is half up to the cent and happens
once, at these points only:

* member and tier rates are taken from the rate file as they are (the file carries cents; rates with
  more than two decimals are refused, never rounded);
* composite: ``base = member total ÷ Σ(subscribers in tier × factor)`` is kept unrounded (28 significant
  digits); each ``tier rate = base × factor`` is rounded;
* contributions: the employer's share of one family on one line is computed unrounded from its parts
  (subscriber's own premium, rest of the family) and rounded once; the employee's share is the family
  total minus that, so the two always add up to the total;
* every total is a sum of cent amounts, hence exact.

The arithmetic runs in a private decimal context, so a caller's context cannot change the results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from types import MappingProxyType

from .codes import CHILD_RELATIONSHIPS, ContributionBasis, Line, RatingOption, Relationship, Tier, tier_covers
from .etss import AGE_BANDS, age_band

__all__ = [
    "DEFAULT_COMPOSITE_FACTORS",
    "AgeRates",
    "Contribution",
    "CoveredPerson",
    "Family",
    "FamilyPrice",
    "MemberPrice",
    "PlanPrice",
    "PlanTerms",
    "TierRates",
    "age_on",
    "composite_tier_rates",
    "employee_only_premium",
    "per_pay_period",
    "price_plan",
    "round_money",
]

CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_HUNDRED = Decimal(100)
_CHILD_AGE_LIMIT = 21
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)

DEFAULT_COMPOSITE_FACTORS: Mapping[Tier, Decimal] = MappingProxyType(
    {Tier.EMP: Decimal("1.0"), Tier.ESP: Decimal("2.0"), Tier.ECH: Decimal("1.85"), Tier.FAM: Decimal("3.0")}
)


def round_money(amount: Decimal) -> Decimal:
    """Half up to the cent: the only rounding the carrier's documents use."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP, context=_CONTEXT)


def per_pay_period(monthly: Decimal | None, periods_per_year: int) -> Decimal | None:
    """A monthly amount per pay period: × 12 ÷ the pay periods of a year, rounded half up to the cent
    (what the employee's pages show and the payroll deduction report lists)."""
    if monthly is None:
        return None
    return round_money(monthly * 12 / periods_per_year)


def age_on(date_of_birth: date, on_date: date) -> int:
    """Completed years on ``on_date``. Someone born on 29 February gains a year on 1 March in common years.

    Raises ValueError for a birth after ``on_date``: nobody unborn can be rated.
    """
    if date_of_birth > on_date:
        raise ValueError(f"born {date_of_birth}, after {on_date}")
    before_birthday = (on_date.month, on_date.day) < (date_of_birth.month, date_of_birth.day)
    return on_date.year - date_of_birth.year - before_birthday


def _check_cents(amount: Decimal, what: str) -> None:
    exponent = amount.as_tuple().exponent  # an int for a finite amount ("n", "N", "F" otherwise)
    if not amount.is_finite() or amount <= 0 or (isinstance(exponent, int) and exponent < -2):
        raise ValueError(f"{what} {amount} is not a positive amount in cents")


# --------------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class CoveredPerson:
    member_ref: str
    relationship: Relationship
    date_of_birth: date
    tobacco_use: bool | None = None  # None (not stated, e.g. a child) rates as a non-user


@dataclass(frozen=True, slots=True)
class Family:
    """A subscriber with their dependents and their tier on the line in question; a waived family is not
    passed. The tier decides who is covered (api.md's code list): a listed dependent the tier leaves out
    (a spouse under ``ECH``, a child under ``ESP``, anyone under ``EMP``) is not covered and costs nothing.
    """

    subscriber: CoveredPerson
    dependents: tuple[CoveredPerson, ...]
    tier: Tier

    def __post_init__(self) -> None:
        if self.subscriber.relationship is not Relationship.SUBSCRIBER:
            raise ValueError(f"{self.subscriber.member_ref} heads a family but is not a SUBSCRIBER")
        if any(person.relationship is Relationship.SUBSCRIBER for person in self.dependents):
            raise ValueError(f"a dependent of {self.subscriber.member_ref} is a SUBSCRIBER")

    @property
    def people(self) -> tuple[CoveredPerson, ...]:
        return (self.subscriber, *self.dependents)

    def covers(self, person: CoveredPerson) -> bool:
        return tier_covers(self.tier, person.relationship)


@dataclass(frozen=True, slots=True)
class AgeRates:
    """One ARA block: age band → (rate, tobacco rate or None); all 51 bands are required."""

    rates: Mapping[str, tuple[Decimal, Decimal | None]]

    def __post_init__(self) -> None:
        missing = [band for band in AGE_BANDS if band not in self.rates]
        if missing:
            raise ValueError(f"age rates lack bands {', '.join(missing)}")
        for band, (rate, tobacco_rate) in self.rates.items():
            _check_cents(rate, f"rate of band {band}")
            if tobacco_rate is not None:
                _check_cents(tobacco_rate, f"tobacco rate of band {band}")

    def rate(self, age: int, *, tobacco: bool = False) -> Decimal:
        """The band rate of an age; the tobacco rate when asked and the block has one."""
        rate, tobacco_rate = self.rates[age_band(age)]
        return tobacco_rate if tobacco and tobacco_rate is not None else rate


@dataclass(frozen=True, slots=True)
class TierRates:
    """One TRA block: tier → monthly rate (a tier the file does not rate is simply absent)."""

    rates: Mapping[Tier, Decimal]

    def __post_init__(self) -> None:
        for tier, rate in self.rates.items():
            _check_cents(rate, f"rate of tier {tier}")

    def rate(self, tier: Tier) -> Decimal:
        try:
            return self.rates[tier]
        except KeyError:
            raise ValueError(f"no rate for tier {tier}") from None


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What rating needs of a PLN row."""

    plan_id: str
    line: Line
    rating_method: str  # "AGE" or "TIER"
    tobacco_rated: bool
    composite_allowed: bool
    max_children_u21: int | None  # None: every child is charged

    def __post_init__(self) -> None:
        if self.rating_method not in ("AGE", "TIER"):
            raise ValueError(f"rating method {self.rating_method!r} is neither AGE nor TIER")


@dataclass(frozen=True, slots=True)
class Contribution:
    """The employer's contribution on one line (api.md "Contributions")."""

    basis: ContributionBasis
    employee: Decimal
    dependents: Decimal

    def __post_init__(self) -> None:
        for amount in (self.employee, self.dependents):
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"contribution {amount} is negative")
            if self.basis is ContributionBasis.PERCENT and amount > _HUNDRED:
                raise ValueError(f"contribution {amount}% is over 100")


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class MemberPrice:
    member_ref: str
    age: int
    # 0.00 for a child beyond the oldest ``max_children_u21`` under 21, and for a dependent not covered
    monthly_premium: Decimal
    covered: bool = True  # False: the family's tier on this line leaves this dependent out


@dataclass(frozen=True, slots=True)
class FamilyPrice:
    """One family on one line; employer and employee are None when no contribution was given."""

    subscriber_ref: str
    tier: Tier
    total: Decimal
    employer: Decimal | None
    employee: Decimal | None


@dataclass(frozen=True, slots=True)
class PlanPrice:
    """A plan priced for a group.

    ``members`` is the per-member pricing of an age-rated plan (AGE or COMPOSITE), None for TIER;
    ``tier_rates`` the composite or file tier rates, None for AGE. ``member_total`` is the sum over
    members (age-rated plans; equals the total for AGE); ``composite_base`` the unrounded base.
    """

    plan_id: str
    line: Line
    rating_method: str  # "AGE", "COMPOSITE" or "TIER"
    members: list[MemberPrice] | None
    tier_rates: dict[Tier, Decimal] | None
    total_monthly_premium: Decimal
    member_total: Decimal | None
    composite_base: Decimal | None
    employer_monthly_contribution: Decimal | None
    employee_monthly_cost: Decimal | None
    families: dict[str, FamilyPrice]


# --------------------------------------------------------------------------------------------------
# Arithmetic


def _age_rated_family(
    family: Family, terms: PlanTerms, age_rates: AgeRates, effective_date: date
) -> list[MemberPrice]:
    """Each covered member at their band rate; only the oldest ``max_children_u21`` covered children
    under 21 pay; a dependent the tier leaves out is listed as not covered, at nothing."""
    ages = {person.member_ref: age_on(person.date_of_birth, effective_date) for person in family.people}
    free: set[str] = set()
    if terms.max_children_u21 is not None:
        young = [
            person
            for person in family.dependents
            if person.relationship in CHILD_RELATIONSHIPS
            and ages[person.member_ref] < _CHILD_AGE_LIMIT
            and family.covers(person)
        ]
        young.sort(key=lambda person: person.date_of_birth)  # oldest first; stable for twins
        free = {person.member_ref for person in young[terms.max_children_u21 :]}
    prices = []
    for person in family.people:
        ref = person.member_ref
        if not family.covers(person):
            prices.append(MemberPrice(ref, ages[ref], _ZERO, covered=False))
            continue
        if ref in free:
            premium = _ZERO
        else:
            premium = age_rates.rate(ages[ref], tobacco=terms.tobacco_rated and person.tobacco_use is True)
        prices.append(MemberPrice(ref, ages[ref], premium))
    return prices


def composite_tier_rates(
    member_total: Decimal,
    subscribers_by_tier: Mapping[Tier, int],
    factors: Mapping[Tier, Decimal] | None = None,
) -> tuple[Decimal, dict[Tier, Decimal]]:
    """``(base, tier rates)``: base = total ÷ Σ(subscribers in tier × factor), rate = base × factor (rounded).

    Factors come from the file's FAC ``COMPOSITE_TIER`` rows, else :data:`DEFAULT_COMPOSITE_FACTORS`.
    """
    factors = DEFAULT_COMPOSITE_FACTORS if factors is None else factors
    missing = [tier for tier in Tier if tier not in factors]
    if missing:
        raise ValueError(f"composite factors lack tiers {', '.join(missing)}")
    with localcontext(_CONTEXT):
        weight = sum((count * factors[tier] for tier, count in subscribers_by_tier.items()), Decimal(0))
        if weight <= 0:
            raise ValueError(
                "composite rating needs at least one subscriber in a tier with a positive factor"
            )
        base = member_total / weight
        return base, {tier: round_money(base * factors[tier]) for tier in Tier}


def _employer_share(contribution: Contribution, own: Decimal, rest: Decimal) -> Decimal:
    """The employer's share of one family on one line, rounded once (half up)."""
    with localcontext(_CONTEXT):
        if contribution.basis is ContributionBasis.PERCENT:
            share = own * contribution.employee / _HUNDRED + rest * contribution.dependents / _HUNDRED
        else:
            share = min(contribution.employee, own) + min(contribution.dependents, rest)
    return round_money(share)


@dataclass(frozen=True)
class _LineRates:
    """How one line was rated: the method, its rates, and per family (total, the subscriber's own
    premium) — contributions split on the latter."""

    method: str
    premiums: list[tuple[Decimal, Decimal]]
    members: list[MemberPrice] | None = None
    rates_by_tier: dict[Tier, Decimal] | None = None
    member_total: Decimal | None = None
    base: Decimal | None = None


def _check_unique_refs(families: tuple[Family, ...]) -> None:
    refs = [person.member_ref for family in families for person in family.people]
    duplicates = sorted(ref for ref, count in Counter(refs).items() if count > 1)
    if duplicates:
        raise ValueError(f"member references appear twice: {', '.join(duplicates)}")


def _tier_rated(terms: PlanTerms, families: tuple[Family, ...], tier_rates: TierRates | None) -> _LineRates:
    if tier_rates is None:
        raise ValueError(f"{terms.plan_id} is tier-rated: tier_rates are needed")
    premiums = [(tier_rates.rate(family.tier), tier_rates.rate(Tier.EMP)) for family in families]
    return _LineRates("TIER", premiums, rates_by_tier=dict(tier_rates.rates))


def _age_rated(
    terms: PlanTerms,
    families: tuple[Family, ...],
    *,
    age_rates: AgeRates | None,
    effective_date: date,
    rating_option: RatingOption | str,
    composite_factors: Mapping[Tier, Decimal] | None,
) -> _LineRates:
    if age_rates is None:
        raise ValueError(f"{terms.plan_id} is age-rated: age_rates are needed")
    members: list[MemberPrice] = []
    premiums: list[tuple[Decimal, Decimal]] = []
    for family in families:
        priced = _age_rated_family(family, terms, age_rates, effective_date)
        members.extend(priced)
        premiums.append((sum((m.monthly_premium for m in priced), _ZERO), priced[0].monthly_premium))
    member_total = sum((m.monthly_premium for m in members), _ZERO)
    if rating_option == RatingOption.COMPOSITE:
        if not terms.composite_allowed:
            raise ValueError(f"{terms.plan_id} does not allow composite rating")
        counts = Counter(family.tier for family in families)
        base, rates_by_tier = composite_tier_rates(member_total, counts, composite_factors)
        premiums = [(rates_by_tier[family.tier], rates_by_tier[Tier.EMP]) for family in families]
        return _LineRates("COMPOSITE", premiums, members, rates_by_tier, member_total, base)
    if rating_option == RatingOption.AGE:
        return _LineRates("AGE", premiums, members, member_total=member_total)
    raise ValueError(f"rating option {rating_option!r} is neither AGE nor COMPOSITE")


def _family_prices(
    families: tuple[Family, ...],
    premiums: list[tuple[Decimal, Decimal]],
    contribution: Contribution | None,
) -> dict[str, FamilyPrice]:
    family_prices: dict[str, FamilyPrice] = {}
    for family, (total, own) in zip(families, premiums, strict=True):
        employer = employee = None
        if contribution is not None:
            # The subscriber's own premium can exceed a family total only through odd tier rates.
            own = min(own, total)
            employer = _employer_share(contribution, own, total - own)
            employee = total - employer
        ref = family.subscriber.member_ref
        family_prices[ref] = FamilyPrice(ref, family.tier, total, employer, employee)
    return family_prices


def price_plan(
    terms: PlanTerms,
    *,
    families: Iterable[Family],
    effective_date: date,
    age_rates: AgeRates | None = None,
    tier_rates: TierRates | None = None,
    rating_option: RatingOption | str = RatingOption.AGE,
    composite_factors: Mapping[Tier, Decimal] | None = None,
    contribution: Contribution | None = None,
) -> PlanPrice:
    """Price one plan for the families enrolled (or quoted) on its line.

    Age-rated plans take ``age_rates`` (the block of the group's area and of the quarter holding the
    effective date) and honour ``rating_option`` (``COMPOSITE`` only where the plan allows it); tier-rated
    plans take ``tier_rates`` and ignore ``rating_option``. Raises ValueError for inputs the documents
    do not allow rating (missing rates, duplicate member references, composite where not allowed).
    """
    families = tuple(families)
    _check_unique_refs(families)
    if terms.rating_method == "TIER":
        rated = _tier_rated(terms, families, tier_rates)
    else:
        rated = _age_rated(
            terms,
            families,
            age_rates=age_rates,
            effective_date=effective_date,
            rating_option=rating_option,
            composite_factors=composite_factors,
        )
    family_prices = _family_prices(families, rated.premiums, contribution)
    total_premium = sum((price.total for price in family_prices.values()), _ZERO)
    employer_total = employee_total = None
    if contribution is not None:
        employer_total = sum((price.employer or _ZERO for price in family_prices.values()), _ZERO)
        employee_total = total_premium - employer_total
    return PlanPrice(
        plan_id=terms.plan_id,
        line=terms.line,
        rating_method=rated.method,
        members=rated.members,
        tier_rates=rated.rates_by_tier,
        total_monthly_premium=total_premium,
        member_total=rated.member_total,
        composite_base=rated.base,
        employer_monthly_contribution=employer_total,
        employee_monthly_cost=employee_total,
        families=family_prices,
    )


def employee_only_premium(
    terms: PlanTerms,
    subscriber: CoveredPerson,
    effective_date: date,
    *,
    age_rates: AgeRates | None = None,
    tier_rates: TierRates | None = None,
) -> Decimal:
    """A subscriber's own non-tobacco rate on one plan (business-rules.md "Employee-only premium").

    The age rate of their band, or the plan's EMP (EE) tier rate. GRP-022 compares the employer's
    contribution with this amount on the lowest-cost plan of the line the group offers: the caller
    takes the minimum over the offered plans.
    """
    if terms.rating_method == "TIER":
        if tier_rates is None:
            raise ValueError(f"{terms.plan_id} is tier-rated: tier_rates are needed")
        return tier_rates.rate(Tier.EMP)
    if age_rates is None:
        raise ValueError(f"{terms.plan_id} is age-rated: age_rates are needed")
    return age_rates.rate(age_on(subscriber.date_of_birth, effective_date), tobacco=False)
