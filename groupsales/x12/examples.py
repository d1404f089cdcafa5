"""The Blue Heron Bakery group of api.md and ``samples/new-business.834``, as writer input.

Written as api.md member-validation bodies and converted with ``member_from_api`` so the
sample doubles as a check of that mapping. Values that api.md does not show (David's,
Maya's and Luis's details, Luis's address and hire date) are read off the sample file.
Tests, the benchmark and demo data use it; it holds no real person's data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .model import Envelope, Family, Header, member_from_api
from .writer import render_834

EFFECTIVE = date(2027, 1, 1)

ANN: dict[str, Any] = {
    "memberRef": "E-001", "subscriberRef": "E-001", "relationship": "SUBSCRIBER",
    "firstName": "Ann", "middleName": None, "lastName": "Lee", "suffix": None,
    "ssn": "123456789", "dateOfBirth": "1980-05-02", "gender": "FEMALE", "maritalStatus": "MARRIED",
    "tobaccoUse": False, "disabled": False, "isOwner": True, "isOwnerSpouse": False,
    "address": {"line1": "100 Main St", "line2": None, "city": "Louisville", "state": "KY",
                "zip5": "40202", "zip4": None, "countyFips": "21111"},
    "phone": "5025550111", "email": "ann@example.com",
    "employment": {"hireDate": "2019-06-10", "hoursPerWeek": 40, "status": "FULL_TIME"},
    "coverage": [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "FAM"},
        {"line": "DENTAL", "planId": "12345KY0020001", "coverageTier": "FAM"},
        {"line": "VISION", "planId": "12345KY0030001", "coverageTier": "FAM"},
    ],
}  # fmt: skip

_ALL_LINES = [{"line": "MEDICAL"}, {"line": "DENTAL"}, {"line": "VISION"}]


def _dependent(ref: str, relationship: str, first: str, ssn: str | None, dob: str, gender: str,
               tobacco: bool) -> dict[str, Any]:  # fmt: skip
    return {
        "memberRef": ref, "subscriberRef": "E-001", "relationship": relationship,
        "firstName": first, "middleName": None, "lastName": "Lee", "suffix": None,
        "ssn": ssn, "dateOfBirth": dob, "gender": gender, "tobaccoUse": tobacco, "disabled": False,
        "phone": None, "email": None, "coverage": _ALL_LINES,
    }  # fmt: skip


DAVID = _dependent("E-001-S", "SPOUSE", "David", "123456780", "1979-11-30", "MALE", True)
MAYA = _dependent("E-001-C1", "CHILD", "Maya", "123456781", "2010-06-05", "FEMALE", False)
NOAH = _dependent("E-001-C2", "CHILD", "Noah", None, "2026-07-02", "MALE", False)

LUIS: dict[str, Any] = {
    "memberRef": "E-002", "subscriberRef": "E-002", "relationship": "SUBSCRIBER",
    "firstName": "Luis", "middleName": None, "lastName": "Ortiz", "suffix": None,
    "ssn": "123456782", "dateOfBirth": "1995-07-22", "gender": "MALE", "maritalStatus": "SINGLE",
    "tobaccoUse": False, "disabled": False, "isOwner": False, "isOwnerSpouse": False,
    "address": {"line1": "9 Oak Ave", "line2": None, "city": "Louisville", "state": "KY",
                "zip5": "40204", "zip4": None, "countyFips": "21111"},
    "phone": None, "email": None,
    "employment": {"hireDate": "2024-07-01", "hoursPerWeek": 40, "status": "FULL_TIME"},
    "coverage": [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
        {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
        {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
    ],
}  # fmt: skip


def blue_heron_envelope(**changes: Any) -> Envelope:
    values: dict[str, Any] = dict(
        sender_id="PARTNER01",
        usage_indicator="T",
        interchange_control_number=123,
        group_control_number=123,
        created_at=datetime(2026, 11, 23, 10, 30),
    )
    values.update(changes)
    return Envelope(**values)


def blue_heron_header(**changes: Any) -> Header:
    values: dict[str, Any] = dict(
        purpose="00",
        reference="BHB-104233-1",
        group_id="104233",
        effective_date=EFFECTIVE,
        employer_legal_name="Blue Heron Bakery LLC",
        fein="123456789",
        agent_name="Sam Ortiz",
        agent_npn="17012345",
    )
    values.update(changes)
    return Header(**values)


def blue_heron_families() -> list[Family]:
    """Ann Lee's family (dependents deliberately out of order) and Luis Ortiz."""
    ann = member_from_api(ANN)
    dependents = tuple(member_from_api(body, ann) for body in (NOAH, MAYA, DAVID))
    return [Family(subscriber=ann, dependents=dependents), Family(subscriber=member_from_api(LUIS))]


def blue_heron_834() -> str:
    """The group's new-business 834 as the project's writer renders it (the carrier's sample
    ``new-business.834`` byte for byte, checked where the carrier's folder is at hand)."""
    return render_834(blue_heron_envelope(), blue_heron_header(), blue_heron_families())
