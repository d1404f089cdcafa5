"""Masking of personal data in stored carrier traffic."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from groupsales.masking import MAX_STORED_CHARS, mask_json, mask_x12, masked_body


def test_it_masks_ssns_and_dates_of_birth_at_any_depth():
    body = {
        "members": [
            {"memberRef": "E-001", "ssn": "123-45-6789", "dateOfBirth": "1980-05-02"},
            {"memberRef": "E-001-C2", "ssn": None, "dateOfBirth": "2026-07-02"},
        ],
        "census": [{"dependents": [{"relationship": "CHILD", "dateOfBirth": "2010-06-05"}]}],
        "requestedEffectiveDate": "2027-01-01",
    }

    masked = mask_json(body)

    assert masked["members"][0] == {"memberRef": "E-001", "ssn": "***-**-6789", "dateOfBirth": "****-**-**"}
    assert masked["members"][1]["ssn"] is None
    assert masked["census"][0]["dependents"][0]["dateOfBirth"] == "****-**-**"
    assert masked["requestedEffectiveDate"] == "2027-01-01"
    assert body["members"][0]["ssn"] == "123-45-6789"  # the original is left alone


def test_it_masks_an_834_with_other_delimiters():
    isa = (
        "ISA|00|          |00|          |ZZ|PARTNER01      |ZZ|HUMANAGS       "
        "|261123|1030|^|00501|000000123|0|T|>"
    )
    text = isa + "!NM1|IL|1|LEE|ANN||||34|123456789!DMG|D8|19800502|F|M!NM1|IL|1|LEE|NOAH!IEA|1|000000123!"

    masked = mask_x12(text)

    assert "123456789" not in masked and "19800502" not in masked
    assert "NM1|IL|1|LEE|ANN||||34|*****6789!" in masked
    assert "DMG|D8|********|F|M!" in masked
    assert "NM1|IL|1|LEE|NOAH!" in masked


def test_it_masks_what_it_cannot_parse_by_pattern():
    stored = masked_body(b'{"ssn": "123456789", broken', "application/json")
    assert "123456789" not in stored


def test_it_cuts_stored_bodies_to_size():
    stored = masked_body(json.dumps({"x": "a" * (MAX_STORED_CHARS * 2)}), "application/json")
    assert len(stored) < MAX_STORED_CHARS + 100
    assert stored.endswith("characters]")


@given(
    ssn=st.from_regex(r"\A[1-8]\d{8}\Z"),
    dob=st.dates(min_value=date(1920, 1, 1), max_value=date(2026, 11, 1)),
    depth=st.integers(min_value=0, max_value=4),
)
def test_it_never_stores_an_ssn_or_date_of_birth_in_a_json_body(ssn, dob, depth):
    body: object = {"memberRef": "E-001", "ssn": ssn, "dateOfBirth": dob.isoformat()}
    for level in range(depth):
        body = {"members": [body], "level": level} if level % 2 else [body]

    stored = masked_body(json.dumps(body), "application/json")

    assert ssn not in stored and dob.isoformat() not in stored
    assert f"***-**-{ssn[-4:]}" in stored
