"""api.md's member-validation body built from a member (and the fields a family form may set)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from groupsales.x12.sanitize import nanp_phone

from ..models import LINES, Election, Member, coverage_tier

# Member fields a family form may set (everything the validation body carries).
MEMBER_FIELDS = (
    "member_ref",
    "relationship",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "ssn",
    "date_of_birth",
    "gender",
    "marital_status",
    "tobacco_use",
    "disabled",
    "is_owner",
    "is_owner_spouse",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip5",
    "zip4",
    "county_fips",
    "phone",
    "email",
    "hire_date",
    "hours_per_week",
    "employment_status",
    "covered_lines",
)


SUBSCRIBER_ONLY = (
    "marital_status",
    "is_owner",
    "is_owner_spouse",
    "hire_date",
    "hours_per_week",
    "employment_status",
)


def _none(value: Any) -> Any:
    return None if value in ("", None) else value


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def _digits(value: str) -> str:
    return "".join(c for c in (value or "") if c.isdigit())


def _active_dependents(subscriber: Member) -> list[Member]:
    return [d for d in subscriber.dependents.all() if d.withdrawn_at is None]


def _address(member: Member) -> dict[str, Any]:
    return {
        "line1": _none(member.address_line1),
        "line2": _none(member.address_line2),
        "city": _none(member.city),
        "state": _none(member.state),
        "zip5": _none(member.zip5),
        "zip4": _none(member.zip4),
        "countyFips": _none(member.county_fips),
    }


def _ordered_lines(lines: Iterable[str]) -> list[str]:
    wanted = set(lines)
    return [line for line in LINES if line in wanted]


def member_build_validation_body(
    *, member: Member, dependents: list[Member] | None = None, elections: Iterable[Election] | None = None
) -> dict:
    """api.md's member-validation body. A subscriber's ``coverage`` has its elections with the tier
    derived from the dependents covered on each line; a dependent's lists the lines it is covered on.
    ``dependents`` and ``elections`` stand in for the stored ones (a family not saved yet)."""
    subscriber = member.subscriber if member.subscriber_id else None
    body: dict[str, Any] = {
        "memberRef": member.member_ref,
        "subscriberRef": subscriber.member_ref if subscriber else member.member_ref,
        "relationship": member.relationship,
        "firstName": member.first_name,
        "middleName": _none(member.middle_name),
        "lastName": member.last_name,
        "suffix": _none(member.suffix),
        "ssn": _none(_digits(member.ssn)),
        "dateOfBirth": _iso(member.date_of_birth),
        "gender": _none(member.gender),
    }
    if subscriber is None:
        body["maritalStatus"] = _none(member.marital_status)
    body["tobaccoUse"] = member.tobacco_use
    body["disabled"] = member.disabled
    if subscriber is None:
        body["isOwner"] = member.is_owner
        body["isOwnerSpouse"] = member.is_owner_spouse
        body["address"] = _address(member)
    elif member.address_line1:
        body["address"] = _address(member)
    # The 10 NANP digits the 834 sends (PTL-002); a number stored before that rule goes as its digits.
    body["phone"] = _none(nanp_phone(member.phone) or _digits(member.phone))
    body["email"] = _none(member.email)
    if subscriber is None:
        body["employment"] = {
            "hireDate": _iso(member.hire_date),
            "hoursPerWeek": member.hours_per_week,
            "status": _none(member.employment_status),
        }
        family = dependents if dependents is not None else _active_dependents(member)
        by_line = {e.line: e for e in (elections if elections is not None else member.elections.all())}
        coverage = []
        for line in _ordered_lines(by_line):
            election = by_line[line]
            if election.waived:
                coverage.append({"line": line, "waived": True, "waiverReason": _none(election.waiver_reason)})
            else:
                tier = coverage_tier(d.relationship for d in family if line in (d.covered_lines or []))
                coverage.append({"line": line, "planId": _none(election.plan_id), "coverageTier": tier})
        body["coverage"] = coverage
    else:
        body["coverage"] = [{"line": line} for line in _ordered_lines(member.covered_lines or [])]
    return body
