"""The renewal 834 writer (edi-834-companion.md 1.1, *Renewal files*): DTP*007 = R, every line from R in a
CHANGE loop, the ADD and TERMINATE dates fixed by R; read back by the project's reader, passed by pyx12 and
the companion checks; the guide's sample rebuilt from api.md's bodies."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from groupsales.x12.changes import ChangeFamily
from groupsales.x12.model import Coverage, Envelope, Header, member_from_api
from groupsales.x12.parser import parse_834
from groupsales.x12.renewal import render_renewal_834, renewal_loop
from groupsales.x12.validate import companion_issues, pyx12_issues
from tests.maintenance.bodies import arjun, enrolled, priya

R = date(2028, 1, 1)
ENVELOPE = Envelope(
    sender_id="PARTNER01", interchange_control_number=188, group_control_number=188,
    created_at=datetime(2027, 12, 10, 11, 0),
)  # fmt: skip
HEADER = Header(
    reference="BHB-104233-R2028", group_id="104233", effective_date=date(2027, 1, 1),
    employer_legal_name="Blue Heron Bakery LLC", fein="123456789", agent_name="Sam Ortiz",
    agent_npn="17012345",
)  # fmt: skip


def _cov(line: str, plan: str, tier: str) -> Coverage:
    return Coverage(line=line, plan_id=plan, tier=tier)


def sample_families() -> list[ChangeFamily]:
    """The guide's sample: Luis elects dental; Priya moves from …0004 (…0002's destination) to …0001."""
    luis_body = enrolled("E-002")
    luis_body["coverage"] = [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
        {"line": "DENTAL", "planId": "12345KY0020001", "coverageTier": "EMP"},
        {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
    ]
    luis = renewal_loop(
        member_from_api(luis_body), "CHANGE", R, before=[_cov("MEDICAL", "12345KY0010001", "EMP")]
    )
    priya_body = priya()
    priya_body["coverage"][0]["planId"] = "12345KY0010001"
    priya_before = [_cov("MEDICAL", "12345KY0010002", "ECH"), _cov("DENTAL", "12345KY0020001", "ECH")]
    shah = renewal_loop(member_from_api(priya_body), "CHANGE", R, before=priya_before)
    return [
        ChangeFamily(subscriber_ref="E-002", loops=(luis,)),
        ChangeFamily(subscriber_ref="E-003", loops=(shah,)),
    ]


def checked(text: str):
    assert pyx12_issues(text) == []
    parsed = parse_834(text)
    issues = companion_issues(
        parsed,
        sender_id="PARTNER01",
        group_id="104233",
        fein="123456789",
        usage_indicator="T",
        effective_date=R,
    )
    assert issues == [], issues
    assert not parsed.is_change_file and parsed.header.effective_date == R
    return parsed


def test_it_rebuilds_the_guides_sample_renewal_file(carrier_samples):
    text = render_renewal_834(ENVELOPE, HEADER, sample_families(), renewal_date=R)
    sample = (carrier_samples / "renewal-2028.834").read_text()
    assert text.strip().split("~\n") == sample.strip().split("~\n")


def test_a_change_loop_holds_every_line_from_r_and_pyx12_passes():
    parsed = checked(render_renewal_834(ENVELOPE, HEADER, sample_families(), renewal_date=R))
    luis, shah = parsed.members
    assert (luis.maintenance_type, luis.maintenance_reason) == ("001", "41")
    assert [(c.maintenance_type, c.insurance_line, c.start_date) for c in luis.coverages] == [
        ("001", "HLT", R),  # kept, unchanged: still sent
        ("021", "DEN", R),  # newly elected
    ]
    assert [(c.maintenance_type, c.plan_id, c.tier) for c in shah.coverages] == [
        ("001", "12345KY0010001", "ECH"),
        ("001", "12345KY0020001", "ECH"),
    ]


def test_add_terminate_and_a_line_given_up_carry_the_dates_of_r():
    ann_body = enrolled("E-001")
    ann_after = {**ann_body, "coverage": [c for c in ann_body["coverage"] if c["line"] != "VISION"]}
    held = [_cov(c["line"], c["planId"], c["coverageTier"]) for c in ann_body["coverage"]]
    ann = renewal_loop(member_from_api(ann_after), "CHANGE", R, before=held)
    subscriber = member_from_api(priya())
    joining = renewal_loop(member_from_api(arjun(), subscriber), "ADD", R)
    leaving = renewal_loop(member_from_api(enrolled("E-001-S"), member_from_api(ann_body)), "TERMINATE", R)
    families = [
        ChangeFamily(subscriber_ref="E-001", loops=(ann, leaving)),
        ChangeFamily(subscriber_ref="E-003", loops=(joining,)),
    ]
    parsed = checked(render_renewal_834(ENVELOPE, HEADER, families, renewal_date=R))
    ann_loop, david, arjun_loop = parsed.members
    vision = [c for c in ann_loop.coverages if c.insurance_line == "VIS"]
    assert [(c.maintenance_type, c.end_date) for c in vision] == [("024", date(2027, 12, 31))]
    assert (david.maintenance_type, david.maintenance_reason, david.dates) == (
        "024",
        "14",
        {"357": date(2027, 12, 31)},
    )
    assert david.coverages == []
    assert (arjun_loop.maintenance_type, arjun_loop.maintenance_reason, arjun_loop.dates) == (
        "021",
        "28",
        {"356": R},
    )
    assert {(c.maintenance_type, c.start_date) for c in arjun_loop.coverages} == {("021", R)}


def test_only_renewal_loops_for_that_date():
    loop = renewal_loop(member_from_api(enrolled("E-002")), "CHANGE", date(2029, 1, 1))
    with pytest.raises(ValueError, match="not a renewal loop"):
        render_renewal_834(
            ENVELOPE, HEADER, [ChangeFamily(subscriber_ref="E-002", loops=(loop,))], renewal_date=R
        )
    with pytest.raises(ValueError, match="ADD, CHANGE or TERMINATE"):
        renewal_loop(member_from_api(enrolled("E-002")), "REINSTATE", R)
