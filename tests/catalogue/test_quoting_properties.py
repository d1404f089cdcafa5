"""Properties of the quote engine over any census (issue 23 item 1), on the sample rate file.

For any census — any tier on any line, a tier per line or one for all, waivers, dependents the tier
leaves out — each age-rated plan's total equals the sum of the band rates of exactly the people covered
(the subscriber, and the dependents the line's tier covers; of the covered children under 21 only the
three oldest pay), and each tier-rated plan's total the sum of the electing families' tier rates. The
expected figures are computed here from the rate rows in the database, without the rating code.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.models import AgeRate, Plan, TierRate
from catalogue.quoting import CensusRow, quote_census

ON = date(2027, 1, 1)
LINES = ("MEDICAL", "DENTAL", "VISION")
TIERS = ("EMP", "ESP", "ECH", "FAM")
SPOUSES = ("SPOUSE", "DOMESTIC_PARTNER")
CHILDREN = ("CHILD", "STEPCHILD", "FOSTER_CHILD", "WARD")
COVERS = {"EMP": (), "ESP": SPOUSES, "ECH": CHILDREN, "FAM": SPOUSES + CHILDREN}  # api.md's code list


def born(years: int, days: int) -> date:
    return ON - timedelta(days=years * 365 + days)


@st.composite
def censuses(draw) -> list[CensusRow]:
    rows = []
    tier = st.sampled_from([*TIERS, "WAIVE"])
    for number in range(1, draw(st.integers(1, 6)) + 1):
        ref = f"E-{number}"
        per_line = draw(st.booleans())
        own = {f"{line.lower()}_tier": draw(st.sampled_from(["", *TIERS, "WAIVE"])) for line in LINES}
        coverage = draw(tier) if not per_line or not all(own.values()) else ""
        rows.append(
            CensusRow(
                ref, ref, "SUBSCRIBER", born(draw(st.integers(18, 80)), draw(st.integers(0, 364))),
                draw(st.sampled_from([None, True, False])), coverage,
                **(own if per_line else {}), waiver_reason=draw(st.sampled_from(["", "MEDICARE"])),
            )
        )  # fmt: skip
        if draw(st.booleans()):
            rows.append(
                CensusRow(f"{ref}-S", ref, draw(st.sampled_from(SPOUSES)),
                          born(draw(st.integers(18, 80)), draw(st.integers(0, 364))), draw(st.booleans()))
            )  # fmt: skip
        for child in range(draw(st.integers(0, 5))):
            rows.append(
                CensusRow(f"{ref}-C{child}", ref, draw(st.sampled_from(CHILDREN)),
                          born(draw(st.integers(0, 25)), draw(st.integers(0, 364))), None)
            )  # fmt: skip
    return rows


def _age(birth: date) -> int:
    return ON.year - birth.year - ((ON.month, ON.day) < (birth.month, birth.day))


def _band(age: int) -> str:
    return "0-14" if age <= 14 else "64+" if age >= 64 else str(age)


def _line_tier(row: CensusRow, line: str) -> str:
    return getattr(row, f"{line.lower()}_tier") or row.coverage_tier


def expected_totals(census: list[CensusRow]) -> dict[str, Decimal]:
    """Each plan's total, from the database's rate rows and the rules above; nothing of the engine."""
    plans = {p.plan_id: p for p in Plan.objects.filter(plan_eff_date__lte=ON, plan_exp_date__gte=ON)}
    bands: dict[str, dict[str, tuple[Decimal, Decimal | None]]] = defaultdict(dict)
    for r in AgeRate.objects.filter(rating_area_id="KY-RA02", rate_eff_date__lte=ON, rate_exp_date__gte=ON):
        bands[r.plan_id][r.age_band] = (r.rate, r.tobacco_rate)
    tiers = {
        (r.plan_id, r.tier): r.rate
        for r in TierRate.objects.filter(rate_eff_date__lte=ON, rate_exp_date__gte=ON)
    }
    families = defaultdict(list)
    for row in census:
        if row.relationship != "SUBSCRIBER":
            families[row.subscriber_ref].append(row)
    out: dict[str, Decimal] = {}
    for plan_id, plan in plans.items():
        line = {"MED": "MEDICAL", "DEN": "DENTAL", "VIS": "VISION"}.get(plan.line, plan.line)
        total, electing = Decimal("0.00"), 0
        for sub in (r for r in census if r.relationship == "SUBSCRIBER"):
            tier = _line_tier(sub, line)
            if tier == "WAIVE":
                continue
            electing += 1
            if plan.rating_method == "TIER":
                total += tiers[(plan_id, tier)]
                continue
            covered = [sub] + [d for d in families[sub.member_ref] if d.relationship in COVERS[tier]]
            young = sorted(
                (p for p in covered if p.relationship in CHILDREN and _age(p.date_of_birth) < 21),
                key=lambda p: p.date_of_birth,
            )
            free = {p.member_ref for p in young[plan.max_children_u21 :]} if plan.max_children_u21 else set()
            for person in covered:
                if person.member_ref in free:
                    continue
                rate, tobacco_rate = bands[plan_id][_band(_age(person.date_of_birth))]
                smoker = plan.tobacco_rated and person.tobacco_use is True and tobacco_rate is not None
                total += tobacco_rate if smoker else rate
        if electing:
            out[plan_id] = total
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(census=censuses())
def test_each_total_is_the_rates_of_exactly_the_people_covered(loaded_sample, census):
    if not any(
        _line_tier(r, line) != "WAIVE" for r in census if r.relationship == "SUBSCRIBER" for line in LINES
    ):
        return  # nobody elects anything: GRP-030, tested elsewhere
    result = quote_census(zip5="40202", county_fips="21111", effective_date=ON, census=census)

    assert {p.offer.plan_id: p.price.total_monthly_premium for p in result.plans} == expected_totals(census)
    for plan in result.plans:
        left_out = {n.member_ref for n in plan.not_covered}
        for member in plan.price.members or []:
            assert member.covered is (member.member_ref not in left_out)
            if not member.covered:
                assert member.monthly_premium == 0
