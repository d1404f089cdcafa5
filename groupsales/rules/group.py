"""Group and agent rules checked at create and PATCH (phase ``C``): GRP-001..GRP-012, AGT-001, AGT-002."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeGuard

from ..codes import ContributionBasis, RatingOption, WaitingPeriod
from . import catalog  # noqa: F401  (fills RULES before the rules register)
from ._base import Finding, Node, Violation, first_of_next_month, rule, run
from .context import RuleContext
from .views import ZIP4, GroupView

__all__ = ["check_group", "effective_date_findings", "is_po_box"]

_NAME_CHARS = re.compile(r"[A-Za-z0-9 &,.'\-#]+").fullmatch
_FEIN = re.compile(r"\d{9}").fullmatch
_SIC = re.compile(r"\d{4}").fullmatch
_PHONE = re.compile(r"\d{10}").fullmatch
_NPN = re.compile(r"\d{1,10}").fullmatch
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+").fullmatch
_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?").fullmatch
_PO_BOX = re.compile(
    r"\b(?:P\.?\s*O\.?\s*BOX(?![a-z])|P\.?\s*O\.?\s*B\b|POST\s+OFFICE\s+BOX|POST\s+BOX|BOX\s+\d)",
    re.IGNORECASE,
)
_LEGAL_NAME_MAX = 60
_HUNDRED = Decimal(100)


def is_po_box(line1: str) -> bool:
    """``P.O. Box``, ``PO BOX``, ``P O B``, ``POB 12``, ``Post Office Box``, ``Box 12`` ..."""
    return bool(_PO_BOX.search(line1))


def _filled(value: str | None) -> TypeGuard[str]:
    """Text with something other than spaces in it."""
    return value is not None and bool(value.strip())


def _required_text(node: Node, what: str) -> Iterator[Finding]:
    if not _filled(node.text()):
        yield Finding(node.pointer, f"{what} is required.")


# ---- GRP-001


def _name_findings(node: Node, what: str, *, required: bool) -> Iterator[Finding]:
    value = node.text()
    if node.is_null and not required:
        return
    if not _filled(value):
        yield Finding(node.pointer, f"The {what} is required.")
    elif len(value) > _LEGAL_NAME_MAX:
        yield Finding(node.pointer, f"The {what} is longer than {_LEGAL_NAME_MAX} characters.")
    elif not _NAME_CHARS(value):
        yield Finding(node.pointer, f"The {what} may use only letters, digits, spaces and & , . ' - #.")


@rule("GRP-001", when="C")
def _legal_name(group: GroupView) -> Iterator[Finding]:
    yield from _name_findings(group.employer["legalName"], "employer's legal name", required=True)
    yield from _name_findings(group.employer["dbaName"], "DBA name", required=False)


# ---- GRP-002


@rule("GRP-002", when="C")
def _fein(group: GroupView) -> Iterator[Finding]:
    node = group.employer["fein"]
    value = node.text()
    if value is None or not _FEIN(value):
        yield Finding(node.pointer, "The FEIN must be exactly 9 digits.")
    elif len(set(value)) == 1:
        yield Finding(node.pointer, "The FEIN cannot be the same digit nine times.")
    elif value[:2] in group.settings.invalid_fein_prefixes:
        yield Finding(node.pointer, f"The IRS does not assign FEINs beginning with {value[:2]}.")


# ---- GRP-003


@rule("GRP-003", when="C")
def _sic(group: GroupView) -> Iterator[Finding]:
    node = group.employer["sicCode"]
    value = node.text()
    if value is None or not _SIC(value):
        yield Finding(node.pointer, "The SIC code must be 4 digits.")
    elif value in group.settings.ineligible_sic:
        yield Finding(node.pointer, f"Employers with SIC code {value} are not eligible for a small group.")


# ---- GRP-004


@rule("GRP-004", when="C")
def _address(group: GroupView) -> Iterator[Finding]:
    address = group.address
    if not address.is_dict:
        yield Finding(address.pointer, "The employer's address is required.")
        return
    line1 = address["line1"].text()
    if not _filled(line1):
        yield Finding(address["line1"].pointer, "Address line 1 is required.")
    elif is_po_box(line1):
        yield Finding(address["line1"].pointer, "Address line 1 must be a street address, not a PO box.")
    yield from _required_text(address["city"], "The city")
    if group.state is None:
        yield Finding(address["state"].pointer, "The state must be a 2-letter US state code.")
    if group.zip5 is None:
        yield Finding(address["zip5"].pointer, "The ZIP code must be 5 digits.")
    zip4 = address["zip4"]
    if not zip4.is_null and not ((entered := zip4.text()) and ZIP4(entered)):
        yield Finding(zip4.pointer, "The ZIP+4 extension must be 4 digits.")
    county_node = address["countyFips"]
    county = group.county
    if county is None:
        yield Finding(county_node.pointer, "The county FIPS code must be 5 digits.")
        return
    if group.state is not None and not county.startswith(group.settings.state_fips[group.state]):
        yield Finding(county_node.pointer, f"County {county} is not in {group.state}.")
        return
    if group.zip5 is not None and group.effective_date is not None and group.ctx is not None:
        counties = group.ctx.counties_for_zip(group.zip5, group.effective_date)
        if not counties:
            yield Finding(address["zip5"].pointer, f"ZIP {group.zip5} is not in the carrier's service area.")
        elif county not in counties:
            yield Finding(county_node.pointer, f"County {county} is not a county of ZIP {group.zip5}.")


# ---- GRP-005


@rule("GRP-005", when="C")
def _electronic_enrollment(group: GroupView) -> Iterator[Finding]:
    state = group.state
    if state is None:
        return
    for offering in group.offerings:
        if offering.first and state not in group.settings.electronic_states.get(offering.line, ()):
            yield Finding(
                offering.node["line"].pointer,
                f"{state} does not offer electronic enrollment for {offering.line.lower()} coverage.",
            )


# ---- GRP-006


@rule("GRP-006", when="C")
def _established(group: GroupView) -> Iterator[Finding]:
    node = group.employer["establishedDate"]
    established = node.date()
    if established is None:
        yield Finding(node.pointer, "The established date must be a date (YYYY-MM-DD).")
    elif group.today is not None and established >= group.today:
        yield Finding(node.pointer, "The established date must be before today.")
    elif group.effective_date is not None and established >= group.effective_date:
        yield Finding(node.pointer, "The established date must be before the effective date.")


# ---- GRP-007


def effective_date_findings(group: GroupView) -> Iterator[Finding]:
    node = group.root["requestedEffectiveDate"]
    effective, today = group.effective_date, group.today
    if effective is None:
        yield Finding(node.pointer, "The effective date must be a date (YYYY-MM-DD).")
        return
    if effective.day != 1:
        yield Finding(node.pointer, "The effective date must be the first day of a month.")
    if today is None:
        return
    earliest = first_of_next_month(today)
    latest = today + timedelta(days=group.settings.effective_window_days)
    if effective < earliest:
        yield Finding(node.pointer, f"The effective date must be {earliest.isoformat()} or later.")
    elif effective > latest:
        yield Finding(
            node.pointer,
            f"The effective date may be at most {group.settings.effective_window_days} days from today "
            f"({latest.isoformat()}).",
        )


@rule("GRP-007", when="C")
def _effective(group: GroupView) -> Iterator[Finding]:
    yield from effective_date_findings(group)


# ---- GRP-008


@rule("GRP-008", when="C")
def _size(group: GroupView) -> Iterator[Finding]:
    workforce = group.root["workforce"]
    eligible_node, total_node = workforce["eligibleEmployees"], workforce["totalEmployees"]
    eligible, total = eligible_node.integer(), total_node.integer()
    limit = group.settings.size_limit_for(group.state or "")
    if eligible is None:
        yield Finding(eligible_node.pointer, "The number of eligible employees is required.")
    elif eligible < 1:
        yield Finding(eligible_node.pointer, "A group needs at least 1 eligible employee.")
    elif eligible > limit:
        yield Finding(
            eligible_node.pointer,
            f"A small group has at most {limit} eligible employees in {group.state or 'this state'}.",
        )
    if total is None:
        yield Finding(total_node.pointer, "The total number of employees is required.")
    elif eligible is not None and eligible > total:
        yield Finding(total_node.pointer, "Total employees cannot be fewer than eligible employees.")


# ---- GRP-009


@rule("GRP-009", when="C")
def _eligibility(group: GroupView) -> Iterator[Finding]:
    eligibility = group.root["eligibility"]
    waiting = eligibility["waitingPeriod"]
    if waiting.code(WaitingPeriod) is None:
        yield Finding(waiting.pointer, "The waiting period must be one of the listed values.")
    hours_node = eligibility["minimumHoursPerWeek"]
    hours = hours_node.integer()
    floor, ceiling = group.settings.min_hours_floor, group.settings.min_hours_ceiling
    if hours is None or not floor <= hours <= ceiling:
        yield Finding(hours_node.pointer, f"Minimum hours per week must be {floor} to {ceiling}.")


# ---- GRP-010


@rule("GRP-010", when="C")
def _plans(group: GroupView) -> Iterator[Finding]:
    offerings_node = group.root["offerings"]
    if not offerings_node.items():
        yield Finding(offerings_node.pointer, "The group must offer at least one line.")
        return
    effective, area, ctx = group.effective_date, group.rating_area, group.ctx
    for offering in group.offerings:
        if not offering.first:
            yield Finding(offering.node["line"].pointer, f"{offering.line} is offered twice.")
            continue
        plans_node = offering.node["planIds"]
        items = plans_node.items()
        maximum = group.settings.max_plans.get(offering.line, 0)
        if not 1 <= len(items) <= maximum:
            yield Finding(
                plans_node.pointer,
                f"Offer 1 to {maximum} {offering.line.lower()} plans ({len(items)} given).",
            )
        seen: set[str] = set()
        for item in items:
            plan_id = item.text()
            if not _filled(plan_id):
                yield Finding(item.pointer, "A plan ID is required.")
                continue
            if plan_id in seen:
                yield Finding(item.pointer, f"Plan {plan_id} is listed twice.")
                continue
            seen.add(plan_id)
            if ctx is not None and effective is not None and area is not None:
                if not ctx.plan_sold(plan_id, offering.line, area, effective):
                    yield Finding(
                        item.pointer,
                        f"Plan {plan_id} is not sold for {offering.line.lower()} in rating area {area} "
                        f"on {effective.isoformat()}.",
                    )
        option = offering.node["ratingOption"]
        if offering.line == "MEDICAL" and option.text() == RatingOption.COMPOSITE and ctx and effective:
            refused = [plan for plan in sorted(seen) if not ctx.composite_allowed(plan, effective)]
            if refused:
                yield Finding(
                    option.pointer, f"Composite rating is not allowed for plan(s) {', '.join(refused)}."
                )


# ---- GRP-011


@rule("GRP-011", when="C")
def _contribution(group: GroupView) -> Iterator[Finding]:
    for offering in group.offerings:
        contribution = offering.node["contribution"]
        if not contribution.is_dict:
            yield Finding(contribution.pointer, "The employer's contribution is required.")
            continue
        basis = contribution["basis"].code(ContributionBasis)
        if basis is None:
            yield Finding(contribution["basis"].pointer, "The contribution basis must be PERCENT or FLAT.")
        for key in ("employee", "dependents"):
            node = contribution[key]
            text = node.text()
            if text is None or not _AMOUNT(text):
                yield Finding(node.pointer, "Enter an amount of 0.00 or more with at most two decimals.")
            elif basis == ContributionBasis.PERCENT and Decimal(text) > _HUNDRED:
                yield Finding(node.pointer, "A percent contribution must be 0.00 to 100.00.")


# ---- GRP-012


@rule("GRP-012", when="C")
def _contact(group: GroupView) -> Iterator[Finding]:
    contact = group.root["contact"]
    if not contact.is_dict:
        yield Finding(contact.pointer, "A contact is required.")
        return
    yield from _required_text(contact["firstName"], "The contact's first name")
    yield from _required_text(contact["lastName"], "The contact's last name")
    email = contact["email"]
    if not ((entered := email.text()) and _EMAIL(entered)):
        yield Finding(email.pointer, "Enter a valid e-mail address.")
    phone = contact["phone"]
    if not ((entered := phone.text()) and _PHONE(entered)):
        yield Finding(phone.pointer, "The phone number must be 10 digits.")
    employer_phone = group.employer["phone"]
    if group.employer.is_dict and not ((entered := employer_phone.text()) and _PHONE(entered)):
        yield Finding(employer_phone.pointer, "The employer's phone number must be 10 digits.")


# ---- AGT-001 / AGT-002


@rule("AGT-001", when="C")
def _agent(group: GroupView) -> Iterator[Finding]:
    agent = group.root["writingAgent"]
    if not agent.is_dict:
        yield Finding(agent.pointer, "The writing agent is required.")
        return
    npn = agent["npn"]
    if not ((entered := npn.text()) and _NPN(entered)):
        yield Finding(npn.pointer, "The NPN must be 1 to 10 digits.")
    yield from _required_text(agent["firstName"], "The agent's first name")
    yield from _required_text(agent["lastName"], "The agent's last name")
    email = agent["email"]
    if not ((entered := email.text()) and _EMAIL(entered)):
        yield Finding(email.pointer, "Enter the agent's e-mail address.")


@rule("AGT-002", when="C")
def _appointed(group: GroupView) -> Iterator[Finding]:
    npn = group.root["writingAgent"]["npn"]
    value = npn.text()
    if group.ctx is None or group.state is None or value is None or not _NPN(value):
        return
    if not group.ctx.agent_appointed(value, group.state):
        yield Finding(npn.pointer, f"The writing agent is not appointed with the carrier in {group.state}.")


def check_group(body: dict[str, Any], *, ctx: RuleContext) -> list[Violation]:
    """Rules marked C over a create body (or the group after a merge patch); never raises."""
    return run("C", GroupView(body, ctx))
