"""Finalize rules, participation and the open-enrollment exception over the Blue Heron bodies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from groupsales.rules import (
    RuleSettings,
    Violation,
    check_finalize,
    open_enrollment_exception_applies,
    participation,
)
from groupsales.rules import _base as rules_base
from groupsales.rules.testing import (
    FakeContext,
    FakePlan,
    blue_heron_context,
    blue_heron_group,
    blue_heron_members,
)

ANN, DAVID, MAYA, NOAH, LUIS = range(5)
OUTSIDE_OPEN_ENROLLMENT = date(2026, 11, 10)
IN_OPEN_ENROLLMENT = date(2026, 11, 23)
D = Decimal


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


@pytest.fixture(scope="module")
def ctx() -> FakeContext:
    return blue_heron_context()


def found(violations: list[Violation]) -> set[tuple[str, str, str | None]]:
    return {(v.code, v.pointer, v.member_ref) for v in violations}


def signed_application(on: date) -> dict:
    """api.md 1.1's signed application (GRP-015), signed on ``on``."""
    return {
        "documentSha256": "5ee0f18482e20e3eb650f63377b1c19f318abec77370d64e7cdbc12203882e31",
        "employerSignature": {"signedBy": "Ann Lee", "title": "Owner", "email": "ann@example.com",
                              "signedAt": f"{on.isoformat()}T14:52:00Z", "method": "ELECTRONIC"},
        "agentSignature": {"npn": "17012345", "signedBy": "Sam Ortiz", "email": "sam@agency.example",
                           "signedAt": f"{on.isoformat()}T14:58:00Z", "method": "ELECTRONIC"},
    }  # fmt: skip


def finalize(group=None, members=None, *, ctx, created_on=OUTSIDE_OPEN_ENROLLMENT) -> list[Violation]:
    """The finalize rules over Blue Heron; a group without a signed application gets one signed today."""
    group = group if group is not None else blue_heron_group()
    group.setdefault("employerGroupApplication", signed_application(date.fromisoformat(str(ctx.today)[:10])))
    return check_finalize(
        group,
        members if members is not None else blue_heron_members(),
        ctx=ctx,
        created_on=created_on,
    )


def test_it_finalizes_blue_heron_clean(ctx):
    assert finalize(ctx=ctx) == []
    assert finalize(ctx=ctx, created_on=IN_OPEN_ENROLLMENT) == []


def test_it_reproduces_api_md_participation():
    lines = participation(blue_heron_group(), blue_heron_members(), settings=RuleSettings())

    assert [line.as_api() for line in lines] == [
        {"line": "MEDICAL", "eligible": 2, "enrolled": 2, "validWaivers": 0, "percent": "100.00"},
        {"line": "DENTAL", "eligible": 2, "enrolled": 1, "validWaivers": 1, "percent": "100.00"},
        {"line": "VISION", "eligible": 2, "enrolled": 1, "validWaivers": 1, "percent": "100.00"},
    ]
    assert all(line.ok for line in lines)
    assert lines[0].required == D("0.70") and lines[1].min_enrolled == 0


def test_it_does_not_count_no_other_coverage_as_a_valid_waiver():
    members = blue_heron_members()
    members[LUIS]["coverage"][1]["waiverReason"] = "NO_OTHER_COVERAGE"

    dental = participation(blue_heron_group(), members, settings=RuleSettings())[1]

    assert (dental.enrolled, dental.valid_waivers, dental.percent, dental.ratio) == (1, 0, "50.00", D("0.5"))
    assert dental.min_enrolled == 2 and not dental.ok


def test_it_rounds_the_percent_half_up_and_compares_unrounded():
    group = blue_heron_group()
    group["workforce"] = {"totalEmployees": 3, "eligibleEmployees": 3}
    members = [m for m in blue_heron_members()]

    medical = participation(group, members, settings=RuleSettings())[0]

    assert medical.percent == "66.67" and medical.ratio == D(2) / D(3) and not medical.ok


def test_it_counts_a_denominator_of_zero_as_full_participation():
    group = blue_heron_group()
    group["workforce"]["eligibleEmployees"] = 1
    members = blue_heron_members()
    members[LUIS]["coverage"][0] = {"line": "MEDICAL", "waived": True, "waiverReason": "MEDICARE"}
    members[ANN]["coverage"][0] = {"line": "MEDICAL", "waived": True, "waiverReason": "TRICARE"}

    medical = participation(group, members, settings=RuleSettings())[0]

    assert (medical.ratio, medical.percent, medical.ok) == (D(1), "100.00", True)


def test_it_reports_low_medical_participation(ctx):
    group = blue_heron_group()
    group["workforce"] = {"totalEmployees": 3, "eligibleEmployees": 3}

    # dental and vision: 1 enrolled of 2 remaining after Luis's waivers is 50%, but 2 must enroll
    assert found(finalize(group, ctx=ctx)) == {
        ("GRP-020", "/offerings/0", None),
        ("GRP-021", "/offerings/1", None),
        ("GRP-021", "/offerings/2", None),
    }


def test_it_takes_minimum_participation_from_settings():
    group = blue_heron_group()
    group["workforce"] = {"totalEmployees": 9, "eligibleEmployees": 9}
    members = blue_heron_members()
    members[LUIS]["coverage"][1]["waiverReason"] = "OTHER"  # not a valid waiver: dental 1 of 9
    strict = blue_heron_context(settings=RuleSettings.from_mapping({"min_participation": {"MEDICAL": "0.9"}}))

    assert ("GRP-020", "/offerings/0", None) in found(finalize(group, members, ctx=strict))
    relaxed = blue_heron_context(
        settings=RuleSettings.from_mapping(
            {
                "min_participation": {"MEDICAL": "0.2", "DENTAL": "0.1", "VISION": "0.1"},
                "min_enrolled_when_two_eligible": {"DENTAL": 0, "VISION": 0},
            }
        )
    )
    assert finalize(group, members, ctx=relaxed) == []


def test_it_reports_low_dental_and_vision_participation(ctx):
    members = blue_heron_members()
    for line in (1, 2):
        members[LUIS]["coverage"][line]["waiverReason"] = "NO_OTHER_COVERAGE"

    assert found(finalize(members=members, ctx=ctx)) == {
        ("GRP-021", "/offerings/1", None),
        ("GRP-021", "/offerings/2", None),
    }


def test_it_skips_participation_and_contribution_under_the_open_enrollment_exception(ctx):
    group = blue_heron_group()
    group["workforce"] = {"totalEmployees": 30, "eligibleEmployees": 30}
    group["offerings"][0]["contribution"] = {"basis": "PERCENT", "employee": "0.00", "dependents": "0.00"}

    outside = {v.code for v in finalize(group, ctx=ctx, created_on=OUTSIDE_OPEN_ENROLLMENT)}
    inside = {v.code for v in finalize(group, ctx=ctx, created_on=IN_OPEN_ENROLLMENT)}

    assert outside == {"GRP-020", "GRP-021", "GRP-022"}
    assert inside == set()


@pytest.mark.parametrize(
    ("created_on", "effective", "applies"),
    [
        (date(2026, 11, 14), date(2027, 1, 1), False),
        (date(2026, 11, 15), date(2027, 1, 1), True),
        (date(2026, 12, 1), date(2027, 1, 1), True),
        (date(2026, 12, 15), date(2027, 1, 1), True),
        (date(2026, 12, 16), date(2027, 1, 1), False),
        (date(2026, 11, 20), date(2027, 2, 1), False),
        (date(2025, 11, 20), date(2027, 1, 1), False),
    ],
)
def test_it_applies_the_open_enrollment_exception_within_its_window(created_on, effective, applies):
    assert (
        open_enrollment_exception_applies(
            created_on=created_on, effective_date=effective, settings=RuleSettings()
        )
        is applies
    )


def test_it_takes_the_open_enrollment_window_from_settings():
    settings = RuleSettings(open_enrollment_window=((11, 1), (12, 31)))

    assert open_enrollment_exception_applies(
        created_on=date(2026, 11, 1), effective_date=date(2027, 1, 1), settings=settings
    )
    assert not open_enrollment_exception_applies(
        created_on=date(2026, 11, 1), effective_date=date(2027, 1, 1), settings=RuleSettings()
    )


def _flat_context(premium: str) -> FakeContext:
    """Every medical plan at one flat own premium, so the contribution arithmetic is plain to read."""
    base = blue_heron_context()
    plans = dict(base.plans)
    for plan_id in ("12345KY0010001", "12345KY0010002"):
        plans[plan_id] = FakePlan("MEDICAL", plans[plan_id].areas, True, {"EMP": D(premium)})
    return blue_heron_context(plans=plans)


@pytest.mark.parametrize(("flat", "ok"), [("250.00", True), ("249.99", False)])
def test_it_needs_half_the_employee_only_premium_from_a_flat_contribution(flat, ok):
    group = blue_heron_group()
    group["offerings"][0]["contribution"] = {"basis": "FLAT", "employee": flat, "dependents": "0.00"}

    violations = finalize(group, ctx=_flat_context("500.00"))

    if ok:
        assert violations == []
    else:
        assert found(violations) == {
            ("GRP-022", "/offerings/0/contribution/employee", "E-001"),
            ("GRP-022", "/offerings/0/contribution/employee", "E-002"),
        }


@pytest.mark.parametrize(("percent", "ok"), [("50.00", True), ("49.99", False)])
def test_it_needs_half_the_employee_only_premium_from_a_percent_contribution(ctx, percent, ok):
    group = blue_heron_group()
    group["offerings"][0]["contribution"]["employee"] = percent

    codes = {v.code for v in finalize(group, ctx=ctx)}

    assert ("GRP-022" not in codes) is ok


def test_it_measures_the_minimum_on_the_lowest_cost_plan(ctx):
    # Luis moves to the silver plan: 50% of his silver premium is more than half his bronze premium.
    members = blue_heron_members()
    members[LUIS]["coverage"][0]["planId"] = "12345KY0010002"
    group = blue_heron_group()
    bronze = ctx.own_premium(
        "12345KY0010001",
        rating_area_id="KY-RA02",
        date_of_birth=date(1995, 7, 22),
        tobacco=False,
        effective_date=date(2027, 1, 1),
    )
    silver = ctx.own_premium(
        "12345KY0010002",
        rating_area_id="KY-RA02",
        date_of_birth=date(1995, 7, 22),
        tobacco=False,
        effective_date=date(2027, 1, 1),
    )
    assert bronze == D("591.54") and silver > bronze
    # A flat amount one cent under half the bronze premium fails even on silver.
    group["offerings"][0]["contribution"] = {"basis": "FLAT", "employee": "295.76", "dependents": "0.00"}
    assert ("GRP-022", "/offerings/0/contribution/employee", "E-002") in found(
        finalize(group, members, ctx=ctx)
    )
    group["offerings"][0]["contribution"]["employee"] = "295.77"
    assert "E-002" not in {v.member_ref for v in finalize(group, members, ctx=ctx)}


def test_it_takes_the_minimum_contribution_from_settings():
    group = blue_heron_group()
    group["offerings"][0]["contribution"] = {"basis": "FLAT", "employee": "250.00", "dependents": "0.00"}
    ctx = _flat_context("500.00")
    stricter = blue_heron_context(
        plans=ctx.plans, settings=RuleSettings.from_mapping({"min_contribution": {"MEDICAL": "0.60"}})
    )

    assert finalize(group, ctx=ctx) == []
    assert {v.code for v in finalize(group, ctx=stricter)} == {"GRP-022"}


def test_it_needs_an_employee_who_is_not_an_owner(ctx):
    members = blue_heron_members()
    members[LUIS]["isOwnerSpouse"] = True

    assert found(finalize(members=members, ctx=ctx)) == {("GRP-013", "", None)}


def test_it_accepts_a_partnership_of_owners(ctx):
    members = blue_heron_members()
    members[LUIS]["isOwner"] = True
    group = blue_heron_group()
    group["employer"]["entityType"] = "PARTNERSHIP"

    assert finalize(group, members, ctx=ctx) == []


def test_it_needs_the_attestation_for_a_small_group(ctx):
    group = blue_heron_group()
    group["smallEmployerAttestation"] = None

    assert found(finalize(group, ctx=ctx)) == {("GRP-014", "/smallEmployerAttestation", None)}
    no_attestation_needed = blue_heron_context(settings=RuleSettings(attestation_max_enrolled=1))
    assert finalize(group, ctx=no_attestation_needed) == []


def test_it_reports_more_subscribers_than_eligible_employees(ctx):
    group = blue_heron_group()
    group["workforce"]["eligibleEmployees"] = 1

    assert ("GRP-008", "/workforce/eligibleEmployees", None) in found(finalize(group, ctx=ctx))


def test_it_checks_the_effective_date_again_on_the_day_of_finalize():
    assert finalize(ctx=blue_heron_context(today=date(2026, 12, 31))) == []
    late = blue_heron_context(today=date(2027, 1, 1))

    assert found(finalize(ctx=late)) == {("GRP-007", "/requestedEffectiveDate", None)}


def test_it_reports_a_line_nobody_enrolls_in(ctx):
    members = blue_heron_members()
    members[ANN]["coverage"][2] = {"line": "VISION", "waived": True, "waiverReason": "OTHER"}
    for dependent in (DAVID, MAYA, NOAH):
        members[dependent]["coverage"] = members[dependent]["coverage"][:2]

    violations = finalize(members=members, ctx=ctx, created_on=IN_OPEN_ENROLLMENT)

    assert found(violations) == {("GRP-023", "/offerings/2", None)}


def test_it_reports_a_dependent_whose_subscriber_is_not_validated(ctx):
    members = blue_heron_members()
    members[NOAH]["subscriberRef"] = "E-003"

    violations = finalize(members=members, ctx=ctx)

    assert ("GRP-030", "", "E-001-C2") in found(violations)


def test_it_needs_a_subscriber_who_elects_coverage(ctx):
    violations = finalize(members=[], ctx=ctx, created_on=IN_OPEN_ENROLLMENT)

    assert ("GRP-030", "", None) in found(violations)


def test_it_reports_a_tier_that_the_validated_dependents_do_not_fill(ctx):
    members = blue_heron_members()
    del members[MAYA : NOAH + 1]  # no children validated: Ann's FAM should be ESP

    violations = finalize(members=members, ctx=ctx)

    assert found(violations) == {
        ("GRP-031", "/offerings/0", "E-001"),
        ("GRP-031", "/offerings/1", "E-001"),
        ("GRP-031", "/offerings/2", "E-001"),
    }


def test_it_reports_every_finalize_failure_at_once(ctx):
    group = blue_heron_group()
    group["workforce"] = {"totalEmployees": 30, "eligibleEmployees": 30}
    group["smallEmployerAttestation"] = None
    members = blue_heron_members()
    members[LUIS]["isOwner"] = True
    members[NOAH]["subscriberRef"] = "E-404"
    members[ANN]["coverage"][2]["coverageTier"] = "ESP"

    violations = finalize(group, members, ctx=ctx)

    assert {v.code for v in violations} == {"GRP-013", "GRP-014", "GRP-020", "GRP-021", "GRP-030", "GRP-031"}
    assert violations == sorted(violations, key=lambda v: (v.pointer, v.code))


def test_it_takes_datetimes_for_created_on_and_today():
    from datetime import datetime

    ctx = blue_heron_context(today=datetime(2026, 11, 23, 9, 30))

    assert finalize(ctx=ctx, created_on=datetime(2026, 11, 10, 12, 0)) == []
    assert open_enrollment_exception_applies(
        created_on=datetime(2026, 12, 15, 23, 59), effective_date=date(2027, 1, 1), settings=RuleSettings()
    )


@pytest.mark.parametrize(
    ("relationships", "tier"),
    [
        ([], "EMP"),
        (["SPOUSE"], "ESP"),
        (["DOMESTIC_PARTNER"], "ESP"),
        (["CHILD", "WARD"], "ECH"),
        (["STEPCHILD", "SPOUSE"], "FAM"),
        (["FOSTER_CHILD", "DOMESTIC_PARTNER", "CHILD"], "FAM"),
    ],
)
def test_it_implies_the_tier_from_the_dependents_covered(relationships, tier):
    from groupsales.rules import implied_tier

    assert implied_tier(relationships) == tier


def _grp015(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.pointer, v.severity) for v in violations if v.code == "GRP-015"]


def test_grp_015_warns_without_a_signed_application_before_its_cutover(ctx):
    group = blue_heron_group()  # effective 2027-01-01, before 2027-07-01
    group["employerGroupApplication"] = None
    assert _grp015(finalize(group, ctx=ctx)) == [("/employerGroupApplication", "warning")]


def test_grp_015_refuses_a_missing_stale_or_old_application_from_its_cutover(ctx):
    settings = RuleSettings.from_mapping({"application_required_from": "2027-01-01"})
    late = blue_heron_context(settings=settings)
    group = blue_heron_group()
    group["employerGroupApplication"] = None
    assert _grp015(finalize(group, ctx=late)) == [("/employerGroupApplication", "error")]

    stale = blue_heron_group()
    stale["employerGroupApplication"] = {**signed_application(late.today), "stale": True}
    assert _grp015(finalize(stale, ctx=late)) == [("/employerGroupApplication", "error")]

    old = blue_heron_group()
    old["employerGroupApplication"] = signed_application(date(2026, 10, 23))  # 31 days before today
    assert _grp015(finalize(old, ctx=late)) == [
        ("/employerGroupApplication/agentSignature/signedAt", "error"),
        ("/employerGroupApplication/employerSignature/signedAt", "error"),
    ]
    recent = blue_heron_group()
    recent["employerGroupApplication"] = signed_application(date(2026, 10, 24))  # 30 days: still in time
    assert _grp015(finalize(recent, ctx=late)) == []
