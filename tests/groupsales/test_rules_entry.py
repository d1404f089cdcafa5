"""The portal's own entry checks of what the 834 can carry (rules/entry.py: PTL-001, PTL-002, PTL-003).

Issue 17, items 7, 9 and 10: "Σοφία Wang" passed MBR-001 and reached the carrier with no first name; a
phone kept all its digits; address lines and cities were cut. The carrier's rules stay as they are.
"""

from __future__ import annotations

import pytest

from groupsales.rules import RULES, check_member, check_member_entry
from groupsales.rules import _base as rules_base
from groupsales.rules.entry import address_problem, name_problem, phone_problem, transliteration_hint
from groupsales.rules.testing import blue_heron_context, blue_heron_group, blue_heron_members


@pytest.fixture(autouse=True)
def strict_rules(monkeypatch):
    monkeypatch.setattr(rules_base, "STRICT", True)


def ann(**changes) -> dict:
    body = blue_heron_members()[0]
    body.update(changes)
    return body


def found(body: dict) -> list[tuple[str, str]]:
    return [(v.code, v.pointer) for v in check_member_entry(body)]


def test_it_finds_nothing_in_the_blue_heron_members():
    assert [found(body) for body in blue_heron_members()] == [[]] * 5


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"firstName": "Σοφία", "lastName": "Wang"}, [("PTL-001", "/firstName")]),
        ({"firstName": "張偉 Ωmega", "lastName": "Chen"}, [("PTL-001", "/firstName")]),
        ({"lastName": "Σοφία"}, [("PTL-001", "/lastName")]),
        ({"middleName": "Ωmega"}, [("PTL-001", "/middleName")]),
        ({"firstName": "A" * 34 + "ß"}, [("PTL-001", "/firstName")]),  # 35 typed, 36 written
    ],
)
def test_it_refuses_a_name_the_834_cannot_carry(changes, expected):
    assert found(ann(**changes)) == expected


@pytest.mark.parametrize("first", ["José", "Zoë", "Łukasz", "Ærø", "O\u2019Neil", "Grete-Straße", "A" * 35])
def test_it_accepts_latin_names_with_accents(first):
    assert found(ann(firstName=first)) == []


def test_it_leaves_a_too_long_name_to_mbr_001():
    assert found(ann(firstName="A" * 36)) == []
    assert ("MBR-001", "/firstName") in [(v.code, v.pointer) for v in validate_as_carrier(firstName="A" * 36)]


def test_it_suggests_a_transliteration_only_for_alphabets():
    assert transliteration_hint("Σοφία") == "Sofia"
    assert transliteration_hint("Москва") == "Moskva"
    assert transliteration_hint("張偉") is None  # a Chinese or Japanese reading is a guess
    assert transliteration_hint("محمد") is None  # an abjad without its vowels
    assert transliteration_hint("Sofia") is None
    problem = name_problem("Σοφία", "NM104")
    assert problem is not None and "Sofia" in problem.message and "Σ ο φ ί α" in problem.message
    assert "ZhangWei" not in name_problem("張偉", "NM104").message


@pytest.mark.parametrize("phone", ["+1 502 555 0100 x9", "(502) 555-0111", "5025550111", "1-502-555-0100"])
def test_it_accepts_a_phone_it_can_write_as_ten_digits(phone):
    assert found(ann(phone=phone)) == []


@pytest.mark.parametrize("phone", ["555-0100", "+44 20 7946 0958", "5555555555", "50255501009", "call me"])
def test_it_refuses_a_phone_that_is_no_nanp_number(phone):
    assert found(ann(phone=phone)) == [("PTL-002", "/phone")]
    assert phone_problem(phone).code == "PTL-002"


def test_it_takes_a_missing_phone_as_none_given():
    assert found(ann(phone=None)) == [] and found(ann(phone="")) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("line1", "1" + " Long Street Name" * 4), ("line2", "Apartment " + "9" * 50), ("city", "C" * 31),
     ("city", "Москва"), ("line1", "١٢ Main St")],
)  # fmt: skip
def test_it_refuses_an_address_the_834_would_cut_or_empty(key, value):
    body = ann()
    body["address"][key] = value
    assert found(body) == [("PTL-003", f"/address/{key}")]


def test_it_accepts_an_address_of_exactly_the_maximum_lengths():
    body = ann()
    body["address"].update(line1="1" * 55, line2="2" * 55, city="C" * 30)
    assert found(body) == []
    assert address_problem("Straße" * 5, "N401").params == {"limit": 30, "length": 35}


def test_it_gives_every_violation_the_rules_fix():
    body = ann(firstName="Σοφία", phone="555")
    body["address"]["city"] = "C" * 40
    violations = check_member_entry(body)
    assert {v.code for v in violations} == {"PTL-001", "PTL-002", "PTL-003"}
    assert all(v.fix == RULES[v.code].fix and v.message for v in violations)
    assert "Latin spelling on the member's ID documents" in RULES["PTL-001"].fix


def test_it_never_raises_on_a_body_of_the_wrong_shape():
    for body in ({}, {"firstName": 7, "phone": ["x"], "address": "here"}, {"address": {"city": None}}):
        assert check_member_entry(body) == []


def validate_as_carrier(**changes):
    members = blue_heron_members()
    members[0].update(changes)
    return check_member(members[0], group=blue_heron_group(), ctx=blue_heron_context())


def test_the_carrier_does_not_run_the_portals_checks():
    # The sandbox stands in for the carrier: its member validation (phase V) stays business-rules.md's.
    codes = {v.code for v in validate_as_carrier(firstName="Σοφία", phone="555")}
    assert not {code for code in codes if code.startswith("PTL-")}
