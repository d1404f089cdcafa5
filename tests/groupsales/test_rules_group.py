"""Group and agent rules at create/PATCH (business-rules.md, phase C) over api.md's Blue Heron body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pydantic
import pytest

from groupsales.rules import RULES, RuleContext, RuleSettings, Violation, check_group
from groupsales.rules import _base as rules_base
from groupsales.rules.group import is_po_box
from groupsales.rules.testing import FakeContext, blue_heron_context, blue_heron_group


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


@pytest.fixture(scope="module")
def ctx() -> FakeContext:
    return blue_heron_context()


def found(violations: list[Violation]) -> set[tuple[str, str]]:
    return {(v.code, v.pointer) for v in violations}


def mutated(change: Callable[[dict], object]) -> dict:
    body = blue_heron_group()
    change(body)
    return body


def test_it_passes_the_blue_heron_body_clean(ctx):
    assert check_group(blue_heron_group(), ctx=ctx) == []


def test_it_gives_the_fake_context_the_rule_context_protocol(ctx):
    assert isinstance(ctx, RuleContext)


def _set(path: str, value):
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


def _delete(path: str):
    def change(body: dict) -> None:
        *parents, last = path.strip("/").split("/")
        node = body
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return change


BREAKING = [
    # GRP-001
    (_delete("/employer/legalName"), "GRP-001", "/employer/legalName"),
    (_set("/employer/legalName", "A" * 61), "GRP-001", "/employer/legalName"),
    (_set("/employer/legalName", "Blue*Heron"), "GRP-001", "/employer/legalName"),
    (_set("/employer/dbaName", "Heron~"), "GRP-001", "/employer/dbaName"),
    # GRP-002
    (_set("/employer/fein", "12-3456789"), "GRP-002", "/employer/fein"),
    (_set("/employer/fein", "111111111"), "GRP-002", "/employer/fein"),
    (_set("/employer/fein", "071234567"), "GRP-002", "/employer/fein"),
    (_set("/employer/fein", 123456789), "GRP-002", "/employer/fein"),
    # GRP-003
    (_set("/employer/sicCode", "546"), "GRP-003", "/employer/sicCode"),
    (_set("/employer/sicCode", "7363"), "GRP-003", "/employer/sicCode"),
    # GRP-004
    (_set("/employer/address/line1", "P.O. Box 12"), "GRP-004", "/employer/address/line1"),
    (_delete("/employer/address/city"), "GRP-004", "/employer/address/city"),
    (_set("/employer/address/zip5", "4020"), "GRP-004", "/employer/address/zip5"),
    (_set("/employer/address/zip4", "12"), "GRP-004", "/employer/address/zip4"),
    (_set("/employer/address/countyFips", "39061"), "GRP-004", "/employer/address/countyFips"),
    (_set("/employer/address/countyFips", "21001"), "GRP-004", "/employer/address/countyFips"),
    (_set("/employer/address/zip5", "99999"), "GRP-004", "/employer/address/zip5"),
    (_set("/employer/address", None), "GRP-004", "/employer/address"),
    # GRP-006
    (_set("/employer/establishedDate", "2026-11-23"), "GRP-006", "/employer/establishedDate"),
    (_set("/employer/establishedDate", "2014-02-30"), "GRP-006", "/employer/establishedDate"),
    # GRP-007
    (_set("/requestedEffectiveDate", "2027-01-02"), "GRP-007", "/requestedEffectiveDate"),
    (_set("/requestedEffectiveDate", "2026-11-01"), "GRP-007", "/requestedEffectiveDate"),
    (_set("/requestedEffectiveDate", "2027-03-01"), "GRP-007", "/requestedEffectiveDate"),
    (_set("/requestedEffectiveDate", "01/01/2027"), "GRP-007", "/requestedEffectiveDate"),
    # GRP-008
    (_set("/workforce/eligibleEmployees", 0), "GRP-008", "/workforce/eligibleEmployees"),
    (_set("/workforce/eligibleEmployees", 51), "GRP-008", "/workforce/eligibleEmployees"),
    (_set("/workforce/totalEmployees", 1), "GRP-008", "/workforce/totalEmployees"),
    # GRP-009
    (_set("/eligibility/waitingPeriod", "NONE"), "GRP-009", "/eligibility/waitingPeriod"),
    (_set("/eligibility/minimumHoursPerWeek", 19), "GRP-009", "/eligibility/minimumHoursPerWeek"),
    # GRP-010
    (_set("/offerings/0/planIds/1", "12345KY0020001"), "GRP-010", "/offerings/0/planIds/1"),
    (_set("/offerings/0/planIds/1", "12345KY0010001"), "GRP-010", "/offerings/0/planIds/1"),
    (_set("/offerings/1/planIds", []), "GRP-010", "/offerings/1/planIds"),
    (_set("/offerings/2/line", "DENTAL"), "GRP-010", "/offerings/2/line"),
    (_set("/offerings", []), "GRP-010", "/offerings"),
    # GRP-011
    (_set("/offerings/0/contribution/employee", "100.01"), "GRP-011", "/offerings/0/contribution/employee"),
    (
        _set("/offerings/1/contribution/dependents", "-1.00"),
        "GRP-011",
        "/offerings/1/contribution/dependents",
    ),
    (_set("/offerings/1/contribution/basis", "HALF"), "GRP-011", "/offerings/1/contribution/basis"),
    (_delete("/offerings/2/contribution"), "GRP-011", "/offerings/2/contribution"),
    # GRP-012
    (_set("/contact/email", "ann-at-example.com"), "GRP-012", "/contact/email"),
    (_set("/contact/phone", "502-555-0101"), "GRP-012", "/contact/phone"),
    (_set("/contact/lastName", "  "), "GRP-012", "/contact/lastName"),
    # AGT-001
    (_set("/writingAgent/npn", "12345678901"), "AGT-001", "/writingAgent/npn"),
    (_delete("/writingAgent/email"), "AGT-001", "/writingAgent/email"),
    # AGT-002
    (_set("/writingAgent/npn", "99999999"), "AGT-002", "/writingAgent/npn"),
]


@pytest.mark.parametrize(("change", "code", "pointer"), BREAKING)
def test_it_reports_each_broken_rule_at_its_pointer(ctx, change, code, pointer):
    violations = check_group(mutated(change), ctx=ctx)

    assert (code, pointer) in found(violations)
    assert all(v.message and v.fix == RULES[v.code].fix for v in violations)


def test_it_refuses_composite_rating_for_a_plan_that_does_not_allow_it(ctx):
    body = mutated(_set("/offerings/0/ratingOption", "COMPOSITE"))
    plans = dict(ctx.plans)
    plans["12345KY0010002"] = plans["12345KY0010002"].__class__(
        "MEDICAL", plans["12345KY0010002"].areas, False, plans["12345KY0010002"].rates
    )
    strict = blue_heron_context(plans=plans)

    assert ("GRP-010", "/offerings/0/ratingOption") in found(check_group(body, ctx=strict))
    assert check_group(body, ctx=ctx) == []


def test_it_refuses_a_line_the_state_cannot_enroll_electronically(ctx):
    body = mutated(_set("/employer/address/state", "NY"))
    body["employer"]["address"]["countyFips"] = "36061"

    violations = check_group(body, ctx=ctx)

    assert ("GRP-005", "/offerings/0/line") in found(violations)
    assert ("GRP-005", "/offerings/1/line") not in found(violations)  # NY: dental and vision only


def test_it_reports_every_failure_at_once(ctx):
    body = blue_heron_group()
    body["employer"]["fein"] = "000000000"
    body["employer"]["sicCode"] = "8811"
    body["requestedEffectiveDate"] = "2027-01-15"
    body["contact"]["email"] = "nope"
    body["writingAgent"]["npn"] = "99999999"

    violations = check_group(body, ctx=ctx)

    assert [v.code for v in violations] == ["GRP-012", "GRP-002", "GRP-003", "GRP-007", "AGT-002"]
    assert violations == sorted(violations, key=lambda v: (v.pointer, v.code))


def test_it_takes_the_size_limit_from_settings(ctx):
    body = blue_heron_group()
    assert check_group(body, ctx=blue_heron_context(settings=RuleSettings(size_limit=2))) == []

    small = blue_heron_context(settings=RuleSettings(size_limit=1))

    assert found(check_group(body, ctx=small)) == {("GRP-008", "/workforce/eligibleEmployees")}


def test_it_takes_the_bigger_size_limit_of_the_state(ctx):
    body = mutated(_set("/workforce/eligibleEmployees", 80))
    body["workforce"]["totalEmployees"] = 90
    settings = RuleSettings.from_mapping({"size_limit_by_state": {"KY": 100}})

    assert ("GRP-008", "/workforce/eligibleEmployees") in found(check_group(body, ctx=ctx))
    assert check_group(body, ctx=blue_heron_context(settings=settings)) == []


def test_it_takes_the_electronic_states_from_settings():
    states = RuleSettings().electronic_states
    without_ky = {line: [s for s in values if s != "KY"] for line, values in states.items()}
    ctx = blue_heron_context(settings=RuleSettings.from_mapping({"electronic_states": without_ky}))

    violations = check_group(blue_heron_group(), ctx=ctx)

    assert found(violations) == {("GRP-005", f"/offerings/{i}/line") for i in range(3)}


def test_it_takes_the_fein_prefixes_sic_list_hours_and_plan_limits_from_settings(ctx):
    settings = RuleSettings.from_mapping(
        {
            "invalid_fein_prefixes": ["12"],
            "ineligible_sic": ["5461"],
            "min_hours_floor": 31,
            "max_plans": {"MEDICAL": 1},
        }
    )
    violations = check_group(blue_heron_group(), ctx=blue_heron_context(settings=settings))

    assert found(violations) == {
        ("GRP-002", "/employer/fein"),
        ("GRP-003", "/employer/sicCode"),
        ("GRP-009", "/eligibility/minimumHoursPerWeek"),
        ("GRP-010", "/offerings/0/planIds"),
    }


def test_it_takes_the_effective_window_from_settings():
    body = mutated(_set("/requestedEffectiveDate", "2027-02-01"))
    assert check_group(body, ctx=blue_heron_context()) == []

    short = blue_heron_context(settings=RuleSettings(effective_window_days=60))

    assert found(check_group(body, ctx=short)) == {("GRP-007", "/requestedEffectiveDate")}


def test_it_accepts_the_first_of_next_month_and_refuses_this_month():
    ctx = blue_heron_context(today=date(2026, 12, 31))
    body = mutated(_set("/requestedEffectiveDate", "2027-01-01"))
    assert check_group(body, ctx=ctx) == []

    ctx = blue_heron_context(today=date(2027, 1, 1))
    assert ("GRP-007", "/requestedEffectiveDate") in found(check_group(body, ctx=ctx))


def test_it_checks_the_plans_in_the_groups_rating_area(ctx):
    plans = dict(ctx.plans)
    plan = plans["12345KY0010002"]
    plans["12345KY0010002"] = plan.__class__("MEDICAL", frozenset({"KY-RA01"}), True, plan.rates)
    elsewhere = blue_heron_context(plans=plans)

    assert found(check_group(blue_heron_group(), ctx=elsewhere)) == {("GRP-010", "/offerings/0/planIds/1")}


@pytest.mark.parametrize(
    ("line1", "po_box"),
    [
        ("P.O. Box 12", True),
        ("PO BOX 12", True),
        ("po box 12", True),
        ("Post Office Box 7", True),
        ("POB 44", True),
        ("P O B 44", True),
        ("Box 9", True),
        ("POBox 3", True),
        ("100 Main St", False),
        ("12 Poplar Ave", False),
        ("5 Boxwood Ln", False),
        ("7 Pobst Rd", False),
        ("1 PO Boxwood Ct", False),
    ],
)
def test_it_recognizes_po_boxes(line1, po_box):
    assert is_po_box(line1) is po_box


def test_it_builds_settings_from_a_mapping_and_back():
    settings = RuleSettings.from_mapping({"min_participation": {"MEDICAL": "0.9"}, "size_limit": 2})

    assert settings.min_participation == {
        "MEDICAL": Decimal("0.9"),
        "DENTAL": Decimal("0.50"),
        "VISION": Decimal("0.50"),
    }
    assert settings.size_limit_for("KY") == 2
    assert settings.size_limit_for("CA") == 100
    assert RuleSettings.from_mapping(settings.to_mapping()) == settings
    assert RuleSettings.from_mapping(None) == RuleSettings()


def test_it_refuses_an_unknown_setting():
    with pytest.raises(pydantic.ValidationError):
        RuleSettings.from_mapping({"size_limt": 2})


def test_it_gives_a_problem_object_as_api_md_shows(ctx):
    violations = check_group(mutated(_set("/employer/fein", "1")), ctx=ctx)

    assert [v.as_problem() for v in violations] == [
        {
            "code": "GRP-002",
            "pointer": "/employer/fein",
            "message": "The FEIN must be exactly 9 digits.",
            "severity": "error",
            "memberRef": None,
        }
    ]


def test_it_lists_every_rule_of_business_rules_md():
    expected = (
        [f"GRP-{n:03d}" for n in (*range(1, 16), 20, 21, 22, 23, 30, 31, 900)]
        + ["AGT-001", "AGT-002"]
        + [f"MBR-{n:03d}" for n in (*range(1, 16), 20)]
        + [f"FIL-{n:03d}" for n in (1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 900, 901)]
        + [f"MNT-{n:03d}" for n in range(1, 14)]  # 1.1
        + [f"REN-{n:03d}" for n in (*range(1, 10), 900)]
    )
    # the portal's entry checks (phase E), not the carrier's
    portal_own = ["PTL-001", "PTL-002", "PTL-003", "PTL-004"]

    assert sorted(RULES) == sorted(expected + portal_own)
    assert all(rule.summary and rule.fix and rule.when <= set("CVFPDOT") for rule in RULES.values()
               if rule.code not in portal_own)  # fmt: skip
    # E: checked where a member is typed; R: where a roster file is read (members.roster)
    assert all(RULES[code].when == ({"R"} if code == "PTL-004" else {"E"}) for code in portal_own)


def test_it_skips_a_rule_whose_context_fails_and_logs_no_personal_data(monkeypatch, caplog):
    monkeypatch.setattr(rules_base, "STRICT", False)
    ctx = blue_heron_context()

    def broken(zip5, on):
        raise ValueError(f"cannot look up {zip5} for FEIN 123456789")

    ctx.counties_for_zip = broken
    body = mutated(_set("/employer/sicCode", "7361"))

    violations = check_group(body, ctx=ctx)

    assert found(violations) == {("GRP-003", "/employer/sicCode")}
    assert "GRP-004" in caplog.text and "ValueError" in caplog.text
    assert "123456789" not in caplog.text and "40202" not in caplog.text


def test_it_builds_a_fake_context_from_plain_tuples():
    from decimal import Decimal as D

    ctx = FakeContext(
        today=date(2026, 11, 23),
        zip_counties={"40202": {"21111"}},
        areas={("40202", "21111"): "KY-RA02"},
        plans={
            "12345KY0010001": ("MEDICAL", {"KY-RA02"}, True, {"46": (D("765.59"), D("918.71"))}),
            "12345KY0010002": ("MEDICAL", {"KY-RA02"}, True, {}),
            "12345KY0020001": ("DENTAL", {"KY-RA02"}, False, {"EE": D("32.50")}),
            "12345KY0030001": ("VISION", {"KY-RA02"}, False),
        },
    )

    assert check_group(blue_heron_group(), ctx=ctx) == []
    kwargs = {
        "rating_area_id": "KY-RA02",
        "date_of_birth": date(1980, 5, 2),
        "effective_date": date(2027, 1, 1),
    }
    assert ctx.own_premium("12345KY0010001", tobacco=True, **kwargs) == D("918.71")
    assert ctx.own_premium("12345KY0010001", tobacco=False, **kwargs) == D("765.59")
    assert ctx.own_premium("12345KY0020001", tobacco=True, **kwargs) == D("32.50")
    assert ctx.own_premium("12345KY0030001", tobacco=False, **kwargs) is None
    assert not ctx.agent_appointed("99999999", "KY") and ctx.agent_appointed("17012345", "KY")
