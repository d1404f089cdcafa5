"""The new plan year on R (issue 20 item 5): the group takes the renewal's plans and rates and keeps the
year it closes as history.

When a renewal reaches RENEWED (``services._follow``), ``plan_year_open`` runs once (a ``PlanYear`` per
renewal):

* the closing year is stored first, if it is not yet (the group's first renewal): the group's offerings,
  its final rates at finalize, the employer's contributions, and its members with their elections;
* the new year is stored from the carrier's renewal as last read: ``renewalOfferings`` (without the
  plan mappings; the offer's lines on their renewal plans when the portal never read the acceptance),
  each renewal plan's total monthly premium and each line's employer contribution from the offer (as
  offered: the carrier prices the continuing members on their passive destinations);
* the group's ``offerings`` become the new year's, so every page and check that reads them (the group
  page, self-service, changes) uses the renewed plans; ``final_rates`` stays the finalize's record
  (it is the first year's, in that year's ``PlanYear`` too);
* each subscriber's election moves to its plan's destination (the decision's mapping, else the renewal
  plan; a plan without one: the line is lost, REN-006, stored as a waiver without reason). An election
  a renewal file carried and the carrier applied replaces the subscriber's elections instead.
  ``Election`` keeps its history.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from enrollment.models import EmployerGroup
from members.models import Election, Member

from .models import PlanYear, Renewal, RenewalElection


def _anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _members(group: EmployerGroup) -> list[dict[str, Any]]:
    rows = []
    for m in Member.objects.filter(group=group, withdrawn_at__isnull=True).prefetch_related("elections"):
        rows.append(
            {
                "memberRef": m.member_ref,
                "relationship": m.relationship,
                "name": f"{m.first_name} {m.last_name}".strip(),
                "elections": {e.line: ("WAIVED" if e.waived else e.plan_id) for e in m.elections.all()},
                "coveredLines": list(m.covered_lines or []),
            }
        )
    return rows


def _closing_rates(group: EmployerGroup) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rates: list[dict[str, Any]] = []
    employer: dict[str, str] = {}
    for rate in group.final_rates or []:
        rates.append(
            {
                "line": rate["line"],
                "planId": rate["planId"],
                "totalMonthlyPremium": rate["totalMonthlyPremium"],
            }
        )
        total = Decimal(employer.get(rate["line"], "0")) + Decimal(
            rate.get("employerMonthlyContribution") or "0"
        )
        employer[rate["line"]] = str(total)
    return rates, employer


def _new_year(renewal: Renewal) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    carrier = renewal.carrier_renewal or {}
    offer = carrier.get("offer") or {"lines": []}
    offerings = [
        {k: v for k, v in o.items() if k != "planMappings" and v is not None}
        for o in carrier.get("renewalOfferings") or []
    ]
    if not offerings:  # the acceptance never read: the offer's lines on their renewal plans
        for line in offer["lines"]:
            plan_ids = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
            if plan_ids:
                o = {"line": line["line"], "planIds": plan_ids, "contribution": line["contribution"]}
                if line.get("ratingOption"):
                    o["ratingOption"] = line["ratingOption"]
                offerings.append(o)
    kept = {(o["line"], p) for o in offerings for p in o["planIds"]}
    totals: dict[tuple[str, str], Decimal] = {}
    employer: dict[str, str] = {}
    for line in offer["lines"]:
        for plan in line["plans"]:
            key = (line["line"], plan["renewalPlanId"] or "")
            if key in kept:
                totals[key] = totals.get(key, Decimal("0.00")) + Decimal(plan["renewalMonthlyPremium"])
        if any(o["line"] == line["line"] for o in offerings):
            employer[line["line"]] = line["renewalEmployerContribution"]
    rates = [
        {
            "line": line,
            "planId": plan_id,
            "totalMonthlyPremium": str(totals.get((line, plan_id), Decimal("0.00"))),
        }
        for line, plan_id in sorted(kept)
    ]
    return offerings, rates, employer


def _destinations(renewal: Renewal) -> dict[tuple[str, str], str | None]:
    """(line, current plan) → the plan from R (None: the line is lost), as the carrier moves members: the
    decision's mapping, else the renewal plan, when the decided line keeps it."""
    carrier = renewal.carrier_renewal or {}
    found: dict[tuple[str, str], str | None] = {}
    for line in (carrier.get("offer") or {"lines": []})["lines"]:
        for plan in line["plans"]:
            found[(line["line"], plan["currentPlanId"])] = plan["renewalPlanId"]
    offered = {o["line"]: o for o in carrier.get("renewalOfferings") or []}
    for line_code, o in offered.items():
        for mapping in o.get("planMappings") or []:
            found[(line_code, mapping["fromPlanId"])] = mapping["toPlanId"]
        for (line, current), target in list(found.items()):
            if line == line_code and target not in o["planIds"]:
                found[(line, current)] = None
    return found


def _apply_renewal_elections(renewal: Renewal) -> set[int]:
    """The elections a renewal file carried and the carrier applied become the members' elections; the
    subscribers done (the others move passively)."""
    done = set()
    applied = RenewalElection.objects.filter(
        renewal=renewal, state=RenewalElection.State.APPLIED, member__subscriber__isnull=True
    )  # a dependent's coverage follows its subscriber's elections
    for chosen in applied:
        coverage = [] if chosen.action == "TERMINATE" else chosen.body.get("coverage") or []
        for cover in coverage:
            Election.objects.update_or_create(
                member_id=chosen.member_id,
                line=cover["line"],
                defaults={
                    "plan_id": "" if cover.get("waived") else cover.get("planId") or "",
                    "waived": bool(cover.get("waived")),
                    "waiver_reason": cover.get("waiverReason") or "" if cover.get("waived") else "",
                },
            )
        if chosen.action == "TERMINATE":
            Election.objects.filter(member_id=chosen.member_id).update(
                waived=True, plan_id="", waiver_reason=""
            )
        done.add(chosen.member_id)
    dependents = RenewalElection.objects.filter(
        renewal=renewal, state=RenewalElection.State.APPLIED, member__subscriber__isnull=False,
        action__in=("CHANGE", "TERMINATE"),
    )  # fmt: skip
    for chosen in dependents:  # taken off a line (or every line, on R − 1) at renewal: its lines from R
        lines = [] if chosen.action == "TERMINATE" else [c["line"] for c in chosen.body.get("coverage") or []]
        Member.objects.filter(pk=chosen.member_id).update(covered_lines=lines)
    return done


def _move_elections(group: EmployerGroup, renewal: Renewal) -> int:
    done = _apply_renewal_elections(renewal)
    destinations = _destinations(renewal)
    offerings = (renewal.carrier_renewal or {}).get("renewalOfferings")
    renewed = {o["line"] for o in offerings} if offerings else None
    moved = 0
    for election in Election.objects.filter(member__group=group, waived=False).exclude(plan_id=""):
        if election.member_id in done:
            continue
        key = (election.line, election.plan_id)
        if renewed is not None and election.line not in renewed:
            target = None  # the decision left the line out: not renewed
        elif key in destinations:
            target = destinations[key]
        else:
            continue
        if target == election.plan_id:
            continue
        if target is None:
            election.waived, election.plan_id, election.waiver_reason = True, "", ""
        else:
            election.plan_id = target
        election.save()
        moved += 1
    return moved


def plan_year_open(*, renewal: Renewal) -> PlanYear:
    """Store the closing year (once) and the year ``renewal`` opens; move the group onto it."""
    existing = PlanYear.objects.filter(renewal=renewal).first()
    if existing is not None:
        return existing
    group = EmployerGroup.objects.get(pk=renewal.group_id)
    with transaction.atomic():
        closing_end = renewal.renewal_date - timedelta(days=1)
        if not PlanYear.objects.filter(group=group, end=closing_end).exists():
            start = group.requested_effective_date or _anniversary(renewal.renewal_date, -1)
            rates, employer = _closing_rates(group)
            PlanYear.objects.create(
                group=group, start=start, end=closing_end, offerings=group.offerings, rates=rates,
                employer_contributions=employer, members=_members(group),
            )  # fmt: skip
        offerings, rates, employer = _new_year(renewal)
        _move_elections(group, renewal)
        year = PlanYear.objects.create(
            group=group, renewal=renewal, start=renewal.renewal_date,
            end=_anniversary(renewal.renewal_date, 1) - timedelta(days=1), offerings=offerings, rates=rates,
            employer_contributions=employer, members=_members(group),
        )  # fmt: skip
        if offerings:  # saved, not updated: the group's history records the new lines (who: the portal)
            group.offerings = offerings
            group._change_reason = f"The plan year {renewal.renewal_date.isoformat()} began."  # type: ignore[attr-defined]
            group.save(update_fields=["offerings", "updated_at"])
    return year
