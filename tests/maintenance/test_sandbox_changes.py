"""Changes after enrollment at the sandbox over its HTTP API (api.md *Maintenance*): life events,
terminations, reinstatement, a family rejected and corrected, MNT-001, MNT-005, MNT-011, MNT-012, pending
changes."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import codes

from .bodies import arjun, enrolled, event, priya
from .conftest import before, change_file, family, loop

pytestmark = pytest.mark.django_db


def iris(**changes):
    body = enrolled(
        "E-001-C2",
        event("BIRTH", "ADD", "2027-04-10"),
        memberRef="E-001-C3",
        firstName="Iris",
        dateOfBirth="2027-04-10",
        ssn=None,
        gender="FEMALE",
    )
    return {**body, **changes}


def ok(response) -> dict:
    assert response.status_code == 200, response.json()["errors"]
    return response.json()["change"]


def roster_of(carrier, **params) -> dict[str, dict]:
    return {m["memberRef"]: m for m in carrier.roster(**params)["items"]}


def test_a_birth_45_days_late_is_retroactive_and_65_days_late_is_refused_with_mnt_005(carrier):
    carrier.today("2027-06-14")
    late = carrier.validate(iris())
    carrier.today("2027-05-25")
    change = ok(carrier.validate(iris()))
    status = carrier.upload(
        change_file(carrier.group_id, family("E-001", loop(iris(), change, enrolled("E-001"))))
    )

    assert late.status_code == 422 and {"MNT-005", "MNT-006"} <= set(codes(late))
    assert change["effectiveDate"] == "2027-04-10" and change["maintenanceReasonCode"] == "02"
    assert status["status"] == "ACCEPTED", status
    newborn = roster_of(carrier, asOf="2027-04-10")["E-001-C3"]
    assert newborn["status"] == "ACTIVE" and newborn["coverageStart"] == "2027-04-10"
    assert {c["coverageTier"] for c in newborn["coverage"]} == {"FAM"}


def test_a_divorce_ends_the_spouse_at_month_end_and_changes_the_tier_on_every_line_of_the_family(carrier):
    carrier.today("2027-08-25")
    ann_body = enrolled("E-001", event("DIVORCE", "CHANGE", "2027-08-20"), maritalStatus="DIVORCED")
    for cover in ann_body["coverage"]:
        cover["coverageTier"] = "ECH"
    david_body = enrolled("E-001-S", event("DIVORCE", "TERMINATE", "2027-08-20"))
    david, ann = ok(carrier.validate(david_body)), ok(carrier.validate(ann_body))
    text = change_file(
        carrier.group_id,
        family(
            "E-001",
            loop(ann_body, ann, before=before(enrolled("E-001"), "FAM")),
            loop(david_body, david, ann_body),
        ),
    )
    status = carrier.upload(text)

    assert (david["effectiveDate"], david["coverageEnd"], ann["effectiveDate"]) == (
        "2027-09-01",
        "2027-08-31",
        "2027-09-01",
    )
    assert status["status"] == "ACCEPTED", status
    carrier.today("2027-09-02")
    after = roster_of(carrier)
    assert after["E-001-S"]["status"] == "TERMINATED" and after["E-001-S"]["endReason"] == "DIVORCE"
    assert after["E-001-S"]["coverageEnd"] == "2027-08-31"
    for ref in ("E-001", "E-001-C1", "E-001-C2"):
        assert {c["coverageTier"] for c in after[ref]["coverage"]} == {"ECH"}, ref
    assert {c["coverageTier"] for c in roster_of(carrier, asOf="2027-08-31")["E-001"]["coverage"]} == {"FAM"}


def test_an_end_of_employment_ends_the_family_and_a_reinstatement_brings_it_back(carrier):
    carrier.today("2027-09-20")
    body = enrolled("E-001", event("END_OF_EMPLOYMENT", "TERMINATE", "2027-09-15"))
    change = ok(carrier.validate(body))
    ended = carrier.upload(change_file(carrier.group_id, family("E-001", loop(body, change))))
    carrier.today("2027-10-02")
    gone = roster_of(carrier)
    back_body = enrolled("E-001", event("REINSTATEMENT", "REINSTATE", "2027-09-30"))
    back = ok(carrier.validate(back_body))
    again = carrier.upload(change_file(carrier.group_id, family("E-001", loop(back_body, back))))

    assert ended["status"] == "ACCEPTED" and change["coverageEnd"] == "2027-09-30", ended
    assert {gone[r]["status"] for r in ("E-001", "E-001-S", "E-001-C1", "E-001-C2")} == {"TERMINATED"}
    assert gone["E-001-C1"]["endReason"] == "END_OF_EMPLOYMENT" and gone["E-002"]["status"] == "ACTIVE"
    assert back["effectiveDate"] == "2027-10-01" and again["status"] == "ACCEPTED", (
        again["errors"],
        again["members"],
    )
    assert {m["status"] for m in roster_of(carrier).values()} == {"ACTIVE"}


def test_a_demographic_change_carries_the_address_reason_and_a_child_turning_26_is_ended_by_the_carrier(
    api, settings
):
    from .conftest import Carrier

    carrier = Carrier(api, settings)
    carrier.today("2026-11-23")
    members = [enrolled(ref) for ref in ("E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002")]
    members[2]["dateOfBirth"] = "2001-06-05"  # Maya turns 26 on 2027-06-05
    carrier.group_id = api.finalized(members=members)
    from tests.sandbox.conftest import enrollment_file

    first = carrier.upload(
        enrollment_file(carrier.group_id, replace=(("DMG*D8*20100605", "DMG*D8*20010605"),))
    )
    carrier.today("2027-03-22")
    moved = enrolled("E-002", event("DEMOGRAPHIC", "CHANGE", "2027-03-20"))
    moved["address"] = {**moved["address"], "line1": "77 Pine St"}
    change = ok(carrier.validate(moved))
    luis_before = before(enrolled("E-002"), "EMP")
    status = carrier.upload(
        change_file(carrier.group_id, family("E-002", loop(moved, change, before=luis_before)))
    )
    carrier.today("2027-07-01")
    after = roster_of(carrier)

    assert first["status"] == "ACCEPTED", first
    assert (change["maintenanceReasonCode"], change["effectiveDate"]) == ("43", "2027-03-22")
    assert status["status"] == "ACCEPTED", (status["errors"], status["members"])
    assert after["E-002"]["lastChange"]["eventType"] == "DEMOGRAPHIC"
    assert (
        after["E-001-C1"]["status"],
        after["E-001-C1"]["endReason"],
        after["E-001-C1"]["coverageEnd"],
    ) == ("TERMINATED", "AGE_OUT", "2027-06-30")


def test_a_family_rejected_for_one_loop_is_rejected_whole_then_corrected_and_accepted(carrier):
    carrier.today("2027-03-22")
    subscriber, child = ok(carrier.validate(priya())), ok(carrier.validate(arjun()))
    wrong = change_file(
        carrier.group_id, family("E-003", loop(priya(), subscriber), loop(arjun(), child, priya()))
    )
    head, _, tail = wrong.rpartition("HD*021**DEN*12345KY0020001*ECH")  # Arjun's dental, the wrong tier
    rejected = carrier.upload(head + "HD*021**DEN*12345KY0020001*FAM" + tail)
    carrier.today("2027-03-24")
    resent_without_validation = carrier.upload(
        change_file(
            carrier.group_id, family("E-003", loop(priya(), subscriber), loop(arjun(), child, priya()))
        )
    )
    subscriber, child = ok(carrier.validate(priya())), ok(carrier.validate(arjun()))
    corrected = carrier.upload(
        change_file(
            carrier.group_id, family("E-003", loop(priya(), subscriber), loop(arjun(), child, priya()))
        )
    )

    by_ref = {m["memberRef"]: [e["code"] for e in m["errors"]] for m in rejected["members"]}
    assert rejected["status"] == "REJECTED" and by_ref == {"E-003": ["MNT-013"], "E-003-C1": ["FIL-011"]}, (
        rejected
    )
    assert resent_without_validation["status"] == "REJECTED"
    assert corrected["status"] == "ACCEPTED", corrected
    assert "E-003" in roster_of(carrier, asOf="2027-05-01")


def test_timing_and_state_rules_refuse_at_once_mnt_001_mnt_011_mnt_012(carrier, api):
    finalized = api.finalized()
    carrier.today("2027-03-22")
    not_enrolled = api.post(f"/groups/{finalized}/member-validations", priya())
    carrier.today("2027-11-20")
    hired = {"hireDate": "2027-11-15", "hoursPerWeek": 40, "status": "FULL_TIME"}
    after_renewal = carrier.validate(priya(employment=hired, event=event("NEW_HIRE", "ADD", "2027-11-15")))
    carrier.today("2027-03-22")
    subscriber, child = ok(carrier.validate(priya())), ok(carrier.validate(arjun()))
    carrier.today("2027-04-02")
    expired = carrier.listed()["E-003"]["changeStatus"]
    late = carrier.upload(
        change_file(
            carrier.group_id, family("E-003", loop(priya(), subscriber), loop(arjun(), child, priya()))
        )
    )

    assert not_enrolled.status_code == 409 and not_enrolled.json()["errors"][0]["rule"] == "MNT-001"
    assert after_renewal.status_code == 422 and "MNT-011" in codes(after_renewal)
    assert expired == "EXPIRED"
    assert late["status"] == "REJECTED" and {e["code"] for m in late["members"] for e in m["errors"]} == {
        "MNT-012"
    }


def test_a_pending_change_is_replaced_by_the_next_validation_and_withdrawn_without_event(carrier):
    carrier.today("2027-03-22")
    ok(carrier.validate(enrolled("E-002", event("DEMOGRAPHIC", "CHANGE", "2027-03-20"), phone="5025550199")))
    replaced = ok(carrier.validate(enrolled("E-002", event("MARRIAGE", "CHANGE", "2027-03-12"))))
    listed = carrier.listed()["E-002"]
    withdrawn = carrier.validate(enrolled("E-002"))

    assert replaced["type"] == "MARRIAGE" and listed["event"]["type"] == "MARRIAGE"
    assert listed["changeStatus"] == "PENDING" and listed["effectiveDate"] == "2027-04-01"
    assert withdrawn.status_code == 200 and carrier.listed()["E-002"]["changeStatus"] is None
