"""api.md *Maintenance*'s example bodies (Blue Heron's year after enrollment), for the 1.1 tests."""

from __future__ import annotations

import copy
from typing import Any

from groupsales.rules.testing import blue_heron_members

PRIYA: dict[str, Any] = {
    "memberRef": "E-003", "subscriberRef": "E-003", "relationship": "SUBSCRIBER",
    "firstName": "Priya", "middleName": None, "lastName": "Shah", "suffix": None,
    "ssn": "123456783", "dateOfBirth": "1990-02-14", "gender": "FEMALE", "maritalStatus": "SINGLE",
    "tobaccoUse": False, "disabled": False, "isOwner": False, "isOwnerSpouse": False,
    "address": {"line1": "22 Elm St", "line2": None, "city": "Louisville", "state": "KY", "zip5": "40205",
                "zip4": None, "countyFips": "21111"},
    "phone": "5025550133", "email": None,
    "employment": {"hireDate": "2027-03-15", "hoursPerWeek": 40, "status": "FULL_TIME"},
    "coverage": [
        {"line": "MEDICAL", "planId": "12345KY0010002", "coverageTier": "ECH"},
        {"line": "DENTAL", "planId": "12345KY0020001", "coverageTier": "ECH"},
        {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
    ],
    "event": {"type": "NEW_HIRE", "action": "ADD", "date": "2027-03-15"},
}  # fmt: skip
ARJUN: dict[str, Any] = {
    "memberRef": "E-003-C1", "subscriberRef": "E-003", "relationship": "CHILD", "firstName": "Arjun",
    "middleName": None, "lastName": "Shah", "suffix": None, "ssn": "123456784", "dateOfBirth": "2018-09-03",
    "gender": "MALE", "tobaccoUse": False, "disabled": False, "phone": None, "email": None,
    "coverage": [{"line": "MEDICAL"}, {"line": "DENTAL"}],
    "event": {"type": "NEW_HIRE", "action": "ADD", "date": "2027-03-15"},
}  # fmt: skip


def priya(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(PRIYA), **changes}


def arjun(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ARJUN), **changes}


def enrolled(member_ref: str, event: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A Blue Heron member's enrollment body, with an ``event`` and changes."""
    body = next(copy.deepcopy(b) for b in blue_heron_members() if b["memberRef"] == member_ref)
    body.update(changes)
    if event is not None:
        body["event"] = event
    return body


def event(kind: str, action: str, day: str) -> dict[str, str]:
    return {"type": kind, "action": action, "date": day}
