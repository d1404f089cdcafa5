"""Typed, never-raising views of the api.md bodies the rules read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from ..codes import CHILD_RELATIONSHIPS, SPOUSE_RELATIONSHIPS, Line, Relationship, Tier, WaiverReason
from ..rating import age_on
from ._base import Node, as_date
from .context import RuleContext
from .settings import RuleSettings

LINES = tuple(line.value for line in Line)
TIERS = tuple(tier.value for tier in Tier)
RELATIONSHIPS = tuple(rel.value for rel in Relationship)
CHILDREN = frozenset(rel.value for rel in CHILD_RELATIONSHIPS)
SPOUSES = frozenset(rel.value for rel in SPOUSE_RELATIONSHIPS)
WAIVER_REASONS = tuple(reason.value for reason in WaiverReason)

ZIP5 = re.compile(r"\d{5}").fullmatch
ZIP4 = re.compile(r"\d{4}").fullmatch
FIPS = re.compile(r"\d{5}").fullmatch
STATE = re.compile(r"[A-Z]{2}").fullmatch


def age(date_of_birth: date | None, on: date | None) -> int | None:
    """Completed years on ``on``; None when either date is unknown or the birth is later."""
    if date_of_birth is None or on is None or date_of_birth > on:
        return None
    return age_on(date_of_birth, on)


@dataclass(frozen=True)
class Offering:
    index: int
    node: Node
    line: str  # a valid line code
    first: bool  # the first offering of this line (later ones are duplicates: GRP-010)

    @property
    def plan_ids(self) -> list[str]:
        return [value for value in (item.text() for item in self.node["planIds"].items()) if value]


class GroupView:
    """The create body (or the group as patched)."""

    def __init__(
        self, body: Any, ctx: RuleContext | None = None, settings: RuleSettings | None = None
    ) -> None:
        self.root = Node(body)
        self.ctx = ctx
        self.settings = (
            settings if settings is not None else (ctx.settings if ctx is not None else RuleSettings())
        )

    @cached_property
    def today(self) -> date | None:
        """The context's business day (None without a usable one: the rules about today are skipped)."""
        return as_date(getattr(self.ctx, "today", None))

    @cached_property
    def employer(self) -> Node:
        return self.root["employer"]

    @cached_property
    def address(self) -> Node:
        return self.employer["address"]

    @cached_property
    def effective_date(self) -> date | None:
        return self.root["requestedEffectiveDate"].date()

    @cached_property
    def state(self) -> str | None:
        """The situs state when it is a known state code."""
        return self.address["state"].code(self.settings.state_fips)

    @cached_property
    def zip5(self) -> str | None:
        value = self.address["zip5"].text()
        return value if value is not None and ZIP5(value) else None

    @cached_property
    def county(self) -> str | None:
        value = self.address["countyFips"].text()
        return value if value is not None and FIPS(value) else None

    @cached_property
    def rating_area(self) -> str | None:
        if self.ctx is None or not (self.zip5 and self.county and self.effective_date):
            return None
        return self.ctx.rating_area_for(self.zip5, self.county, self.effective_date)

    @cached_property
    def offerings(self) -> list[Offering]:
        """Offerings with a valid line code, in body order."""
        seen: set[str] = set()
        result = []
        for index, node in enumerate(self.root["offerings"].items()):
            line = node["line"].code(LINES)
            if line is None:
                continue
            result.append(Offering(index, node, line, line not in seen))
            seen.add(line)
        return result

    @cached_property
    def offered(self) -> dict[str, Offering]:
        """Line -> its (first) offering."""
        return {offering.line: offering for offering in self.offerings if offering.first}

    def offered_plans(self, line: str) -> set[str]:
        return {plan for offering in self.offerings if offering.line == line for plan in offering.plan_ids}

    @cached_property
    def eligible_employees(self) -> int | None:
        return self.root["workforce"]["eligibleEmployees"].integer()

    @cached_property
    def minimum_hours(self) -> int:
        hours = self.root["eligibility"]["minimumHoursPerWeek"].integer()
        return hours if hours is not None else self.settings.default_min_hours


@dataclass
class Coverage:
    """One coverage entry of a member body."""

    node: Node
    line: str | None
    waived: bool
    plan_id: str | None
    tier: str | None

    @property
    def is_election(self) -> bool:
        return not self.waived and self.plan_id is not None


def coverages(member: Node) -> list[Coverage]:
    result = []
    for node in member["coverage"].items():
        result.append(
            Coverage(
                node=node,
                line=node["line"].code(LINES),
                waived=node["waived"].boolean() is True,
                plan_id=node["planId"].text(),
                tier=node["coverageTier"].code(TIERS),
            )
        )
    return result


@dataclass
class MemberView:
    """One member validation body."""

    root: Node
    member_ref: str | None = field(init=False)
    subscriber_ref: str | None = field(init=False)
    relationship: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.member_ref = self.root["memberRef"].text()
        self.subscriber_ref = self.root["subscriberRef"].text()
        self.relationship = self.root["relationship"].code(RELATIONSHIPS)

    @classmethod
    def of(cls, body: Any) -> MemberView:
        return cls(Node(body))

    @property
    def is_subscriber(self) -> bool:
        return self.relationship == Relationship.SUBSCRIBER.value

    @property
    def is_dependent(self) -> bool:
        return self.relationship is not None and not self.is_subscriber

    @cached_property
    def date_of_birth(self) -> date | None:
        return self.root["dateOfBirth"].date()

    @cached_property
    def coverage(self) -> list[Coverage]:
        return coverages(self.root)

    def elections(self) -> dict[str, Coverage]:
        """Line -> the first election of it (subscribers)."""
        result: dict[str, Coverage] = {}
        for entry in self.coverage:
            if entry.line is not None and entry.is_election:
                result.setdefault(entry.line, entry)
        return result

    def waivers(self) -> dict[str, Coverage]:
        result: dict[str, Coverage] = {}
        for entry in self.coverage:
            if entry.line is not None and entry.waived:
                result.setdefault(entry.line, entry)
        return result

    def covered_lines(self) -> dict[str, Coverage]:
        """Dependents: line -> the first entry covering it (not waived)."""
        result: dict[str, Coverage] = {}
        for entry in self.coverage:
            if entry.line is not None and not entry.waived:
                result.setdefault(entry.line, entry)
        return result


def members_by_role(members: Sequence[Any]) -> tuple[dict[str, MemberView], list[MemberView]]:
    """(subscribers by memberRef, dependents) of a list of validation bodies; the last body of a ref wins."""
    subscribers: dict[str, MemberView] = {}
    dependents: dict[str, MemberView] = {}
    unnamed: list[MemberView] = []
    for body in members if isinstance(members, Sequence) and not isinstance(members, str | bytes) else ():
        view = MemberView.of(body)
        if view.is_subscriber and view.member_ref:
            subscribers[view.member_ref] = view
            dependents.pop(view.member_ref, None)
        elif view.is_dependent:
            if view.member_ref:
                dependents[view.member_ref] = view
                subscribers.pop(view.member_ref, None)
            else:
                unnamed.append(view)
    return subscribers, [*dependents.values(), *unnamed]
