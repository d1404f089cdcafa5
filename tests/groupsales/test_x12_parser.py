"""Reading 834s: delimiters, line ordinals, member loops (parser.py)."""

from __future__ import annotations

from datetime import date

import pytest

from groupsales.x12.parser import X12SyntaxError, detect_delimiters, is_interchange, iter_segments, parse_834
from portal.samples import NEW_BUSINESS_834, sample_file

SAMPLE = sample_file(NEW_BUSINESS_834)  # the project's writer's Blue Heron 834
EFFECTIVE = date(2027, 1, 1)


def sample_text() -> str:
    return SAMPLE.read_text(encoding="ascii")


def with_other_delimiters(text: str) -> str:
    """The sample with | element, > component, ! repetition, ' segment terminator and no newlines."""
    assert "'" not in text and "|" not in text
    return text.replace("~\n", "~").translate(str.maketrans({"*": "|", ":": ">", "^": "!", "~": "'"}))


def test_it_finds_five_members_with_their_refs_relationships_and_lines():
    parsed = parse_834(sample_text())
    found = [
        (
            m.line,
            m.member_ref,
            m.subscriber_ref,
            m.relationship_code,
            tuple(c.insurance_line for c in m.coverages),
        )
        for m in parsed.members
    ]
    assert found == [
        (13, "E-001", "E-001", "18", ("HLT", "DEN", "VIS")),
        (31, "E-001-S", "E-001", "01", ("HLT", "DEN", "VIS")),
        (45, "E-001-C1", "E-001", "19", ("HLT", "DEN", "VIS")),
        (58, "E-001-C2", "E-001", "19", ("HLT", "DEN", "VIS")),
        (71, "E-002", "E-002", "18", ("HLT",)),
    ]


def test_it_reads_names_ssn_dates_plans_and_tiers():
    ann, david, maya, noah, luis = parse_834(sample_text()).members
    assert (ann.last_name, ann.first_name, ann.ssn, ann.gender_code, ann.marital_code) == (
        "LEE", "ANN", "123456789", "F", "M",
    )  # fmt: skip
    assert (ann.phone, ann.email, ann.postal_code, ann.county_fips) == (
        "5025550111", "ANN@EXAMPLE.COM", "40202", "21111",
    )  # fmt: skip
    assert ann.hire_date == date(2019, 6, 10) and ann.eligibility_begin == EFFECTIVE
    assert david.tobacco_code == "T" and maya.tobacco_code is None
    assert noah.ssn is None and noah.birth_date == date(2026, 7, 2)
    assert [(c.plan_id, c.tier, c.start_date) for c in luis.coverages] == [
        ("12345KY0010001", "EMP", EFFECTIVE)
    ]


def test_it_counts_lines_from_isa_as_api_md_reports_them():
    maya = parse_834(sample_text()).members[2]
    assert maya.line_of("DMG") == 51  # api.md's example: FIL-010 on DMG, line 51


def test_it_reads_envelope_and_header():
    parsed = parse_834(sample_text())
    envelope = (
        parsed.sender_id,
        parsed.receiver_id,
        parsed.interchange_control_number,
        parsed.usage_indicator,
    )
    assert envelope == ("PARTNER01", "HUMANAGS", "000000123", "T")
    h = parsed.header
    assert (h.purpose, h.reference, h.action, h.group_id, h.effective_date) == (
        "00", "BHB-104233-1", "2", "104233", EFFECTIVE,
    )  # fmt: skip
    assert h.quantities == {"ET": "2", "DT": "3", "TO": "5"}
    assert h.parties["P5"].element(4) == "123456789"


def test_it_detects_delimiters_from_the_isa():
    text = with_other_delimiters(sample_text())
    d = detect_delimiters(text)
    assert (d.element, d.component, d.repetition, d.segment) == ("|", ">", "!", "'")
    assert is_interchange(text)
    assert [m.member_ref for m in parse_834(text).members] == [
        "E-001",
        "E-001-S",
        "E-001-C1",
        "E-001-C2",
        "E-002",
    ]


def test_it_tolerates_crlf_after_each_terminator():
    text = sample_text().replace("~\n", "~\r\n")
    assert is_interchange(text)
    assert [s.id for s in iter_segments(text)][-3:] == ["SE", "GE", "IEA"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "hello, world",
        '{"members": []}',
        "ISA*00*short~IEA*1*1~",
        "<?xml version='1.0'?><ISA/>",
    ],
)
def test_it_says_a_non_x12_body_is_not_an_interchange(body):
    assert not is_interchange(body)


def test_it_says_a_file_without_iea_is_not_an_interchange():
    assert is_interchange(sample_text())
    assert not is_interchange(sample_text().replace("IEA*1*000000123~\n", ""))


def test_it_raises_a_syntax_error_without_an_isa():
    with pytest.raises(X12SyntaxError):
        parse_834("GS*BE*X~")
