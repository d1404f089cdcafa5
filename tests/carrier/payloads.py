"""api.md's example bodies (Blue Heron Bakery), as the carrier tests send and receive them."""

from __future__ import annotations

import copy
from typing import Any

from groupsales.rules.testing import blue_heron_group, blue_heron_members

# The same bodies as groupsales.rules.testing (one copy of api.md's example).
# The client always sends the 1.1 key; null until the application is signed (api.md: "may be null").
CREATE_GROUP: dict[str, Any] = {**blue_heron_group(), "employerGroupApplication": None}

CREATED = {
    "groupId": "104233",
    "status": "CREATED",
    "ratingAreaId": "KY-RA02",
    "createdAt": "2026-11-23T15:05:00Z",
    "estimatedRates": [{"planId": "12345KY0010001", "line": "MEDICAL", "estimatedMonthlyPremium": "3143.30"}],
}

ANN: dict[str, Any] = blue_heron_members()[0]

VALIDATED = {
    "validationId": "V-1",
    "memberRef": "E-001",
    "valid": True,
    "validatedAt": "2026-11-23T15:10:00Z",
    "warnings": [],
}


def create_group(**employer: Any) -> dict[str, Any]:
    body = copy.deepcopy(CREATE_GROUP)
    body["employer"].update(employer)
    return body


def member(**fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(ANN)
    body.update(fields)
    return body


def dependent(
    member_ref: str, relationship: str, first_name: str, ssn: str | None, dob: str
) -> dict[str, Any]:
    return {
        "memberRef": member_ref,
        "subscriberRef": "E-001",
        "relationship": relationship,
        "firstName": first_name,
        "middleName": None,
        "lastName": "Lee",
        "suffix": None,
        "ssn": ssn,
        "dateOfBirth": dob,
        "gender": "MALE",
        "tobaccoUse": relationship == "SPOUSE",
        "disabled": False,
        "phone": None,
        "email": None,
        "coverage": [{"line": "MEDICAL"}, {"line": "DENTAL"}, {"line": "VISION"}],
    }


def family() -> list[dict[str, Any]]:
    """The five covered lives of ``samples/new-business.834``, as member-validation bodies."""
    return blue_heron_members()
