"""Rating arithmetic: api.md's known answers on the sample rates, rules worked by hand, properties."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groupsales.codes import CHILD_RELATIONSHIPS, ContributionBasis, Line, Relationship, Tier
from groupsales.etss import AGE_BANDS, AgeRate, EtssReader, Plan, TierRate
from groupsales.rating import (
    DEFAULT_COMPOSITE_FACTORS,
    AgeRates,
    Contribution,
    CoveredPerson,
    Family,
    PlanTerms,
    TierRates,
    age_on,
    composite_tier_rates,
    employee_only_premium,
    price_plan,
    round_money,
)
from portal.samples import RATE_FILE, sample_file

SAMPLE = sample_file(RATE_FILE)  # the project's demo rate file (the carrier's KY sample)
EFFECTIVE = date(2027, 1, 1)
MEDICAL, DENTAL, VISION = "12345KY0010001", "12345KY0020001", "12345KY0030001"
D = Decimal
R = Relationship


def load_sample() -> tuple[dict[str, PlanTerms], dict[tuple[str, str, date], AgeRates], dict[str, TierRates]]:
    plans: dict[str, PlanTerms] = {}
    bands: dict[tuple[str, str, date], dict[str, tuple[Decimal, Decimal | None]]] = defaultdict(dict)
    tiers: dict[str, dict[Tier, Decimal]] = defaultdict(dict)
    reader = EtssReader(SAMPLE)
    for record in reader:
        if isinstance(record, Plan):
            plans[record.plan_id] = PlanTerms(
                record.plan_id, record.line, record.rating_method, record.tobacco_rated,
                record.composite_allowed, record.max_children_u21,
            )  # fmt: skip
        elif isinstance(record, AgeRate):
            key = (record.plan_id, record.rating_area_id, record.rate_eff_date)
            bands[key][record.age_band] = (record.rate, record.tobacco_rate)
        elif isinstance(record, TierRate):
            tiers[record.plan_id][record.tier] = record.rate
    assert reader.ok
    return (
        plans,
        {key: AgeRates(rates) for key, rates in bands.items()},
        {plan_id: TierRates(rates) for plan_id, rates in tiers.items()},
    )


PLANS, AGE_RATES, TIER_RATES = load_sample()
BLUE_HERON_RATES = AGE_RATES[(MEDICAL, "KY-RA02", EFFECTIVE)]

ANN = CoveredPerson("E-001", R.SUBSCRIBER, date(1980, 5, 2), False)
DAVID = CoveredPerson("E-001-S", R.SPOUSE, date(1979, 11, 30), True)
MAYA = CoveredPerson("E-001-C1", R.CHILD, date(2010, 6, 5), False)
NOAH = CoveredPerson("E-001-C2", R.CHILD, date(2026, 7, 2), False)
LUIS = CoveredPerson("E-002", R.SUBSCRIBER, date(1995, 7, 22), False)
LEE_FAMILY = Family(ANN, (DAVID, MAYA, NOAH), Tier.FAM)
ORTIZ = Family(LUIS, (), Tier.EMP)


def percent(employee: str, dependents: str) -> Contribution:
    return Contribution(ContributionBasis.PERCENT, D(employee), D(dependents))


def flat(employee: str, dependents: str) -> Contribution:
    return Contribution(ContributionBasis.FLAT, D(employee), D(dependents))


def flat_rates(rate: str, tobacco: str | None = None) -> AgeRates:
    """One rate for every band: makes hand-worked answers easy to read."""
    return AgeRates({band: (D(rate), D(tobacco) if tobacco else None) for band in AGE_BANDS})


def terms(
    *, tobacco_rated: bool = True, composite_allowed: bool = True, max_children: int | None = 3
) -> PlanTerms:
    return PlanTerms("99999KY0000001", Line.MEDICAL, "AGE", tobacco_rated, composite_allowed, max_children)


def born(
    age: int, ref: str, relationship: Relationship = R.CHILD, tobacco: bool | None = None
) -> CoveredPerson:
    """Someone ``age`` on the effective date (born on 1 March of the year)."""
    return CoveredPerson(ref, relationship, date(EFFECTIVE.year - age - 1, 3, 1), tobacco)


# --------------------------------------------------------------------------------------------------
# api.md known answers (Blue Heron Bakery, KY-RA02, effective 2027-01-01)


def test_it_prices_blue_heron_medical_as_the_finalize_example() -> None:
    price = price_plan(
        PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[LEE_FAMILY, ORTIZ], effective_date=EFFECTIVE,
        contribution=percent("60.00", "25.00"),
    )  # fmt: skip

    assert price.rating_method == "AGE"
    assert price.members is not None
    assert [(m.member_ref, m.age, m.monthly_premium) for m in price.members] == [
        ("E-001", 46, D("765.59")),
        ("E-001-S", 47, D("957.29")),  # tobacco rate
        ("E-001-C1", 16, D("438.43")),
        ("E-001-C2", 0, D("390.45")),
        ("E-002", 31, D("591.54")),
    ]
    assert price.tier_rates is None
    assert price.total_monthly_premium == price.member_total == D("3143.30")
    # Lee: 765.59 x 60% + 1786.17 x 25% = 905.8965 -> 905.90; Ortiz: 591.54 x 60% = 354.924 -> 354.92.
    assert price.families["E-001"].employer == D("905.90")
    assert price.families["E-002"].employer == D("354.92")
    assert price.employer_monthly_contribution == D("1260.82")
    assert price.employee_monthly_cost == D("1882.48")


def test_it_prices_blue_heron_dental_with_a_flat_contribution() -> None:
    price = price_plan(
        PLANS[DENTAL], tier_rates=TIER_RATES[DENTAL], families=[LEE_FAMILY], effective_date=EFFECTIVE,
        contribution=flat("20.00", "0.00"),
    )  # fmt: skip

    assert price.rating_method == "TIER"
    assert price.members is None
    assert price.tier_rates == {
        Tier.EMP: D("32.50"),
        Tier.ESP: D("65.00"),
        Tier.ECH: D("61.75"),
        Tier.FAM: D("97.50"),
    }
    assert price.total_monthly_premium == D("97.50")
    assert price.employer_monthly_contribution == D("20.00")


def test_it_prices_blue_heron_vision_with_a_full_employee_contribution() -> None:
    price = price_plan(
        PLANS[VISION], tier_rates=TIER_RATES[VISION], families=[LEE_FAMILY], effective_date=EFFECTIVE,
        contribution=percent("100.00", "0.00"),
    )  # fmt: skip

    assert price.total_monthly_premium == D("23.70")
    assert price.employer_monthly_contribution == D("7.90")  # the EE rate, in full


def test_it_adds_up_to_the_finalize_grand_totals() -> None:
    lines = [
        (MEDICAL, [LEE_FAMILY, ORTIZ], percent("60.00", "25.00")),
        (DENTAL, [LEE_FAMILY], flat("20.00", "0.00")),
        (VISION, [LEE_FAMILY], percent("100.00", "0.00")),
    ]
    prices = [
        price_plan(
            PLANS[plan_id],
            age_rates=BLUE_HERON_RATES,
            tier_rates=TIER_RATES.get(plan_id),
            families=families,
            effective_date=EFFECTIVE,
            contribution=contribution,
        )  # fmt: skip
        for plan_id, families, contribution in lines
    ]

    assert sum(p.total_monthly_premium for p in prices) == D("3264.50")
    assert sum(p.employer_monthly_contribution or 0 for p in prices) == D("1288.72")


def test_it_finds_the_sample_age_curve() -> None:
    """The federal default curve: 0-14 at 0.765 and 18 at 0.913 of the age-21 rate, within a cent."""
    for rates in AGE_RATES.values():
        rate_21 = rates.rate(21)
        assert abs(rates.rate(10) - rate_21 * D("0.765")) <= D("0.01")
        assert abs(rates.rate(18) - rate_21 * D("0.913")) <= D("0.01")


# --------------------------------------------------------------------------------------------------
# Ages


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1980, 5, 2), date(2027, 1, 1), 46),
        (date(1980, 1, 1), date(2027, 1, 1), 47),  # birthday on the day
        (date(1980, 1, 2), date(2027, 1, 1), 46),  # birthday the next day
        (date(2026, 7, 2), date(2027, 1, 1), 0),
        (date(2027, 1, 1), date(2027, 1, 1), 0),
        (date(2008, 2, 29), date(2027, 2, 28), 18),  # a leapling turns 19 on 1 March in a common year
        (date(2008, 2, 29), date(2027, 3, 1), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
    ],
)
def test_it_counts_completed_years(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_it_refuses_a_birth_after_the_date() -> None:
    with pytest.raises(ValueError):
        age_on(date(2027, 1, 2), date(2027, 1, 1))


# --------------------------------------------------------------------------------------------------
# Age-rated rules


def test_it_charges_only_the_three_oldest_children_under_21() -> None:
    children = tuple(born(age, f"C-{age}") for age in (3, 17, 9, 12))
    family = Family(born(40, "E-1", R.SUBSCRIBER), children, Tier.ECH)

    price = price_plan(terms(), age_rates=flat_rates("100.00"), families=[family], effective_date=EFFECTIVE)

    premiums = {m.member_ref: m.monthly_premium for m in price.members or []}
    assert premiums == {
        "E-1": D("100.00"),
        "C-17": D("100.00"),
        "C-12": D("100.00"),
        "C-9": D("100.00"),
        "C-3": D("0.00"),
    }
    assert price.total_monthly_premium == D("400.00")


def test_it_charges_nothing_for_the_fourth_and_fifth_child() -> None:
    children = (
        born(5, "C-5", R.STEPCHILD), born(14, "C-14", R.FOSTER_CHILD), born(1, "C-1"),
        born(20, "C-20", R.WARD), born(8, "C-8"),
    )  # fmt: skip
    family = Family(born(45, "E-1", R.SUBSCRIBER), children, Tier.ECH)

    price = price_plan(terms(), age_rates=flat_rates("100.00"), families=[family], effective_date=EFFECTIVE)

    free = sorted(m.member_ref for m in price.members or [] if m.monthly_premium == 0)
    assert free == ["C-1", "C-5"]
    assert price.total_monthly_premium == D("400.00")


def test_it_always_charges_children_of_21_or_more() -> None:
    children = (born(22, "C-22"), born(16, "C-16"), born(12, "C-12"), born(10, "C-10"), born(6, "C-6"))
    family = Family(born(50, "E-1", R.SUBSCRIBER), (born(48, "S", R.SPOUSE), *children), Tier.FAM)

    price = price_plan(terms(), age_rates=flat_rates("100.00"), families=[family], effective_date=EFFECTIVE)

    free = [m.member_ref for m in price.members or [] if m.monthly_premium == 0]
    assert free == ["C-6"]  # the 22-year-old does not use up one of the three places
    assert price.total_monthly_premium == D("600.00")


def test_it_charges_every_child_without_a_limit() -> None:
    children = tuple(born(age, f"C-{age}") for age in (1, 2, 3, 4))
    family = Family(born(40, "E-1", R.SUBSCRIBER), children, Tier.ECH)

    price = price_plan(
        terms(max_children=None), age_rates=flat_rates("100.00"), families=[family], effective_date=EFFECTIVE
    )

    assert price.total_monthly_premium == D("500.00")


def test_it_ignores_tobacco_on_a_plan_that_is_not_tobacco_rated() -> None:
    family = Family(born(40, "E-1", R.SUBSCRIBER, tobacco=True), (), Tier.EMP)
    rates = flat_rates("100.00", tobacco="120.00")

    rated = price_plan(terms(), age_rates=rates, families=[family], effective_date=EFFECTIVE)
    unrated = price_plan(
        terms(tobacco_rated=False), age_rates=rates, families=[family], effective_date=EFFECTIVE
    )

    assert rated.total_monthly_premium == D("120.00")
    assert unrated.total_monthly_premium == D("100.00")


def test_it_rates_an_unstated_tobacco_use_as_none() -> None:
    family = Family(born(40, "E-1", R.SUBSCRIBER, tobacco=None), (), Tier.EMP)

    price = price_plan(
        terms(), age_rates=flat_rates("100.00", "120.00"), families=[family], effective_date=EFFECTIVE
    )

    assert price.total_monthly_premium == D("100.00")


# --------------------------------------------------------------------------------------------------
# The tier decides who is covered (issue 23 item 1)


def test_it_prices_a_spouse_the_ech_tier_leaves_out_at_nothing() -> None:
    lee_ech = Family(ANN, (DAVID, MAYA, NOAH), Tier.ECH)

    price = price_plan(
        PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[lee_ech], effective_date=EFFECTIVE
    )

    members = {m.member_ref: m for m in price.members or []}
    assert (members["E-001-S"].monthly_premium, members["E-001-S"].covered) == (D("0.00"), False)
    assert all(members[ref].covered for ref in ("E-001", "E-001-C1", "E-001-C2"))
    assert price.total_monthly_premium == D("765.59") + D("438.43") + D("390.45")


def test_it_prices_children_the_esp_tier_leaves_out_at_nothing() -> None:
    lee_esp = Family(ANN, (DAVID, MAYA, NOAH), Tier.ESP)

    price = price_plan(
        PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[lee_esp], effective_date=EFFECTIVE
    )

    assert [(m.member_ref, m.covered) for m in price.members or [] if not m.covered] == [
        ("E-001-C1", False), ("E-001-C2", False),
    ]  # fmt: skip
    assert price.total_monthly_premium == D("765.59") + D("957.29")


def test_it_prices_only_the_employee_of_an_emp_tier_and_composites_what_is_covered() -> None:
    lee_emp = Family(ANN, (DAVID, MAYA, NOAH), Tier.EMP)
    rates = flat_rates("100.00")

    age = price_plan(terms(), age_rates=rates, families=[lee_emp, ORTIZ], effective_date=EFFECTIVE)
    composite = price_plan(
        terms(),
        age_rates=rates,
        families=[lee_emp, ORTIZ],
        effective_date=EFFECTIVE,
        rating_option="COMPOSITE",
    )

    assert age.total_monthly_premium == D("200.00")
    assert composite.member_total == D("200.00")
    assert composite.tier_rates is not None and composite.tier_rates[Tier.EMP] == D("100.00")


def test_it_counts_only_covered_children_among_the_three_oldest() -> None:
    children = tuple(born(age, f"C-{age}") for age in (3, 17, 9, 12))
    family = Family(born(40, "E-1", R.SUBSCRIBER), children, Tier.ECH)
    spouse_only = Family(born(41, "E-2", R.SUBSCRIBER), (born(39, "S-2", R.SPOUSE), born(5, "C-2")), Tier.ESP)

    price = price_plan(
        terms(), age_rates=flat_rates("100.00"), families=[family, spouse_only], effective_date=EFFECTIVE
    )

    assert price.families["E-1"].total == D("400.00")
    assert price.families["E-2"].total == D("200.00")


# --------------------------------------------------------------------------------------------------
# Composite


def test_it_works_composite_tiers_with_the_default_factors() -> None:
    price = price_plan(
        PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[LEE_FAMILY, ORTIZ], effective_date=EFFECTIVE,
        rating_option="COMPOSITE", contribution=percent("60.00", "25.00"),
    )  # fmt: skip

    # base = 3143.30 / (1 x 1.0 + 1 x 3.0) = 785.825, kept unrounded
    assert price.rating_method == "COMPOSITE"
    assert price.composite_base == D("785.825")
    assert price.tier_rates == {
        Tier.EMP: D("785.83"),  # 785.825 half up (half even would give 785.82)
        Tier.ESP: D("1571.65"),  # 1571.65
        Tier.ECH: D("1453.78"),  # 1453.77625
        Tier.FAM: D("2357.48"),  # 2357.475
    }
    assert price.total_monthly_premium == D("3143.31")  # 785.83 + 2357.48
    assert price.member_total == D("3143.30")  # shown beside it
    # Lee: 785.83 x 60% + (2357.48 - 785.83) x 25% = 864.4105; Ortiz: 471.498
    assert price.families["E-001"].employer == D("864.41")
    assert price.families["E-002"].employer == D("471.50")


def test_it_uses_the_file_composite_factors_when_given() -> None:
    factors = {Tier.EMP: D("1"), Tier.ESP: D("2"), Tier.ECH: D("2"), Tier.FAM: D("2.5")}

    base, rates = composite_tier_rates(D("700.00"), {Tier.EMP: 2, Tier.FAM: 2}, factors)

    assert base == D("100")  # 700 / (2 x 1 + 2 x 2.5)
    assert rates == {
        Tier.EMP: D("100.00"),
        Tier.ESP: D("200.00"),
        Tier.ECH: D("200.00"),
        Tier.FAM: D("250.00"),
    }


def test_it_refuses_composite_where_the_plan_does_not_allow_it() -> None:
    with pytest.raises(ValueError):
        price_plan(
            terms(composite_allowed=False), age_rates=flat_rates("100.00"), families=[ORTIZ],
            effective_date=EFFECTIVE, rating_option="COMPOSITE",
        )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Contributions


def test_it_caps_flat_contributions_at_what_they_pay_for() -> None:
    price = price_plan(
        PLANS[DENTAL], tier_rates=TIER_RATES[DENTAL], families=[Family(ANN, (DAVID,), Tier.ESP)],
        effective_date=EFFECTIVE, contribution=flat("50.00", "100.00"),
    )  # fmt: skip

    family = price.families["E-001"]
    assert (family.total, family.employer, family.employee) == (D("65.00"), D("65.00"), D("0.00"))


def test_it_pays_flat_dollars_toward_each_part() -> None:
    price = price_plan(
        PLANS[DENTAL], tier_rates=TIER_RATES[DENTAL], families=[Family(ANN, (DAVID,), Tier.ESP)],
        effective_date=EFFECTIVE, contribution=flat("20.00", "10.00"),
    )  # fmt: skip

    assert price.families["E-001"].employer == D("30.00")


@pytest.mark.parametrize(
    ("contribution", "employer"),
    [
        (percent("0.00", "0.00"), D("0.00")),
        (percent("100.00", "100.00"), D("2551.76")),
        (percent("100.00", "0.00"), D("765.59")),
    ],
)
def test_it_pays_percent_contributions_from_0_to_100(contribution: Contribution, employer: Decimal) -> None:
    price = price_plan(
        PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[LEE_FAMILY], effective_date=EFFECTIVE,
        contribution=contribution,
    )  # fmt: skip

    family = price.families["E-001"]
    assert family.employer == employer
    assert family.employee == family.total - employer


def test_it_rounds_half_up_at_half_a_cent() -> None:
    family = Family(born(30, "E-1", R.SUBSCRIBER), (), Tier.EMP)

    price = price_plan(
        terms(), age_rates=flat_rates("100.01"), families=[family], effective_date=EFFECTIVE,
        contribution=percent("50.00", "0.00"),
    )  # fmt: skip

    assert price.families["E-1"].employer == D("50.01")  # 50.005; half even would give 50.00
    assert round_money(D("2.675")) == D("2.68")
    assert round_money(D("2.674999")) == D("2.67")


def test_it_leaves_contributions_out_when_none_is_given() -> None:
    price = price_plan(PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[ORTIZ], effective_date=EFFECTIVE)

    assert price.employer_monthly_contribution is None and price.employee_monthly_cost is None
    assert price.families["E-002"].employer is None


@pytest.mark.parametrize("amount", ["-1.00", "100.01"])
def test_it_refuses_percentages_outside_0_to_100(amount: str) -> None:
    with pytest.raises(ValueError):
        percent(amount, "0.00")


# --------------------------------------------------------------------------------------------------
# Employee-only premium (GRP-022) and refusals


def test_it_finds_the_employee_only_premium() -> None:
    smoker = CoveredPerson("E-009", R.SUBSCRIBER, date(1979, 11, 30), True)

    assert employee_only_premium(PLANS[MEDICAL], ANN, EFFECTIVE, age_rates=BLUE_HERON_RATES) == D("765.59")
    assert employee_only_premium(PLANS[MEDICAL], smoker, EFFECTIVE, age_rates=BLUE_HERON_RATES) == D("797.74")
    assert employee_only_premium(PLANS[DENTAL], ANN, EFFECTIVE, tier_rates=TIER_RATES[DENTAL]) == D("32.50")


def test_it_refuses_a_member_reference_used_twice() -> None:
    with pytest.raises(ValueError):
        price_plan(
            PLANS[MEDICAL], age_rates=BLUE_HERON_RATES, families=[ORTIZ, ORTIZ], effective_date=EFFECTIVE
        )


def test_it_refuses_a_tier_the_plan_does_not_rate() -> None:
    rates = TierRates({Tier.EMP: D("10.00")})

    with pytest.raises(ValueError):
        price_plan(PLANS[DENTAL], tier_rates=rates, families=[LEE_FAMILY], effective_date=EFFECTIVE)


def test_it_refuses_incomplete_or_fractional_age_rates() -> None:
    with pytest.raises(ValueError):
        AgeRates({"21": (D("100.00"), None)})
    with pytest.raises(ValueError):
        flat_rates("100.005")


# --------------------------------------------------------------------------------------------------
# Properties

ADULT_BIRTHS = st.dates(min_value=EFFECTIVE.replace(year=EFFECTIVE.year - 100) + timedelta(days=1),
                        max_value=EFFECTIVE.replace(year=EFFECTIVE.year - 16))  # fmt: skip
CHILD_BIRTHS = st.dates(
    min_value=EFFECTIVE.replace(year=EFFECTIVE.year - 26) + timedelta(days=1), max_value=EFFECTIVE
)
TOBACCO = st.sampled_from([True, False, None])


@st.composite
def families(draw: st.DrawFn, index: int) -> Family:
    subscriber = CoveredPerson(f"E-{index}", R.SUBSCRIBER, draw(ADULT_BIRTHS), draw(TOBACCO))
    dependents = []
    if draw(st.booleans()):
        spouse_kind = draw(st.sampled_from([R.SPOUSE, R.DOMESTIC_PARTNER]))
        dependents.append(CoveredPerson(f"E-{index}-S", spouse_kind, draw(ADULT_BIRTHS), draw(TOBACCO)))
    for child in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(sorted(CHILD_RELATIONSHIPS)))
        dependents.append(CoveredPerson(f"E-{index}-C{child}", kind, draw(CHILD_BIRTHS), draw(TOBACCO)))
    has_spouse = any(d.relationship in (R.SPOUSE, R.DOMESTIC_PARTNER) for d in dependents)
    has_children = len(dependents) > has_spouse
    tier = {
        (False, False): Tier.EMP,
        (True, False): Tier.ESP,
        (False, True): Tier.ECH,
        (True, True): Tier.FAM,
    }
    return Family(subscriber, tuple(dependents), tier[(has_spouse, has_children)])


GROUPS = st.integers(1, 8).flatmap(lambda n: st.tuples(*(families(i) for i in range(n))))
CENTS = st.integers(1, 500_000).map(lambda cents: D(cents).scaleb(-2))
PERCENTS = st.integers(0, 10_000).map(lambda basis_points: D(basis_points).scaleb(-2))
CONTRIBUTIONS = st.one_of(
    st.builds(Contribution, st.just(ContributionBasis.PERCENT), PERCENTS, PERCENTS),
    st.builds(Contribution, st.just(ContributionBasis.FLAT), CENTS, CENTS),
)
PLAN_TERMS = st.builds(
    PlanTerms, st.just("99999KY0000001"), st.just(Line.MEDICAL), st.just("AGE"), st.booleans(), st.just(True),
    st.one_of(st.none(), st.integers(0, 4)),
)  # fmt: skip


def sample_blocks() -> list[AgeRates]:
    return list(AGE_RATES.values())


@given(
    terms=PLAN_TERMS, group=GROUPS, contribution=CONTRIBUTIONS, rates=st.sampled_from(sample_blocks()),
    option=st.sampled_from(["AGE", "COMPOSITE"]),
)  # fmt: skip
def test_it_splits_every_family_premium_between_employer_and_employee(
    terms: PlanTerms, group: tuple[Family, ...], contribution: Contribution, rates: AgeRates, option: str
) -> None:
    price = price_plan(
        terms, age_rates=rates, families=group, effective_date=EFFECTIVE, rating_option=option,
        contribution=contribution,
    )  # fmt: skip

    for family in price.families.values():
        assert family.employer is not None and family.employee is not None
        assert family.employer + family.employee == family.total
        assert D(0) <= family.employer <= family.total
        assert family.employer == family.employer.quantize(D("0.01"))
    assert sum(f.total for f in price.families.values()) == price.total_monthly_premium
    assert price.employer_monthly_contribution is not None and price.employee_monthly_cost is not None
    assert price.employer_monthly_contribution + price.employee_monthly_cost == price.total_monthly_premium
    assert price.member_total == sum(m.monthly_premium for m in price.members or [])


@given(group=GROUPS, rates=st.sampled_from(sample_blocks()))
def test_it_keeps_the_composite_total_within_rounding_of_the_member_total(
    group: tuple[Family, ...], rates: AgeRates
) -> None:
    price = price_plan(
        PLANS[MEDICAL], age_rates=rates, families=group, effective_date=EFFECTIVE, rating_option="COMPOSITE"
    )

    assert price.composite_base is not None and price.composite_base > 0
    assert price.member_total is not None
    # Each tier rate is within half a cent of base x factor: a subscriber moves the total by at most that.
    assert abs(price.total_monthly_premium - price.member_total) <= D("0.005") * len(group)


@given(
    group=GROUPS, tier_rates=st.fixed_dictionaries({tier: CENTS for tier in Tier}), contribution=CONTRIBUTIONS
)
def test_it_prices_tier_rated_plans_at_the_rate_of_each_family_tier(
    group: tuple[Family, ...], tier_rates: dict[Tier, Decimal], contribution: Contribution
) -> None:
    price = price_plan(
        PLANS[DENTAL], tier_rates=TierRates(tier_rates), families=group, effective_date=EFFECTIVE,
        contribution=contribution,
    )  # fmt: skip

    assert price.total_monthly_premium == sum(tier_rates[family.tier] for family in group)
    for family in price.families.values():
        assert family.employer is not None and family.employer + family.employee == family.total  # type: ignore[operator]


def test_it_defaults_to_the_documented_composite_factors() -> None:
    assert dict(DEFAULT_COMPOSITE_FACTORS) == {
        Tier.EMP: D("1.0"),
        Tier.ESP: D("2.0"),
        Tier.ECH: D("1.85"),
        Tier.FAM: D("3.0"),
    }


# The tier decides who is covered: any tier over any family, checked by an independent sum.
_COVERS = {  # api.md's code list, written out again here on purpose
    Tier.EMP: set(),
    Tier.ESP: {R.SPOUSE, R.DOMESTIC_PARTNER},
    Tier.ECH: {R.CHILD, R.STEPCHILD, R.FOSTER_CHILD, R.WARD},
    Tier.FAM: {R.SPOUSE, R.DOMESTIC_PARTNER, R.CHILD, R.STEPCHILD, R.FOSTER_CHILD, R.WARD},
}


def _years(born_on: date, on: date) -> int:
    years = on.year - born_on.year
    return years - 1 if (on.month, on.day) < (born_on.month, born_on.day) else years


def _band(age: int) -> str:
    return "0-14" if age <= 14 else "64+" if age >= 64 else str(age)


def _expected_total(group: tuple[Family, ...], plan: PlanTerms, rates: AgeRates) -> Decimal:
    total = D("0.00")
    for family in group:
        covered = [family.subscriber] + [
            d for d in family.dependents if d.relationship in _COVERS[family.tier]
        ]
        young = [
            (p.date_of_birth, i) for i, p in enumerate(covered)
            if p.relationship in CHILD_RELATIONSHIPS and _years(p.date_of_birth, EFFECTIVE) < 21
        ]  # fmt: skip
        free = (
            {i for _born, i in sorted(young)[plan.max_children_u21 :]}
            if plan.max_children_u21 is not None
            else set()
        )
        for i, person in enumerate(covered):
            if i in free:
                continue
            rate, tobacco_rate = rates.rates[_band(_years(person.date_of_birth, EFFECTIVE))]
            smoker = plan.tobacco_rated and person.tobacco_use is True and tobacco_rate is not None
            total += tobacco_rate if smoker else rate  # type: ignore[operator]
    return total


ANY_TIER_GROUPS = st.integers(1, 8).flatmap(
    lambda n: st.tuples(
        *(
            st.builds(lambda family, tier: Family(family.subscriber, family.dependents, tier), families(i),
                      st.sampled_from(list(Tier)))
            for i in range(n)
        )
    )
)  # fmt: skip


@given(terms=PLAN_TERMS, group=ANY_TIER_GROUPS, rates=st.sampled_from(sample_blocks()))
def test_it_sums_the_band_rates_of_exactly_the_people_each_tier_covers(
    terms: PlanTerms, group: tuple[Family, ...], rates: AgeRates
) -> None:
    price = price_plan(terms, age_rates=rates, families=group, effective_date=EFFECTIVE)

    assert price.total_monthly_premium == _expected_total(group, terms, rates)
    not_covered = {d.member_ref for f in group for d in f.dependents if d.relationship not in _COVERS[f.tier]}
    assert {m.member_ref for m in price.members or [] if not m.covered} == not_covered
    assert all(m.monthly_premium == 0 for m in price.members or [] if not m.covered)
