"""Enrollment files: upload checks, processing per file and per member, the 999, the group's status.

The sample ``samples/new-business.834`` is accepted for the group set up to match it; each variant breaks
one FIL rule. The processing clock is set to zero so that the next read ends the file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sandbox.models import EnrollmentFile, Group
from tests.carrier import payloads

from .conftest import Api, codes, enrollment_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


def upload(api: Api, group_id: str, text: str, **kwargs):
    return api.post(
        f"/groups/{group_id}/enrollment-files",
        raw=text.encode("ascii"),
        content_type="application/edi-x12",
        **kwargs,
    )


def ended(api: Api, group_id: str, text: str) -> dict:
    receipt = upload(api, group_id, text)
    assert receipt.status_code == 202, receipt.json()
    status = api.get(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}").json()
    assert status["status"] in {"ACCEPTED", "ACCEPTED_WITH_ERRORS", "REJECTED"}
    return status


def member_codes(status: dict) -> dict[str | None, list[str]]:
    return {m["memberRef"]: [e["code"] for e in m["errors"]] for m in status["members"]}


def test_it_accepts_the_sample_file_for_the_group_set_up_to_match_it(api):
    group_id = api.finalized()
    assert group_id == "104233"
    receipt = upload(api, group_id, enrollment_file(group_id))
    assert receipt.status_code == 202
    assert (
        receipt.json()["status"] == "RECEIVED" and receipt.json()["interchangeControlNumber"] == "000000123"
    )
    assert receipt["Location"].endswith(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}")
    status = api.get(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}").json()
    assert status["status"] == "ACCEPTED", status
    assert status["summary"] == {"members": 5, "accepted": 5, "rejected": 0}
    assert all(m["humanaMemberId"].startswith("H") for m in status["members"])
    assert api.get(f"/groups/{group_id}").json()["status"] == "ENROLLED"
    ack = api.get(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}/acknowledgment")
    assert ack["Content-Type"] == "application/edi-x12"
    assert "AK9*A*1*1*1" in ack.content.decode()


def test_it_keeps_a_file_received_then_processing_on_its_clock(api, settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 3600
    group_id = api.finalized()
    receipt = upload(api, group_id, enrollment_file(group_id)).json()
    assert api.get(f"/groups/{group_id}/enrollment-files/{receipt['fileId']}").json()["status"] == "RECEIVED"
    assert api.get(f"/groups/{group_id}").json()["status"] == "ENROLLING"
    ack = api.get(f"/groups/{group_id}/enrollment-files/{receipt['fileId']}/acknowledgment")
    assert ack.status_code == 409 and codes(ack) == ["INVALID_STATE"]
    second = upload(api, group_id, enrollment_file(group_id, control_number=124))
    assert second.status_code == 409 and codes(second) == ["INVALID_STATE"]


def test_it_refuses_a_file_before_finalize(api):
    group_id = api.create()
    refused = upload(api, group_id, enrollment_file(group_id))
    assert refused.status_code == 409 and codes(refused) == ["INVALID_STATE"]


def test_it_refuses_other_media_types_and_files_over_the_size_limit(api, settings):
    group_id = api.finalized()
    wrong = api.post(f"/groups/{group_id}/enrollment-files", raw=b"ISA*", content_type="text/plain")
    assert wrong.status_code == 415
    settings.SANDBOX_MAX_FILE_BYTES = 100
    assert upload(api, group_id, enrollment_file(group_id)).status_code == 413
    assert not EnrollmentFile.objects.exists()


def test_it_refuses_a_body_that_is_not_x12_with_fil_001(api):
    group_id = api.finalized()
    refused = upload(api, group_id, "hello, carrier")
    assert refused.status_code == 422 and codes(refused) == ["FIL-001"]
    assert Group.objects.get(group_id=group_id).status == "FINALIZED"


def test_it_refuses_a_reused_interchange_control_number_with_fil_002(api):
    group_id = api.finalized()
    first = ended(api, group_id, enrollment_file(group_id))
    reused = upload(api, group_id, enrollment_file(group_id))
    assert reused.status_code == 409 and codes(reused) == ["FIL-002"]
    assert reused.json()["errors"][0]["fileId"] == first["fileId"]
    refused_then_fresh = upload(api, group_id, enrollment_file(group_id, control_number=124))
    assert refused_then_fresh.status_code == 202  # a refused upload used up nothing


@pytest.mark.parametrize(
    ("code", "replace"),
    [
        ("FIL-003", (("ZZ*HUMANAGS       ", "ZZ*OTHERCARRIER   "),)),
        ("FIL-003", (("FI*123456789", "FI*121234567"),)),
        ("FIL-004", (("SE*82*0001", "SE*81*0001"),)),
        ("FIL-005", (("INS*N*01*021*28*A", "INS*N*99*021*28*A"),)),
        ("FIL-005", (("NM1*IL*1*ORTIZ*LUIS", "NM1*IL*1*ORTIZ*LU*IS"),)),
    ],
    ids=["receiver", "fein", "se-count", "relationship-code", "star-in-name"],
)
def test_it_rejects_a_whole_file_that_breaks_the_envelope_or_the_standard(api, code, replace):
    group_id = api.finalized()
    status = ended(api, group_id, enrollment_file(group_id, replace=replace))
    assert status["status"] == "REJECTED"
    assert code in [e["code"] for e in status["errors"]]
    assert all(e["line"] is None or e["line"] >= 1 for e in status["errors"])
    assert api.get(f"/groups/{group_id}").json()["status"] == "FINALIZED"  # nobody accepted ever
    ack = api.get(f"/groups/{group_id}/enrollment-files/{status['fileId']}/acknowledgment").content.decode()
    if code in ("FIL-004", "FIL-005"):
        assert "AK9*R" in ack
    else:
        assert "AK9*A" in ack  # business rejections are not X12 errors


def test_it_rejects_a_member_never_validated_with_fil_010(api):
    group_id = api.create()
    family = payloads.family()
    api.validate_family(group_id, family[:3] + family[4:])  # Noah (E-001-C2) never validated
    assert api.post(f"/groups/{group_id}/finalize", {}).status_code == 200
    status = ended(api, group_id, enrollment_file(group_id))
    assert status["status"] == "ACCEPTED_WITH_ERRORS"
    assert member_codes(status)["E-001-C2"] == ["FIL-010"]
    assert status["summary"] == {"members": 5, "accepted": 4, "rejected": 1}
    assert api.get(f"/groups/{group_id}").json()["status"] == "ENROLLED"


@pytest.mark.parametrize(
    ("code", "replace", "member"),
    [
        ("FIL-010", (("DMG*D8*20100605*F", "DMG*D8*20100606*F"),), "E-001-C1"),
        ("FIL-010", (("REF*ZZ*E-002", "REF*ZZ*E-009"),), "E-009"),
        ("FIL-011", (("HD*021**HLT*12345KY0010001*EMP", "HD*021**HLT*12345KY0010002*EMP"),), "E-002"),
        (
            "FIL-012",
            (("DTP*356*D8*20270101~\nNM1*IL*1*ORTIZ", "DTP*356*D8*20270201~\nNM1*IL*1*ORTIZ"),),
            "E-002",
        ),
    ],
    ids=["birth-date", "unknown-member", "plan", "eligibility-date"],
)
def test_it_rejects_only_the_member_at_fault(api, code, replace, member):
    group_id = api.finalized()
    status = ended(api, group_id, enrollment_file(group_id, replace=replace))
    assert status["status"] == "ACCEPTED_WITH_ERRORS", status
    assert code in member_codes(status)[member]
    assert [m["status"] for m in status["members"]].count("ACCEPTED") == 4


def test_it_rejects_rejectsmith_and_family_then_accepts_the_correction_without_enrolling_twice(api):
    family = payloads.family()
    family[0]["lastName"] = "Rejectsmith"
    group_id = api.finalized(members=family)
    text = enrollment_file(group_id).replace("NM1*IL*1*LEE*ANN", "NM1*IL*1*REJECTSMITH*ANN")
    first = ended(api, group_id, text)
    assert first["status"] == "ACCEPTED_WITH_ERRORS"
    codes_by_member = member_codes(first)
    assert all(codes_by_member[ref] == ["FIL-901"] for ref in ("E-001", "E-001-S", "E-001-C1", "E-001-C2"))
    luis_id = next(m["humanaMemberId"] for m in first["members"] if m["memberRef"] == "E-002")
    # correction: Ann's real name, validated again, and a follow-up file with the family and Luis again
    api.post(f"/groups/{group_id}/member-validations", payloads.member())
    second = ended(api, group_id, enrollment_file(group_id, control_number=124))
    assert second["status"] == "ACCEPTED"
    by_ref = {m["memberRef"]: m for m in second["members"]}
    assert by_ref["E-002"]["humanaMemberId"] == luis_id  # accepted again, not enrolled twice
    listed = api.get(f"/groups/{group_id}/member-validations").json()["items"]
    assert {v["status"] for v in listed} == {"ACCEPTED"}


def test_it_rejects_the_first_file_of_a_fein_97_group_and_takes_the_resubmission(api):
    body = payloads.create_group(fein="971234567")
    group_id = api.finalized(body)
    first = ended(api, group_id, enrollment_file(group_id, fein="971234567"))
    assert first["status"] == "REJECTED" and [e["code"] for e in first["errors"]] == ["FIL-900"]
    resubmitted = enrollment_file(group_id, fein="971234567", control_number=124).replace(
        f"BGN*00*BHB-{group_id}-124*20261123*1030****2",
        f"BGN*15*BHB-{group_id}-124*20261123*1030**BHB-{group_id}-123**2",
    )
    assert ended(api, group_id, resubmitted)["status"] == "ACCEPTED"


def test_it_holds_a_fein_96_file_in_processing_for_15_minutes(api, settings):
    settings.SANDBOX_STUCK_PROCESSING_SECONDS = 15 * 60
    group_id = api.finalized(payloads.create_group(fein="961234567"))
    receipt = upload(api, group_id, enrollment_file(group_id, fein="961234567")).json()
    assert (
        api.get(f"/groups/{group_id}/enrollment-files/{receipt['fileId']}").json()["status"] == "PROCESSING"
    )
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=14), tick=False):
        status = api.get(f"/groups/{group_id}/enrollment-files/{receipt['fileId']}").json()["status"]
        assert status == "PROCESSING"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=15, seconds=1), tick=False):
        assert (
            api.get(f"/groups/{group_id}/enrollment-files/{receipt['fileId']}").json()["status"] == "ACCEPTED"
        )


def test_it_withdraws_members_but_not_accepted_ones(api):
    group_id = api.create()
    api.validate_family(group_id)
    assert api.delete(f"/groups/{group_id}/member-validations/E-001").status_code == 204
    refs = [v["memberRef"] for v in api.get(f"/groups/{group_id}/member-validations").json()["items"]]
    assert refs == ["E-002"]  # the subscriber took its dependents along
    group_id = api.finalized()
    ended(api, group_id, enrollment_file(group_id, control_number=200))
    refused = api.delete(f"/groups/{group_id}/member-validations/E-002")
    assert refused.status_code == 409 and codes(refused) == ["INVALID_STATE"]


def test_it_processes_a_file_once_whoever_reads_it(api):
    group_id = api.finalized()
    receipt = upload(api, group_id, enrollment_file(group_id)).json()
    reads = [api.get(f"/groups/{group_id}/enrollment-files/{receipt['fileId']}").json() for _ in range(3)]
    assert {r["status"] for r in reads} == {"ACCEPTED"}
    assert len({tuple(m["humanaMemberId"] for m in r["members"]) for r in reads}) == 1
    group = Group.objects.get(group_id=group_id)
    assert [h["status"] for h in group.status_history] == ["CREATED", "FINALIZED", "ENROLLING", "ENROLLED"]
