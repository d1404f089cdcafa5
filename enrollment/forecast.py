"""The carrier's finalize rules, checked where the broker types (business-rules.md: "The portal checks what
it can earlier, as the user types").

The minimum employer contribution (GRP-022), participation (GRP-020, GRP-021), the bona fide group
(GRP-013), the attestation (GRP-014), used lines (GRP-023), validated subscribers (GRP-030) and tiers
(GRP-031) are the carrier's at finalize only; a group created without them used to stop there. Here the
same rules (``groupsales.rules.check_finalize``, each defined once) run over what the portal holds:

* a draft: the census, each enrolling employee electing the lowest-cost plan of each line for them (the
  plan GRP-022 measures against) in the census tier, a ``WAIVE`` row waiving without a reason;
* a created group: the members the carrier has validated so far (what finalize will count), the census
  until the first is validated.

GRP-022 is an error: the contribution is the broker's to type and an employee may always choose the
lowest-cost plan, so a contribution below the minimum cannot finalize. The others are warnings: they
depend on who enrolls and why others waive, which open enrollment settles.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from carrier.rules import carrier_today
from groupsales.rules import check_finalize

from .models import EmployerGroup
from .roster import roster
from .rules import Problem, locate, rule_words

#: The finalize rules checked early, and how firmly.
FORECAST = {
    "GRP-013": "warning",
    "GRP-014": "warning",
    "GRP-020": "warning",
    "GRP-021": "warning",
    "GRP-022": "error",
    "GRP-023": "warning",
    "GRP-030": "warning",
    "GRP-031": "warning",
}


#: The steps its problems land on (``rules.locate``): participation on the coverage step, GRP-022 on the
#: contributions, GRP-023 on the plans, GRP-014 on the attestation, the census' people on the census.
FORECAST_STEPS = frozenset({"coverage", "plans", "contributions", "census", "attestation"})


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _lowest_cost_plan(plan_ids: list[str], *, ctx: Any, area: str | None, born: date | None, on: date | None,
                      option: str) -> str | None:  # fmt: skip
    if not plan_ids:
        return None
    if area is None or born is None or on is None:
        return plan_ids[0]
    priced: list[tuple[Decimal, int, str]] = []
    for i, plan in enumerate(plan_ids):
        premium = ctx.own_premium(
            plan,
            rating_area_id=area,
            date_of_birth=born,
            tobacco=False,
            effective_date=on,
            rating_option=option,
        )
        if premium is not None:
            priced.append((premium, i, plan))
    return min(priced)[2] if priced else plan_ids[0]


def census_member_bodies(payload: dict[str, Any], *, ctx: Any) -> list[dict[str, Any]]:
    """Member-validation bodies (api.md) for the census: what finalize would count if the census enrolls."""
    address = (payload.get("employer") or {}).get("address") or {}
    on = _day(payload.get("requestedEffectiveDate"))
    area = None
    if on and address.get("zip5") and address.get("countyFips"):
        area = ctx.rating_area_for(address["zip5"], address["countyFips"], on)
    offerings = [o for o in payload.get("offerings") or [] if isinstance(o, dict) and o.get("line")]
    priced_lines = set(ctx.settings.min_contribution)  # only GRP-022's lines depend on the plan chosen
    bodies = []
    for row in payload.get("census") or []:
        ref, tier, born = row.get("memberRef"), row.get("coverageTier"), _day(row.get("dateOfBirth"))
        coverage = []
        for offering in offerings:
            if tier == "WAIVE":
                coverage.append({"line": offering["line"], "waived": True, "waiverReason": None})
            elif tier:
                plans = list(offering.get("planIds") or [])
                plan = _lowest_cost_plan(
                    plans, ctx=ctx, area=area, born=born, on=on, option=offering.get("ratingOption") or "AGE",
                ) if offering["line"] in priced_lines else (plans[0] if plans else None)  # fmt: skip
                if plan:
                    coverage.append({"line": offering["line"], "planId": plan, "coverageTier": tier})
        bodies.append(
            {
                "memberRef": ref,
                "subscriberRef": ref,
                "relationship": "SUBSCRIBER",
                "dateOfBirth": row.get("dateOfBirth"),
                "tobaccoUse": row.get("tobaccoUse"),
                "isOwner": row.get("isOwner"),
                "isOwnerSpouse": row.get("isOwnerSpouse"),
                "coverage": coverage,
            }
        )
        covered = [{"line": c["line"]} for c in coverage if not c.get("waived")]
        for i, dependent in enumerate(row.get("dependents") or [], start=1):
            bodies.append(
                {
                    "memberRef": f"{ref}-D{i}",
                    "subscriberRef": ref,
                    "relationship": dependent.get("relationship"),
                    "dateOfBirth": dependent.get("dateOfBirth"),
                    "tobaccoUse": dependent.get("tobaccoUse"),
                    "coverage": covered,
                }
            )
    return bodies


def finalize_forecast(*, group: EmployerGroup, payload: dict[str, Any], ctx: Any) -> list[Problem]:
    """What the carrier's finalize would refuse, from the census (a draft) or the validated members (a
    created group), each placed where the broker types what it counts."""
    bodies = roster().validated_bodies(group=group) if group.humana_group_id else []
    if bodies:
        created_on = (group.carrier_created_at or group.created_at).date()
        basis = _("Expected at finalize, from the members validated so far: %(message)s")
    else:  # a draft, or a created group nobody is validated in yet: the census is what there is
        bodies = census_member_bodies(payload, ctx=ctx)
        created = group.carrier_created_at.date() if group.carrier_created_at else None
        created_on = created or carrier_today()  # (the day it would be created): the exception's window
        basis = _("Expected at finalize, from the census: %(message)s")
    # One problem per rule and field: the first member's words, and how many more break it the same way.
    found: dict[tuple[str, str, str | None], list[Any]] = {}
    for v in check_finalize(payload, bodies, ctx=ctx, created_on=created_on):
        if v.code in FORECAST:
            step, field = locate(v.pointer, v.code, payload.get("offerings") or [])
            found.setdefault((v.code, step, field), []).append(v)
    problems = []
    for (code, step, field), violations in found.items():
        first = violations[0]
        message, fix = rule_words(code, first.message, first.fix)
        if len(violations) > 1:
            message = _("%(message)s (and %(n)s more like it)") % {
                "message": message,
                "n": len(violations) - 1,
            }
        problems.append(
            Problem(
                code=code, message=basis % {"message": message}, fix=fix, step=step, field=field,
                pointer=first.pointer, severity=FORECAST[code], source="forecast",
            )
        )  # fmt: skip
    return problems
