"""The 999 acknowledgment (ack999.py)."""

from __future__ import annotations

import logging
import os
import random
import re
from datetime import datetime

import pytest

from groupsales.x12.ack999 import build_999
from groupsales.x12.parser import X12SyntaxError, is_interchange, parse_834
from groupsales.x12.validate import companion_issues, pyx12_issues
from portal.samples import NEW_BUSINESS_834, sample_file
from tests.x12_mutations import mutate

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


# --------------------------------------------------------------------------- the 999's units (issue 17)

TEXT = SAMPLE.read_text(encoding="ascii")
LINES = TEXT.split("~\n")
ST_AT = next(i for i, s in enumerate(LINES) if s.startswith("ST*"))
SE_AT = next(i for i, s in enumerate(LINES) if s.startswith("SE*"))


def transaction_set(control: str) -> list[str]:
    """The sample's ST … SE with ``control`` as ST02 and SE02 (SE01 still counts right)."""
    block = LINES[ST_AT : SE_AT + 1]
    return [f"ST*834*{control}*005010X220A1", *block[1:-1], block[-1].replace("*0001", f"*{control}")]


def with_sets(*controls: str, gs06: str = "123") -> str:
    head = [s.replace("*123*X*", f"*{gs06}*X*") if s.startswith("GS*") else s for s in LINES[:ST_AT]]
    sets = [s for c in controls for s in transaction_set(c)]
    return "~\n".join([*head, *sets, f"GE*{len(controls)}*{gs06}", *LINES[SE_AT + 2 :]])


def elements(ack: str, seg_id: str) -> list[list[str]]:
    return [s.split("*") for s in segments(ack) if s.split("*")[0] == seg_id]


def test_it_writes_one_ak2_and_ik5_per_transaction_set_echoing_st01_st02_st03():
    ack = acknowledge(with_sets("0001", "0042", "123456789"))
    assert [e[1:] for e in elements(ack, "AK2")] == [
        ["834", "0001", "005010X220A1"],
        ["834", "0042", "005010X220A1"],
        ["834", "123456789", "005010X220A1"],
    ]
    assert len(elements(ack, "IK5")) == 3
    assert elements(ack, "AK9") == [["AK9", "A", "3", "3", "3"]]
    assert pyx12_issues(ack) == []


def test_it_rejects_only_the_transaction_set_in_error_and_counts_the_group_partly_accepted():
    text = with_sets("0001", "0002")
    second_ins = [i for i, s in enumerate(text.split("~\n")) if s.startswith("INS*N*01*")][-1]
    lines = text.split("~\n")
    lines[second_ins] = lines[second_ins].replace("INS*N*01*", "INS*N*99*")
    ack = acknowledge("~\n".join(lines))
    assert [e[1:] for e in elements(ack, "IK5")] == [["A"], ["R", "5"]]
    assert elements(ack, "AK9") == [["AK9", "P", "2", "2", "1"]]
    assert pyx12_issues(ack) == []


def test_it_writes_one_999_set_per_functional_group_echoing_gs01_gs06_gs08():
    def group(gs06: str) -> list[str]:  # GS … GE of a one-set file
        lines = with_sets("0001", gs06=gs06).split("~\n")
        return lines[1 : next(i for i, s in enumerate(lines) if s.startswith("GE*")) + 1]

    ack = acknowledge("~\n".join([LINES[0], *group("4567"), *group("4568"), "IEA*2*000000123", ""]))
    assert [e[1:] for e in elements(ack, "ST")] == [
        ["999", "0001", "005010X231A1"],
        ["999", "0002", "005010X231A1"],
    ]
    assert [e[1:] for e in elements(ack, "AK1")] == [
        ["BE", "4567", "005010X220A1"],
        ["BE", "4568", "005010X220A1"],
    ]
    assert elements(ack, "GE") == [["GE", "2", "900001"]]
    assert [e[1] for e in elements(ack, "AK9")] == ["A", "A"]
    assert pyx12_issues(ack) == []


def test_it_gives_a_reason_with_every_rejection():
    for text, ik5, ak9 in (
        (TEXT.replace("INS*N*01*", "INS*N*99*", 1), ["R", "5"], ["R", "1", "1", "0"]),  # a code value
        (TEXT.replace("SE*82*0001", "SE*80*0001"), ["R", "4"], ["R", "1", "1", "0"]),  # SE01 miscounted
        (TEXT.replace("SE*82*0001", "SE*82*0002"), ["R", "3"], ["R", "1", "1", "0"]),  # SE02 is not ST02
    ):
        ack = acknowledge(text)
        assert [e[1:] for e in elements(ack, "IK5")] == [ik5], ack
        assert elements(ack, "AK9")[0][1:5] == ak9, ack
        assert pyx12_issues(ack) == []
    ack = acknowledge(TEXT.replace("GE*1*123", "GE*2*123"))  # GE01 miscounted: the group's reason
    assert elements(ack, "AK9") == [["AK9", "R", "2", "1", "1", "5"]]
    assert pyx12_issues(ack) == []


def test_it_answers_interchange_errors_with_a_ta1_and_acknowledges_no_group():
    ack = acknowledge(TEXT.replace("IEA*1*000000123", "IEA*1*000000124"))  # IEA02 is not ISA13
    assert elements(ack, "TA1") == [["TA1", "000000123", "261123", "1030", "R", "001"]]
    assert not elements(ack, "GS") and not elements(ack, "AK1") and elements(ack, "IEA")[0][1] == "0"
    assert pyx12_issues(ack) == []
    no_group = acknowledge(LINES[0] + "~\nIEA*0*000000123~\n")  # nothing a 999 could acknowledge
    assert elements(no_group, "TA1")[0][4:] == ["R", "024"] and not elements(no_group, "AK1")
    assert pyx12_issues(no_group) == []
    asked = acknowledge(TEXT.replace("*0*T*:~", "*1*T*:~", 1))  # ISA14 = 1: a TA1 in any case
    assert elements(asked, "TA1")[0][4:] == ["A", "000"] and elements(asked, "AK9")[0][1] == "A"
    assert pyx12_issues(asked) == []


def test_it_writes_a_composite_element_error_as_an_ik4_position_with_its_component():
    ack = acknowledge(TEXT.replace("INS*Y*18*021*28*A***FT", "INS*Y*18*021*28*A*Z**FT", 1))
    assert elements(ack, "IK3") == [["IK3", "INS", "11", "", "8"]]
    assert elements(ack, "IK4") == [["IK4", "6:1", "1218", "7", "Z"]]
    assert pyx12_issues(ack) == []


IK4_POSITION = re.compile(r"\d{1,2}(:\d{1,2}(:\d{1,2})?)?")
CORPUS = int(os.environ.get("ACK999_CORPUS_FILES", "150"))
SLICES = 3  # the seeds dealt into tests of their own, so that xdist spreads them over workers


@pytest.mark.parametrize("part", range(SLICES))
def test_every_999_written_over_the_malformed_corpus_is_valid_x12_with_its_units(part):
    """tests/x12_mutations.py's seeded corpus (the fuzz test's files, without HTTP): each 999 passes pyx12's
    999 validation; one 999 set per group, one AK2/IK5 per set, a reason on every R, IK4 positions numeric."""
    logger = logging.getLogger("pyx12")
    level, written, unreadable = logger.level, 0, 0
    logger.setLevel(logging.CRITICAL)
    try:
        seeds = range(part, CORPUS, SLICES)
        for seed in seeds:
            text = mutate(TEXT, random.Random(seed))
            if not is_interchange(text):
                unreadable += 1  # FIL-001 at upload: no 999 is written
                continue
            try:
                parsed = parse_834(text)
            except X12SyntaxError:
                unreadable += 1
                continue
            ack = acknowledge(text)
            written += 1
            assert pyx12_issues(ack) == [], (seed, ack)
            if any(e[4] == "R" for e in elements(ack, "TA1")):
                assert not elements(ack, "AK1"), seed
                continue
            assert len(elements(ack, "AK1")) == len(parsed.all("GS")), (seed, ack)
            assert len(elements(ack, "AK2")) == len(elements(ack, "IK5")), (seed, ack)
            assert len(elements(ack, "AK2")) <= len(parsed.all("ST")), (seed, ack)
            assert all(len(e) > 2 for e in elements(ack, "IK5") if e[1] == "R"), (seed, ack)
            assert all(len(e) > 5 or e[3] != e[4] for e in elements(ack, "AK9") if e[1] == "R"), (seed, ack)
            assert all(IK4_POSITION.fullmatch(e[1]) for e in elements(ack, "IK4")), (seed, ack)
    finally:
        logger.setLevel(level)
    counts = f"{written} 999s written and valid, {unreadable} FIL-001"
    print(f"\nmalformed corpus slice {part}: {len(seeds)} of {CORPUS} files, {counts}")
    assert written >= len(seeds) // 2
