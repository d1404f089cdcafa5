"""api.md's example bodies (Blue Heron Bakery), as the carrier tests send and receive them."""

from __future__ import annotations

import copy
from typing import Any

CREATE_GROUP: dict[str, Any] = {
    "employer": {
        "legalName": "Blue Heron Bakery LLC",
        "dbaName": "Blue Heron",
        "fein": "123456789",
        "sicCode": "5461",
        "entityType": "LLC",
        "establishedDate": "2014-03-01",
        "address": {
            "line1": "100 Main St",
            "line2": None,
            "city": "Louisville",
            "state": "KY",
            "zip5": "40202",
            "zip4": None,
            "countyFips": "21111",
        },
        "phone": "5025550100",
    },
    "contact": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "5025550101"},
    "writingAgent": {
        "npn": "17012345",
        "firstName": "Sam",
        "lastName": "Ortiz",
        "email": "sam@agency.example",
    },
    "requestedEffectiveDate": "2027-01-01",
    "workforce": {"totalEmployees": 3, "eligibleEmployees": 2},
    "eligibility": {"minimumHoursPerWeek": 30, "waitingPeriod": "FIRST_OF_MONTH_AFTER_30_DAYS"},
    "offerings": [
        {
            "line": "MEDICAL",
            "planIds": ["12345KY0010001", "12345KY0010002"],
            "ratingOption": "AGE",
            "contribution": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"},
        },
        {
            "line": "DENTAL",
            "planIds": ["12345KY0020001"],
            "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"},
        },
        {
            "line": "VISION",
            "planIds": ["12345KY0030001"],
            "contribution": {"basis": "PERCENT", "employee": "100.00", "dependents": "0.00"},
        },
    ],
    "smallEmployerAttestation": {"signedBy": "Ann Lee", "title": "Owner", "signedAt": "2026-11-23T15:00:00Z"},
    "census": [
        {
            "memberRef": "E-001",
            "dateOfBirth": "1980-05-02",
            "gender": "FEMALE",
            "zip5": "40202",
            "tobaccoUse": False,
            "isOwner": True,
            "isOwnerSpouse": False,
            "coverageTier": "FAM",
            "dependents": [
                {"relationship": "SPOUSE", "dateOfBirth": "1979-11-30", "tobaccoUse": True},
                {"relationship": "CHILD", "dateOfBirth": "2010-06-05", "tobaccoUse": False},
                {"relationship": "CHILD", "dateOfBirth": "2026-07-02", "tobaccoUse": False},
            ],
        },
        {
            "memberRef": "E-002",
            "dateOfBirth": "1995-07-22",
            "gender": "MALE",
            "zip5": "40204",
            "tobaccoUse": False,
            "isOwner": False,
            "isOwnerSpouse": False,
            "coverageTier": "EMP",
            "dependents": [],
        },
    ],
}

CREATED = {
    "groupId": "104233",
    "status": "CREATED",
    "ratingAreaId": "KY-RA02",
    "createdAt": "2026-11-23T15:05:00Z",
    "estimatedRates": [{"planId": "12345KY0010001", "line": "MEDICAL", "estimatedMonthlyPremium": "3143.30"}],
}

ANN = {
    "memberRef": "E-001",
    "subscriberRef": "E-001",
    "relationship": "SUBSCRIBER",
    "firstName": "Ann",
    "middleName": None,
    "lastName": "Lee",
    "suffix": None,
    "ssn": "123456789",
    "dateOfBirth": "1980-05-02",
    "gender": "FEMALE",
    "maritalStatus": "MARRIED",
    "tobaccoUse": False,
    "disabled": False,
    "isOwner": True,
    "isOwnerSpouse": False,
    "address": {
        "line1": "100 Main St",
        "line2": None,
        "city": "Louisville",
        "state": "KY",
        "zip5": "40202",
        "zip4": None,
        "countyFips": "21111",
    },
    "phone": "5025550111",
    "email": "ann@example.com",
    "employment": {"hireDate": "2019-06-10", "hoursPerWeek": 40, "status": "FULL_TIME"},
    "coverage": [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "FAM"},
        {"line": "DENTAL", "planId": "12345KY0020001", "coverageTier": "FAM"},
        {"line": "VISION", "planId": "12345KY0030001", "coverageTier": "FAM"},
    ],
}

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
    luis = member(
        memberRef="E-002",
        subscriberRef="E-002",
        firstName="Luis",
        lastName="Ortiz",
        ssn="123456782",
        dateOfBirth="1995-07-22",
        gender="MALE",
        maritalStatus="SINGLE",
        isOwner=False,
        address={
            "line1": "9 Oak Ave",
            "line2": None,
            "city": "Louisville",
            "state": "KY",
            "zip5": "40204",
            "zip4": None,
            "countyFips": "21111",
        },
        phone=None,
        email=None,
        employment={"hireDate": "2024-07-01", "hoursPerWeek": 40, "status": "FULL_TIME"},
        coverage=[
            {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
            {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
            {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
        ],
    )
    maya = dependent("E-001-C1", "CHILD", "Maya", "123456781", "2010-06-05")
    maya["gender"] = "FEMALE"
    return [
        member(),
        dependent("E-001-S", "SPOUSE", "David", "123456780", "1979-11-30"),
        maya,
        dependent("E-001-C2", "CHILD", "Noah", None, "2026-07-02"),
        luis,
    ]
