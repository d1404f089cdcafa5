"""The masker of logs, error reports and stored carrier traffic, against every way a person writes an SSN
or a date of birth (issue 16, item 11).

It used to leak the month and day of dates, bare ISO dates, X12 DMG segments and six digits of a
space-separated SSN. Each property puts one value, spelled one way, in text without other digits, and
checks that no digit of it survives (an SSN keeps its last four, as pages show it).
"""

from __future__ import annotations

import json
import logging
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from groupsales.masking import mask_text, masked_body
from portal.logging import MaskPersonalDataFilter, mask_personal_data

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip
MESES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
         "noviembre", "diciembre"]  # fmt: skip
SEPARATORS = ["", "-", " ", ".", "/", " - ", "  "]

ssns = st.from_regex(r"\A[0-8]\d{8}\Z")
born = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
# Text around the value: letters and punctuation, no digits (so any digit left is the value's).
around = st.text(alphabet="abcXYZ :;,.()[]'\"=\t", max_size=12)


def ssn_spellings(ssn: str):
    a, b, c = ssn[:3], ssn[3:5], ssn[5:]
    # Split in three or not at all (12345-6789 would be a ZIP+4).
    split = st.tuples(st.sampled_from(SEPARATORS[1:]), st.sampled_from(SEPARATORS[1:]))
    return st.one_of(st.just(("", "")), split).map(lambda seps: f"{a}{seps[0]}{b}{seps[1]}{c}")


def date_spellings(day: date):
    y, m, d = day.year, day.month, day.day
    spellings = [
        f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}{m:02d}{d:02d}", f"{y:04d}/{m:02d}/{d:02d}", f"{y:04d}.{m}.{d}",
        f"{m:02d}/{d:02d}/{y:04d}", f"{m}/{d}/{y}", f"{m}/{d}/{y % 100:02d}", f"{m:02d}-{d:02d}-{y:04d}",
        f"{m:02d}.{d:02d}.{y:04d}", f"{m:02d} {d:02d} {y:04d}", f"{m:02d}{d:02d}{y:04d}",
        f"{MONTHS[m - 1]} {d}, {y}", f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1][:3]} {d} {y}",
        f"{d:02d}-{MONTHS[m - 1][:3].upper()}-{y}", f"{d} de {MESES[m - 1]} de {y}",
        f"DMG*D8*{y:04d}{m:02d}{d:02d}*F", f"DMG|D8|{y:04d}{m:02d}{d:02d}|M~",
    ]  # fmt: skip
    return st.sampled_from(spellings)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@settings(max_examples=300)
@given(ssn=ssns.flatmap(lambda s: st.tuples(st.just(s), ssn_spellings(s))), before=around, after=around)
@example(ssn=("123456789", "123 45 6789"), before="caller typed ", after=" in the name")
def test_no_spelling_of_an_ssn_survives_but_its_last_four(ssn, before, after):
    value, spelling = ssn
    for masked in (mask_personal_data(before + spelling + after), mask_text(before + spelling + after)):
        assert _digits(masked) == value[-4:], (spelling, masked)


@settings(max_examples=300)
@given(day=born.flatmap(lambda d: st.tuples(st.just(d), date_spellings(d))), before=around, after=around)
@example(day=(date(1980, 5, 2), "1980-05-02"), before="born ", after="")
@example(day=(date(1980, 5, 2), "5/2/1980"), before="dob ", after=".")
@example(day=(date(1980, 5, 2), "DMG*D8*19800502*F"), before="", after="~")
def test_no_spelling_of_a_date_of_birth_survives(day, before, after):
    _value, spelling = day
    for masked in (mask_personal_data(before + spelling + after), mask_text(before + spelling + after)):
        assert _digits(masked.replace("D8", "")) == "", (spelling, masked)  # D8: DMG01, the date's format


@given(ssn=ssns, day=born)
def test_log_records_and_stored_bodies_of_any_shape_are_masked(ssn, day):
    text = f"member {{'ssn': '{ssn[:3]} {ssn[3:5]} {ssn[5:]}', 'born': '{day:%m/%d/%Y}'}}"
    record = logging.LogRecord("tests", logging.WARNING, __file__, 1, "failed: %s", (text,), None)
    MaskPersonalDataFilter().filter(record)
    stored = masked_body(json.dumps({"detail": f"SSN {ssn} born {day.isoformat()}"}), "application/json")
    for masked in (record.getMessage(), stored):
        assert ssn[:5] not in _digits(masked) and day.isoformat() not in masked
        assert f"{day:%m%d%Y}" not in _digits(masked)


def test_it_keeps_what_is_not_personal_data():
    for text in (
        "task 6fbbb543-8a1d-4d29-824e-9be9e1ab644f succeeded",
        "task d4c12345-5460-4714-b84e-a3d6008acadb received",
        "group 100234: 3 of 5 members accepted, $765.59/month",
        "phone 502-555-0111, NPN 17012345, ZIP 40202-1234",
        "version 4.0.0 took 12.5 ms",
    ):
        assert mask_personal_data(text) == text
