"""The client over real HTTP against the carrier sandbox (``live_server``): every endpoint and every
scenario of api.md's sandbox table."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from django.conf import settings

from carrier.client import GroupSalesClient
from carrier.errors import (
    CarrierConflictError,
    CarrierNotFoundError,
    CarrierPermanentError,
    CarrierRuleError,
    CarrierTransientError,
)
from carrier.models import ApiCall
from carrier.services import operation_for, operation_mark_succeeded

from . import payloads
from .sandbox_support import sandbox_load_rates, sandbox_partner

pytestmark = pytest.mark.django_db(transaction=True)

NPN = "17012345"


@pytest.fixture
def partner(live_server) -> tuple[str, str]:
    """(api key, sender ID) of a fresh sandbox partner whose sandbox knows the sample's plans and rates."""
    sandbox_load_rates()
    return sandbox_partner(name="Partner01", sender_id="PARTNER01")


@pytest.fixture
def client(live_server, partner) -> GroupSalesClient:
    api_key, _ = partner
    return GroupSalesClient(
        f"{live_server.url}/sandbox/groupsales/v1", api_key, max_attempts=4, sleep=lambda seconds: None
    )


def create(client: GroupSalesClient, *, subject: str = "group:1", **employer: Any):
    operation = operation_for(kind="create_group", subject=subject)
    created = client.create_group(
        payloads.create_group(**employer), idempotency_key=operation.idempotency_key, subject=subject
    )
    operation_mark_succeeded(operation=operation, response=created.model_dump(mode="json", by_alias=True))
    return created


def validate_family(client: GroupSalesClient, group_id: str, *, luis_last_name: str = "Ortiz") -> None:
    members = payloads.family()
    members[-1]["lastName"] = luis_last_name
    result = client.validate_members(group_id, members, idempotency_key=f"batch-{group_id}-{luis_last_name}")
    assert [r.valid for r in result.results] == [True] * 5, [r.errors for r in result.results]


def enrollment_file(
    group_id: str,
    sender_id: str,
    *,
    control_number: int = 123,
    fein: str = "123456789",
    luis_last_name: str = "ORTIZ",
) -> bytes:
    text = (settings.SAMPLES_DIR / "new-business.834").read_text()
    number = f"{control_number:09d}"
    text = text.replace("*ZZ*PARTNER01      *", f"*ZZ*{sender_id:<15}*")
    text = text.replace("GS*BE*PARTNER01*", f"GS*BE*{sender_id}*")
    text = text.replace("*000000123*", f"*{number}*").replace("IEA*1*000000123", f"IEA*1*{number}")
    text = text.replace("BHB-104233-1", f"BHB-{group_id}-{control_number}")
    text = text.replace("104233", group_id).replace("FI*123456789", f"FI*{fein}")
    text = text.replace("NM1*IL*1*ORTIZ*LUIS", f"NM1*IL*1*{luis_last_name}*LUIS")
    return text.encode("ascii")


def wait_until(client: GroupSalesClient, group_id: str, file_id: str, statuses: set[str]):
    """Poll the file's status until it is in ``statuses`` (the sandbox's clock runs fast in tests)."""
    for _ in range(400):
        status = client.get_enrollment_file(group_id, file_id)
        if status.status in statuses:
            return status
        time.sleep(0.025)
    pytest.fail(f"file {file_id} never reached {statuses}; last {status.status}")


FINAL = {"ACCEPTED", "ACCEPTED_WITH_ERRORS", "REJECTED"}


def finalize(client: GroupSalesClient, group_id: str):
    return client.finalize_group(group_id, idempotency_key=f"fin-{group_id}")


def test_it_enrolls_the_blue_heron_group_through_every_endpoint(client, partner):
    _, sender_id = partner
    created = create(client)
    group_id = created.group_id
    assert len(group_id) == 6 and group_id.isdigit()
    assert created.status == "CREATED" and created.rating_area_id == "KY-RA02"
    assert {r.plan_id for r in created.estimated_rates} >= {"12345KY0010001"}

    patched = client.patch_group(group_id, {"employer": {"dbaName": "Blue Heron Bakery"}})
    assert patched.employer.dba_name == "Blue Heron Bakery"
    assert client.get_group(group_id).employer.dba_name == "Blue Heron Bakery"

    ann = client.validate_member(group_id, payloads.member(), idempotency_key="ann-1")
    assert ann.valid and ann.member_ref == "E-001"
    validate_family(client, group_id)
    listed = client.list_member_validations(group_id)
    assert listed.total_items == 5
    assert {v.member_ref: v.status for v in listed.items}["E-002"] == "NOT_SENT"

    final = finalize(client, group_id)
    assert final.status == "FINALIZED"
    medical = {p.line: p for p in final.participation}["MEDICAL"]
    assert (medical.eligible, medical.enrolled) == (2, 2)
    assert final.total_monthly_premium > 0
    detail = client.get_group(group_id)
    assert [h.status for h in detail.status_history] == ["CREATED", "FINALIZED"]
    assert detail.final_rates and detail.participation

    receipt = client.upload_enrollment_file(
        group_id, enrollment_file(group_id, sender_id), idempotency_key="file-1"
    )
    assert receipt.status == "RECEIVED" and receipt.interchange_control_number == "000000123"
    ended = wait_until(client, group_id, receipt.file_id, FINAL)
    assert ended.status == "ACCEPTED", (ended.errors, [m.errors for m in ended.members])
    assert ended.summary.accepted == 5
    assert all(m.humana_member_id for m in ended.members)
    assert client.get_acknowledgment(group_id, receipt.file_id).startswith("ISA")
    assert [f.file_id for f in client.list_enrollment_files(group_id).items] == [receipt.file_id]
    assert client.get_group(group_id).status == "ENROLLED"

    book = list(client.iter_agent_groups(NPN, page_size=1))
    assert [(g.group_id, g.status) for g in book] == [(group_id, "ENROLLED")]

    with pytest.raises(CarrierConflictError) as accepted:
        client.withdraw_member(group_id, "E-002")
    assert accepted.value.code == "INVALID_STATE"

    # every call was recorded, masked
    member_calls = ApiCall.objects.filter(path__contains="member-validations", method="POST")
    assert member_calls.exists()
    assert not member_calls.filter(
        request_body__contains='123456789"'
    ).exists()  # the SSN (the FEIN is not PII)
    assert not ApiCall.objects.filter(request_body__contains="1980-05-02").exists()


def test_it_creates_a_fein_98_group_after_the_clients_retries(client):
    created = create(client, fein="981234567")

    calls = list(ApiCall.objects.filter(path="/groups", method="POST").order_by("attempt"))
    assert [(c.attempt, c.status_code) for c in calls] == [(1, 503), (2, 503), (3, 201)]
    assert len({c.idempotency_key for c in calls}) == 1
    book = client.list_agent_groups(NPN)
    assert book.total_items == 1 and book.items[0].group_id == created.group_id


def test_it_reports_agt_002_for_npn_99999999(client):
    body = payloads.create_group()
    body["writingAgent"]["npn"] = "99999999"

    with pytest.raises(CarrierRuleError) as caught:
        client.create_group(body, idempotency_key="agt-002")

    assert "AGT-002" in caught.value.codes()
    assert {e.pointer for e in caught.value.errors if e.code == "AGT-002"} <= {"/writingAgent/npn", ""}
    assert ApiCall.objects.count() == 1


def test_it_reports_grp_900_at_finalize_for_fein_95(client):
    group_id = create(client, fein="951234567").group_id
    validate_family(client, group_id)

    with pytest.raises(CarrierRuleError) as caught:
        finalize(client, group_id)

    assert "GRP-900" in caught.value.codes()
    assert client.get_group(group_id).status == "CREATED"


def test_it_sees_the_first_file_of_a_fein_97_group_rejected(client, partner):
    _, sender_id = partner
    group_id = create(client, fein="971234567").group_id
    validate_family(client, group_id)
    finalize(client, group_id)

    first = client.upload_enrollment_file(
        group_id, enrollment_file(group_id, sender_id, fein="971234567"), idempotency_key="f97-1"
    )
    ended = wait_until(client, group_id, first.file_id, FINAL)
    assert ended.status == "REJECTED"
    assert [e.code for e in ended.errors] == ["FIL-900"]
    assert client.get_group(group_id).status == "FINALIZED"

    second = client.upload_enrollment_file(
        group_id,
        enrollment_file(group_id, sender_id, fein="971234567", control_number=124),
        idempotency_key="f97-2",
    )
    assert wait_until(client, group_id, second.file_id, FINAL).status == "ACCEPTED"


def test_it_sees_a_fein_96_file_stay_processing(client, partner):
    _, sender_id = partner
    group_id = create(client, fein="961234567").group_id
    validate_family(client, group_id)
    finalize(client, group_id)

    receipt = client.upload_enrollment_file(
        group_id, enrollment_file(group_id, sender_id, fein="961234567"), idempotency_key="f96"
    )
    wait_until(client, group_id, receipt.file_id, {"PROCESSING"})

    with pytest.raises(CarrierConflictError) as caught:
        client.get_acknowledgment(group_id, receipt.file_id)
    assert caught.value.code == "INVALID_STATE"
    with pytest.raises(CarrierConflictError):  # another file while one is processing
        client.upload_enrollment_file(
            group_id,
            enrollment_file(group_id, sender_id, fein="961234567", control_number=125),
            idempotency_key="f96b",
        )


def test_it_sees_rejectsmith_rejected_and_the_others_accepted(client, partner):
    _, sender_id = partner
    group_id = create(client).group_id
    validate_family(client, group_id, luis_last_name="Rejectsmith")
    finalize(client, group_id)

    receipt = client.upload_enrollment_file(
        group_id, enrollment_file(group_id, sender_id, luis_last_name="REJECTSMITH"), idempotency_key="rs"
    )
    ended = wait_until(client, group_id, receipt.file_id, FINAL)

    assert ended.status == "ACCEPTED_WITH_ERRORS"
    by_ref = {m.member_ref: m for m in ended.members}
    assert by_ref["E-002"].status == "REJECTED" and by_ref["E-002"].errors[0].code == "FIL-901"
    assert by_ref["E-001"].status == "ACCEPTED"
    assert (ended.summary.accepted, ended.summary.rejected) == (4, 1)


def test_it_reports_fil_001_and_fil_002_at_upload(client, partner):
    _, sender_id = partner
    group_id = create(client).group_id
    validate_family(client, group_id)
    finalize(client, group_id)
    first = client.upload_enrollment_file(
        group_id, enrollment_file(group_id, sender_id), idempotency_key="u1"
    )
    wait_until(client, group_id, first.file_id, FINAL)

    with pytest.raises(CarrierRuleError) as not_x12:
        client.upload_enrollment_file(group_id, b"hello, carrier", idempotency_key="u2")
    assert not_x12.value.codes() == ["FIL-001"]

    with pytest.raises(CarrierConflictError) as reused:
        client.upload_enrollment_file(group_id, enrollment_file(group_id, sender_id), idempotency_key="u3")
    assert reused.value.code == "FIL-002"
    assert reused.value.file_id == first.file_id


def test_it_replays_a_key_and_refuses_it_with_another_body(client):
    first = client.create_group(payloads.create_group(), idempotency_key="same-key")
    again = client.create_group(payloads.create_group(), idempotency_key="same-key")
    assert again.group_id == first.group_id

    with pytest.raises(CarrierConflictError) as caught:
        client.create_group(payloads.create_group(legalName="Other Bakery LLC"), idempotency_key="same-key")
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert client.list_agent_groups(NPN).total_items == 1


def test_it_reports_a_member_rule_with_its_pointer(client):
    group_id = create(client).group_id
    validate_family(client, group_id)
    too_old = payloads.dependent("E-001-C3", "CHILD", "Old", "123456783", "1990-01-01")

    with pytest.raises(CarrierRuleError) as caught:
        client.validate_member(group_id, too_old, idempotency_key="old-child")

    assert ("MBR-005", "/dateOfBirth") in {(e.code, e.pointer) for e in caught.value.errors}


def test_it_withdraws_a_member_before_enrollment(client):
    group_id = create(client).group_id
    validate_family(client, group_id)

    client.withdraw_member(group_id, "E-001-C2")

    refs = {v.member_ref for v in client.iter_member_validations(group_id)}
    assert refs == {"E-001", "E-001-S", "E-001-C1", "E-002"}


def test_it_refuses_a_patch_after_finalize(client):
    group_id = create(client).group_id
    validate_family(client, group_id)
    finalize(client, group_id)

    with pytest.raises(CarrierConflictError) as caught:
        client.patch_group(group_id, {"employer": {"dbaName": None}})
    assert caught.value.code == "INVALID_STATE"


def test_it_gets_404_for_an_unknown_group_and_401_for_an_unknown_key(client, live_server):
    with pytest.raises(CarrierNotFoundError):
        client.get_group("999999")

    stranger = GroupSalesClient(
        f"{live_server.url}/sandbox/groupsales/v1", "no-such-key", sleep=lambda s: None
    )
    with pytest.raises(CarrierPermanentError) as caught:
        stranger.list_agent_groups(NPN)
    assert (caught.value.status, caught.value.code) == (401, "UNAUTHENTICATED")


def test_it_hides_another_partners_group(client, live_server):
    group_id = create(client).group_id
    other_key, _ = sandbox_partner(name="Other Partner")
    other = GroupSalesClient(f"{live_server.url}/sandbox/groupsales/v1", other_key, sleep=lambda s: None)

    with pytest.raises(CarrierNotFoundError):
        other.get_group(group_id)


def test_it_gives_up_on_a_rate_limit_with_retry_after(client, settings):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 1
    client.list_agent_groups(NPN)

    with pytest.raises(CarrierTransientError) as caught:
        client.list_agent_groups(NPN)

    assert caught.value.status == 429
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


def test_it_retries_injected_503s_and_then_gives_up(client, settings):
    settings.SANDBOX_ERROR_RATE = 1.0

    with pytest.raises(CarrierTransientError) as caught:
        client.create_group(copy.deepcopy(payloads.CREATE_GROUP), idempotency_key="flaky")

    assert caught.value.status == 503
    assert ApiCall.objects.filter(idempotency_key="flaky").count() == 4
    settings.SANDBOX_ERROR_RATE = 0.0
    assert client.list_agent_groups(NPN).total_items == 0  # nothing was created
