"""The offered plans as an employee compares them (issue 23 item 4).

For each plan of a line: what this family pays a month and per pay period (the group's pay frequency,
``groupsales.rating.per_pay_period``), what the employer pays, the plan's type, metal level, deductible
and out-of-pocket maximum (individual / family, "—" where the plan has none) and whether it is
HSA-eligible. The costs are the family's quote (``self_service.employee_costs_by_line``); the plan's facts
are that quote's plan year's, else the catalogue's latest (``catalogue.plan_names``), else none (the
plan ID stands in for its name).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from catalogue.display import plan_amount
from groupsales.rating import per_pay_period
from portal.display import NONE, code_label, money

from . import self_service_forms as ss_forms
from .self_service_answers import Answers


@dataclass(frozen=True)
class PlanCard:
    plan_id: str
    name: str
    employee: str  # what the employee pays a month ("" when it could not be worked out)
    per_period: str  # the same per pay period
    employer: str
    plan_type: str
    metal: str
    deductible: str  # individual / family
    moop: str
    hsa: str


def _pair(individual: Any, family: Any) -> str:
    if individual is None and family is None:
        return NONE
    return f"{plan_amount(individual)} / {plan_amount(family)}"


def plan_cards(answers: Answers, line: str) -> list[PlanCard]:
    periods = answers.group.pay_periods_per_year
    cards = []
    for plan_id in answers.plan_ids(line):
        cost = answers.costs.get(line, {}).get(plan_id) or {}
        facts = cost.get("offer") or answers.plans.get(plan_id)
        employee: Decimal | None = cost.get("employee")
        metal = code_label(getattr(facts, "metal_level", ""), "metal") if facts else NONE
        cards.append(
            PlanCard(
                plan_id=plan_id,
                name=cost.get("name") or answers.names.get(plan_id) or plan_id,
                employee=money(employee) if employee is not None else "",
                per_period=money(per_pay_period(employee, periods)) if employee is not None else "",
                employer=money(cost["employer"]) if cost.get("employer") is not None else "",
                plan_type=getattr(facts, "plan_type", "") or NONE,
                metal=metal or NONE,
                deductible=_pair(
                    getattr(facts, "deductible_individual", None), getattr(facts, "deductible_family", None)
                ),
                moop=_pair(getattr(facts, "moop_individual", None), getattr(facts, "moop_family", None)),
                hsa=(_("Yes") if facts.hsa_eligible else _("No")) if facts else NONE,
            )
        )
    return cards


def coverage_options(answers: Answers, form: ss_forms.CoverageForm) -> list[dict[str, Any]]:
    """Each choice of a line's plan field with its plan's card (none for "I do not want it")."""
    cards = {card.plan_id: card for card in plan_cards(answers, form.line)}
    return [
        {
            "radio": radio,
            "plan": cards.get(radio.data["value"]),
            "waive": radio.data["value"] == ss_forms.WAIVE,
        }
        for radio in form["plan_id"]
    ]


def plan_table(answers: Answers, line: str) -> dict[str, Any]:
    """A line's plans side by side: one column a plan, one row a fact."""
    cards = plan_cards(answers, line)
    rows = [
        (_("You pay a month"), [c.employee or NONE for c in cards]),
        (_("You pay each pay period"), [c.per_period or NONE for c in cards]),
        (_("Your employer pays a month"), [c.employer or NONE for c in cards]),
        (_("Plan type"), [c.plan_type for c in cards]),
        (_("Metal level"), [c.metal for c in cards]),
        (_("Deductible (individual / family)"), [c.deductible for c in cards]),
        (_("Out-of-pocket maximum (individual / family)"), [c.moop for c in cards]),
        (_("HSA-eligible"), [c.hsa for c in cards]),
    ]
    return {"code": line, "label": ss_forms.LINE_LABELS.get(line, line), "plans": cards, "rows": rows}


def review_rows(answers: Answers) -> tuple[list[dict[str, Any]], str, str]:
    """The review page's coverage rows, the monthly total and the total per pay period ("" when a chosen
    plan's cost is not known: never a total that leaves a line out)."""
    reasons = dict(ss_forms.WAIVER_REASONS)
    elections = answers.election_data or {
        line: {"plan_id": e.plan_id, "waived": e.waived, "waiver_reason": e.waiver_reason}
        for line, e in answers.elections.items()
    }
    rows = []
    total: Decimal | None = Decimal("0")
    for line in answers.group.lines:
        e = elections.get(line)
        row: dict[str, Any] = {"line": ss_forms.LINE_LABELS.get(line, line), "code": line}
        if e is None:
            row["missing"] = True
        elif e.get("waived"):
            row["waived"] = True
            reason = str(e.get("waiver_reason") or "")
            row["reason"] = reasons.get(reason, reason)
        else:
            plan_id = str(e.get("plan_id") or "")
            cost = answers.costs.get(line, {}).get(plan_id) or {}
            row["plan"] = cost.get("name") or answers.names.get(plan_id) or plan_id
            employee = cost.get("employee")
            row["employee"] = money(employee) if employee is not None else ""
            row["per_period"] = (
                money(per_pay_period(employee, answers.group.pay_periods_per_year))
                if employee is not None
                else ""
            )
            total = None if employee is None or total is None else total + employee
        rows.append(row)
    if total is None:
        return rows, "", ""
    return rows, money(total), money(per_pay_period(total, answers.group.pay_periods_per_year))
