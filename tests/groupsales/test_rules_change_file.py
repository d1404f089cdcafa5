"""A change file's loops (phase P, business-rules.md 1.1): FIL-013, FIL-014, MNT-012 and MNT-013, each with a
loop that breaks it and one that passes, over the loops the project's writer gives for api.md's new hire."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from groupsales.rules import LoopCheck, check_change_loop
from groupsales.rules import _base as rules_base
from groupsales.rules.change_file import FamilyMember
from groupsales.x12.changes import render_change_834
from groupsales.x12.parser import parse_834
from tests.maintenance.test_change_834 import ENVELOPE, HEADER, new_hire_family

MAY = date(2027, 5, 1)


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


def loops(text: str | None = None):
    return parse_834(text or render_change_834(ENVELOPE, HEADER, [new_hire_family()])).members


def priya_check(loop=None, **changes) -> LoopCheck:
    check = LoopCheck(
        loop=loop or loops()[0], relationship="SUBSCRIBER", event_type="NEW_HIRE", action="ADD",
        event_date=date(2027, 3, 15), effective_date=MAY, coverage_end=None, send_by=date(2027, 4, 1),
        reason_code="28", received_on=date(2027, 3, 23),
        expected={"HLT": ("12345KY0010002", "ECH"), "DEN": ("12345KY0020001", "ECH")},
        family_events=[("NEW_HIRE", "2027-03-15"), ("NEW_HIRE", "2027-03-15")],
        subscriber_tiers={"MEDICAL": "ECH", "DENTAL": "ECH"},
        family_after=[FamilyMember("E-003-C1", "CHILD", frozenset({"MEDICAL", "DENTAL"}))],
    )  # fmt: skip
    return replace(check, **changes)


def codes(check: LoopCheck) -> list[str]:
    return [v.code for v in check_change_loop(check)]


def edited(old: str, new: str):
    text = render_change_834(ENVELOPE, HEADER, [new_hire_family()])
    assert old in text
    return loops(text.replace(old, new, 1))[0]


CASES = [
    ("FIL-013", priya_check(edited("INS*Y*18*021*28", "INS*Y*18*021*32"))),
    ("FIL-013", priya_check(edited("HD*021**HLT", "HD*001**HLT"))),
    ("FIL-013", priya_check(event_type=None)),
    ("FIL-014", priya_check(edited("DTP*356*D8*20270501", "DTP*356*D8*20270401"))),
    ("FIL-014", priya_check(edited("DTP*348*D8*20270501", "DTP*348*D8*20270415"))),
    ("MNT-012", priya_check(received_on=date(2027, 4, 2))),
    ("MNT-013", priya_check(family_events=[("NEW_HIRE", "2027-03-15"), ("BIRTH", "2027-03-01")])),
    ("MNT-013", priya_check(subscriber_tiers={"MEDICAL": "EMP", "DENTAL": "ECH"})),
]


@pytest.mark.parametrize(("code", "check"), CASES, ids=[c[0] for c in CASES])
def test_each_change_file_rule_breaks(code, check):
    assert code in codes(check)


def test_the_writers_loops_pass_every_rule_and_the_send_by_day_itself_is_in_time():
    assert codes(priya_check()) == []
    assert codes(priya_check(received_on=date(2027, 4, 1))) == []


def test_a_termination_loop_needs_its_coverage_end_and_no_hd():
    terminate = priya_check(action="TERMINATE", event_type="END_OF_EMPLOYMENT", reason_code="08",
                            coverage_end=date(2027, 9, 30), subscriber_tiers={})  # fmt: skip

    assert set(codes(terminate)) == {"FIL-013", "FIL-014"}  # INS03 021, HDs sent, no DTP*357/337
