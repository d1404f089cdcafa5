"""Reads of the plan catalogue (what is sold where and when) and of saved quotes.

A place is resolved from the GEO rows in force on the date: the ZIP5 row of the ZIP and county first,
else the county's COUNTY row, else the ZIP3 row (for the rating area); a plan is sold there when its
service area is among those rows' service areas, its plan year holds the date, and it has rates for the
place's rating area on the date (TRA rows of area ``*`` count for every area of the state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from agencies.access import may_reach_every
from groupsales.etss import age_band
from groupsales.rating import age_on

from .models import AgeRate, GeoPlace, Plan, PlanCrosswalk, Quote, TierRate

if TYPE_CHECKING:
    from groupsales.rules import RuleSettings


@dataclass(frozen=True)
class CountyChoice:
    county_fips: str
    rating_area_id: str


@dataclass(frozen=True)
class PlanOffer:
    plan_id: str
    line: str  # MEDICAL, DENTAL, VISION
    marketing_name: str
    plan_type: str
    metal_level: str
    rating_method: str  # AGE or TIER
    composite_allowed: bool
    tobacco_rated: bool
    deductible_individual: Decimal
    moop_individual: Decimal
    max_children_u21: int | None = None
    state: str = ""
    plan_eff_date: date | None = None
    deductible_family: Decimal | None = None
    moop_family: Decimal | None = None
    hsa_eligible: bool = False


@dataclass(frozen=True)
class Place:
    """What the GEO rows say about one ZIP and county on one date."""

    zip5: str
    county_fips: str
    rating_area_id: str | None
    service_area_ids: frozenset[str] = field(default_factory=frozenset)


def _in_force(on: date, eff: str = "eff_date", exp: str = "exp_date") -> Q:
    return Q(**{f"{eff}__lte": on, f"{exp}__gte": on})


def counties_for_zip(*, zip5: str, on: date | None = None) -> list[CountyChoice]:
    """The counties of a ZIP (its ETSS ZIP5 rows), in FIPS order; ``on`` None = any date, latest row."""
    rows = GeoPlace.objects.filter(geo_type="ZIP5", geo_value=zip5)
    if on is not None:
        rows = rows.filter(_in_force(on))
    choices: dict[str, CountyChoice] = {}
    for county, area in rows.order_by("county_fips", "eff_date").values_list("county_fips", "rating_area_id"):
        choices[county] = CountyChoice(county, area)
    return list(choices.values())


def place_for(*, zip5: str, county_fips: str, on: date) -> Place:
    """Rating area and service areas of a ZIP and county on a date, in one query."""
    rows = list(
        GeoPlace.objects.filter(_in_force(on))
        .filter(
            Q(geo_type="ZIP5", geo_value=zip5, county_fips=county_fips)
            | Q(geo_type="COUNTY", geo_value=county_fips)
            | Q(geo_type="ZIP3", geo_value=zip5[:3], county_fips=county_fips)
        )
        .values_list("geo_type", "rating_area_id", "service_area_id")
    )
    area = None
    for wanted in ("ZIP5", "COUNTY", "ZIP3"):
        area = next((a for t, a, _s in rows if t == wanted), None)
        if area is not None:
            break
    return Place(zip5, county_fips, area, frozenset(s for _t, _a, s in rows))


def rating_area_for(*, zip5: str, county_fips: str, on: date) -> str | None:
    return place_for(zip5=zip5, county_fips=county_fips, on=on).rating_area_id


_LINE_ORDER = Case(
    When(line="MEDICAL", then=Value(0)), When(line="DENTAL", then=Value(1)), default=Value(2),
    output_field=IntegerField(),
)  # fmt: skip


def _offer(plan: Plan) -> PlanOffer:
    return PlanOffer(
        plan_id=plan.plan_id,
        line=plan.line,
        marketing_name=plan.marketing_name,
        plan_type=plan.plan_type,
        metal_level=plan.metal_level,
        rating_method=plan.rating_method,
        composite_allowed=plan.composite_allowed,
        tobacco_rated=plan.tobacco_rated,
        deductible_individual=plan.ded_ind,
        moop_individual=plan.moop_ind,
        max_children_u21=plan.max_children_u21,
        state=plan.state,
        plan_eff_date=plan.plan_eff_date,
        deductible_family=plan.ded_fam,
        moop_family=plan.moop_fam,
        hsa_eligible=plan.hsa_eligible,
    )


def plans_sold_in_place(*, place: Place, on: date, line: str | None = None) -> list[PlanOffer]:
    """One query: the plans sold in a resolved place on a date."""
    if place.rating_area_id is None or not place.service_area_ids:
        return []
    area = place.rating_area_id
    age_rates = AgeRate.objects.filter(plan_id=OuterRef("plan_id"), rating_area_id=area).filter(
        _in_force(on, "rate_eff_date", "rate_exp_date")
    )
    tier_rates = TierRate.objects.filter(plan_id=OuterRef("plan_id"), rating_area_id__in=[area, "*"]).filter(
        _in_force(on, "rate_eff_date", "rate_exp_date")
    )
    plans = (
        Plan.objects.filter(_in_force(on, "plan_eff_date", "plan_exp_date"))
        .filter(service_area_id__in=place.service_area_ids, state=_state_of_county(place.county_fips))
        .filter(Exists(age_rates) | Exists(tier_rates))
        .order_by(_LINE_ORDER, "ded_ind", "plan_id")
    )
    if line:
        plans = plans.filter(line=line)
    return [_offer(plan) for plan in plans]


def _state_of_county(county_fips: str) -> str:
    from groupsales.codes import STATE_FIPS

    prefix = county_fips[:2]
    return next((state for state, fips in STATE_FIPS.items() if fips == prefix), "")


def plans_sold(*, zip5: str, county_fips: str, on: date, line: str | None = None) -> list[PlanOffer]:
    """Every plan sold for a ZIP and county on a date, medical first then dental then vision."""
    place = place_for(zip5=zip5, county_fips=county_fips, on=on)
    return plans_sold_in_place(place=place, on=on, line=line)


# --------------------------------------------------------------------------------------------------
# Facts for groupsales.rules


class CatalogueFacts:
    """The rate-file parts of ``groupsales.rules.RuleContext``, answered from the catalogue.

    ``agent_appointed`` is always True on the portal side (only the carrier knows).
    """

    def __init__(self, *, today: date | None = None, settings: RuleSettings | None = None) -> None:
        self.today = today or timezone.localdate()
        if settings is None:
            from groupsales.rules import RuleSettings

            settings = RuleSettings()
        self.settings = settings

    def counties_for_zip(self, zip5: str, on: date) -> set[str]:
        return {choice.county_fips for choice in counties_for_zip(zip5=zip5, on=on)}

    def rating_area_for(self, zip5: str, county_fips: str, on: date) -> str | None:
        return rating_area_for(zip5=zip5, county_fips=county_fips, on=on)

    def plan_sold(self, plan_id: str, line: str, rating_area_id: str, on: date) -> bool:
        """The plan's year holds ``on``, it is of ``line`` and has rates for the area on that date."""
        plan = Plan.objects.filter(plan_id=plan_id, line=line).filter(
            _in_force(on, "plan_eff_date", "plan_exp_date")
        )
        if not plan.exists():
            return False
        rates = _in_force(on, "rate_eff_date", "rate_exp_date")
        return (
            AgeRate.objects.filter(rates, plan_id=plan_id, rating_area_id=rating_area_id).exists()
            or TierRate.objects.filter(
                rates, plan_id=plan_id, rating_area_id__in=[rating_area_id, "*"]
            ).exists()
        )

    def composite_allowed(self, plan_id: str, on: date) -> bool:
        return (
            Plan.objects.filter(plan_id=plan_id, composite_allowed=True, rating_method="AGE")
            .filter(_in_force(on, "plan_eff_date", "plan_exp_date"))
            .exists()
        )

    def agent_appointed(self, npn: str, state: str) -> bool:
        return True

    def own_premium(
        self,
        plan_id: str,
        *,
        rating_area_id: str,
        date_of_birth: date,
        tobacco: bool,
        effective_date: date,
        rating_option: str = "AGE",
    ) -> Decimal | None:
        """The subscriber's own monthly rate: age band rate (tobacco rate for a tobacco user on a
        tobacco-rated plan) or the EMP tier rate (the area's row wins over ``*``); None when unknown.
        ``rating_option`` COMPOSITE is answered with the age rate too: a composite rate needs the census."""
        plan = (
            Plan.objects.filter(plan_id=plan_id)
            .filter(_in_force(effective_date, "plan_eff_date", "plan_exp_date"))
            .first()
        )
        if plan is None:
            return None
        rates = _in_force(effective_date, "rate_eff_date", "rate_exp_date")
        if plan.rating_method == "TIER":
            by_area = dict(
                TierRate.objects.filter(
                    rates, plan_id=plan_id, tier="EMP", rating_area_id__in=[rating_area_id, "*"]
                ).values_list("rating_area_id", "rate")
            )
            return by_area.get(rating_area_id, by_area.get("*"))
        if date_of_birth > effective_date:
            return None
        row = (
            AgeRate.objects.filter(
                rates,
                plan_id=plan_id,
                rating_area_id=rating_area_id,
                age_band=age_band(age_on(date_of_birth, effective_date)),
            )
            .values_list("rate", "tobacco_rate")
            .first()
        )
        if row is None:
            return None
        rate, tobacco_rate = row
        return tobacco_rate if tobacco and plan.tobacco_rated and tobacco_rate is not None else rate

    # Names used by the catalogue brief, kept as aliases.
    def subscriber_own_premium(self, plan_id: str, **kwargs) -> Decimal | None:
        return self.own_premium(plan_id, **kwargs)

    def employee_only_premium(self, plan_id: str, *, rating_area_id: str, date_of_birth: date,
                              effective_date: date) -> Decimal | None:  # fmt: skip
        """The non-tobacco own rate (business-rules.md "Employee-only premium")."""
        return self.own_premium(
            plan_id,
            rating_area_id=rating_area_id,
            date_of_birth=date_of_birth,
            tobacco=False,
            effective_date=effective_date,
        )


def rule_facts(*, today: date | None = None, settings: RuleSettings | None = None) -> CatalogueFacts:
    return CatalogueFacts(today=today, settings=settings)


# --------------------------------------------------------------------------------------------------
# Quotes


def quote_list_visible_to(*, user: AbstractBaseUser | AnonymousUser, write: bool = False) -> QuerySet[Quote]:
    """A principal sees the agency's quotes; a broker their own; a user whose Django permissions grant it
    (view quotes, or change them with ``write``) every quote; anyone else none. ``is_staff`` alone
    grants nothing."""
    quotes = Quote.objects.select_related("agency", "broker__user")
    if not user.is_authenticated:
        return quotes.none()
    if may_reach_every(user, records=("catalogue.quote",), write=write):
        return quotes
    broker = getattr(user, "broker", None)
    if broker is None:
        return quotes.none()
    if broker.is_principal:
        return quotes.filter(agency_id=broker.agency_id)
    return quotes.filter(broker_id=broker.pk)


def quote_get_visible(*, user: AbstractBaseUser | AnonymousUser, pk: int, write: bool = False) -> Quote:
    """One quote the user may see (``write``: and change); Http404 otherwise."""
    return get_object_or_404(quote_list_visible_to(user=user, write=write), pk=pk)


def plan_successor(*, plan_id: str, plan_year_end: date) -> PlanCrosswalk | None:
    """ETSS 2.2: the crosswalk row of a plan's plan year ending on ``plan_year_end`` (None: not loaded)."""
    return PlanCrosswalk.objects.filter(plan_id=plan_id, plan_year_end=plan_year_end).first()
