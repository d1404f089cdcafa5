"""MNT-001..MNT-011 at validation (business-rules.md 1.1) over api.md's Blue Heron bodies: each rule with a
body that breaks it and one that passes; every failure is reported at once; the computed dates."""

from __future__ import annotations

from datetime import date

import pytest

from groupsales.rules import RosterFacts, check_change
from groupsales.rules import _base as rules_base
from groupsales.rules.testing import blue_heron_context, blue_heron_group, blue_heron_members
from tests.maintenance.bodies import enrolled, event, priya

START = date(2027, 1, 1)
PLANS = {"MEDICAL": "12345KY0010001", "DENTAL": "12345KY0020001", "VISION": "12345KY0030001"}


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


def roster(**ended: dict) -> dict[str, RosterFacts]:
    """Blue Heron as enrolled on 2027-01-01; ``ended``: memberRef -> RosterFacts fields to change."""
    out = {}
    members = blue_heron_members()
    tiers = {"E-001": "FAM", "E-002": "EMP"}
    for body in members:
        ref, sub = body["memberRef"], body["subscriberRef"]
        lines = {c["line"]: (PLANS[c["line"]], tiers[sub]) for c in body["coverage"] if not c.get("waived")}
        facts = {
            "member_ref": ref,
            "subscriber_ref": sub,
            "relationship": body["relationship"],
            "coverage_start": START,
            "lines": lines,
            "body": body,
            **ended.get(ref.replace("-", "_"), {}),
        }
        out[ref] = RosterFacts(**facts)
    return out


def run(body, *, today="2027-03-22", status="ENROLLED", held=None, subscriber=None, **kw):
    members = {b["memberRef"]: b for b in blue_heron_members()}
    if subscriber is None and body["relationship"] != "SUBSCRIBER":
        subscriber = members.get(body["subscriberRef"]) or priya()
    ctx = blue_heron_context(today=date.fromisoformat(today))
    return check_change(
        body,
        group=blue_heron_group(),
        ctx=ctx,
        request_date=ctx.today,
        group_status=status,
        roster=roster() if held is None else held,
        subscriber=subscriber,
        renewal_date=kw.pop("renewal_date", date(2028, 1, 1)),
        **kw,
    )


def codes(body, **kw) -> set[str]:
    return {v.code for v in run(body, **kw)[0]}


def ann_ech(**changes):
    body = enrolled("E-001", **changes)
    for cover in body["coverage"]:
        cover["coverageTier"] = "ECH"
    return body


def luis_with(*covers, **kw):
    body = enrolled("E-002", **kw)
    body["coverage"] = list(covers)
    return body


def iris(**changes):
    """Iris, born into Ann's FAM family on 2027-04-10 (no SSN yet)."""
    body = enrolled(
        "E-001-C2",
        event("BIRTH", "ADD", "2027-04-10"),
        memberRef="E-001-C3",
        firstName="Iris",
        dateOfBirth="2027-04-10",
        ssn=None,
        gender="FEMALE",
    )
    return {**body, **changes}


MED_ESP = {"line": "MEDICAL", "planId": PLANS["MEDICAL"], "coverageTier": "ESP"}
DEN_ESP = {"line": "DENTAL", "planId": PLANS["DENTAL"], "coverageTier": "ESP"}
VIS_WAIVED = {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"}
DEN_WAIVED = {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"}
AGE_OUT_END = {"E_001_C1": {"coverage_end": date(2027, 2, 28), "end_reason": "AGE_OUT"}}
FILE_END = {
    "E_002": {"coverage_end": date(2027, 2, 28), "end_reason": "END_OF_EMPLOYMENT", "ended_by_file": True}
}

# (rule, what breaks it, what passes)
CASES = [
    ("MNT-001", (priya(), {"status": "FINALIZED"}), (priya(), {})),
    ("MNT-002", (priya(event=event("NEW_HIRE", "CHANGE", "2027-03-15")), {}), (priya(), {})),
    ("MNT-002", (priya(event=event("NEW_HIRE", "ADD", "2027-03-14")), {}), (priya(), {})),
    (
        "MNT-002",
        (enrolled("E-001-C1", event("AGE_OUT", "TERMINATE", "2036-06-04")), {"today": "2036-05-01"}),
        (enrolled("E-001-C1", event("AGE_OUT", "TERMINATE", "2036-06-05")), {"today": "2036-05-01"}),
    ),
    (
        "MNT-003",
        (enrolled("E-001", event("LOSS_OF_COVERAGE", "ADD", "2027-03-10")), {}),
        (enrolled("E-001", event("LOSS_OF_COVERAGE", "ADD", "2027-03-10")), {"held": {}}),
    ),
    (
        "MNT-003",
        (priya(event=event("END_OF_EMPLOYMENT", "TERMINATE", "2027-03-20")), {}),
        (enrolled("E-002", event("END_OF_EMPLOYMENT", "TERMINATE", "2027-03-20")), {}),
    ),
    ("MNT-004", (priya(), {"today": "2027-06-01"}), (priya(), {"today": "2027-05-31"})),
    ("MNT-005", (iris(), {"today": "2027-06-14"}), (iris(), {"today": "2027-05-25"})),
    ("MNT-005", (iris(dateOfBirth="2027-04-11"), {"today": "2027-05-25"}), (iris(), {"today": "2027-05-25"})),
    (
        "MNT-006",
        (enrolled("E-002", event("END_OF_EMPLOYMENT", "TERMINATE", "2027-07-15")), {}),
        (enrolled("E-002", event("END_OF_EMPLOYMENT", "TERMINATE", "2027-05-15")), {}),
    ),
    (
        "MNT-007",
        (enrolled("E-002", event("END_OF_EMPLOYMENT", "TERMINATE", "2026-12-20")), {"today": "2027-01-05"}),
        (enrolled("E-002", event("END_OF_EMPLOYMENT", "TERMINATE", "2027-01-02")), {"today": "2027-01-05"}),
    ),
    (
        "MNT-008",
        (luis_with(MED_ESP, DEN_ESP, VIS_WAIVED, event=event("DIVORCE", "CHANGE", "2027-03-10")), {}),
        (luis_with(MED_ESP, DEN_ESP, VIS_WAIVED, event=event("MARRIAGE", "CHANGE", "2027-03-10")), {}),
    ),
    (
        "MNT-009",
        (
            enrolled(
                "E-002",
                event("DEMOGRAPHIC", "CHANGE", "2027-03-20"),
                employment={"hireDate": "2024-08-01", "hoursPerWeek": 40, "status": "FULL_TIME"},
            ),
            {},
        ),
        (enrolled("E-002", event("DEMOGRAPHIC", "CHANGE", "2027-03-20"), phone="5025550199"), {}),
    ),
    (
        "MNT-010",
        (
            enrolled("E-001-C1", event("REINSTATEMENT", "REINSTATE", "2027-02-28")),
            {"held": roster(**AGE_OUT_END)},
        ),
        (
            enrolled("E-001-C1", event("REINSTATEMENT", "REINSTATE", "2027-02-28"), disabled=True),
            {"held": roster(**AGE_OUT_END)},
        ),
    ),
    (
        "MNT-011",
        (
            priya(
                employment={"hireDate": "2027-11-15", "hoursPerWeek": 40, "status": "FULL_TIME"},
                event=event("NEW_HIRE", "ADD", "2027-11-15"),
            ),
            {"today": "2027-11-20"},
        ),
        (
            priya(
                employment={"hireDate": "2027-11-15", "hoursPerWeek": 40, "status": "FULL_TIME"},
                event=event("NEW_HIRE", "ADD", "2027-11-15"),
            ),
            {"today": "2027-11-20", "renewal_accepted": True},
        ),
    ),
]


@pytest.mark.parametrize(("code", "breaking", "passing"), CASES, ids=[c[0] for c in CASES])
def test_each_maintenance_rule_breaks_and_passes(code, breaking, passing):
    assert code in codes(breaking[0], **breaking[1])
    assert code not in codes(passing[0], **passing[1])


def test_the_passing_bodies_pass_every_rule():
    for code, _breaking, (body, kw) in CASES:
        if code == "MNT-010":
            continue  # the reinstated child's body states no more than MNT-010 reads
        assert codes(body, **kw) == set(), code


def test_it_computes_the_change_block_dates_of_api_md():
    _, hire = run(priya())
    _, divorce = run(enrolled("E-001-S", event("DIVORCE", "TERMINATE", "2027-08-20")), today="2027-08-25")
    _, ann = run(
        ann_ech(maritalStatus="DIVORCED", event=event("DIVORCE", "CHANGE", "2027-08-20")), today="2027-08-25"
    )
    _, death = run(enrolled("E-002", event("DEATH", "TERMINATE", "2027-06-10")), today="2027-06-12")

    assert (hire.effective_date, hire.coverage_end, hire.send_by) == (
        date(2027, 5, 1),
        None,
        date(2027, 4, 1),
    )
    assert (divorce.effective_date, divorce.coverage_end) == (date(2027, 9, 1), date(2027, 8, 31))
    assert (ann.effective_date, ann.coverage_end) == (date(2027, 9, 1), None)
    assert death.coverage_end == date(2027, 6, 30)


def test_a_birth_65_days_late_is_refused_with_every_rule_it_breaks_and_45_days_late_is_retroactive():
    violations, _ = run(iris(), today="2027-06-14")
    accepted, dates = run(iris(), today="2027-05-25")

    assert {v.code for v in violations} == {"MNT-005", "MNT-006"}
    assert accepted == [] and dates.effective_date == date(2027, 4, 10)


def test_a_terminate_body_is_checked_for_identity_only():
    body = enrolled("E-002", event("END_OF_EMPLOYMENT", "TERMINATE", "2027-03-20"), coverage=[])

    assert codes(body) == set()
    assert "MBR-001" in codes({**body, "firstName": ""})
