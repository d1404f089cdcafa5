"""The companion guide's "Data" clean-up (sanitize.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupsales.x12.sanitize import (
    MAX_LENGTHS,
    clean_digits,
    clean_email,
    clean_name_for_match,
    clean_text,
    names_match,
    nanp_phone,
    sent_length,
    unsendable_characters,
)

ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 &,.'-#/")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("José", "JOSE"),
        ("Núñez", "NUNEZ"),
        ("Straße", "STRASSE"),
        ("Ærø", "AERO"),
        ("Øster", "OSTER"),
        ("Œuvre", "OEUVRE"),
        ("Łukasz", "LUKASZ"),
        ("O\u2019Brien", "O'BRIEN"),
        ("Smith*Jones", "SMITHJONES"),
        ("A~B", "AB"),
        ("x:y^z", "XYZ"),
        ("Ann 😀", "ANN"),
        ("  Mary   Ann\t\nLee ", "MARY ANN LEE"),
        ("100 Main St #4/B", "100 MAIN ST #4/B"),
        (None, ""),
    ],
)
def test_it_reduces_values_to_the_guide_character_set(raw, clean):
    assert clean_text(raw) == clean


def test_it_cuts_to_the_maximum_length_without_a_trailing_space():
    assert clean_text("A" * 200, MAX_LENGTHS["NM103"]) == "A" * 60
    assert clean_text("ABCD EFGH", 5) == "ABCD"


def test_it_keeps_e_mail_characters_only_for_e_mail():
    assert clean_email("ann.lee+hr_1@example.com") == "ANN.LEE+HR_1@EXAMPLE.COM"
    assert clean_text("ann.lee+hr_1@example.com") == "ANN.LEEHR1EXAMPLE.COM"
    assert clean_email("a*b~c:d^e@x.com") == "ABCDE@X.COM"


def test_it_keeps_only_digits_of_a_phone_number():
    assert clean_digits("(502) 555-0111") == "5025550111"


def test_it_removes_extra_forbidden_delimiters_on_request():
    assert clean_text("A/B", forbidden="/") == "AB"


def test_it_compares_names_after_the_same_clean_up():
    assert clean_name_for_match("José  Núñez") == "JOSE NUNEZ"
    assert names_match("NUNEZ", "Núñez", "NM103")
    assert names_match("A" * 35, "A" * 50, "NM104")
    assert not names_match("LEE", "Li", "NM103")


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=80))
def test_it_never_lets_a_delimiter_or_non_ascii_through(raw, limit):
    for value in (clean_text(raw, limit), clean_email(raw, limit)):
        assert set(value) <= ALLOWED | set("@_+")
        assert len(value) <= limit
        assert value == value.strip() and "  " not in value


# ---- issue 17, items 7, 9 and 10: what the guide's clean-up cannot carry, phones, lengths


@pytest.mark.parametrize(
    ("raw", "lost"),
    [
        ("Σοφία", "Σοφία"),
        ("張偉 Ωmega", "張偉Ω"),
        ("Москва", "Москва"),
        ("José Núñez", ""),
        ("Straße Ærø Łódź", ""),
        ("O\u2019Brien-Smith", ""),
        ("Ann 😀", ""),  # not a letter: MBR-001 refuses it where it is typed
        ("١٢ Main St", "١٢"),  # digits of another script are lost too
        (None, ""),
    ],
)
def test_it_names_the_letters_and_digits_the_clean_up_would_lose(raw, lost):
    assert unsendable_characters(raw) == lost


def test_it_measures_a_value_as_the_834_sends_it_without_cutting():
    assert sent_length("Straße") == len("STRASSE") == 7
    assert sent_length("A" * 80) == 80
    assert sent_length("  1  Main   St ") == len("1 MAIN ST")
    assert sent_length(None) == 0


@pytest.mark.parametrize(
    ("raw", "nanp"),
    [
        ("+1 502 555 0100 x9", "5025550100"),
        ("(502) 555-0111", "5025550111"),
        ("5025550111", "5025550111"),
        ("1-502-555-0100", "5025550100"),
        ("502.555.0100 ext. 12", "5025550100"),
        ("tel:+1-502-555-0100;ext=9", "5025550100"),
        ("+1 (416) 555-0123", "4165550123"),  # Canada is in the NANP
    ],
)
def test_it_normalises_a_phone_number_to_the_ten_nanp_digits(raw, nanp):
    assert nanp_phone(raw) == nanp


@pytest.mark.parametrize(
    "raw",
    ["555-0100", "50255501009", "+44 20 7946 0958", "+52 55 1234 5678", "5555555555", "0125550100", "x", ""],
)
def test_it_refuses_what_is_not_a_nanp_number(raw):
    assert nanp_phone(raw) is None


def test_it_never_matches_two_names_that_the_clean_up_emptied():
    # FIL-010 in the sandbox: a file's empty NM104 must not "match" a validated "Σοφία" (issue 17, item 7).
    assert not names_match("", "Σοφία", "NM104")
    assert not names_match("ΩΩ", "Σοφία", "NM104")
    assert not names_match("Σοφία", "Σοφία", "NM104")
    assert not names_match("", "😀", "NM103")
    # Two absent values (no middle name on either side) still agree.
    assert names_match("", None, "NM105")
    assert names_match(None, "", "NM105")
    assert names_match("WANG", "Wang", "NM103")
