"""Member rules checked at member validation (phase ``V``): MBR-001..MBR-015, MBR-020.

Pointers are into the member validation body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from ..codes import EmploymentStatus, Gender, Relationship, Tier, tier_covers
from . import catalog  # noqa: F401  (fills RULES before the rules register)
from ._base import Finding, Node, Violation, rule, run
from .context import RuleContext
from .views import (
    CHILDREN,
    FIPS,
    SPOUSES,
    WAIVER_REASONS,
    ZIP4,
    ZIP5,
    GroupView,
    MemberView,
    age,
)

__all__ = ["check_member", "ssn_problem"]

_SUFFIXES = ("JR", "SR", "II", "III", "IV")
_SSN = re.compile(r"\d{9}").fullmatch
_NAME_LIMITS = {"firstName": 35, "lastName": 60, "middleName": 25}
_PUNCTUATION = frozenset(" '-.")


@dataclass
class MemberCheck:
    """What the member rules read: the body, its group, its subscriber and siblings, the context."""

    member: MemberView
    group: GroupView
    ctx: RuleContext
    subscriber: MemberView | None
    other_dependents: list[MemberView] = field(default_factory=list)
    ssn_members: Mapping[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Node:
        return self.member.root

    @cached_property
    def effective_date(self) -> date | None:
        return self.group.effective_date

    @cached_property
    def age(self) -> int | None:
        return age(self.member.date_of_birth, self.effective_date)


def _valid_name(value: str) -> bool:
    return any(ch.isalpha() for ch in value) and all(ch.isalpha() or ch in _PUNCTUATION for ch in value)


def ssn_problem(ssn: str) -> str | None:
    """Why a string is not a valid SSN (None when it is one); never echoes the number."""
    if not _SSN(ssn):
        return "The SSN must be exactly 9 digits."
    area, group, serial = ssn[:3], ssn[3:5], ssn[5:]
    if area in ("000", "666") or area >= "900":
        return "The SSN's first three digits are not a number the SSA issues."
    if group == "00":
        return "The SSN's middle two digits cannot be 00."
    if serial == "0000":
        return "The SSN's last four digits cannot be 0000."
    return None


# ---- MBR-001


@rule("MBR-001", when="V")
def _names(check: MemberCheck) -> Iterator[Finding]:
    for key, limit in _NAME_LIMITS.items():
        node = check.root[key]
        value = node.text()
        required = key != "middleName"
        if node.is_null and not required:
            continue
        if value is None or not value.strip():
            if required:
                yield Finding(
                    node.pointer, f"The {'first' if key == 'firstName' else 'last'} name is required."
                )
            elif value is None:
                yield Finding(node.pointer, "The middle name must be text or empty.")
        elif len(value) > limit:
            yield Finding(node.pointer, f"At most {limit} characters.")
        elif not _valid_name(value):
            yield Finding(node.pointer, "Use only letters, spaces, apostrophes, hyphens and periods.")
    suffix = check.root["suffix"]
    if not suffix.is_null and suffix.code(_SUFFIXES) is None:
        yield Finding(suffix.pointer, "The suffix must be JR, SR, II, III or IV.")


# ---- MBR-002


@rule("MBR-002", when="V")
def _ssn(check: MemberCheck) -> Iterator[Finding]:
    node = check.root["ssn"]
    if node.is_null:
        if check.member.is_subscriber:
            yield Finding(node.pointer, "The employee's SSN is required.")
        elif check.member.is_dependent and check.age is not None:
            if check.age >= check.group.settings.dependent_ssn_min_age:
                yield Finding(
                    node.pointer,
                    f"The SSN is required for a dependent aged {check.group.settings.dependent_ssn_min_age} "
                    "or more.",
                )
        return
    value = node.text()
    problem = "The SSN must be exactly 9 digits." if value is None else ssn_problem(value)
    if problem:
        yield Finding(node.pointer, problem)


# ---- MBR-003


@rule("MBR-003", when="V")
def _birth(check: MemberCheck) -> Iterator[Finding]:
    node = check.root["dateOfBirth"]
    born = check.member.date_of_birth
    if born is None:
        yield Finding(node.pointer, "The date of birth must be a date (YYYY-MM-DD).")
        return
    if check.group.today is not None and born > check.group.today:
        yield Finding(node.pointer, "The date of birth cannot be in the future.")
        return
    settings = check.group.settings
    if check.member.is_subscriber and check.effective_date is not None:
        years = check.age
        if years is None or years < settings.subscriber_min_age:
            yield Finding(
                node.pointer,
                f"An employee must be at least {settings.subscriber_min_age} on the effective date.",
            )
        elif years > settings.subscriber_max_age:
            yield Finding(
                node.pointer,
                f"An employee must be at most {settings.subscriber_max_age} on the effective date.",
            )


# ---- MBR-004


@rule("MBR-004", when="V")
def _gender(check: MemberCheck) -> Iterator[Finding]:
    node = check.root["gender"]
    if node.code(Gender) is None:
        yield Finding(node.pointer)


# ---- MBR-005


@rule("MBR-005", when="V")
def _child_age(check: MemberCheck) -> Iterator[Finding]:
    if check.member.relationship not in CHILDREN or check.age is None:
        return
    limit = check.group.settings.child_age_limit
    if check.age >= limit and check.root["disabled"].boolean() is not True:
        yield Finding(
            check.root["dateOfBirth"].pointer,
            f"A child must be under {limit} on the effective date unless disabled.",
        )


# ---- MBR-006


@rule("MBR-006", when="V")
def _spouse(check: MemberCheck) -> Iterator[Finding]:
    if check.member.relationship not in SPOUSES:
        return
    minimum = check.group.settings.spouse_min_age
    if check.age is not None and check.age < minimum:
        yield Finding(check.root["dateOfBirth"].pointer, f"A spouse or partner must be at least {minimum}.")
    others = [
        other
        for other in check.other_dependents
        if other.relationship in SPOUSES and other.member_ref != check.member.member_ref
    ]
    if others:
        yield Finding(
            check.root["relationship"].pointer,
            f"The employee already covers a spouse or partner ({others[0].member_ref}).",
        )


# ---- MBR-007


def _address_findings(address: Node, check: MemberCheck) -> Iterator[Finding]:
    if not address.is_dict:
        yield Finding(address.pointer, "The employee's address is required.")
        return
    line1 = address["line1"].text()
    if line1 is None or not line1.strip():
        yield Finding(address["line1"].pointer, "Address line 1 is required.")
    city = address["city"].text()
    if city is None or not city.strip():
        yield Finding(address["city"].pointer, "The city is required.")
    state = address["state"].code(check.group.settings.state_fips)
    if state is None:
        yield Finding(address["state"].pointer, "The state must be a 2-letter US state code.")
    zip5 = address["zip5"].text()
    if zip5 is None or not ZIP5(zip5):
        yield Finding(address["zip5"].pointer, "The ZIP code must be 5 digits.")
    zip4 = address["zip4"]
    if not zip4.is_null and not ((entered := zip4.text()) and ZIP4(entered)):
        yield Finding(zip4.pointer, "The ZIP+4 extension must be 4 digits.")
    county = address["countyFips"].text()
    if county is None or not FIPS(county):
        yield Finding(address["countyFips"].pointer, "The county FIPS code must be 5 digits.")
    elif state is not None and not county.startswith(check.group.settings.state_fips[state]):
        yield Finding(address["countyFips"].pointer, f"County {county} is not in {state}.")


@rule("MBR-007", when="V")
def _member_address(check: MemberCheck) -> Iterator[Finding]:
    address = check.root["address"]
    if check.member.is_subscriber or (check.member.is_dependent and not address.is_null):
        yield from _address_findings(address, check)


# ---- MBR-008


@rule("MBR-008", when="V")
def _employment(check: MemberCheck) -> Iterator[Finding]:
    if not check.member.is_subscriber:
        return
    employment = check.root["employment"]
    if not employment.is_dict:
        yield Finding(employment.pointer, "The employee's employment details are required.")
        return
    hire_node = employment["hireDate"]
    hired = hire_node.date()
    if hired is None:
        yield Finding(hire_node.pointer, "The hire date must be a date (YYYY-MM-DD).")
    elif check.effective_date is not None and hired > check.effective_date:
        yield Finding(hire_node.pointer, "The hire date cannot be after the group's effective date.")
    hours_node = employment["hoursPerWeek"]
    hours = hours_node.number()
    minimum = check.group.minimum_hours
    if hours is None or hours < minimum:
        yield Finding(hours_node.pointer, f"The employee must work at least {minimum} hours a week.")
    status = employment["status"]
    if status.code(EmploymentStatus) is None:
        yield Finding(status.pointer, "The employment status must be FULL_TIME or PART_TIME.")


# ---- MBR-009


@rule("MBR-009", when="V")
def _plan_offered(check: MemberCheck) -> Iterator[Finding]:
    subscriber_elections = check.subscriber.elections() if check.subscriber is not None else {}
    for entry in check.member.coverage:
        if entry.line is None or entry.waived or entry.node["planId"].is_null:
            continue
        plan_node = entry.node["planId"]
        if entry.plan_id is None or entry.plan_id not in check.group.offered_plans(entry.line):
            yield Finding(plan_node.pointer, f"The group does not offer this plan for {entry.line.lower()}.")
        elif check.member.is_dependent and entry.line in subscriber_elections:
            if subscriber_elections[entry.line].plan_id != entry.plan_id:
                yield Finding(plan_node.pointer, "A dependent is covered on the employee's plan.")


# ---- MBR-010 / MBR-011


# The tiers that cover a spouse or partner (ESP, FAM) and a child (ECH, FAM): api.md's code list.
_NEEDED_TIERS = {
    kind: tuple(tier.value for tier in Tier if tier_covers(tier, Relationship(kind)))
    for kind in ("SPOUSE", "CHILD")
}


@rule("MBR-010", when="V")
def _tier_fits(check: MemberCheck) -> Iterator[Finding]:
    member = check.member
    if not member.is_dependent or check.subscriber is None:
        return
    needed = _NEEDED_TIERS["SPOUSE" if member.relationship in SPOUSES else "CHILD"]
    elections = check.subscriber.elections()
    for line, entry in member.covered_lines().items():
        election = elections.get(line)
        if election is not None and election.tier not in needed:
            yield Finding(
                entry.node.pointer,
                f"The employee's {line.lower()} tier is {election.tier or 'missing'}; this dependent needs "
                f"{' or '.join(needed)}.",
            )


@rule("MBR-011", when="V")
def _dependent_lines(check: MemberCheck) -> Iterator[Finding]:
    member = check.member
    if not member.is_dependent or check.subscriber is None:
        return
    elections = check.subscriber.elections()
    for line, entry in member.covered_lines().items():
        if line not in elections:
            yield Finding(entry.node["line"].pointer, f"The employee does not elect {line.lower()} coverage.")


# ---- MBR-012


@rule("MBR-012", when="V")
def _waiver_reason(check: MemberCheck) -> Iterator[Finding]:
    if not check.member.is_subscriber:
        return
    for entry in check.member.coverage:
        if entry.waived and entry.node["waiverReason"].code(WAIVER_REASONS) is None:
            yield Finding(entry.node["waiverReason"].pointer, "Choose a waiver reason from the list.")


# ---- MBR-013


@rule("MBR-013", when="V")
def _tobacco(check: MemberCheck) -> Iterator[Finding]:
    member = check.member
    if check.age is None or check.age < check.group.settings.tobacco_min_age:
        return
    if member.is_subscriber:
        covered = "MEDICAL" in member.elections()
    elif member.is_dependent:
        covered = "MEDICAL" in member.covered_lines()
    else:
        return
    if covered and check.root["tobaccoUse"].boolean() is None:
        yield Finding(check.root["tobaccoUse"].pointer, "State whether the member uses tobacco.")


# ---- MBR-014


@rule("MBR-014", when="V")
def _ssn_unique(check: MemberCheck) -> Iterator[Finding]:
    node = check.root["ssn"]
    value = node.text()
    if value is None or ssn_problem(value) is not None:
        return
    other = check.ssn_members.get(value)
    if other is not None and other != check.member.member_ref:
        yield Finding(node.pointer, f"Member {other} of this group has the same SSN.")


# ---- MBR-015


@rule("MBR-015", when="V")
def _each_line_once(check: MemberCheck) -> Iterator[Finding]:
    member = check.member
    if not member.is_subscriber:
        return
    coverage = check.root["coverage"]
    if not coverage.is_list:
        yield Finding(coverage.pointer, "List a choice (a plan or a waiver) for every line the group offers.")
        return
    offered = check.group.offered
    seen: set[str] = set()
    for entry in member.coverage:
        line_node = entry.node["line"]
        if entry.line is None:
            yield Finding(line_node.pointer, "Name the line (MEDICAL, DENTAL or VISION).")
            continue
        if entry.line not in offered:
            yield Finding(line_node.pointer, f"The group does not offer {entry.line.lower()} coverage.")
            continue
        if entry.line in seen:
            yield Finding(entry.node.pointer, f"{entry.line} is listed more than once.")
            continue
        seen.add(entry.line)
        has_plan = not entry.node["planId"].is_null or not entry.node["coverageTier"].is_null
        if entry.waived and has_plan:
            yield Finding(entry.node.pointer, f"Either elect or waive {entry.line.lower()}, not both.")
        elif not entry.waived:
            if entry.plan_id is None:
                yield Finding(entry.node.child("planId"), f"Choose a {entry.line.lower()} plan or waive it.")
            elif entry.tier is None:
                yield Finding(
                    entry.node.child("coverageTier"), "Choose a coverage tier (EMP, ESP, ECH or FAM)."
                )
    for line in offered:
        if line not in seen:
            yield Finding(coverage.pointer, f"Choose a {line.lower()} plan or waive {line.lower()} coverage.")


# ---- MBR-020


@rule("MBR-020", when="V")
def _subscriber_validated(check: MemberCheck) -> Iterator[Finding]:
    member = check.member
    if not member.is_dependent:
        return
    subscriber = check.subscriber
    if subscriber is None or not subscriber.is_subscriber or subscriber.member_ref != member.subscriber_ref:
        yield Finding(check.root["subscriberRef"].pointer, "Validate this dependent's employee first.")


def check_member(
    body: dict[str, Any],
    *,
    group: dict[str, Any],
    ctx: RuleContext,
    subscriber: dict[str, Any] | None = None,
    other_dependents: Sequence[dict[str, Any]] = (),
    ssn_members: Mapping[str, str] = {},  # noqa: B006 - read only
) -> list[Violation]:
    """Rules marked V over one member validation body; never raises.

    ``group`` is the group's create body (as patched); ``subscriber`` the subscriber's current valid
    validation body (for a dependent; None gives MBR-020); ``other_dependents`` the same subscriber's other
    dependents' current valid bodies (MBR-006); ``ssn_members`` {ssn: memberRef} of the group's other
    current valid validations (MBR-014).
    """
    dependents = other_dependents if isinstance(other_dependents, Sequence) else ()
    check = MemberCheck(
        member=MemberView.of(body),
        group=GroupView(group, ctx),
        ctx=ctx,
        subscriber=MemberView.of(subscriber) if isinstance(subscriber, dict) else None,
        other_dependents=[MemberView.of(other) for other in dependents if isinstance(other, dict)],
        ssn_members=ssn_members if isinstance(ssn_members, Mapping) else {},
    )
    return run("V", check)
