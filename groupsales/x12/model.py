"""The input of the 834 writer: frozen dataclasses shaped like api.md's member-validation body.

They hold API values (``Relationship.SPOUSE``, ``Line.MEDICAL``, ``Tier.FAM`` or the same
strings); the writer translates them to X12 codes with the maps in ``groupsales.codes``.
``member_from_api`` turns a validation body (camelCase JSON) into a ``Member`` so the
portal and the carrier build the same objects from the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from groupsales.codes import (
    EmploymentStatus,
    Gender,
    Line,
    MaritalStatus,
    Relationship,
    Tier,
)


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """ISA/GS: who sends, to whom, test or production, and the control numbers."""

    sender_id: str
    receiver_id: str = "HUMANAGS"
    usage_indicator: Literal["T", "P"] = "T"
    interchange_control_number: int
    group_control_number: int
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Header:
    """BGN, REF*38, DTP*007 and the N1 loops of the transaction set."""

    purpose: Literal["00", "15"] = "00"
    reference: str
    original_reference: str | None = None
    group_id: str
    effective_date: date
    employer_legal_name: str
    fein: str
    agent_name: str
    agent_npn: str


@dataclass(frozen=True, kw_only=True)
class Address:
    line1: str
    line2: str | None = None
    city: str
    state: str
    zip5: str
    zip4: str | None = None
    county_fips: str | None = None


@dataclass(frozen=True, kw_only=True)
class Employment:
    hire_date: date
    hours_per_week: int | None = None
    status: EmploymentStatus | str = EmploymentStatus.FULL_TIME


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """One line a member is covered under; a dependent carries its subscriber's plan and tier."""

    line: Line | str
    plan_id: str
    tier: Tier | str


@dataclass(frozen=True, kw_only=True)
class Member:
    """One covered life, with the fields of api.md's member-validation body."""

    member_ref: str
    subscriber_ref: str
    relationship: Relationship | str
    first_name: str
    middle_name: str | None = None
    last_name: str
    suffix: str | None = None
    ssn: str | None = None
    date_of_birth: date
    gender: Gender | str
    marital_status: MaritalStatus | str | None = None
    tobacco_use: bool | None = None
    disabled: bool = False
    is_owner: bool = False
    is_owner_spouse: bool = False
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    employment: Employment | None = None
    coverage: tuple[Coverage, ...] = ()

    @property
    def is_subscriber(self) -> bool:
        return self.relationship == Relationship.SUBSCRIBER


@dataclass(frozen=True, kw_only=True)
class Family:
    """A subscriber and its dependents, in any order: the writer orders them."""

    subscriber: Member
    dependents: tuple[Member, ...] = field(default=())


@dataclass(frozen=True)
class Counts:
    """The QTY counts, which callers get from a query before streaming the families."""

    subscribers: int
    dependents: int

    @property
    def total(self) -> int:
        return self.subscribers + self.dependents


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def member_from_api(body: Mapping[str, Any], subscriber: Member | None = None) -> Member:
    """Build a ``Member`` from an api.md member-validation body.

    A dependent's body lists only the lines it is covered under (``{"line": "DENTAL"}``);
    the 834 repeats its subscriber's plan and tier there, so pass the subscriber's
    ``Member``. Waived lines of a subscriber are left out (a waived line has no HD loop).
    """
    address = body.get("address")
    employment = body.get("employment")
    coverages: list[Coverage] = []
    by_line = {c.line: c for c in subscriber.coverage} if subscriber else {}
    for item in body.get("coverage") or ():
        if item.get("waived"):
            continue
        line = Line(item["line"])
        if item.get("planId"):
            coverages.append(Coverage(line=line, plan_id=item["planId"], tier=Tier(item["coverageTier"])))
        elif line in by_line:
            coverages.append(by_line[line])
        else:
            raise ValueError(f"{body.get('memberRef')}: no plan for {line} (pass the subscriber)")
    return Member(
        member_ref=body["memberRef"],
        subscriber_ref=body["subscriberRef"],
        relationship=Relationship(body["relationship"]),
        first_name=body["firstName"],
        middle_name=body.get("middleName"),
        last_name=body["lastName"],
        suffix=body.get("suffix"),
        ssn=body.get("ssn"),
        # A validated body has its dates (MBR-003, MBR-008); _date keeps None rather than raise here.
        date_of_birth=_date(body["dateOfBirth"]),  # type: ignore[arg-type]
        gender=Gender(body["gender"]),
        marital_status=MaritalStatus(body["maritalStatus"]) if body.get("maritalStatus") else None,
        tobacco_use=body.get("tobaccoUse"),
        disabled=bool(body.get("disabled")),
        is_owner=bool(body.get("isOwner")),
        is_owner_spouse=bool(body.get("isOwnerSpouse")),
        address=Address(
            line1=address["line1"],
            line2=address.get("line2"),
            city=address["city"],
            state=address["state"],
            zip5=address["zip5"],
            zip4=address.get("zip4"),
            county_fips=address.get("countyFips"),
        )
        if address
        else None,
        phone=body.get("phone"),
        email=body.get("email"),
        employment=Employment(
            hire_date=_date(employment["hireDate"]),  # type: ignore[arg-type]  # validated: MBR-008
            hours_per_week=employment.get("hoursPerWeek"),
            status=EmploymentStatus(employment["status"]),
        )
        if employment
        else None,
        coverage=tuple(coverages),
    )
