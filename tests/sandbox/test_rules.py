"""Every rule ID of business-rules.md through the sandbox's HTTP API: one request that breaks it, one that
passes it. (FIL rules are in test_files.py; the rules' own edge cases in tests/groupsales.)"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.models import RuleThresholds
from tests.carrier import payloads

from .conftest import Api, codes

pytestmark = pytest.mark.django_db


def at(body: dict, path: str, value: Any) -> dict:
    """``body`` with ``value`` at a slash path (list indexes as numbers)."""
    body = copy.deepcopy(body)
    *parents, last = path.split("/")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


GROUP = payloads.create_group()
# code: (breaks it, passes it) — each a create body
CREATE_CASES: dict[str, tuple[dict, dict]] = {
    "GRP-001": (at(GROUP, "employer/legalName", "Blue~Heron LLC"), at(GROUP, "employer/legalName", "Heron & Sons, Inc. #2")),
    "GRP-002": (at(GROUP, "employer/fein", "001234567"), at(GROUP, "employer/fein", "121234567")),
    "GRP-003": (at(GROUP, "employer/sicCode", "7361"), at(GROUP, "employer/sicCode", "5812")),
    "GRP-004": (at(GROUP, "employer/address/line1", "PO Box 12"), at(GROUP, "employer/address/line1", "100 Main St Ste 2")),
    "GRP-006": (at(GROUP, "employer/establishedDate", "2027-06-01"), at(GROUP, "employer/establishedDate", "2026-11-22")),
    "GRP-007": (at(GROUP, "requestedEffectiveDate", "2027-01-15"), at(GROUP, "requestedEffectiveDate", "2027-02-01")),
    "GRP-008": (at(GROUP, "workforce/eligibleEmployees", 4), at(GROUP, "workforce", {"totalEmployees": 50, "eligibleEmployees": 50})),
    "GRP-009": (at(GROUP, "eligibility/minimumHoursPerWeek", 10), at(GROUP, "eligibility/minimumHoursPerWeek", 20)),
    "GRP-010": (at(GROUP, "offerings/1/planIds", ["12345KY0020001", "99999KY9999999"]), at(GROUP, "offerings/0/planIds", ["12345KY0010002"])),
    "GRP-011": (at(GROUP, "offerings/0/contribution/employee", "120.00"), at(GROUP, "offerings/0/contribution/employee", "100.00")),
    "GRP-012": (at(GROUP, "contact/email", "ann-at-example.com"), at(GROUP, "contact/email", "ann.lee+hr@example.co.uk")),
    "AGT-001": (at(GROUP, "writingAgent/npn", "12345678901"), at(GROUP, "writingAgent/npn", "1")),
    "AGT-002": (at(GROUP, "writingAgent/npn", "99999999"), at(GROUP, "writingAgent/npn", "17012345")),
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(CREATE_CASES))
def test_it_checks_each_create_rule(api: Api, code: str):
    broken, passing = CREATE_CASES[code]
    refused = api.post("/groups", broken)
    assert refused.status_code == 422, refused.json()
    assert code in codes(refused)
    accepted = api.post("/groups", passing)
    assert accepted.status_code == 201, accepted.json()


def test_it_checks_grp_005_against_the_electronic_states_kept_as_data(api: Api):
    assert api.post("/groups", GROUP).status_code == 201
    RuleThresholds.objects.create(
        values={"electronic_states": {"MEDICAL": ["OH", "TN"]}}, note="KY: no medical"
    )
    refused = api.post("/groups", GROUP)
    assert refused.status_code == 422
    assert ("GRP-005", "/offerings/0/line") in {(e["code"], e["pointer"]) for e in refused.json()["errors"]}
    without_medical = copy.deepcopy(GROUP)
    without_medical["offerings"] = GROUP["offerings"][1:]
    assert api.post("/groups", without_medical).status_code == 201


def test_it_checks_the_rules_again_on_patch_and_keeps_the_group_unchanged(api: Api):
    group_id = api.create()
    refused = api.patch(f"/groups/{group_id}", {"employer": {"sicCode": "8811"}})
    assert refused.status_code == 422 and "GRP-003" in codes(refused)
    assert api.get(f"/groups/{group_id}").json()["employer"]["sicCode"] == "5461"


# --------------------------------------------------------------------------- member validation

ANN = payloads.member()
FAMILY = payloads.family()
SPOUSE, MAYA, NOAH, LUIS = FAMILY[1], FAMILY[2], FAMILY[3], FAMILY[4]
SECOND_SPOUSE = {**SPOUSE, "memberRef": "E-001-S2", "firstName": "Dan", "ssn": "123456784"}
OLD_CHILD = {**MAYA, "memberRef": "E-001-C3", "ssn": "123456785"}

# code: (bodies validated first, the body that breaks it, the body that passes it)
MEMBER_CASES: dict[str, tuple[list[dict], dict, dict]] = {
    "MBR-001": ([], at(ANN, "firstName", "Ann3"), at(ANN, "firstName", "Ánn-Marie")),
    "MBR-002": ([], at(ANN, "ssn", "666123456"), ANN),
    "MBR-003": ([], at(ANN, "dateOfBirth", "2015-01-01"), at(ANN, "dateOfBirth", "2010-12-31")),
    "MBR-004": ([], at(ANN, "gender", "X"), at(ANN, "gender", "UNKNOWN")),
    "MBR-005": ([ANN], at(OLD_CHILD, "dateOfBirth", "2000-12-31"), at(OLD_CHILD, "dateOfBirth", "2001-01-02")),
    "MBR-006": ([ANN, SPOUSE], SECOND_SPOUSE, SPOUSE),
    "MBR-007": ([], at(ANN, "address/zip5", "4020"), at(ANN, "address/zip4", "1234")),
    "MBR-008": ([], at(ANN, "employment/hoursPerWeek", 10), at(ANN, "employment/hoursPerWeek", 30)),
    "MBR-009": ([], at(ANN, "coverage/0/planId", "12345KY0010009"), at(ANN, "coverage/0/planId", "12345KY0010002")),
    "MBR-010": ([at(ANN, "coverage/0/coverageTier", "ECH")], SPOUSE, MAYA),
    "MBR-011": ([at(ANN, "coverage/1", {"line": "DENTAL", "waived": True, "waiverReason": "MEDICARE"})],
                MAYA, at(MAYA, "coverage", [{"line": "MEDICAL"}, {"line": "VISION"}])),
    "MBR-012": ([], at(LUIS, "coverage/1/waiverReason", "BORED"), at(LUIS, "coverage/1/waiverReason", "OTHER")),
    "MBR-013": ([], at(ANN, "tobaccoUse", None), at(ANN, "tobaccoUse", True)),
    "MBR-014": ([ANN], at(LUIS, "ssn", ANN["ssn"]), LUIS),
    "MBR-015": ([], at(ANN, "coverage", ANN["coverage"][:2]), ANN),
    "MBR-020": ([], SPOUSE, ANN),
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(MEMBER_CASES))
def test_it_checks_each_member_rule(api: Api, code: str):
    before, broken, passing = MEMBER_CASES[code]
    group_id = api.create()
    for body in before:
        ok = api.post(f"/groups/{group_id}/member-validations", body)
        assert ok.status_code == 200, ok.json()
    refused = api.post(f"/groups/{group_id}/member-validations", broken)
    assert refused.status_code == 422, refused.json()
    assert code in codes(refused)
    accepted = api.post(f"/groups/{group_id}/member-validations", passing)
    assert accepted.status_code == 200, accepted.json()


def test_it_keeps_the_earlier_validation_when_a_revalidation_fails(api: Api):
    group_id = api.create()
    api.validate_family(group_id)
    assert api.post(f"/groups/{group_id}/member-validations", at(ANN, "ssn", "000000000")).status_code == 422
    listed = {v["memberRef"]: v for v in api.get(f"/groups/{group_id}/member-validations").json()["items"]}
    assert listed["E-001"]["valid"] is True


def test_it_takes_a_dropped_line_from_the_dependents(api: Api):
    group_id = api.create()
    api.validate_family(group_id)
    vision_waived = at(ANN, "coverage/2", {"line": "VISION", "waived": True, "waiverReason": "MEDICARE"})
    assert api.post(f"/groups/{group_id}/member-validations", vision_waived).status_code == 200
    only_vision = at(SPOUSE, "coverage", [{"line": "VISION"}])
    # a dependent covered only on the dropped line is no longer valid (MBR-011)
    group_id2 = api.create()
    api.validate_family(group_id2, [ANN, only_vision])
    api.post(f"/groups/{group_id2}/member-validations", vision_waived)
    listed = {v["memberRef"]: v for v in api.get(f"/groups/{group_id2}/member-validations").json()["items"]}
    assert listed["E-001-S"]["valid"] is False
    assert [e["code"] for e in listed["E-001-S"]["errors"]] == ["MBR-011"]


def test_it_validates_subscribers_before_dependents_in_a_batch_and_answers_in_order(api: Api):
    group_id = api.create()
    members = list(reversed(FAMILY))
    result = api.post(f"/groups/{group_id}/member-validations/batch", {"members": members}).json()["results"]
    assert [r["memberRef"] for r in result] == [m["memberRef"] for m in members]
    assert all(r["valid"] for r in result)


# --------------------------------------------------------------------------- finalize

FEBRUARY = at(GROUP, "requestedEffectiveDate", "2027-02-01")  # outside the open-enrollment exception


def _finalize(api: Api, body: dict, members: list[dict]) -> Any:
    group_id = api.create(body)
    if members:
        api.validate_family(group_id, members)
    return api.post(f"/groups/{group_id}/finalize", {})


def _waive(member: dict, line_index: int, line: str) -> dict:
    return at(member, f"coverage/{line_index}", {"line": line, "waived": True, "waiverReason": "MEDICARE"})


ANN_ESP = at(
    at(at(ANN, "coverage/0/coverageTier", "ESP"), "coverage/1/coverageTier", "ESP"),
    "coverage/2/coverageTier",
    "ESP",
)
ANN_NO_VISION = _waive(ANN, 2, "VISION")
LUIS_NO_VISION = LUIS
SPOUSE_NO_VISION = at(SPOUSE, "coverage", [{"line": "MEDICAL"}, {"line": "DENTAL"}])
# code: (group body, members) that break it; the passing case is the unchanged Blue Heron group
FINALIZE_CASES: dict[str, tuple[dict, list[dict]]] = {
    "GRP-008": (at(GROUP, "workforce/eligibleEmployees", 1), FAMILY),
    "GRP-013": (GROUP, FAMILY[:4]),
    "GRP-014": (at(GROUP, "smallEmployerAttestation", None), FAMILY),
    "GRP-020": (at(FEBRUARY, "workforce", {"totalEmployees": 4, "eligibleEmployees": 4}), FAMILY),
    "GRP-021": (at(FEBRUARY, "workforce", {"totalEmployees": 4, "eligibleEmployees": 3}), FAMILY),
    "GRP-022": (at(FEBRUARY, "offerings/0/contribution/employee", "10.00"), FAMILY),
    "GRP-023": (GROUP, [ANN_NO_VISION, SPOUSE_NO_VISION, *[at(m, "coverage", m["coverage"][:2]) for m in FAMILY[2:4]], LUIS]),
    "GRP-030": (GROUP, []),
    "GRP-031": (GROUP, FAMILY[:2] + FAMILY[4:]),
    "GRP-900": (at(GROUP, "employer/fein", "951234567"), FAMILY),
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(FINALIZE_CASES))
def test_it_checks_each_finalize_rule(api: Api, code: str):
    body, members = FINALIZE_CASES[code]
    refused = _finalize(api, body, members)
    assert refused.status_code == 422, refused.json()
    assert code in codes(refused)
    accepted = _finalize(api, GROUP, FAMILY)
    assert accepted.status_code == 200, accepted.json()
    assert code not in str(accepted.json())


def test_it_checks_grp_007_again_at_finalize(api: Api, settings):
    group_id = api.create()
    api.validate_family(group_id)
    settings.SANDBOX_TODAY = "2027-01-05"  # the effective date has passed
    refused = api.post(f"/groups/{group_id}/finalize", {})
    assert refused.status_code == 422 and "GRP-007" in codes(refused)
    settings.SANDBOX_TODAY = "2026-11-30"
    assert api.post(f"/groups/{group_id}/finalize", {}).status_code == 200


def test_it_waives_participation_and_contribution_in_the_open_enrollment_window(api: Api):
    """Created 2026-11-23 for 1 January: GRP-020/021/022 do not apply; in February they do."""
    low = {"totalEmployees": 4, "eligibleEmployees": 4}
    assert _finalize(api, at(GROUP, "workforce", low), FAMILY).status_code == 200
    assert "GRP-020" in codes(_finalize(api, at(FEBRUARY, "workforce", low), FAMILY))


def test_it_computes_the_final_rates_of_the_api_example(api: Api):
    group_id = api.create()
    api.validate_family(group_id)
    final = api.post(f"/groups/{group_id}/finalize", {}).json()
    medical = next(r for r in final["finalRates"] if r["line"] == "MEDICAL")
    assert medical["ratingMethod"] == "AGE"
    assert [(m["memberRef"], m["age"]) for m in medical["members"]] == [
        ("E-001", 46), ("E-001-S", 47), ("E-001-C1", 16), ("E-001-C2", 0), ("E-002", 31)
    ]  # fmt: skip
    dental = next(r for r in final["finalRates"] if r["line"] == "DENTAL")
    assert dental["ratingMethod"] == "TIER" and dental["members"] is None
    assert final["participation"][0] == {"line": "MEDICAL", "eligible": 2, "enrolled": 2, "validWaivers": 0,
                                         "percent": "100.00"}  # fmt: skip
    assert (
        final["totalMonthlyPremium"]
        == f"{sum(float(r['totalMonthlyPremium']) for r in final['finalRates']):.2f}"
    )
    detail = api.get(f"/groups/{group_id}").json()
    assert detail["status"] == "FINALIZED" and detail["finalRates"] == final["finalRates"]


def test_it_refuses_patches_and_new_members_after_finalize(api: Api):
    group_id = api.finalized()
    assert api.patch(f"/groups/{group_id}", {"employer": {"dbaName": None}}).status_code == 409
    newcomer = at(at(LUIS, "memberRef", "E-003"), "subscriberRef", "E-003")
    late = api.post(f"/groups/{group_id}/member-validations", at(newcomer, "ssn", "123456786"))
    assert late.status_code == 409 and codes(late) == ["INVALID_STATE"]
    again = api.post(f"/groups/{group_id}/member-validations", LUIS)
    assert again.status_code == 200  # corrections of known members are allowed
    assert api.post(f"/groups/{group_id}/finalize", {}).status_code == 409


def test_it_guards_patches_while_members_are_validated(api: Api):
    group_id = api.create()
    api.validate_family(group_id)
    moved = api.patch(f"/groups/{group_id}", {"requestedEffectiveDate": "2027-02-01"})
    assert moved.status_code == 409
    elected_plan_removed = copy.deepcopy(GROUP["offerings"])
    elected_plan_removed[0]["planIds"] = ["12345KY0010002"]
    assert api.patch(f"/groups/{group_id}", {"offerings": elected_plan_removed}).status_code == 409


RULE_IDS_TESTED_HERE = set(CREATE_CASES) | set(MEMBER_CASES) | set(FINALIZE_CASES) | {"GRP-005", "GRP-007"}
Checker = Callable[[Api], None]
