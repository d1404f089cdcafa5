"""REN-001 to REN-006 and REN-009 (business-rules.md 1.1): for each rule a body that breaks it and one that
passes, over Blue Heron's renewal of 2028-01-01 (api.md *Renewal*)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from groupsales.rules import OfferLine, RenewalFacts, RuleSettings, check_decision, check_offer, renewal_dates
from groupsales.rules import _base as rules_base

R = date(2028, 1, 1)
SOLD = {"12345KY0010001", "12345KY0010004", "12345KY0020001", "12345KY0030001"}


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


def facts(**changes) -> RenewalFacts:
    lines = {
        "MEDICAL": OfferLine(
            "MEDICAL",
            "AGE",
            {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"},
            {"12345KY0010001": "12345KY0010001", "12345KY0010002": "12345KY0010004"},
            frozenset({"12345KY0010001", "12345KY0010002"}),
        ),
        "DENTAL": OfferLine(
            "DENTAL",
            "AGE",
            {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"},
            {"12345KY0020001": "12345KY0020001"},
            frozenset({"12345KY0020001"}),
        ),
    }
    premiums = {
        ("E-001", "12345KY0010001"): Decimal("861.56"),
        ("E-001", "12345KY0010004"): Decimal("888.85"),
    }
    base = dict(
        today=date(2027, 10, 21),
        settings=RuleSettings(),
        renewal_date=R,
        status="OFFERED",
        lines=lines,
        plan_sold=lambda plan, line: plan in SOLD,
        composite_allowed=lambda plan: plan == "12345KY0010001",
        subscribers={"E-001": "12345KY0010001"},
        renewal_own_premium=lambda ref, plan: premiums.get((ref, plan)),
    )
    return RenewalFacts(**(base | changes))


def decision(kind: str = "RENEW_WITH_CHANGES", **changes) -> dict:
    body = {
        "renewalDate": "2028-01-01",
        "decision": kind,
        "documentSha256": "87e879f71905040be9b6419a02f61c18a7721e16bb7079eecd38d9adec3bf981",
        "employerSignature": {
            "signedBy": "Ann Lee",
            "title": "Owner",
            "email": "ann@example.com",
            "signedAt": "2027-10-20T15:00:00Z",
            "method": "ELECTRONIC",
        },
    }
    if kind == "RENEW_WITH_CHANGES":
        body["offerings"] = [
            {
                "line": "MEDICAL",
                "planIds": ["12345KY0010001", "12345KY0010004"],
                "ratingOption": "AGE",
                "contribution": {"basis": "PERCENT", "employee": "65.00", "dependents": "25.00"},
                "planMappings": [],
            },
            {
                "line": "DENTAL",
                "planIds": ["12345KY0020001"],
                "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"},
                "planMappings": [],
            },
        ]
    return body | changes


def codes(body, **fact_changes) -> list[tuple[str, str]]:
    today = fact_changes.get("today")
    if today is not None and isinstance(body.get("employerSignature"), dict):  # signed the day before
        body["employerSignature"]["signedAt"] = f"{date.fromordinal(today.toordinal() - 1)}T15:00:00Z"
    return [(v.code, v.pointer) for v in check_decision(body, facts=facts(**fact_changes))]


def test_the_api_md_example_passes_every_rule():
    assert codes(decision()) == []
    assert codes(decision("RENEW_AS_OFFERED")) == []
    assert codes(decision("DO_NOT_RENEW")) == []


def test_the_dates_come_from_the_settings():
    assert renewal_dates(R, RuleSettings()) == {
        "offerDate": date(2027, 10, 3),
        "decisionDeadline": date(2027, 12, 2),
        "enrollmentCutoff": date(2027, 12, 31),
    }
    shorter = RuleSettings.from_mapping({"renewal_decision_days": 45})
    assert renewal_dates(R, shorter)["decisionDeadline"] == date(2027, 11, 17)


@pytest.mark.parametrize(
    ("fact_changes", "body_changes", "pointer"),
    [
        ({"today": date(2027, 12, 3)}, {}, ""),  # the day after the deadline
        ({}, {"renewalDate": "2029-01-01"}, "/renewalDate"),
        ({"status": "UPCOMING", "today": date(2027, 10, 1)}, {}, ""),
        ({"status": "ACCEPTED", "employer_decided": False}, {}, ""),  # passive: no new decision
        ({"status": "ACCEPTED", "employer_decided": True, "locked": True}, {}, ""),
    ],
)
def test_ren_001_the_decision_window(fact_changes, body_changes, pointer):
    assert codes(decision(**body_changes), **fact_changes) == [("REN-001", pointer)]


def test_ren_001_passes_on_the_deadline_day_and_when_replacing_an_employer_decision():
    assert codes(decision(), today=date(2027, 12, 2)) == []
    assert codes(decision(), status="ACCEPTED", employer_decided=True) == []


def test_ren_002_reports_every_part_of_the_signature_at_once():
    body = decision(documentSha256="ABC")
    body["employerSignature"] = {
        "signedBy": " ",
        "title": "",
        "email": "ann@",
        "signedAt": "2027-09-01T15:00:00Z",  # 50 days before today
        "method": "WET_INK",
    }
    assert codes(body) == [
        ("REN-002", "/documentSha256"),
        ("REN-002", "/employerSignature/email"),
        ("REN-002", "/employerSignature/method"),
        ("REN-002", "/employerSignature/signedAt"),
        ("REN-002", "/employerSignature/signedBy"),
        ("REN-002", "/employerSignature/title"),
    ]


def test_ren_002_a_signature_in_the_future_and_a_missing_one():
    body = decision()
    body["employerSignature"]["signedAt"] = "2027-10-22T09:00:00Z"
    assert codes(body) == [("REN-002", "/employerSignature/signedAt")]
    assert codes(decision(employerSignature=None)) == [("REN-002", "/employerSignature")]


def test_ren_003_lines_plans_and_contributions():
    body = decision()
    medical, dental = body["offerings"]
    medical["planIds"] = ["12345KY0010001", "12345KY0019999", "12345KY0010004", "12345KY0010001"]
    medical["ratingOption"] = "COMPOSITE"
    dental["contribution"]["employee"] = "abc"
    body["offerings"].append({**copy.deepcopy(dental), "line": "VISION"})
    assert codes(body) == [
        ("REN-003", "/offerings/0/planIds/1"),
        ("REN-003", "/offerings/0/planIds/3"),
        ("REN-003", "/offerings/0/ratingOption"),
        ("REN-003", "/offerings/1/contribution/employee"),
        ("REN-003", "/offerings/2/line"),
    ]


def test_ren_003_too_many_plans_a_line_twice_and_no_line():
    body = decision()
    body["offerings"][1]["planIds"] = ["12345KY0020001", "12345KY0030001", "12345KY0010004"]
    body["offerings"].append(copy.deepcopy(body["offerings"][0]))
    found = codes(body)
    assert ("REN-003", "/offerings/1/planIds") in found and ("REN-003", "/offerings/2/line") in found
    assert codes(decision(offerings=[])) == [("REN-003", "/offerings")]


def test_ren_004_a_dropped_plan_needs_a_mapping_to_a_kept_plan():
    body = decision()
    body["offerings"][0]["planIds"] = ["12345KY0010001"]  # …0002's renewal plan …0004 is dropped
    assert codes(body) == [("REN-004", "/offerings/0/planMappings")]
    body["offerings"][0]["planMappings"] = [{"fromPlanId": "12345KY0010002", "toPlanId": "12345KY0010001"}]
    assert codes(body) == []
    body["offerings"][0]["planMappings"] = [{"fromPlanId": "12345KY0010009", "toPlanId": "12345KY0010004"}]
    assert codes(body) == [
        ("REN-004", "/offerings/0/planMappings"),
        ("REN-004", "/offerings/0/planMappings/0/fromPlanId"),
        ("REN-004", "/offerings/0/planMappings/0/toPlanId"),
    ]


def test_ren_004_renew_as_offered_needs_a_renewal_plan_for_every_plan_with_members():
    lines = facts().lines | {
        "MEDICAL": OfferLine(
            "MEDICAL",
            "AGE",
            {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"},
            {"12345KY0010001": None, "12345KY0010002": "12345KY0010004"},
            frozenset({"12345KY0010001"}),
        )
    }
    assert codes(decision("RENEW_AS_OFFERED"), lines=lines) == [("REN-004", "/decision")]
    body = decision()
    body["offerings"][0]["planMappings"] = [{"fromPlanId": "12345KY0010001", "toPlanId": "12345KY0010004"}]
    assert codes(body, lines=lines) == []


def test_ren_005_a_changed_medical_contribution_meets_the_minimum_on_renewal_rates():
    body = decision()
    # the minimum is 50% of the cheapest own premium on the renewal rates (861.56 → 430.78): exactly met
    body["offerings"][0]["contribution"]["employee"] = "50.00"
    assert codes(body) == []
    body["offerings"][0]["contribution"] = {"basis": "FLAT", "employee": "430.00", "dependents": "0.00"}
    found = check_decision(body, facts=facts())
    assert [(v.code, v.pointer, v.member_ref) for v in found] == [
        ("REN-005", "/offerings/0/contribution/employee", "E-001")
    ]


def test_ren_005_an_unchanged_contribution_is_kept():
    body = decision()
    body["offerings"][0]["contribution"] = {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"}
    low = facts().lines["MEDICAL"]
    lines = facts().lines | {
        "MEDICAL": OfferLine(
            "MEDICAL",
            "AGE",
            {"basis": "FLAT", "employee": "1.00", "dependents": "0.00"},
            low.renewal_plans,
            low.plans_with_members,
        )
    }
    body["offerings"][0]["contribution"] = {"basis": "FLAT", "employee": "1.00", "dependents": "0.00"}
    assert codes(body, lines=lines) == []


def offer(current: str, renewal: str, *, renewal_plan: str | None = "12345KY0010001") -> dict:
    return {
        "lines": [
            {
                "line": "MEDICAL",
                "plans": [
                    {
                        "currentPlanId": "12345KY0010001",
                        "renewalPlanId": renewal_plan,
                        "members": [{"memberRef": "E-001"}],
                    }
                ],
            }
        ],
        "totals": {"currentMonthlyPremium": current, "renewalMonthlyPremium": renewal, "changePercent": "x"},
    }


def test_ren_006_a_plan_with_members_and_no_renewal_plan_is_a_warning():
    found = check_offer(offer("100.00", "100.00", renewal_plan=None), settings=RuleSettings())
    assert [(v.code, v.pointer, v.severity) for v in found] == [
        ("REN-006", "/offer/lines/0/plans/0", "warning")
    ]
    assert check_offer(offer("100.00", "100.00"), settings=RuleSettings()) == []


def test_ren_009_the_large_increase_threshold_is_data():
    assert [v.code for v in check_offer(offer("100.00", "115.00"), settings=RuleSettings())] == ["REN-009"]
    assert check_offer(offer("100.00", "114.99"), settings=RuleSettings()) == []
    higher = RuleSettings.from_mapping({"renewal_large_increase": "0.20"})
    assert check_offer(offer("100.00", "115.00"), settings=higher) == []
