"""api.md's request shapes, as data: required fields, types and code lists, reported as ``SCHEMA``.

A spec is a dict (an object: field -> spec), a one-item list (an array of that spec), a tuple of allowed
values (a code list), or a type name: ``str``, ``int``, ``bool``, ``date``, ``datetime``, ``money``.
A trailing ``?`` (or ``NULLABLE`` around a dict) allows null; a leading ``~`` makes the field optional.
Unknown fields are ignored (api.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from groupsales.codes import (
    ContributionBasis,
    EmploymentStatus,
    EntityType,
    Gender,
    Line,
    MaritalStatus,
    RatingOption,
    Relationship,
    Tier,
    WaitingPeriod,
    WaiverReason,
)

from .http import error


def _codes(enum: Any) -> tuple[str, ...]:
    return tuple(item.value for item in enum)


class Nullable:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec


ADDRESS = {
    "line1": "str",
    "line2": "str?",
    "city": "str",
    "state": "str",
    "zip5": "str",
    "zip4": "str?",
    "countyFips": "str",
}
CONTRIBUTION = {"basis": _codes(ContributionBasis), "employee": "money", "dependents": "money"}
GROUP = {
    "employer": {
        "legalName": "str",
        "~dbaName": "str?",
        "fein": "str",
        "sicCode": "str",
        "entityType": _codes(EntityType),
        "establishedDate": "date",
        "address": ADDRESS,
        "phone": "str",
    },
    "contact": {"firstName": "str", "lastName": "str", "email": "str", "phone": "str"},
    "writingAgent": {"npn": "str", "firstName": "str", "lastName": "str", "email": "str"},
    "requestedEffectiveDate": "date",
    "workforce": {"totalEmployees": "int", "eligibleEmployees": "int"},
    "eligibility": {"minimumHoursPerWeek": "int", "waitingPeriod": _codes(WaitingPeriod)},
    "offerings": [
        {
            "line": _codes(Line),
            "planIds": ["str"],
            "~ratingOption": _codes(RatingOption),
            "contribution": CONTRIBUTION,
        }
    ],
    "~smallEmployerAttestation": Nullable({"signedBy": "str", "title": "str", "signedAt": "datetime"}),
    "census": [
        {
            "memberRef": "str",
            "dateOfBirth": "date",
            "gender": _codes(Gender),
            "zip5": "str",
            "tobaccoUse": "bool",
            "isOwner": "bool",
            "isOwnerSpouse": "bool",
            "coverageTier": (*_codes(Tier), "WAIVE"),
            "~dependents": [
                {"relationship": _codes(Relationship), "dateOfBirth": "date", "tobaccoUse": "bool"}
            ],
        }
    ],
}
COVERAGE = {
    "line": _codes(Line),
    "~planId": "str?",
    "~coverageTier": (*_codes(Tier), None),
    "~waived": "bool?",
    "~waiverReason": (*_codes(WaiverReason), None),
}
MEMBER = {
    "memberRef": "ref",
    "subscriberRef": "ref",
    "relationship": _codes(Relationship),
    "firstName": "str",
    "~middleName": "str?",
    "lastName": "str",
    "~suffix": "str?",
    "ssn": "str?",
    "dateOfBirth": "date",
    "gender": _codes(Gender),
    "~maritalStatus": (*_codes(MaritalStatus), None),
    "~tobaccoUse": "bool?",
    "~disabled": "bool?",
    "~isOwner": "bool?",
    "~isOwnerSpouse": "bool?",
    "~address": Nullable(ADDRESS),
    "~phone": "str?",
    "~email": "str?",
    "~employment": Nullable({"hireDate": "date", "hoursPerWeek": "int", "status": _codes(EmploymentStatus)}),
    "coverage": [COVERAGE],
}
SUBSCRIBER_ONLY = ("address", "employment", "maritalStatus", "isOwner", "isOwnerSpouse")

MEMBER_REF = re.compile(r"^[A-Z0-9-]{1,30}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _check(value: Any, spec: Any, pointer: str, out: list[dict[str, Any]]) -> None:
    if isinstance(spec, Nullable):
        if value is not None:
            _check(value, spec.spec, pointer, out)
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            out.append(error("SCHEMA", "An object is expected here.", pointer))
            return
        for name, sub in spec.items():
            optional = name.startswith("~")
            name = name.lstrip("~")
            where = f"{pointer}/{_escape(name)}"
            if name not in value:
                if not optional:
                    out.append(error("SCHEMA", f"{name} is required.", where))
                continue
            _check(value[name], sub, where, out)
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            out.append(error("SCHEMA", "An array is expected here.", pointer))
            return
        for index, item in enumerate(value):
            _check(item, spec[0], f"{pointer}/{index}", out)
        return
    if isinstance(spec, tuple):
        if value not in spec:
            allowed = ", ".join(str(v) for v in spec if v is not None)
            out.append(error("SCHEMA", f"The value must be one of {allowed}.", pointer))
        return
    nullable = spec.endswith("?")
    kind = spec.rstrip("?")
    if value is None:
        if not nullable:
            out.append(error("SCHEMA", "A value is required here (not null).", pointer))
        return
    if not _fits(value, kind):
        out.append(error("SCHEMA", _EXPECTED[kind], pointer))


_EXPECTED = {
    "str": "A string is expected here.",
    "ref": "A reference of 1 to 30 capital letters, digits or hyphens is expected here.",
    "int": "A whole number is expected here.",
    "bool": "true or false is expected here.",
    "date": "A date YYYY-MM-DD is expected here.",
    "datetime": "A timestamp like 2026-11-23T15:00:00Z is expected here.",
    "money": 'An amount as a string with two decimals ("412.50") is expected here.',
}


def _fits(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "ref":
        return isinstance(value, str) and bool(MEMBER_REF.match(value))
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "money":
        return isinstance(value, str) and bool(MONEY.match(value))
    if not isinstance(value, str):
        return False
    try:
        if kind == "date":
            date.fromisoformat(value)
            return len(value) == 10
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def schema_errors(body: Any, spec: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    _check(body, spec, "", out)
    return out


def group_schema_errors(body: Any) -> list[dict[str, Any]]:
    return schema_errors(body, GROUP)


def member_schema_errors(body: Any) -> list[dict[str, Any]]:
    out = schema_errors(body, MEMBER)
    if isinstance(body, dict) and body.get("relationship") == "SUBSCRIBER":
        for name in ("address", "employment"):
            if body.get(name) is None and not any(e["pointer"] == f"/{name}" for e in out):
                out.append(error("SCHEMA", f"{name} is required for a subscriber.", f"/{name}"))
    return out


def merge(rule_errors: list[dict[str, Any]], schema: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rule error, then every schema error except a missing field that a rule already names.

    A wrong type or a value outside its list is always reported as SCHEMA (api.md), beside any rule
    that the same value breaks; a missing required field is reported once, by its rule when it has one.
    """
    taken = {e["pointer"] for e in rule_errors}
    kept = [
        e
        for e in schema
        if not (e["pointer"] in taken and e["message"].endswith(("is required.", "(not null).")))
    ]
    return rule_errors + kept
