"""Interoperability (issue 17): public 834s no one here wrote, uploaded to the sandbox over HTTP.

The files are other projects' samples (LinuxForHealth/x12, azoner/pyx12, EdiFabric), read from
``../shared/x12-public/`` (its README names their sources) and never copied into this repository. Each is
uploaded twice, to a group of a partner of its own (so that files sharing an ISA13 are each processed):
as it is, and re-addressed to that partner (ISA06/GS02 the partner's sender ID, ISA08/GS03 ``HUMANAGS``, a
fresh ISA13 = IEA02; a UTF-8 byte-order mark dropped, as a partner saving the file would). Whatever the
file, every answer is one api.md names (never a 5xx), a 202 ends in a final status, every read of the
group, its files, its members and the partner's book answers below 500, and the 999 passes pyx12's own
999 validation. They belong to other groups and plans, so most are rejected as a whole (FIL-003).

Run with ``-s`` to see each file's outcome (docs/sandbox.md quotes them).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from groupsales.x12.parser import detect_delimiters
from groupsales.x12.validate import pyx12_issues
from sandbox.models import EnrollmentFile
from sandbox.services_admin import partner_add_key

from .conftest import Api
from .test_file_fuzz import reads

pytestmark = pytest.mark.django_db
PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "x12-public"
FILES = (
    sorted(p.name for p in PUBLIC.glob("*") if p.is_file() and p.name != "README.md")
    if PUBLIC.is_dir()
    else []
)
ANSWERS = {202, 409, 413, 415, 422}  # api.md's answers to an upload (400/401/429 are not the file's)
FINAL = {"ACCEPTED", "ACCEPTED_WITH_ERRORS", "REJECTED"}
BOM = b"\xef\xbb\xbf"


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


@pytest.fixture(autouse=True)
def quiet_pyx12():
    logger = logging.getLogger("pyx12")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def readdress(raw: bytes, sender_id: str, control_number: int) -> bytes:
    """``raw`` addressed from ``sender_id`` to the carrier with a fresh ISA13, all else as received."""
    text = raw.removeprefix(BOM).decode("ascii")
    d = detect_delimiters(text)
    number = f"{control_number:09d}"
    out = []
    for chunk in text.split(d.segment):
        body = chunk.lstrip("\r\n ")
        lead = chunk[: len(chunk) - len(body)]
        elements = body.split(d.element)
        if elements[0] == "ISA" and len(elements) > 13:
            elements[5], elements[6] = "ZZ", f"{sender_id:<15}"
            elements[7], elements[8] = "ZZ", f"{'HUMANAGS':<15}"
            elements[13] = number
        elif elements[0] == "GS" and len(elements) > 3:
            elements[2], elements[3] = sender_id, "HUMANAGS"
        elif elements[0] == "IEA" and len(elements) > 2:
            elements[2] = number
        out.append(lead + d.element.join(elements))
    return d.segment.join(out).encode("ascii")


def outcome(api: Api, group_id: str, body: bytes, label: str) -> str:
    """Upload ``body``, check every answer, and say what the sandbox made of it."""
    upload = api.post(f"/groups/{group_id}/enrollment-files", raw=body, content_type="application/edi-x12")
    assert upload.status_code in ANSWERS, (label, upload.status_code, upload.content[:300])
    if upload.status_code != 202:
        assert upload["Content-Type"] == "application/problem+json", label
        problem = upload.json()
        assert problem["status"] == upload.status_code and problem["errors"], (label, problem)
        for path, response in reads(api, group_id, None):
            assert response.status_code < 500, (label, path, response.content[:300])
        return f"{upload.status_code} {','.join(e['code'] for e in problem['errors'])}"
    file_id = upload.json()["fileId"]
    for path, response in reads(api, group_id, file_id):
        assert response.status_code < 500, (label, path, response.content[:300])
    status = api.get(f"/groups/{group_id}/enrollment-files/{file_id}").json()
    assert status["status"] in FINAL, (label, status)
    ack = api.get(f"/groups/{group_id}/enrollment-files/{file_id}/acknowledgment")
    assert ack.status_code == 200, (label, ack.content[:300])
    assert ack.content.decode() == EnrollmentFile.objects.get(file_id=file_id).acknowledgment
    issues = pyx12_issues(ack.content.decode())
    assert issues == [], (label, [i.message for i in issues], ack.content.decode())
    codes = sorted({e["code"] for e in status["errors"]})
    verdict = "TA1" if "TA1*" in ack.content.decode() else ack.content.decode().split("AK9*")[-1][:1]
    return f"202 {status['status']} {','.join(codes) or '-'} 999:{verdict} valid"


@pytest.mark.skipif(not PUBLIC.is_dir(), reason=f"the public 834s are not beside the repository ({PUBLIC})")
@pytest.mark.parametrize("name", FILES or ["(none)"])
def test_a_public_834_as_is_and_readdressed_gets_an_api_md_answer_and_a_valid_999(sandbox_rates, name):
    raw = (PUBLIC / name).read_bytes()
    sender_id = f"PUB{FILES.index(name):02d}"
    partner_add_key(name=f"Public {name}", sender_id=sender_id, raw_key=f"public-{sender_id}-key")
    api = Api(f"public-{sender_id}-key", sender_id)
    group_id = api.finalized()
    as_is = outcome(api, group_id, raw, f"{name} as is")
    readdressed = outcome(api, group_id, readdress(raw, sender_id, 800000001), f"{name} re-addressed")
    print(f"\npublic 834 {name}: as is {as_is}; re-addressed {readdressed}")
    assert not EnrollmentFile.objects.filter(status__in=EnrollmentFile.IN_FLIGHT).exists()


def test_readdressing_changes_only_the_addresses_and_the_control_number():
    raw = BOM + (
        b"ISA*00*          *00*          *ZZ*D00XXX         *ZZ*00AA           *070305*1832*U*00501*"
        b"000701336*0*P*:~\nGS*BE*D00XXX*00AA*20070305*1832*13360001*X*005010X220A1~\nST*834*0001*"
        b"005010X220A1~\nSE*2*0001~\nGE*1*13360001~\nIEA*1*000701336~\n"
    )
    text = readdress(raw, "PUB01", 800000001).decode()
    assert text.startswith("ISA*00*          *00*          *ZZ*PUB01          *ZZ*HUMANAGS       *070305")
    assert "*U*00501*800000001*0*P*:~\nGS*BE*PUB01*HUMANAGS*20070305*1832*13360001*" in text
    assert text.endswith("GE*1*13360001~\nIEA*1*800000001~\n")
    assert len(text.split("~")[0]) == 105
