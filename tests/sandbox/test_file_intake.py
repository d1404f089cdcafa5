"""The sandbox's intake of hostile requests (issue 17): size limits, deep JSON, a processing failure, two
interchanges in one body, ISA11 ``U``, a byte-order mark. Every answer is one api.md names, never a 5xx."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from groupsales.x12.validate import pyx12_issues
from sandbox import files
from sandbox.models import EnrollmentFile, Group

from .conftest import Api, codes, enrollment_file
from .test_file_fuzz import reads

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
UPLOAD = "/groups/{}/enrollment-files"
PROBLEM_ERROR_KEYS = {"code", "pointer", "severity", "memberRef", "message"}


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


def upload(api: Api, group_id: str, body: bytes | str):
    raw = body.encode("ascii") if isinstance(body, str) else body
    return api.post(UPLOAD.format(group_id), raw=raw, content_type="application/edi-x12")


def status_of(api: Api, group_id: str, file_id: str) -> dict:
    return api.get(f"{UPLOAD.format(group_id)}/{file_id}").json()


def assert_api_md_problem(response, status: int, code: str) -> dict:
    """api.md's problem body: type, title, status, correlationId (the header's), errors with their keys."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "correlationId", "errors"}, body
    assert body["type"].startswith("https://developer.humana.com/groupsales/problems/")
    assert body["status"] == status and body["title"]
    assert body["correlationId"] and response["X-Correlation-ID"] == body["correlationId"]
    assert [e["code"] for e in body["errors"]] == [code], body
    assert all(set(e) == PROBLEM_ERROR_KEYS and e["severity"] == "error" for e in body["errors"]), body
    return body


# --------------------------------------------------------------------------- sizes (413)


def test_an_834_just_over_5_mb_is_413_with_api_md_problem_body_and_one_at_the_limit_is_read(api):
    group_id = api.finalized()
    limit = files.max_file_bytes()
    assert limit == 5 * MB  # api.md: "at most 5 MB"
    at_limit = upload(api, group_id, b"X" * limit)
    assert_api_md_problem(at_limit, 422, "FIL-001")  # read, and refused for what it is
    over = upload(api, group_id, b"X" * (limit + 1))
    body = assert_api_md_problem(over, 413, "PAYLOAD_TOO_LARGE")
    assert str(limit) in body["errors"][0]["message"]
    assert not EnrollmentFile.objects.exists()
    assert Group.objects.get(group_id=group_id).status == "FINALIZED"
    assert upload(api, group_id, enrollment_file(group_id)).status_code == 202  # nothing was used up


def test_a_body_over_the_routes_6_mib_limit_is_413_with_api_md_problem_body_before_it_is_read(api, settings):
    group_id = api.finalized()
    route_limit = next(
        limit for pattern, limit in settings.REQUEST_BODY_LIMITS if "enrollment-files" in pattern
    )
    response = upload(api, group_id, b"X" * (route_limit + 1))
    assert_api_md_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert not EnrollmentFile.objects.exists()
    # the same limit on the sandbox's JSON routes (1 MB): a problem body too, not the portal's plain text
    big = api.post("/groups", raw=b"[" + b"0," * (settings.REQUEST_BODY_MAX_BYTES // 2) + b"0]")
    assert_api_md_problem(big, 413, "PAYLOAD_TOO_LARGE")


# --------------------------------------------------------------------------- deep JSON (400)


def nested(levels: int) -> bytes:
    """An object under ``levels - 1`` arrays: JSON nesting ``levels`` deep."""
    return b"[" * (levels - 1) + b'{"a": 1}' + b"]" * (levels - 1)


@pytest.mark.parametrize("levels", [33, 1000, 100_000])
def test_json_nested_deeper_than_32_levels_is_400_malformed_request(api, levels):
    response = api.post("/groups", raw=nested(levels))
    body = assert_api_md_problem(response, 400, "MALFORMED_REQUEST")
    assert "32 levels" in body["errors"][0]["message"]
    group_id = api.create()
    patched = api.http.patch(
        f"/sandbox/groupsales/v1/groups/{group_id}",
        nested(levels),
        content_type="application/merge-patch+json",
        headers={"x-api-key": api.key},
    )
    assert_api_md_problem(patched, 400, "MALFORMED_REQUEST")
    batch = api.post(
        f"/groups/{group_id}/member-validations/batch", raw=b'{"members": ' + nested(levels) + b"}"
    )
    assert_api_md_problem(batch, 400, "MALFORMED_REQUEST")


def test_json_nested_32_levels_is_read_and_answered_by_the_contract(api):
    response = api.post("/groups", raw=nested(32))
    assert response.status_code == 422 and "MALFORMED_REQUEST" not in codes(response)


# --------------------------------------------------------------------------- a processing failure (FIL-999)


def test_an_exception_in_processing_rejects_that_file_with_fil_999_logged_and_nothing_else_is_touched(
    api, monkeypatch, caplog
):
    failing = api.finalized()
    healthy = api.finalized()
    real_process = files._process
    calls = []

    def process(file):
        calls.append(file.file_id)
        if file.group.group_id == failing:
            raise RuntimeError("a bug in processing")
        real_process(file)

    monkeypatch.setattr(files, "_process", process)
    with caplog.at_level(logging.ERROR, logger="sandbox.files"):
        receipt = upload(api, failing, enrollment_file(failing)).json()
        status = status_of(api, failing, receipt["fileId"])
    assert status["status"] == "REJECTED" and status["completedAt"]
    assert [e["code"] for e in status["errors"]] == ["FIL-999"]
    assert status["summary"] == {"members": 0, "accepted": 0, "rejected": 0} and status["members"] == []
    logged = [r for r in caplog.records if receipt["fileId"] in r.getMessage()]
    assert logged and logged[0].levelno == logging.ERROR and logged[0].exc_info[0] is RuntimeError
    ack = api.get(f"{UPLOAD.format(failing)}/{receipt['fileId']}/acknowledgment")
    assert ack.status_code == 409 and "FIL-999" in ack.json()["errors"][0]["message"]
    # Ended once: no read runs processing again; the group is as the file found it.
    for path, response in reads(api, failing, receipt["fileId"]):
        assert response.status_code == (409 if path.endswith("acknowledgment") else 200), path
    assert calls == [receipt["fileId"]]
    assert api.get(f"/groups/{failing}").json()["status"] == "FINALIZED"
    # Another group of the same partner is processed as usual; the partner's book lists both.
    other = upload(api, healthy, enrollment_file(healthy, control_number=200)).json()
    assert status_of(api, healthy, other["fileId"])["status"] == "ACCEPTED"
    book = api.get("/agents/17012345/groups")
    assert book.status_code == 200
    assert {failing, healthy} <= {g["groupId"] for g in book.json()["items"]}
    # The partner sends the file again with a new ISA13 once the bug is gone.
    monkeypatch.setattr(files, "_process", real_process)
    again = upload(api, failing, enrollment_file(failing, control_number=124)).json()
    assert status_of(api, failing, again["fileId"])["status"] == "ACCEPTED"


def test_a_file_no_worker_ends_is_rejected_with_fil_999_after_the_give_up_time(api, settings):
    settings.SANDBOX_INLINE_PROCESSING_BYTES = 100  # the sample counts as large: handed to a task no one runs
    settings.SANDBOX_PROCESSING_GIVE_UP_SECONDS = 3600
    group_id = api.finalized()
    receipt = upload(api, group_id, enrollment_file(group_id)).json()
    assert status_of(api, group_id, receipt["fileId"])["status"] == "PROCESSING"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=30), tick=False):
        assert status_of(api, group_id, receipt["fileId"])["status"] == "PROCESSING"
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=3601), tick=False):
        status = status_of(api, group_id, receipt["fileId"])
        assert status["status"] == "REJECTED" and [e["code"] for e in status["errors"]] == ["FIL-999"]
        assert "did not end in time" in status["errors"][0]["message"]
        assert api.get(f"/groups/{group_id}").json()["status"] == "FINALIZED"


# --------------------------------------------------------------------------- envelopes


def test_two_interchanges_in_one_body_are_refused_at_upload_with_fil_001_not_fil_004(api):
    group_id = api.finalized()
    first, second = enrollment_file(group_id), enrollment_file(group_id, control_number=124)
    refused = upload(api, group_id, first + second)
    body = assert_api_md_problem(refused, 422, "FIL-001")
    assert (
        "2 interchanges" in body["errors"][0]["message"] and "one per upload" in body["errors"][0]["message"]
    )
    assert not EnrollmentFile.objects.exists()  # nothing used up: each is taken alone
    assert Group.objects.get(group_id=group_id).status == "FINALIZED"
    for text in (first, second):
        receipt = upload(api, group_id, text).json()
        assert status_of(api, group_id, receipt["fileId"])["status"] == "ACCEPTED"


def test_isa11_u_is_read_then_rejected_with_fil_003_naming_isa11_and_an_x12_valid_999(api):
    group_id = api.finalized()
    text = enrollment_file(group_id).replace("*^*00501*", "*U*00501*", 1)
    receipt = upload(api, group_id, text)
    assert receipt.status_code == 202, receipt.json()  # an X12 interchange: not FIL-001
    status = status_of(api, group_id, receipt.json()["fileId"])
    assert status["status"] == "REJECTED"
    assert [(e["code"], e["segment"], e["line"]) for e in status["errors"]] == [("FIL-003", "ISA", 1)]
    assert "ISA11" in status["errors"][0]["message"] and "^" in status["errors"][0]["message"]
    ack = api.get(f"{UPLOAD.format(group_id)}/{receipt.json()['fileId']}/acknowledgment").content.decode()
    assert "AK9*A*1*1*1" in ack  # the X12 is fine (pyx12 reads ISA11 U); the guide's delimiter is not
    assert pyx12_issues(ack) == []


def test_a_byte_order_mark_is_named_in_the_fil_001_answer(api):
    group_id = api.finalized()
    refused = upload(api, group_id, b"\xef\xbb\xbf" + enrollment_file(group_id).encode())
    body = assert_api_md_problem(refused, 422, "FIL-001")
    assert "byte-order mark" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("replace", "in_999"),
    [
        (("INS*Y*18*021*28*A***FT", "INS*Y*18*021*28*A*Z**FT"), "IK4*6:1*1218*7*Z"),  # a composite's error
        (("GE*1*", "GE*X*"), "AK9*R*1*1*1*5"),  # GE01 no number (pyx12's int() raised)
        (("GE*1*", "GE**"), "AK9*R*1*1*1*5"),
    ],
    ids=["ins06-composite", "ge01-letter", "ge01-empty"],
)
def test_a_file_that_used_to_stick_in_processing_ends_rejected_and_every_read_answers(api, replace, in_999):
    group_id = api.finalized()
    text = enrollment_file(group_id)
    assert replace[0] in text
    receipt = upload(api, group_id, text.replace(replace[0], replace[1], 1)).json()
    for path, response in reads(api, group_id, receipt["fileId"]):
        assert response.status_code == 200, (path, response.content[:300])
    status = status_of(api, group_id, receipt["fileId"])
    assert status["status"] == "REJECTED" and {"FIL-004", "FIL-005"} & {e["code"] for e in status["errors"]}
    ack = api.get(f"{UPLOAD.format(group_id)}/{receipt['fileId']}/acknowledgment").content.decode()
    assert in_999 in ack and pyx12_issues(ack) == []
    corrected = upload(api, group_id, enrollment_file(group_id, control_number=124)).json()
    assert status_of(api, group_id, corrected["fileId"])["status"] == "ACCEPTED"
