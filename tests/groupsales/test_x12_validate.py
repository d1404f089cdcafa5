"""Whole-file checks of a received 834: FIL-001, FIL-003, FIL-004, FIL-005 (validate.py)."""

from __future__ import annotations

from datetime import date

import pytest

from groupsales.x12.parser import parse_834
from groupsales.x12.validate import companion_issues, precheck, pyx12_issues
from portal.samples import NEW_BUSINESS_834, sample_file

SAMPLE = sample_file(NEW_BUSINESS_834)  # the project's writer's Blue Heron 834
EXPECTED = dict(sender_id="PARTNER01", group_id="104233", fein="123456789", usage_indicator="T")


def sample_text() -> str:
    return SAMPLE.read_text(encoding="ascii")


def variant(old: str, new: str) -> str:
    text = sample_text()
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def codes(issues) -> set[tuple[str, int | None]]:
    return {(i.code, i.line) for i in issues}


def test_it_finds_nothing_wrong_with_the_sample():
    assert pyx12_issues(sample_text()) == []
    assert precheck(sample_text(), **EXPECTED, effective_date=date(2027, 1, 1)) == []


def test_it_reports_a_bad_relationship_code_as_fil_005_on_its_line():
    text = variant("INS*N*01*", "INS*N*99*")
    x12 = pyx12_issues(text)
    assert [(i.line, i.segment_id, i.element, i.code, i.bad_value) for i in x12] == [
        (31, "INS", "INS02", "7", "99")
    ]
    assert "Individual Relationship Code" in x12[0].message
    assert codes(precheck(text, **EXPECTED)) == {("FIL-005", 31)}


@pytest.mark.parametrize(
    ("old", "new", "line", "segment"),
    [
        ("SE*82*0001", "SE*81*0001", 84, "SE"),
        ("SE*82*0001", "SE*82*0002", 84, "SE"),
        ("GE*1*123", "GE*1*124", 85, "GE"),
        ("GE*1*123", "GE*2*123", 85, "GE"),
        ("IEA*1*000000123", "IEA*1*000000124", 86, "IEA"),
        ("IEA*1*000000123", "IEA*2*000000123", 86, "IEA"),
    ],
)
def test_it_reports_control_numbers_and_counts_that_disagree_as_fil_004(old, new, line, segment):
    issues = precheck(variant(old, new), **EXPECTED)
    assert [(i.code, i.line, i.segment) for i in issues] == [("FIL-004", line, segment)]


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("*ZZ*PARTNER01      *", "*ZZ*PARTNER02      *", 1, {}),
        ("*ZZ*HUMANAGS       *", "*ZZ*HUMANAXX       *", 1, {}),
        ("*0*T*:~", "*0*P*:~", 1, {}),
        ("GS*BE*PARTNER01*", "GS*BE*PARTNER02*", 2, {}),
        ("REF*38*104233", "REF*38*104234", 5, {}),
        ("FI*123456789", "FI*123456788", 10, {}),
        ("QTY*DT*3", "QTY*DT*4", 8, {}),
        ("QTY*TO*5", "QTY*TO*6", 9, {}),
        ("****2~", "****4~", 4, {}),
        ("BGN*00*", "BGN*15*", 4, {}),
        ("N1*IN*HUMANA*94*HUMGS", "N1*IN*HUMANA*94*OTHER", 11, {}),
    ],
)
def test_it_reports_envelope_and_header_against_the_guide_as_fil_003(old, new, line, expected):
    issues = precheck(variant(old, new), **EXPECTED)
    assert ("FIL-003", line) in codes(issues)
    assert {i.code for i in issues} <= {"FIL-003", "FIL-005"}


def test_it_checks_the_effective_date_when_given():
    issues = precheck(sample_text(), **EXPECTED, effective_date=date(2027, 2, 1))
    assert codes(issues) == {("FIL-003", 6)}


def test_it_catches_a_name_with_a_raw_star():
    issues = precheck(variant("LEE*MAYA", "LEE*MA*YA"), **EXPECTED)
    assert ("FIL-005", 50) in codes(issues)


def test_it_catches_a_name_with_a_raw_tilde():
    issues = precheck(variant("LEE*MAYA", "LEE*MA~YA"), **EXPECTED)
    assert ("FIL-005", 51) in codes(issues)  # "YA" is read as a segment
    assert ("FIL-004", 85) in codes(issues)  # and SE01 no longer counts right


def test_it_catches_an_empty_segment_that_stops_pyx12():
    issues = precheck(variant("HLH*N~\n", "~\n"), **EXPECTED)
    assert ("FIL-005", 24) in codes(issues)


def test_it_refuses_a_non_x12_body_as_fil_001():
    assert codes(precheck("name,dob\nAnn,1980-05-02\n", **EXPECTED)) == {("FIL-001", None)}


def test_it_accepts_pyx12_issues_already_computed():
    text = variant("INS*N*01*", "INS*N*99*")
    x12 = pyx12_issues(text)
    assert companion_issues(parse_834(text), **EXPECTED, x12_issues=x12) == precheck(text, **EXPECTED)


def test_it_reports_isa_element_errors_that_pyx12_json_would_drop():
    x12 = pyx12_issues(variant("*0*T*:~", "*0*X*:~"))
    assert [(i.line, i.segment_id, i.element, i.code) for i in x12] == [(1, "ISA", "ISA15", "7")]
