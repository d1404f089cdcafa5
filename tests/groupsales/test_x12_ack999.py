"""The 999 acknowledgment (ack999.py)."""

from __future__ import annotations

from datetime import datetime

from groupsales.x12.ack999 import build_999
from groupsales.x12.parser import is_interchange, parse_834
from groupsales.x12.validate import companion_issues, pyx12_issues
from portal.samples import NEW_BUSINESS_834, sample_file

SAMPLE = sample_file(NEW_BUSINESS_834)  # the project's writer's Blue Heron 834
EXPECTED = dict(sender_id="PARTNER01", group_id="104233", fein="123456789", usage_indicator="T")


def acknowledge(text: str) -> str:
    x12 = pyx12_issues(text)
    parsed = parse_834(text)
    issues = companion_issues(parsed, **EXPECTED, x12_issues=x12)
    return build_999(
        parsed,
        issues,
        x12,
        partner_id="PARTNER01",
        interchange_control_number=900001,
        group_control_number=900001,
        created_at=datetime(2026, 11, 23, 10, 45),
    )


def segments(ack: str) -> list[str]:
    return [s.strip() for s in ack.split("~") if s.strip()]


def test_it_accepts_the_sample():
    ack = acknowledge(SAMPLE.read_text(encoding="ascii"))
    assert segments(ack)[1:] == [
        "GS*FA*HUMANAGS*PARTNER01*20261123*1045*900001*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*BE*123*005010X220A1",
        "AK2*834*0001*005010X220A1",
        "IK5*A",
        "AK9*A*1*1*1",
        "SE*6*0001",
        "GE*1*900001",
        "IEA*1*000900001",
    ]
    assert segments(ack)[0].startswith(
        "ISA*00*          *00*          *ZZ*HUMANAGS       *ZZ*PARTNER01      *"
    )


def test_it_rejects_a_fil_005_file_with_the_segment_and_element():
    ack = acknowledge(SAMPLE.read_text(encoding="ascii").replace("INS*N*01*", "INS*N*99*", 1))
    body = segments(ack)
    assert "IK3*INS*29**8" in body and "IK4*2*1069*7*99" in body
    assert "IK5*R*5" in body and "AK9*R*1*1*0" in body


def test_it_rejects_a_fil_004_file():
    body = segments(acknowledge(SAMPLE.read_text(encoding="ascii").replace("SE*82*", "SE*80*")))
    assert "IK5*R*4" in body and "AK9*R*1*1*0" in body


def test_it_writes_a_999_that_is_itself_valid_x12():
    for text in (
        SAMPLE.read_text(encoding="ascii"),
        SAMPLE.read_text(encoding="ascii").replace("LEE*MAYA", "LEE*MA*YA"),
    ):
        ack = acknowledge(text)
        assert is_interchange(ack)
        assert pyx12_issues(ack) == []


def test_it_would_notice_a_broken_999():
    ack = acknowledge(SAMPLE.read_text(encoding="ascii")).replace("IK5*A", "IK5*Z")
    issues = pyx12_issues(ack)
    assert issues and {i.segment_id for i in issues} == {"IK5"}
