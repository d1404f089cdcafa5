"""A new hire end to end at the sandbox: validated with an event, sent in a change file, ACCEPTED, and on
the carrier's roster from the date the waiting period gives (api.md *Maintenance*, Priya Shah)."""

from __future__ import annotations

import pytest

from .bodies import arjun, priya
from .conftest import change_file, family, loop

pytestmark = pytest.mark.django_db


def test_a_new_hire_is_validated_sent_accepted_and_on_the_roster_from_the_first_of_may(carrier):
    carrier.today("2027-03-22")
    answer = carrier.validate(priya())
    child = carrier.validate(arjun())

    assert answer.status_code == 200, answer.json()
    assert answer.json()["change"] == {
        "type": "NEW_HIRE", "action": "ADD", "eventDate": "2027-03-15", "requestDate": "2027-03-22",
        "effectiveDate": "2027-05-01", "coverageEnd": None, "sendBy": "2027-04-01",
        "maintenanceTypeCode": "021", "maintenanceReasonCode": "28",
    }  # fmt: skip
    assert child.status_code == 200 and child.json()["change"]["effectiveDate"] == "2027-05-01"
    assert carrier.listed()["E-003"]["changeStatus"] == "PENDING"

    carrier.today("2027-03-23")
    text = change_file(carrier.group_id, family("E-003", loop(priya(), answer.json()["change"]),
                                                loop(arjun(), child.json()["change"], priya())))  # fmt: skip
    status = carrier.upload(text)

    assert status["status"] == "ACCEPTED", status
    assert status["kind"] == "CHANGE"
    assert [(m["memberRef"], m["action"], m["effectiveDate"]) for m in status["members"]] == [
        ("E-003", "ADD", "2027-05-01"), ("E-003-C1", "ADD", "2027-05-01")]  # fmt: skip
    assert carrier.listed()["E-003"]["changeStatus"] == "APPLIED"
    before_start = {m["memberRef"]: m["status"] for m in carrier.roster(asOf="2027-04-30")["items"]}
    on_start = {m["memberRef"]: m for m in carrier.roster(asOf="2027-05-01")["items"]}
    assert before_start["E-003"] == "PENDING" and on_start["E-003"]["status"] == "ACTIVE"
    assert on_start["E-003"]["coverageStart"] == "2027-05-01"
    assert [(c["line"], c["planId"], c["coverageTier"]) for c in on_start["E-003-C1"]["coverage"]] == [
        ("MEDICAL", "12345KY0010002", "ECH"), ("DENTAL", "12345KY0020001", "ECH")]  # fmt: skip
    assert on_start["E-003"]["lastChange"]["eventType"] == "NEW_HIRE"
    assert on_start["E-003"]["waivers"] == [{"line": "VISION", "waiverReason": "OTHER_GROUP_COVERAGE"}]


def test_the_roster_lists_the_enrolled_group_family_by_family_without_ssns(carrier):
    carrier.today("2027-03-01")
    roster = carrier.roster()

    assert roster["asOf"] == "2027-03-01" and roster["totalItems"] == 5
    assert [m["memberRef"] for m in roster["items"]] == ["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"]
    assert roster["items"][0]["firstName"] == "ANN" and "ssn" not in roster["items"][0]
    assert carrier.api.get(f"/groups/{carrier.group_id}/members", asOf="2028-01-02").status_code == 400
    assert carrier.api.get(f"/groups/{carrier.group_id}/members", status="GONE").status_code == 400
