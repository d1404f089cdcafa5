"""The sandbox's copy of the carrier's plans and rates: loading ETSS files, the rule context, pricing.

``rate_file_load`` reads a file with the shared streaming reader (every layout check) and replaces the
sandbox's tables in one transaction (a rejected file changes nothing). ``CarrierFacts`` answers the
rules' questions (``groupsales.rules.RuleContext``) from those tables, caching per instance, and prices
plans with the shared rating arithmetic, so that the sandbox's estimated and final rates are the same
arithmetic as the portal's quotes.

Geography precedence (as the portal's catalogue): the ZIP5 row of (zip, county), else the county's
COUNTY row, else the ZIP3 row.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q

from groupsales import etss
from groupsales.codes import ETSS_TO_TIER, Line, RatingOption, Tier
from groupsales.rating import AgeRates, Contribution, Family, PlanPrice, PlanTerms, TierRates, price_plan
from groupsales.rules import RuleSettings

from . import models as m
from .clock import carrier_today


class RateFileRejected(Exception):
    def __init__(self, issues: list[etss.EtssIssue]) -> None:
        super().__init__("; ".join(str(issue) for issue in issues[:20]))
        self.issues = issues


def _crosswalk_row(record: etss.Crosswalk) -> m.Crosswalk:  # layout 2.2
    return m.Crosswalk(
        state=record.state,
        plan_id=record.plan_id,
        plan_year_end=record.plan_year_end,
        successor_plan_id=record.successor_plan_id or "",
        successor_eff_date=record.successor_eff_date,
        reason=record.reason,
    )


def _plan_row(record: etss.Plan) -> m.Plan:
    return m.Plan(
        plan_id=record.plan_id,
        line=Line(record.line).value,
        name=record.marketing_name,
        state=record.state,
        rating_method=record.rating_method,
        tobacco_rated=record.tobacco_rated,
        composite_allowed=record.composite_allowed,
        max_children_u21=record.max_children_u21,
        eff_date=record.plan_eff_date,
        exp_date=record.plan_exp_date,
    )


def _geo_row(record: etss.Geo) -> m.Geo:
    return m.Geo(
        state=record.state,
        geo_type=record.geo_type,
        geo_value=record.geo_value,
        county_fips=record.county_fips,
        rating_area_id=record.rating_area_id,
        eff_date=record.eff_date,
        exp_date=record.exp_date,
    )


def _age_rate_row(record: etss.AgeRate) -> m.AgeRate:
    return m.AgeRate(
        plan_id=record.plan_id,
        rating_area_id=record.rating_area_id,
        eff_date=record.rate_eff_date,
        exp_date=record.rate_exp_date,
        age_band=record.age_band,
        rate=record.rate,
        tobacco_rate=record.tobacco_rate,
    )


def _tier_rate_row(record: etss.TierRate) -> m.TierRate:
    return m.TierRate(
        plan_id=record.plan_id,
        rating_area_id=record.rating_area_id,
        eff_date=record.rate_eff_date,
        exp_date=record.rate_exp_date,
        tier=Tier(record.tier).value,
        rate=record.rate,
    )


def _factor_row(record: etss.Factor) -> m.Factor:
    return m.Factor(
        scope=record.scope,
        scope_id=record.scope_id,
        factor_type=record.factor_type,
        key=record.key,
        value=record.value,
        eff_date=record.eff_date,
        exp_date=record.exp_date,
    )


# Each record type of the file, the table it fills and how; in the order the tables are written.
_TABLES: tuple[tuple[type, type[Model], Callable[[Any], Model]], ...] = (
    (etss.Plan, m.Plan, _plan_row),
    (etss.Geo, m.Geo, _geo_row),
    (etss.AgeRate, m.AgeRate, _age_rate_row),
    (etss.TierRate, m.TierRate, _tier_rate_row),
    (etss.Factor, m.Factor, _factor_row),
    (etss.Crosswalk, m.Crosswalk, _crosswalk_row),
)


def _known_plans() -> dict[str, list[etss.KnownPlanYear]]:
    """The plan years loaded already, which the reader checks a file's plans against."""
    known: dict[str, list[etss.KnownPlanYear]] = {}
    for plan in m.Plan.objects.all():
        code = {"MEDICAL": "MED", "DENTAL": "DEN", "VISION": "VIS"}[plan.line]
        known.setdefault(plan.plan_id, []).append(
            etss.KnownPlanYear(plan.eff_date, plan.exp_date, code, plan.rating_method)
        )
    return known


def rate_file_load(*, path: str | os.PathLike[str]) -> m.RateFile:
    """Load one ETSS file (2.1 or 2.2) all or nothing: it replaces what meets its coverage window."""
    reader = etss.EtssReader(path, known_plans=_known_plans())
    rows: dict[type[Model], list[Model]] = {model: [] for _record, model, _build in _TABLES}
    builders = {record_type: (model, build) for record_type, model, build in _TABLES}
    for record in reader:
        if type(record) in builders:
            model, build = builders[type(record)]
            rows[model].append(build(record))
    if not reader.ok or reader.header is None:  # a file read whole without a failure has its header
        raise RateFileRejected(list(reader.issues))
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    header = reader.header
    with transaction.atomic():
        # A FULL file replaces what meets its coverage window (a file of another plan year stays loaded).
        start, end = header.coverage_start, header.coverage_end
        for model in (m.Plan, m.Geo, m.AgeRate, m.TierRate, m.Factor):
            model.objects.filter(eff_date__lte=end, exp_date__gte=start).delete()
        m.Crosswalk.objects.filter(
            plan_year_end__gte=start - timedelta(days=1), plan_year_end__lt=end
        ).delete()
        for model, objs in rows.items():
            model._default_manager.bulk_create(objs, batch_size=2000)
        return m.RateFile.objects.create(
            name=os.path.basename(os.fspath(path)), sha256=digest, counts=dict(reader.counts)
        )


def rule_settings() -> RuleSettings:
    """``HUMANA_RULE_SETTINGS`` with the admin's ``RuleThresholds`` row over it."""
    data = dict(getattr(settings, "HUMANA_RULE_SETTINGS", None) or {})
    row = m.RuleThresholds.objects.order_by("-id").first()
    if row is not None:
        data.update(row.values)
    return RuleSettings.from_mapping(data)


class CarrierFacts:
    """The carrier's facts for one request: a ``RuleContext`` over the sandbox's tables, plus pricing."""

    def __init__(self, *, today: date | None = None, rules: RuleSettings | None = None) -> None:
        self.today = today or carrier_today()
        self.settings = rules or rule_settings()
        self._plans: dict[tuple[str, date], m.Plan | None] = {}
        self._sold: dict[tuple[str, date], set[str]] = {}
        self._age_blocks: dict[tuple[str, str, date], AgeRates | None] = {}

    # RuleContext -----------------------------------------------------------------------------
    def counties_for_zip(self, zip5: str, on: date) -> set[str]:
        rows = m.Geo.objects.filter(geo_type="ZIP5", geo_value=zip5, eff_date__lte=on, exp_date__gte=on)
        return set(rows.values_list("county_fips", flat=True))

    def rating_area_for(self, zip5: str, county_fips: str, on: date) -> str | None:
        rows = m.Geo.objects.filter(eff_date__lte=on, exp_date__gte=on).filter(
            Q(geo_type="ZIP5", geo_value=zip5, county_fips=county_fips)
            | Q(geo_type="COUNTY", county_fips=county_fips)
            | Q(geo_type="ZIP3", geo_value=zip5[:3], county_fips=county_fips)
        )
        found = dict(rows.values_list("geo_type", "rating_area_id"))
        return next((found[kind] for kind in ("ZIP5", "COUNTY", "ZIP3") if kind in found), None)

    def plan(self, plan_id: str, on: date) -> m.Plan | None:
        if (plan_id, on) not in self._plans:
            self._plans[(plan_id, on)] = m.Plan.objects.filter(
                plan_id=plan_id, eff_date__lte=on, exp_date__gte=on
            ).first()
        return self._plans[(plan_id, on)]

    def _areas_sold(self, plan_id: str, on: date) -> set[str]:
        if (plan_id, on) not in self._sold:
            areas = set(
                m.AgeRate.objects.filter(plan_id=plan_id, eff_date__lte=on, exp_date__gte=on)
                .values_list("rating_area_id", flat=True)
                .distinct()
            ) | set(
                m.TierRate.objects.filter(plan_id=plan_id, eff_date__lte=on, exp_date__gte=on)
                .values_list("rating_area_id", flat=True)
                .distinct()
            )
            self._sold[(plan_id, on)] = areas
        return self._sold[(plan_id, on)]

    def plan_sold(self, plan_id: str, line: str, rating_area_id: str, on: date) -> bool:
        plan = self.plan(plan_id, on)
        if plan is None or plan.line != line:
            return False
        areas = self._areas_sold(plan_id, on)
        return rating_area_id in areas or "*" in areas

    def composite_allowed(self, plan_id: str, on: date) -> bool:
        plan = self.plan(plan_id, on)
        return plan is not None and plan.composite_allowed

    def agent_appointed(self, npn: str, state: str) -> bool:
        return npn not in set(getattr(settings, "SANDBOX_UNAPPOINTED_NPNS", ("99999999",)))

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
        plan = self.plan(plan_id, effective_date)
        if plan is None or date_of_birth > effective_date:
            return None
        if plan.rating_method == "TIER":
            tiers = self.tier_rates(plan_id, rating_area_id, effective_date)
            return tiers.rates.get(Tier.EMP) if tiers else None
        ages = self.age_rates(plan_id, rating_area_id, effective_date)
        if ages is None:
            return None
        from groupsales.rating import age_on

        return ages.rate(age_on(date_of_birth, effective_date), tobacco=tobacco and plan.tobacco_rated)

    # Rates -------------------------------------------------------------------------------------
    def age_rates(self, plan_id: str, area: str, on: date) -> AgeRates | None:
        key = (plan_id, area, on)
        if key not in self._age_blocks:
            rows = m.AgeRate.objects.filter(
                plan_id=plan_id, rating_area_id=area, eff_date__lte=on, exp_date__gte=on
            ).values_list("age_band", "rate", "tobacco_rate")
            table = {band: (rate, tobacco) for band, rate, tobacco in rows}
            try:
                self._age_blocks[key] = AgeRates(table) if table else None
            except ValueError:
                self._age_blocks[key] = None
        return self._age_blocks[key]

    def tier_rates(self, plan_id: str, area: str, on: date) -> TierRates | None:
        rows = m.TierRate.objects.filter(
            plan_id=plan_id, rating_area_id__in=[area, "*"], eff_date__lte=on, exp_date__gte=on
        ).values_list("rating_area_id", "tier", "rate")
        own = {Tier(tier): rate for a, tier, rate in rows if a == area}
        state = {Tier(tier): rate for a, tier, rate in rows if a == "*"}
        table = own or state
        return TierRates(table) if table else None

    def composite_factors(self, plan: m.Plan, on: date) -> dict[Tier, Decimal] | None:
        rows = m.Factor.objects.filter(
            factor_type="COMPOSITE_TIER", eff_date__lte=on, exp_date__gte=on
        ).filter(Q(scope="PLAN", scope_id=plan.plan_id) | Q(scope="STATE", scope_id=plan.state))
        by_scope: dict[str, dict[Tier, Decimal]] = defaultdict(dict)
        for scope, key, value in rows.values_list("scope", "key", "value"):
            by_scope[scope][ETSS_TO_TIER[key]] = value
        chosen = by_scope.get("PLAN") or by_scope.get("STATE")
        return chosen if chosen and len(chosen) == len(Tier) else None

    def price(
        self,
        plan_id: str,
        *,
        area: str,
        on: date,
        families: Iterable[Family],
        rating_option: str = "AGE",
        contribution: dict | None = None,
    ) -> PlanPrice | None:
        """The plan priced for the families, or None when the sandbox has no rates for it there."""
        plan = self.plan(plan_id, on)
        if plan is None:
            return None
        terms = PlanTerms(
            plan_id=plan.plan_id,
            line=Line(plan.line),
            rating_method=plan.rating_method,
            tobacco_rated=plan.tobacco_rated,
            composite_allowed=plan.composite_allowed,
            max_children_u21=plan.max_children_u21,
        )
        option = RatingOption.COMPOSITE if rating_option == "COMPOSITE" and plan.composite_allowed else "AGE"
        share = None
        if contribution:
            try:
                share = Contribution(
                    contribution["basis"],
                    Decimal(contribution["employee"]),
                    Decimal(contribution["dependents"]),
                )
            except (KeyError, ValueError, ArithmeticError, TypeError):
                share = None
        try:
            if plan.rating_method == "TIER":
                tiers = self.tier_rates(plan_id, area, on)
                if tiers is None:
                    return None
                return price_plan(
                    terms, families=families, effective_date=on, tier_rates=tiers, contribution=share
                )
            ages = self.age_rates(plan_id, area, on)
            if ages is None:
                return None
            return price_plan(
                terms,
                families=families,
                effective_date=on,
                age_rates=ages,
                rating_option=option,
                composite_factors=self.composite_factors(plan, on) if option == "COMPOSITE" else None,
                contribution=share,
            )
        except ValueError:
            return None
