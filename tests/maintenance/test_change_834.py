"""The change 834 writer (edi-834-companion.md 1.1, *Change files*): each action's codes and dates,
read back by the project's own reader and passed by pyx12; the guide's sample rebuilt from api.md's bodies."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from groupsales.x12.changes import ChangeFamily, ChangeLoop, render_change_834
from groupsales.x12.model import Coverage, Envelope, Header, member_from_api
from groupsales.x12.parser import parse_834
from groupsales.x12.validate import companion_issues, pyx12_issues

from .bodies import arjun, enrolled, priya

ENVELOPE = Envelope(
    sender_id="PARTNER01",
    interchange_control_number=131,
    group_control_number=131,
    created_at=datetime(2027, 3, 23, 9, 15),
)
HEADER = Header(
    reference="BHB-104233-C1",
    group_id="104233",
    effective_date=date(2027, 1, 1),
    employer_legal_name="Blue Heron Bakery LLC",
    fein="123456789",
    agent_name="Sam Ortiz",
    agent_npn="17012345",
)
MAY = date(2027, 5, 1)


def new_hire_family() -> ChangeFamily:
    subscriber = member_from_api(priya())
    child = member_from_api(arjun(), subscriber)
    loops = tuple(
        ChangeLoop(
            member=m,
            action="ADD",
            event_type="NEW_HIRE",
            event_date=date(2027, 3, 15),
            effective_date=MAY,
            reason="28",
        )
        for m in (subscriber, child)
    )
    return ChangeFamily(subscriber_ref="E-003", loops=loops)


def checked(text: str):
    assert pyx12_issues(text) == []
    parsed = parse_834(text)
    issues = companion_issues(
        parsed, sender_id="PARTNER01", group_id="104233", fein="123456789", usage_indicator="T"
    )
    assert issues == [], issues
    assert parsed.is_change_file
    return parsed


def test_it_writes_a_new_hire_with_add_codes_and_dates_read_back_by_the_reader_and_pyx12():
    parsed = checked(render_change_834(ENVELOPE, HEADER, [new_hire_family()]))

    priya_loop, arjun_loop = parsed.members
    assert (priya_loop.maintenance_type, priya_loop.maintenance_reason) == ("021", "28")
    assert priya_loop.dates == {"336": date(2027, 3, 15), "356": MAY}
    assert [(c.maintenance_type, c.insurance_line, c.tier, c.start_date) for c in arjun_loop.coverages] == [
        ("021", "HLT", "ECH", MAY),
        ("021", "DEN", "ECH", MAY),
    ]


def test_it_rebuilds_the_guides_sample_change_file_from_api_md_bodies(carrier_samples):
    sample = carrier_samples / "change-new-hire.834"
    text = render_change_834(ENVELOPE, HEADER, [new_hire_family()])

    assert text.strip().split("~\n") == sample.read_text().strip().split("~\n")


def divorce() -> ChangeFamily:
    ann_body = enrolled("E-001", maritalStatus="DIVORCED")
    for cover in ann_body["coverage"]:
        cover["coverageTier"] = "ECH"
    ann, david = (
        member_from_api(ann_body),
        member_from_api(enrolled("E-001-S"), member_from_api(enrolled("E-001"))),
    )
    fam = tuple(Coverage(line=c.line, plan_id=c.plan_id, tier="FAM") for c in ann.coverage)
    common = {
        "event_type": "DIVORCE",
        "event_date": date(2027, 8, 20),
        "effective_date": date(2027, 9, 1),
        "reason": "01",
    }
    return ChangeFamily(
        subscriber_ref="E-001",
        loops=(
            ChangeLoop(member=ann, action="CHANGE", before=fam, **common),
            ChangeLoop(member=david, action="TERMINATE", coverage_end=date(2027, 8, 31), **common),
        ),
    )


def test_it_writes_a_divorce_as_the_subscribers_tier_change_and_the_spouses_termination():
    parsed = checked(render_change_834(ENVELOPE, HEADER, [divorce()]))

    ann, david = parsed.members
    assert (ann.maintenance_type, ann.maintenance_reason, ann.marital_code) == ("001", "01", "D")
    assert {(c.maintenance_type, c.tier, c.start_date) for c in ann.coverages} == {
        ("001", "ECH", date(2027, 9, 1))
    }
    assert len(ann.coverages) == 3
    assert (david.maintenance_type, david.maintenance_reason, david.dates) == (
        "024",
        "01",
        {"357": date(2027, 8, 31)},
    )
    assert david.coverages == []


def test_it_writes_end_of_employment_death_and_reinstatement_codes():
    luis = member_from_api(enrolled("E-002"))
    ends = ChangeLoop(
        member=luis,
        action="TERMINATE",
        event_type="END_OF_EMPLOYMENT",
        event_date=date(2027, 9, 15),
        effective_date=date(2027, 10, 1),
        coverage_end=date(2027, 9, 30),
        reason="08",
    )
    back = ChangeLoop(
        member=luis,
        action="REINSTATE",
        event_type="REINSTATEMENT",
        event_date=date(2027, 9, 30),
        effective_date=date(2027, 10, 1),
        reason="20",
    )
    ann = member_from_api(enrolled("E-001"))
    died = ChangeLoop(
        member=member_from_api(enrolled("E-001-S"), ann),
        action="TERMINATE",
        event_type="DEATH",
        event_date=date(2027, 6, 10),
        effective_date=date(2027, 7, 1),
        coverage_end=date(2027, 6, 30),
        reason="03",
    )

    first = checked(
        render_change_834(
            ENVELOPE,
            HEADER,
            [
                ChangeFamily(subscriber_ref="E-002", loops=(ends,)),
                ChangeFamily(subscriber_ref="E-001", loops=(died,)),
            ],
        )
    )
    again = checked(
        render_change_834(ENVELOPE, HEADER, [ChangeFamily(subscriber_ref="E-002", loops=(back,))])
    )

    assert (first.members[0].employment_status, first.members[0].dates["337"]) == ("TE", date(2027, 9, 15))
    assert first.members[1].death_date == date(2027, 6, 10) and first.members[1].maintenance_reason == "03"
    assert (again.members[0].maintenance_type, again.members[0].dates["303"]) == ("025", date(2027, 10, 1))


def test_it_refuses_a_family_with_two_events():
    family = new_hire_family()
    other = ChangeLoop(
        member=family.loops[1].member,
        action="ADD",
        event_type="BIRTH",
        event_date=date(2027, 3, 1),
        effective_date=date(2027, 3, 1),
        reason="02",
    )

    with pytest.raises(ValueError, match="MNT-013"):
        render_change_834(
            ENVELOPE, HEADER, [ChangeFamily(subscriber_ref="E-003", loops=(family.loops[0], other))]
        )
