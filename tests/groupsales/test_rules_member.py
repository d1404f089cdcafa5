"""Member rules at validation (business-rules.md, phase V) over api.md's five Blue Heron bodies."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from groupsales.rules import RULES, RuleSettings, Violation, check_member
from groupsales.rules import _base as rules_base
from groupsales.rules.testing import FakeContext, blue_heron_context, blue_heron_group, blue_heron_members

ANN, DAVID, MAYA, NOAH, LUIS = range(5)


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


@pytest.fixture(scope="module")
def ctx() -> FakeContext:
    return blue_heron_context()


def validate(
    index: int,
    change: Callable[[dict], object] | None = None,
    *,
    ctx: FakeContext,
    group: dict | None = None,
    members: list[dict] | None = None,
) -> list[Violation]:
    """Validate one Blue Heron member against the others, as the carrier would."""
    members = members if members is not None else blue_heron_members()
    body = members[index]
    if change is not None:
        change(body)
    others = [m for i, m in enumerate(members) if i != index]
    subscriber = next(
        (
            m
            for m in others
            if m["relationship"] == "SUBSCRIBER" and m["memberRef"] == body.get("subscriberRef")
        ),
        None,
    )
    siblings = [m for m in others if m["subscriberRef"] == body.get("subscriberRef") and m is not subscriber]
    return check_member(
        body,
        group=group if group is not None else blue_heron_group(),
        ctx=ctx,
        subscriber=subscriber if body.get("relationship") != "SUBSCRIBER" else None,
        other_dependents=siblings,
        ssn_members={m["ssn"]: m["memberRef"] for m in others if m.get("ssn")},
    )


def found(violations: list[Violation]) -> set[tuple[str, str]]:
    return {(v.code, v.pointer) for v in violations}


@pytest.mark.parametrize("index", [ANN, DAVID, MAYA, NOAH, LUIS])
def test_it_passes_every_blue_heron_member_clean(ctx, index):
    assert validate(index, ctx=ctx) == []


def put(path: str, value):
    def change(body: dict) -> None:
        *parents, last = path.strip("/").split("/")
        node = body
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def drop(path: str):
    def change(body: dict) -> None:
        *parents, last = path.strip("/").split("/")
        node = body
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[int(last) if isinstance(node, list) else last]

    return change


BREAKING = [
    # MBR-001
    (ANN, drop("/firstName"), "MBR-001", "/firstName"),
    (ANN, put("/lastName", "L" * 61), "MBR-001", "/lastName"),
    (ANN, put("/firstName", "Ann3"), "MBR-001", "/firstName"),
    (ANN, put("/middleName", "M" * 26), "MBR-001", "/middleName"),
    (ANN, put("/suffix", "ESQ"), "MBR-001", "/suffix"),
    # MBR-002
    (ANN, put("/ssn", None), "MBR-002", "/ssn"),
    (ANN, put("/ssn", "666123456"), "MBR-002", "/ssn"),
    (ANN, put("/ssn", "912345678"), "MBR-002", "/ssn"),
    (ANN, put("/ssn", "123006789"), "MBR-002", "/ssn"),
    (ANN, put("/ssn", "123450000"), "MBR-002", "/ssn"),
    (ANN, put("/ssn", "12345678"), "MBR-002", "/ssn"),
    (MAYA, put("/ssn", None), "MBR-002", "/ssn"),
    (NOAH, put("/dateOfBirth", "2025-12-31"), "MBR-002", "/ssn"),
    # MBR-003
    (ANN, put("/dateOfBirth", "2026-12-01"), "MBR-003", "/dateOfBirth"),
    (ANN, put("/dateOfBirth", "2011-01-02"), "MBR-003", "/dateOfBirth"),
    (ANN, put("/dateOfBirth", "1926-01-01"), "MBR-003", "/dateOfBirth"),  # 101
    (ANN, put("/dateOfBirth", "1980-13-02"), "MBR-003", "/dateOfBirth"),
    (MAYA, drop("/dateOfBirth"), "MBR-003", "/dateOfBirth"),
    # MBR-004
    (LUIS, put("/gender", "M"), "MBR-004", "/gender"),
    # MBR-005
    (MAYA, put("/dateOfBirth", "2001-01-01"), "MBR-005", "/dateOfBirth"),
    # MBR-006
    (DAVID, put("/dateOfBirth", "2011-01-02"), "MBR-006", "/dateOfBirth"),
    (MAYA, put("/relationship", "DOMESTIC_PARTNER"), "MBR-006", "/relationship"),
    # MBR-007
    (ANN, put("/address/zip5", "402"), "MBR-007", "/address/zip5"),
    (ANN, put("/address/zip4", "12345"), "MBR-007", "/address/zip4"),
    (ANN, drop("/address/countyFips"), "MBR-007", "/address/countyFips"),
    (ANN, put("/address/countyFips", "39061"), "MBR-007", "/address/countyFips"),
    (LUIS, drop("/address"), "MBR-007", "/address"),
    # MBR-008
    (LUIS, put("/employment/hireDate", "2027-01-02"), "MBR-008", "/employment/hireDate"),
    (LUIS, put("/employment/hoursPerWeek", 29), "MBR-008", "/employment/hoursPerWeek"),
    (LUIS, put("/employment/status", "SEASONAL"), "MBR-008", "/employment/status"),
    (LUIS, put("/employment", None), "MBR-008", "/employment"),
    # MBR-009
    (ANN, put("/coverage/0/planId", "12345KY0010003"), "MBR-009", "/coverage/0/planId"),
    (ANN, put("/coverage/1/planId", "12345KY0010001"), "MBR-009", "/coverage/1/planId"),
    # MBR-012
    (LUIS, put("/coverage/1/waiverReason", "DONT_WANT_IT"), "MBR-012", "/coverage/1/waiverReason"),
    (LUIS, drop("/coverage/2/waiverReason"), "MBR-012", "/coverage/2/waiverReason"),
    # MBR-013
    (LUIS, put("/tobaccoUse", None), "MBR-013", "/tobaccoUse"),
    (DAVID, drop("/tobaccoUse"), "MBR-013", "/tobaccoUse"),
    # MBR-014
    (LUIS, put("/ssn", "123456789"), "MBR-014", "/ssn"),
    # MBR-015
    (LUIS, drop("/coverage/2"), "MBR-015", "/coverage"),
    (LUIS, put("/coverage/2", {"line": "DENTAL", "waived": True, "waiverReason": "MEDICARE"}), "MBR-015",
     "/coverage/2"),
    (LUIS, put("/coverage/1/planId", "12345KY0020001"), "MBR-015", "/coverage/1"),
    (LUIS, put("/coverage/1", {"line": "DENTAL"}), "MBR-015", "/coverage/1/planId"),
    (LUIS, put("/coverage/0/coverageTier", None), "MBR-015", "/coverage/0/coverageTier"),
    (LUIS, put("/coverage", "MEDICAL"), "MBR-015", "/coverage"),
    # MBR-020
    (DAVID, put("/subscriberRef", "E-009"), "MBR-020", "/subscriberRef"),
]  # fmt: skip


@pytest.mark.parametrize(("index", "change", "code", "pointer"), BREAKING)
def test_it_reports_each_broken_rule_at_its_pointer(ctx, index, change, code, pointer):
    violations = validate(index, change, ctx=ctx)

    assert (code, pointer) in found(violations)
    assert all(v.fix == RULES[v.code].fix and v.member_ref is None for v in violations)


def test_it_needs_the_subscribers_tier_for_a_dependent(ctx):
    members = blue_heron_members()
    members[ANN]["coverage"][1]["coverageTier"] = "ESP"  # dental: no children

    assert found(validate(MAYA, ctx=ctx, members=members)) == {("MBR-010", "/coverage/1")}
    assert validate(DAVID, ctx=ctx, members=members) == []


def test_it_needs_a_spouse_tier_for_a_spouse(ctx):
    members = blue_heron_members()
    members[ANN]["coverage"][2]["coverageTier"] = "ECH"

    assert found(validate(DAVID, ctx=ctx, members=members)) == {("MBR-010", "/coverage/2")}


def test_it_covers_a_dependent_only_on_lines_the_subscriber_elects(ctx):
    members = blue_heron_members()
    members[ANN]["coverage"][2] = {"line": "VISION", "waived": True, "waiverReason": "OTHER"}

    assert found(validate(NOAH, ctx=ctx, members=members)) == {("MBR-011", "/coverage/2/line")}


def test_it_reports_a_dependent_without_a_validated_subscriber(ctx):
    members = blue_heron_members()
    body = members[DAVID]

    violations = check_member(body, group=blue_heron_group(), ctx=ctx, subscriber=None)

    assert found(violations) == {("MBR-020", "/subscriberRef")}


def test_it_accepts_no_other_coverage_and_other_as_waiver_reasons(ctx):
    for reason in ("NO_OTHER_COVERAGE", "OTHER"):
        violations = validate(LUIS, put("/coverage/1/waiverReason", reason), ctx=ctx)
        assert violations == []


def test_it_accepts_a_disabled_child_over_the_age_limit(ctx):
    def change(body):
        body["dateOfBirth"] = "1990-01-01"
        body["disabled"] = True

    assert validate(MAYA, change, ctx=ctx) == []


def test_it_does_not_need_tobacco_for_a_minor_or_a_waiver_of_medical(ctx):
    assert validate(MAYA, put("/tobaccoUse", None), ctx=ctx) == []

    def waive_medical(body):
        body["tobaccoUse"] = None
        body["coverage"][0] = {"line": "MEDICAL", "waived": True, "waiverReason": "MEDICARE"}

    assert validate(LUIS, waive_medical, ctx=ctx) == []


def test_it_reports_a_line_the_group_does_not_offer(ctx):
    group = blue_heron_group()
    del group["offerings"][2]

    violations = validate(LUIS, ctx=ctx, group=group)

    assert found(violations) == {("MBR-015", "/coverage/2/line")}


def test_it_reports_a_line_added_to_the_group_after_validation(ctx):
    group = blue_heron_group()
    group["offerings"] = group["offerings"][:2]
    members = blue_heron_members()
    del members[LUIS]["coverage"][2]
    assert validate(LUIS, ctx=ctx, group=group, members=members) == []

    assert found(validate(LUIS, ctx=ctx, members=members)) == {("MBR-015", "/coverage")}


def test_it_reports_every_failure_at_once(ctx):
    def change(body):
        body["firstName"] = ""
        body["ssn"] = "000000000"
        body["gender"] = "X"
        body["employment"]["hoursPerWeek"] = 10
        body["coverage"][1]["waiverReason"] = "BORED"

    violations = validate(LUIS, change, ctx=ctx)

    assert [v.code for v in violations] == ["MBR-012", "MBR-008", "MBR-001", "MBR-004", "MBR-002"]
    assert violations == sorted(violations, key=lambda v: (v.pointer, v.code))


def test_it_accepts_a_subscriber_of_exactly_16_and_exactly_100(ctx):
    assert validate(ANN, put("/dateOfBirth", "2011-01-01"), ctx=ctx) == []
    assert found(validate(ANN, put("/dateOfBirth", "2011-01-02"), ctx=ctx)) == {("MBR-003", "/dateOfBirth")}
    assert validate(ANN, put("/dateOfBirth", "1926-01-02"), ctx=ctx) == []  # 100, turning 101 tomorrow
    assert found(validate(ANN, put("/dateOfBirth", "1926-01-01"), ctx=ctx)) == {("MBR-003", "/dateOfBirth")}


def test_it_takes_ages_from_settings(ctx):
    strict = blue_heron_context(settings=RuleSettings(child_age_limit=16, dependent_ssn_min_age=0))

    assert found(validate(MAYA, ctx=strict)) == {("MBR-005", "/dateOfBirth")}
    assert found(validate(NOAH, ctx=strict)) == {("MBR-002", "/ssn")}


def test_it_takes_the_minimum_hours_from_the_group(ctx):
    group = blue_heron_group()
    group["eligibility"]["minimumHoursPerWeek"] = 40
    assert validate(LUIS, ctx=ctx, group=group) == []

    group["eligibility"]["minimumHoursPerWeek"] = 40
    assert found(validate(LUIS, put("/employment/hoursPerWeek", 39.5), ctx=ctx, group=group)) == {
        ("MBR-008", "/employment/hoursPerWeek")
    }


def test_it_never_echoes_an_ssn_or_a_date_of_birth(ctx):
    def change(body):
        body["ssn"] = "666554444"
        body["dateOfBirth"] = "2030-02-03"

    violations = validate(ANN, change, ctx=ctx)

    assert {v.code for v in violations} >= {"MBR-002", "MBR-003"}
    assert not any("666" in v.message or "2030" in v.message for v in violations)


def test_it_ships_blue_heron_bodies_that_agree_with_the_sample_834():
    from groupsales.codes import GENDER_TO_X12, LINE_TO_X12, RELATIONSHIP_TO_X12
    from groupsales.x12.examples import blue_heron_834
    from groupsales.x12.parser import parse_834

    parsed = parse_834(blue_heron_834()).members
    members = blue_heron_members()
    subscribers = {m["memberRef"]: m for m in members if m["relationship"] == "SUBSCRIBER"}

    assert [p.member_ref for p in parsed] == [m["memberRef"] for m in members]
    for body, sent in zip(members, parsed, strict=True):
        subscriber = subscribers[body["subscriberRef"]]
        elected = [c for c in subscriber["coverage"] if not c.get("waived")]
        covered = {c["line"] for c in body["coverage"]}
        assert sent.subscriber_ref == body["subscriberRef"]
        assert sent.relationship_code == RELATIONSHIP_TO_X12[body["relationship"]]
        assert (sent.first_name, sent.last_name) == (body["firstName"].upper(), body["lastName"].upper())
        assert sent.ssn == body["ssn"]
        assert sent.birth_date.isoformat() == body["dateOfBirth"]
        assert sent.gender_code == GENDER_TO_X12[body["gender"]]
        assert [(c.insurance_line, c.plan_id, c.tier) for c in sent.coverages] == [
            (LINE_TO_X12[c["line"]], c["planId"], c["coverageTier"]) for c in elected if c["line"] in covered
        ]
        if sent.tobacco_code is not None:
            assert body["tobaccoUse"] is (sent.tobacco_code == "T")
        if sent.is_subscriber:
            assert sent.hire_date.isoformat() == body["employment"]["hireDate"]
            assert (sent.postal_code, sent.county_fips) == (
                body["address"]["zip5"],
                body["address"]["countyFips"],
            )
