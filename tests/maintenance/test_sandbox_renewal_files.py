"""Renewal open enrollment at the sandbox over HTTP (api.md *Passive renewal and renewal open enrollment*):
elections validated with RENEWAL_OPEN_ENROLLMENT (REN-007), sent in a renewal file written by
groupsales.x12.renewal (kind RENEWAL, per-member results as for a change file), in force from R; a renewal
file after R − 1 rejected with REN-008."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from groupsales.x12.changes import ChangeFamily
from groupsales.x12.model import Coverage, Envelope, Header, member_from_api
from groupsales.x12.renewal import render_renewal_834, renewal_loop
from tests.sandbox.conftest import codes

from .bodies import enrolled, event

pytestmark = pytest.mark.django_db
R = date(2028, 1, 1)
_NUMBERS = itertools.count(700)


def renewal_file(group_id: str, *families: ChangeFamily) -> str:
    number = next(_NUMBERS)
    envelope = Envelope(sender_id="PARTNER01", interchange_control_number=number, group_control_number=number,
                        created_at=datetime(2027, 12, 10, 11, 0))  # fmt: skip
    header = Header(reference=f"BHB-{group_id}-R{number}", group_id=group_id, effective_date=date(2027, 1, 1),
                    employer_legal_name="Blue Heron Bakery LLC", fein="123456789", agent_name="Sam Ortiz",
                    agent_npn="17012345")  # fmt: skip
    return render_renewal_834(envelope, header, families, renewal_date=R)


def luis_elects_dental(plan: str = "12345KY0020001") -> dict:
    body = enrolled("E-002", event("RENEWAL_OPEN_ENROLLMENT", "CHANGE", "2028-01-01"))
    body["coverage"] = [
        {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
        {"line": "DENTAL", "planId": plan, "coverageTier": "EMP"},
        {"line": "VISION", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
    ]
    return body


def luis_family(body: dict) -> ChangeFamily:
    held = [Coverage(line="MEDICAL", plan_id="12345KY0010001", tier="EMP")]
    return ChangeFamily(
        subscriber_ref="E-002", loops=(renewal_loop(member_from_api(body), "CHANGE", R, before=held),)
    )


def accepted(carrier) -> None:
    carrier.today("2027-12-03")  # the day after the deadline: passively accepted
    assert carrier.api.get(f"/groups/{carrier.group_id}/renewal").json()["status"] == "ACCEPTED"


def test_an_election_before_acceptance_or_off_the_renewal_plans_is_refused_with_ren_007(carrier):
    carrier.today("2027-10-21")
    early = carrier.validate(luis_elects_dental())
    assert early.status_code == 422 and "REN-007" in codes(early)
    accepted(carrier)
    carrier.today("2027-12-10")
    wrong = carrier.validate(luis_elects_dental(plan="12345KY0010001"))  # a medical plan on dental
    assert wrong.status_code == 422 and "REN-007" in codes(wrong)


def test_an_election_in_a_renewal_file_is_accepted_and_in_force_from_r(carrier):
    accepted(carrier)
    carrier.today("2027-12-10")
    answer = carrier.validate(luis_elects_dental())
    assert answer.status_code == 200, answer.json()
    change = answer.json()["change"]
    assert (change["effectiveDate"], change["maintenanceReasonCode"], change["sendBy"]) == (
        "2028-01-01", "41", "2027-12-31"
    )  # fmt: skip
    status = carrier.upload(renewal_file(carrier.group_id, luis_family(luis_elects_dental())))
    assert (status["status"], status["kind"]) == ("ACCEPTED", "RENEWAL"), status
    (luis,) = status["members"]
    assert (luis["memberRef"], luis["status"], luis["action"], luis["effectiveDate"]) == (
        "E-002", "ACCEPTED", "CHANGE", "2028-01-01"
    )  # fmt: skip
    carrier.today("2028-01-01")
    assert carrier.api.get(f"/groups/{carrier.group_id}/renewals").status_code == 200  # R happens on a read
    roster = {m["memberRef"]: m for m in carrier.roster(asOf="2028-01-01")["items"]}
    assert {c["line"]: c["planId"] for c in roster["E-002"]["coverage"]} == {
        "MEDICAL": "12345KY0010001", "DENTAL": "12345KY0020001"
    }  # fmt: skip
    before = {m["memberRef"]: m for m in carrier.roster(asOf="2027-12-31")["items"]}
    assert {c["line"] for c in before["E-002"]["coverage"]} == {"MEDICAL"}


def test_a_renewal_file_after_r_minus_1_is_rejected_with_ren_008(carrier):
    accepted(carrier)
    carrier.today("2027-12-10")
    assert carrier.validate(luis_elects_dental()).status_code == 200
    carrier.today("2028-01-01")
    status = carrier.upload(renewal_file(carrier.group_id, luis_family(luis_elects_dental())))
    assert status["status"] == "REJECTED" and "REN-008" in [e["code"] for e in status["errors"]]
