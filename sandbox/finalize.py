"""What the carrier does for ``POST /groups/{groupId}/finalize`` (api.md): the finalize rules,
participation, and the final rates of the members validated."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from groupsales.codes import Relationship, Tier
from groupsales.rating import CoveredPerson, Family
from groupsales.rules import check_finalize, participation

from . import clock, scenarios
from .application import APPLICATION
from .groups import S, _invalid_state, _money, group_get
from .http import ApiProblem
from .member_validations import _split, _valid_bodies
from .models import Group, MemberValidation, Partner
from .rates import CarrierFacts

ZERO = Decimal("0.00")


def _record(group: Group, status: str) -> None:
    at = clock.now()
    group.status = status
    group.status_history = [*group.status_history, {"status": status, "at": clock.rfc3339(at)}]
    group.updated_at = at


def _families_on(validations: Iterable[MemberValidation], line: str, plan_id: str) -> list[Family]:
    subscribers: dict[str, tuple[MemberValidation, str]] = {}
    for v in validations:
        if v.relationship != Relationship.SUBSCRIBER:
            continue
        for cover in v.body.get("coverage") or []:
            if cover.get("line") == line and cover.get("planId") == plan_id and not cover.get("waived"):
                subscribers[v.member_ref] = (v, cover.get("coverageTier"))
    families = []
    dependents: dict[str, list[CoveredPerson]] = {}
    for v in validations:
        if v.relationship == Relationship.SUBSCRIBER or v.subscriber_ref not in subscribers:
            continue
        if any(c.get("line") == line for c in v.body.get("coverage") or []):
            dependents.setdefault(v.subscriber_ref, []).append(_person(v))
    for ref, (v, tier) in subscribers.items():
        families.append(Family(_person(v), tuple(dependents.get(ref, [])), Tier(tier)))
    return families


def _person(v: MemberValidation) -> CoveredPerson:
    return CoveredPerson(
        v.member_ref,
        Relationship(v.relationship),
        date.fromisoformat(v.body["dateOfBirth"]),
        v.body.get("tobaccoUse"),
    )


def _final_rates(
    group: Group, validations: list[MemberValidation], facts: CarrierFacts
) -> list[dict[str, Any]]:
    on = date.fromisoformat(group.body["requestedEffectiveDate"])
    out = []
    for offering in group.body["offerings"]:
        for plan_id in offering["planIds"]:
            families = _families_on(validations, offering["line"], plan_id)
            if not families:
                continue
            priced = facts.price(
                plan_id,
                area=group.rating_area_id,
                on=on,
                families=families,
                rating_option=offering.get("ratingOption") or "AGE",
                contribution=offering.get("contribution"),
            )
            if priced is None:
                continue
            out.append(
                {
                    "planId": plan_id,
                    "line": offering["line"],
                    "ratingMethod": priced.rating_method,
                    "members": [
                        {"memberRef": p.member_ref, "age": p.age, "monthlyPremium": _money(p.monthly_premium)}
                        for p in priced.members
                    ]
                    if priced.members is not None
                    else None,
                    "tierRates": {t.value: _money(r) for t, r in priced.tier_rates.items()}
                    if priced.tier_rates is not None
                    else None,
                    "totalMonthlyPremium": _money(priced.total_monthly_premium),
                    "employerMonthlyContribution": _money(priced.employer_monthly_contribution or ZERO),
                }
            )
    return out


def group_finalize(*, partner: Partner, group_id: str) -> dict[str, Any]:
    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        if group.status != S.CREATED:
            raise _invalid_state(f"The group is {group.status}; only a CREATED group can be finalized.")
        facts = CarrierFacts()
        validations = _valid_bodies(group)
        bodies = [v.body for v in validations]
        # GRP-015 reads the signed application as stored (with ``stale``), which the body keeps apart.
        checked = {**group.body, APPLICATION: group.application}
        violations = [
            v.as_problem() for v in check_finalize(checked, bodies, ctx=facts, created_on=group.created_on)
        ]
        violations += scenarios.at_finalize(group=group)
        errors, warnings = _split(violations)
        if errors:
            raise ApiProblem(422, violations)
        lines = participation(group.body, bodies, settings=facts.settings)
        rates = _final_rates(group, validations, facts)
        finalized = {
            "participation": [line.as_api() for line in lines],
            "finalRates": rates,
            "totalMonthlyPremium": _money(sum((Decimal(r["totalMonthlyPremium"]) for r in rates), ZERO)),
            "employerMonthlyContribution": _money(
                sum((Decimal(r["employerMonthlyContribution"]) for r in rates), ZERO)
            ),
        }
        group.finalized = finalized
        group.finalized_at = clock.now()
        _record(group, S.FINALIZED)
        group.save()
    return {
        "groupId": group.group_id,
        "status": group.status,
        "finalizedAt": clock.rfc3339(group.finalized_at),
        **finalized,
        "warnings": warnings,
    }
