"""api.md's example families (Blue Heron Bakery: Ann Lee with spouse and two children, Luis Ortiz) as
Member fields and elections: the demo data and the tests use the same people."""

from __future__ import annotations

from datetime import date
from typing import Any

ANN = {
    "member_ref": "E-001",
    "first_name": "Ann",
    "last_name": "Lee",
    "ssn": "123456789",
    "date_of_birth": date(1980, 5, 2),
    "gender": "FEMALE",
    "marital_status": "MARRIED",
    "tobacco_use": False,
    "disabled": False,
    "is_owner": True,
    "is_owner_spouse": False,
    "address_line1": "100 Main St",
    "city": "Louisville",
    "state": "KY",
    "zip5": "40202",
    "county_fips": "21111",
    "phone": "5025550111",
    "email": "ann@example.com",
    "hire_date": date(2019, 6, 10),
    "hours_per_week": 40,
    "employment_status": "FULL_TIME",
}
ANN_DEPENDENTS = [
    {
        "member_ref": "E-001-S",
        "relationship": "SPOUSE",
        "first_name": "David",
        "last_name": "Lee",
        "ssn": "123456780",
        "date_of_birth": date(1979, 11, 30),
        "gender": "MALE",
        "tobacco_use": True,
    },
    {
        "member_ref": "E-001-C1",
        "relationship": "CHILD",
        "first_name": "Maya",
        "last_name": "Lee",
        "ssn": "123456781",
        "date_of_birth": date(2010, 6, 5),
        "gender": "FEMALE",
        "tobacco_use": False,
    },
    {
        "member_ref": "E-001-C2",
        "relationship": "CHILD",
        "first_name": "Noah",
        "last_name": "Lee",
        "ssn": "",
        "date_of_birth": date(2026, 7, 2),
        "gender": "MALE",
        "tobacco_use": False,
    },
]
ANN_ELECTIONS: dict[str, dict[str, Any]] = {
    "MEDICAL": {"plan_id": "12345KY0010001"},
    "DENTAL": {"plan_id": "12345KY0020001"},
    "VISION": {"plan_id": "12345KY0030001"},
}
LUIS = {
    "member_ref": "E-002",
    "first_name": "Luis",
    "last_name": "Ortiz",
    "ssn": "123456782",
    "date_of_birth": date(1995, 7, 22),
    "gender": "MALE",
    "marital_status": "SINGLE",
    "tobacco_use": False,
    "address_line1": "9 Oak Ave",
    "city": "Louisville",
    "state": "KY",
    "zip5": "40204",
    "county_fips": "21111",
    "hire_date": date(2024, 7, 1),
    "hours_per_week": 40,
    "employment_status": "FULL_TIME",
}
LUIS_ELECTIONS: dict[str, dict[str, Any]] = {
    "MEDICAL": {"plan_id": "12345KY0010001"},
    "DENTAL": {"waived": True, "waiver_reason": "OTHER_GROUP_COVERAGE"},
    "VISION": {"waived": True, "waiver_reason": "OTHER_GROUP_COVERAGE"},
}
