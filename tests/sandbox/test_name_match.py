"""FIL-010's name match in the sandbox never takes a name emptied by the guide's clean-up for a match
(issue 17, item 7): the carrier accepts "Σοφία" at validation (MBR-001: any letter), its clean-up empties
it, and a file with no first name used to "match" it and be ACCEPTED."""

from __future__ import annotations

import pytest

from tests.carrier import payloads

from .conftest import enrollment_file
from .test_files import ended, instant_clock, member_codes  # noqa: F401  (instant_clock: autouse)

pytestmark = pytest.mark.django_db

LUIS_NM1 = "NM1*IL*1*ORTIZ*LUIS****34*123456782"


def sofia_validated() -> list[dict]:
    family = payloads.family()
    luis = next(m for m in family if m["memberRef"] == "E-002")
    luis["firstName"] = "Σοφία"
    return family


@pytest.mark.parametrize(
    "nm1",
    ["NM1*IL*1*ORTIZ*****34*123456782", "NM1*IL*1*ORTIZ*SOFIA****34*123456782"],
    ids=["emptied-by-clean-up", "a-latin-spelling"],
)
def test_it_rejects_a_file_name_against_a_validated_name_the_clean_up_empties(api, nm1):
    group_id = api.finalized(members=sofia_validated())
    status = ended(api, group_id, enrollment_file(group_id, replace=((LUIS_NM1, nm1),)))
    assert status["status"] == "ACCEPTED_WITH_ERRORS", status
    assert member_codes(status)["E-002"] == ["FIL-010"]


def test_it_still_accepts_a_member_without_a_middle_name_on_either_side(api):
    group_id = api.finalized()
    status = ended(api, group_id, enrollment_file(group_id))
    assert status["status"] == "ACCEPTED", status
