"""REN-007 (business-rules.md 1.1): renewal open enrollment at member validation, each part with a body that
breaks it and one that passes; the mid-year rules leave a renewal election alone."""

from __future__ import annotations

from datetime import date

import pytest

from groupsales.rules import _base as rules_base
from groupsales.rules import check_change
from groupsales.rules.testing import blue_heron_context, blue_heron_group
from tests.maintenance.bodies import enrolled, event, priya

from .test_rules_maintenance import roster

R = date(2028, 1, 1)
OFFERINGS = [
    {"line": "MEDICAL", "planIds": ["12345KY0010001", "12345KY0010004"], "ratingOption": "AGE",
     "contribution": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"}, "planMappings": []},
    {"line": "DENTAL", "planIds": ["12345KY0020001"],
     "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"}, "planMappings": []},
    {"line": "VISION", "planIds": ["12345KY0030001"],
     "contribution": {"basis": "PERCENT", "employee": "100.00", "dependents": "0.00"}, "planMappings": []},
]  # fmt: skip


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


def luis_elects_dental(action: str = "CHANGE", day: str = "2028-01-01", dental_plan: str = "12345KY0020001"):
    body = enrolled("E-002", event=event("RENEWAL_OPEN_ENROLLMENT", action, day))
    body["coverage"] = [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
        {"line": "DENTAL", "planId": dental_plan, "coverageTier": "EMP"},
        {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
    ]
    return body


def ren_007(body, *, today="2027-12-10", accepted=True, held=None):
    group = blue_heron_group()
    group["offerings"] = [{k: v for k, v in o.items() if k != "planMappings"} for o in OFFERINGS]
    ctx = blue_heron_context(today=date.fromisoformat(today))
    violations, dates = check_change(
        body, group=group, ctx=ctx, request_date=ctx.today, group_status="ENROLLED",
        roster=roster() if held is None else held, renewal_date=R, renewal_accepted=accepted,
        renewal_offerings=OFFERINGS,
    )  # fmt: skip
    return [(v.pointer, v.message) for v in violations if v.code == "REN-007"], violations, dates


def test_a_renewal_election_passes_with_the_renewal_date_and_send_by_the_cutoff():
    found, violations, dates = ren_007(luis_elects_dental())
    assert found == []
    mid_year = {v.code for v in violations} & {"MNT-002", "MNT-003", "MNT-006", "MNT-008", "MNT-011"}
    assert mid_year == set()
    assert (dates.effective_date, dates.coverage_end, dates.send_by) == (R, None, date(2027, 12, 31))


def test_it_needs_the_renewal_accepted():
    found, _, _ = ren_007(luis_elects_dental(), accepted=False)
    assert found == [("/event/type", "Renewal open enrollment opens once the group's renewal is accepted "
                                     "(decided or passively).")]  # fmt: skip


def test_it_ends_the_day_before_the_renewal_date():
    assert ren_007(luis_elects_dental(), today="2027-12-31")[0] == []
    found, _, _ = ren_007(luis_elects_dental(), today="2028-01-01")
    assert ("/event/date", "Renewal open enrollment ended on 2027-12-31.") in found


def test_its_event_date_is_the_renewal_date():
    found, _, _ = ren_007(luis_elects_dental(day="2027-12-15"))
    assert ("/event/date", "A renewal election's event date is the renewal date 2028-01-01.") in found


def test_elections_name_plans_of_the_renewal():
    found, _, _ = ren_007(luis_elects_dental(dental_plan="12345KY0020009"))
    assert found == [("/coverage/1/planId", "12345KY0020009 is not a plan of the renewal for dental.")]


def test_add_is_for_a_member_not_covered_the_day_before_and_change_for_one_covered():
    found, _, _ = ren_007(luis_elects_dental(action="ADD"))
    assert found == [("/event/action", "The member is covered on 2027-12-31: its election is a CHANGE.")]
    joining = priya(event=event("RENEWAL_OPEN_ENROLLMENT", "CHANGE", "2028-01-01"))
    joining["coverage"][0]["planId"] = "12345KY0010004"
    found, _, _ = ren_007(joining, held=roster())  # Priya is not on the roster
    assert found == [("/event/action", "The member is not covered on 2027-12-31: its election is an ADD.")]
    joining["event"]["action"] = "ADD"
    assert ren_007(joining, held=roster())[0] == []


def test_a_termination_at_renewal_is_judged_too():
    leaving = enrolled("E-002", event=event("RENEWAL_OPEN_ENROLLMENT", "TERMINATE", "2028-01-01"))
    found, _, dates = ren_007(leaving)
    assert found == [] and dates.coverage_end == date(2027, 12, 31)
    found, _, _ = ren_007(leaving, today="2028-01-02")
    assert ("/event/date", "Renewal open enrollment ended on 2027-12-31.") in found
