"""The Group Sales client against mocked HTTP (``responses``): retries, errors, records, masking."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers

from carrier.client import GroupSalesClient, get_client
from carrier.errors import (
    CarrierConflictError,
    CarrierNotFoundError,
    CarrierPermanentError,
    CarrierResponseError,
    CarrierRuleError,
    CarrierTransientError,
)
from carrier.models import ApiCall
from carrier.schemas import InvalidCarrierRequest
from carrier.services import operation_for
from carrier.transport import parse_retry_after

from . import payloads

pytestmark = pytest.mark.django_db

BASE = "https://carrier.test/groupsales/v1"
PROBLEM = "application/problem+json"


def problem(status: int, *errors: dict, title: str = "error") -> dict:
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "correlationId": "c-1",
        "errors": list(errors),
    }


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps) -> GroupSalesClient:
    return GroupSalesClient(
        BASE,
        "key-123",
        connect_timeout=1.5,
        read_timeout=7,
        max_attempts=4,
        sleep=sleeps.append,
        rng=random.Random(7),
    )


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def test_it_succeeds_after_two_503s_and_records_three_attempts(client, mocked, sleeps):
    url = f"{BASE}/groups"
    mocked.post(url, status=503, json=problem(503, {"code": "UNAVAILABLE"}), content_type=PROBLEM)
    mocked.post(url, status=503, json=problem(503, {"code": "UNAVAILABLE"}), content_type=PROBLEM)
    mocked.post(url, status=201, json=payloads.CREATED)
    operation = operation_for(kind="create_group", subject="group:1")

    created = client.create_group(
        payloads.CREATE_GROUP, idempotency_key=operation.idempotency_key, subject="group:1"
    )

    assert created.group_id == "104233"
    assert created.estimated_rates[0].estimated_monthly_premium == Decimal("3143.30")
    calls = list(ApiCall.objects.order_by("attempt"))
    assert [(c.attempt, c.status_code, c.outcome) for c in calls] == [
        (1, 503, "http_error"),
        (2, 503, "http_error"),
        (3, 201, "ok"),
    ]
    assert {c.operation_id for c in calls} == {operation.id}
    assert {c.subject for c in calls} == {"group:1"}
    assert {c.path for c in calls} == {"/groups"}
    assert len(sleeps) == 2
    # full jitter: each wait within [0, base * 2^(attempt-1)]
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_it_sends_the_same_idempotency_key_and_correlation_id_on_every_attempt(client, mocked):
    url = f"{BASE}/groups"
    mocked.post(url, status=502)
    mocked.post(url, status=201, json=payloads.CREATED)

    client.create_group(payloads.CREATE_GROUP, idempotency_key="k-1")

    sent = [call.request for call in mocked.calls]
    assert len(sent) == 2
    assert {r.headers["Idempotency-Key"] for r in sent} == {"k-1"}
    assert len({r.headers["X-Correlation-ID"] for r in sent}) == 1
    assert {r.headers["x-api-key"] for r in sent} == {"key-123"}
    assert {r.headers["Accept"] for r in sent} == {"application/json"}
    assert {r.headers["Content-Type"] for r in sent} == {"application/json"}
    assert {c.correlation_id for c in ApiCall.objects.all()} == {sent[0].headers["X-Correlation-ID"]}


def test_it_uses_a_new_correlation_id_for_each_logical_call(client, mocked):
    mocked.get(f"{BASE}/groups/104233/enrollment-files/F-1", status=404, json=problem(404))
    for _ in range(2):
        with pytest.raises(CarrierNotFoundError):
            client.get_enrollment_file("104233", "F-1")
    assert len({c.request.headers["X-Correlation-ID"] for c in mocked.calls}) == 2


def test_it_passes_explicit_connect_and_read_timeouts(client):
    seen = {}

    class Session(requests.Session):
        def request(self, method, url, **kwargs):
            seen["timeout"] = kwargs["timeout"]
            raise requests.ConnectionError("refused")

    client.session = Session()
    client.max_attempts = 1
    with pytest.raises(CarrierTransientError):
        client.get_group("104233")
    assert seen["timeout"] == (1.5, 7)


def test_it_honours_retry_after_on_429(client, mocked, sleeps):
    url = f"{BASE}/groups/104233"
    mocked.get(url, status=429, headers={"Retry-After": "7"}, json=problem(429, {"code": "RATE_LIMITED"}))
    mocked.get(url, status=429, headers={"Retry-After": "2"}, json=problem(429, {"code": "RATE_LIMITED"}))
    mocked.get(url, status=200, json=group_detail())

    group = client.get_group("104233")

    assert group.status == "CREATED"
    assert sleeps == [7.0, 2.0]


def test_it_raises_transient_with_retry_after_when_the_wait_is_beyond_the_cap(client, mocked, sleeps):
    mocked.get(f"{BASE}/groups/104233", status=429, headers={"Retry-After": "600"}, json=problem(429))

    with pytest.raises(CarrierTransientError) as caught:
        client.get_group("104233")

    assert caught.value.retry_after == 600.0
    assert caught.value.status == 429
    assert sleeps == []
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("error", "outcome", "code"),
    [
        (requests.ConnectTimeout("connect timed out"), "timeout", "TIMEOUT"),
        (requests.ReadTimeout("read timed out"), "timeout", "TIMEOUT"),
        (requests.ConnectionError("connection refused"), "connection_error", "CONNECTION_ERROR"),
    ],
)
def test_it_retries_timeouts_and_connection_errors_then_raises_transient(
    client, mocked, sleeps, error, outcome, code
):
    mocked.post(f"{BASE}/groups/104233/finalize", body=error)

    with pytest.raises(CarrierTransientError) as caught:
        client.finalize_group("104233", idempotency_key="k-fin")

    assert caught.value.code == code
    assert caught.value.status is None
    assert len(mocked.calls) == 4
    assert len(sleeps) == 3
    rows = list(ApiCall.objects.order_by("attempt"))
    assert [r.attempt for r in rows] == [1, 2, 3, 4]
    assert {r.outcome for r in rows} == {outcome}
    assert all(r.status_code is None and r.error for r in rows)


def test_it_raises_transient_after_the_last_5xx_attempt(client, mocked):
    mocked.get(f"{BASE}/groups/104233", status=504)

    with pytest.raises(CarrierTransientError) as caught:
        client.get_group("104233")

    assert caught.value.status == 504
    assert ApiCall.objects.count() == 4


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (400, "MALFORMED_REQUEST", CarrierPermanentError),
        (401, "UNAUTHENTICATED", CarrierPermanentError),
        (404, "NOT_FOUND", CarrierNotFoundError),
        (409, "INVALID_STATE", CarrierConflictError),
        (413, "PAYLOAD_TOO_LARGE", CarrierPermanentError),
        (415, "UNSUPPORTED_MEDIA_TYPE", CarrierPermanentError),
        (422, "GRP-002", CarrierRuleError),
    ],
)
def test_it_never_retries_other_4xx(client, mocked, sleeps, status, code, error_type):
    mocked.post(f"{BASE}/groups", status=status, json=problem(status, {"code": code, "pointer": ""}))

    with pytest.raises(error_type) as caught:
        client.create_group(payloads.CREATE_GROUP, idempotency_key="k-4xx")

    assert not isinstance(caught.value, CarrierTransientError)
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.correlation_id == "c-1"
    assert len(mocked.calls) == 1
    assert sleeps == []
    assert ApiCall.objects.get().outcome == "http_error"


def test_it_gives_every_broken_rule_of_a_422(client, mocked):
    mocked.post(
        f"{BASE}/groups",
        status=422,
        content_type=PROBLEM,
        json=problem(
            422,
            {
                "code": "GRP-002",
                "pointer": "/employer/fein",
                "message": "FEIN prefix",
                "severity": "error",
                "memberRef": None,
            },
            {
                "code": "AGT-002",
                "pointer": "/writingAgent/npn",
                "message": "not appointed",
                "severity": "error",
                "memberRef": None,
            },
            {
                "code": "GRP-003",
                "pointer": "/employer/sicCode",
                "message": "SIC",
                "severity": "warning",
                "memberRef": "E-002",
            },
        ),
    )

    with pytest.raises(CarrierRuleError) as caught:
        client.create_group(payloads.CREATE_GROUP, idempotency_key="k-422")

    error = caught.value
    assert [(e.code, e.pointer, e.severity, e.member_ref) for e in error.errors] == [
        ("GRP-002", "/employer/fein", "error", None),
        ("AGT-002", "/writingAgent/npn", "error", None),
        ("GRP-003", "/employer/sicCode", "warning", "E-002"),
    ]
    assert error.code == "GRP-002"
    assert [e.code for e in error.blocking] == ["GRP-002", "AGT-002"]


def test_it_gives_the_earlier_file_id_of_a_fil_002_conflict(client, mocked):
    mocked.post(
        f"{BASE}/groups/104233/enrollment-files",
        status=409,
        json=problem(409, {"code": "FIL-002", "pointer": "", "message": "ISA13 used", "fileId": "F-000123"}),
        match=[matchers.header_matcher({"Content-Type": "application/edi-x12", "Idempotency-Key": "k-834"})],
    )

    with pytest.raises(CarrierConflictError) as caught:
        client.upload_enrollment_file("104233", b"ISA*00*...~", idempotency_key="k-834")

    assert caught.value.code == "FIL-002"
    assert caught.value.file_id == "F-000123"


def test_it_raises_a_response_error_for_malformed_json(client, mocked):
    mocked.post(f"{BASE}/groups", status=201, body="{not json", content_type="application/json")

    with pytest.raises(CarrierResponseError) as caught:
        client.create_group(payloads.CREATE_GROUP, idempotency_key="k-bad")

    assert "not JSON" in str(caught.value)
    assert ApiCall.objects.get().outcome == "invalid_response"


def test_it_names_the_missing_field_of_a_response(client, mocked):
    broken = {k: v for k, v in payloads.CREATED.items() if k != "ratingAreaId"}
    mocked.post(f"{BASE}/groups", status=201, json=broken)

    with pytest.raises(CarrierResponseError) as caught:
        client.create_group(payloads.CREATE_GROUP, idempotency_key="k-missing")

    assert "ratingAreaId" in str(caught.value)
    assert isinstance(caught.value, CarrierPermanentError)
    call = ApiCall.objects.get()
    assert call.outcome == "invalid_response" and "ratingAreaId" in call.error


def test_it_names_a_mistyped_money_field_of_a_response(client, mocked):
    bad = {
        **payloads.CREATED,
        "estimatedRates": [{"planId": "P", "line": "MEDICAL", "estimatedMonthlyPremium": 1.5}],
    }
    mocked.post(f"{BASE}/groups", status=201, json=bad)

    with pytest.raises(CarrierResponseError, match="estimatedMonthlyPremium"):
        client.create_group(payloads.CREATE_GROUP, idempotency_key="k-float")


def test_it_refuses_a_request_that_does_not_fit_before_any_call(client, mocked):
    body = payloads.create_group()
    del body["employer"]["fein"]

    with pytest.raises(InvalidCarrierRequest) as caught:
        client.create_group(body, idempotency_key="k-unfit")

    assert isinstance(caught.value, ValueError)
    assert [e.pointer for e in caught.value.errors] == ["/employer/fein"]
    assert len(mocked.calls) == 0
    assert ApiCall.objects.count() == 0


def test_it_keeps_unknown_keys_out_of_the_request(client, mocked):
    mocked.post(f"{BASE}/groups", status=201, json=payloads.CREATED)
    body = payloads.create_group(portalNote="internal")
    body["localGroupId"] = 12

    client.create_group(body, idempotency_key="k-extra")

    sent = json.loads(mocked.calls[0].request.body)
    assert "localGroupId" not in sent and "portalNote" not in sent["employer"]
    assert sent["employer"]["fein"] == "123456789"
    assert sent["offerings"][0]["contribution"]["employee"] == "60.00"
    assert "ratingOption" not in sent["offerings"][1]


def test_it_masks_ssns_and_dates_of_birth_in_stored_json_bodies(client, mocked):
    mocked.post(
        f"{BASE}/groups/104233/member-validations/batch",
        status=200,
        json={
            "results": [
                {"memberRef": "E-001", "valid": True, "validationId": "V-1", "warnings": []},
                {
                    "memberRef": "E-001-S",
                    "valid": False,
                    "errors": [
                        {"code": "MBR-014", "pointer": "/ssn", "message": "SSN 123-45-6780 is used by E-009"}
                    ],
                },
            ]
        },
    )
    spouse = payloads.dependent("E-001-S", "SPOUSE", "David", "123456780", "1979-11-30")

    result = client.validate_members(
        "104233", [payloads.ANN, spouse], idempotency_key="k-batch", subject="group:1"
    )

    assert [r.valid for r in result.results] == [True, False]
    assert result.invalid[0].errors[0].code == "MBR-014"
    call = ApiCall.objects.get()
    for text in (call.request_body, call.response_body):
        assert "123456789" not in text and "123456780" not in text and "123-45-6780" not in text
        assert "1980-05-02" not in text and "1979-11-30" not in text
    request = json.loads(call.request_body)
    assert request["members"][0]["ssn"] == "***-**-6789"
    assert request["members"][1]["dateOfBirth"] == "****-**-**"
    assert "6780" in call.response_body


def test_it_masks_ssns_and_dates_of_birth_in_a_stored_834(client, mocked, settings):
    content = (settings.SAMPLES_DIR / "new-business.834").read_bytes()
    mocked.post(
        f"{BASE}/groups/104233/enrollment-files",
        status=202,
        headers={"Location": f"{BASE}/groups/104233/enrollment-files/F-000123"},
        json={
            "fileId": "F-000123",
            "status": "RECEIVED",
            "receivedAt": "2026-11-23T15:30:00Z",
            "interchangeControlNumber": "000000123",
        },
    )

    receipt = client.upload_enrollment_file("104233", content, idempotency_key="k-file")

    assert receipt.file_id == "F-000123"
    assert receipt.location.endswith("/enrollment-files/F-000123")
    assert mocked.calls[0].request.body == content
    stored = ApiCall.objects.get().request_body
    # (the sample's FEIN, 123456789 in N1*P5, is the employer's and stays)
    for secret in ("34*123456789", "123456780", "123456781", "123456782", "19800502", "19791130", "20100605"):
        assert secret not in stored
    assert "NM1*IL*1*LEE*ANN****34******6789~" in stored
    assert "DMG*D8*" + "*" * 8 + "*F*M~" in stored
    assert "N1*P5*BLUE HERON BAKERY LLC*FI*" in stored  # the rest of the file is kept as sent


def test_it_reads_a_finalized_group_with_its_rates(client, mocked):
    mocked.post(f"{BASE}/groups/104233/finalize", status=200, json=finalized())

    result = client.finalize_group("104233", idempotency_key="k-fin")

    assert result.status == "FINALIZED"
    assert result.participation[1].valid_waivers == 1
    assert result.final_rates[0].members[3].monthly_premium == Decimal("390.45")
    assert result.final_rates[1].tier_rates["FAM"] == Decimal("97.50")
    assert result.employer_monthly_contribution == Decimal("1288.72")
    assert json.loads(mocked.calls[0].request.body) == {}
    assert result.model_dump(mode="json", by_alias=True)["totalMonthlyPremium"] == "3264.50"


def test_it_pages_through_every_agent_group(client, mocked):
    def item(n: int) -> dict:
        return {
            "groupId": f"10423{n}",
            "employerName": f"E{n}",
            "status": "CREATED",
            "requestedEffectiveDate": "2027-01-01",
            "situsState": "KY",
            "lines": ["MEDICAL"],
            "subscribersEnrolled": 0,
            "totalMonthlyPremium": None,
            "updatedAt": "2026-11-23T15:00:00Z",
        }

    url = f"{BASE}/agents/17012345/groups"
    mocked.get(
        url,
        json={"items": [item(1), item(2)], "page": 1, "pageSize": 2, "totalItems": 3},
        match=[matchers.query_param_matcher({"page": "1", "pageSize": "2", "status": "CREATED"})],
    )
    mocked.get(
        url,
        json={"items": [item(3)], "page": 2, "pageSize": 2, "totalItems": 3},
        match=[matchers.query_param_matcher({"page": "2", "pageSize": "2", "status": "CREATED"})],
    )

    groups = list(client.iter_agent_groups("17012345", status="CREATED", page_size=2))

    assert [g.group_id for g in groups] == ["104231", "104232", "104233"]
    assert groups[0].total_monthly_premium is None


def test_it_withdraws_a_member_with_a_delete(client, mocked):
    mocked.delete(f"{BASE}/groups/104233/member-validations/E-001-S", status=204)

    assert client.withdraw_member("104233", "E-001-S", subject="member:7") is None
    call = ApiCall.objects.get()
    assert (call.method, call.status_code, call.idempotency_key) == ("DELETE", 204, "")


def test_it_takes_a_404_after_a_lost_delete_answer_as_done(client, mocked):
    url = f"{BASE}/groups/104233/member-validations/E-002"
    mocked.delete(url, body=requests.ReadTimeout("read timed out"))
    mocked.delete(url, status=404, json=problem(404, {"code": "NOT_FOUND"}))

    assert client.withdraw_member("104233", "E-002") is None
    assert len(mocked.calls) == 2


def test_it_reports_a_404_on_a_first_delete(client, mocked):
    mocked.delete(f"{BASE}/groups/104233/member-validations/E-002", status=404, json=problem(404))

    with pytest.raises(CarrierNotFoundError):
        client.withdraw_member("104233", "E-002")


def test_it_sends_a_merge_patch_with_only_the_keys_given(client, mocked):
    mocked.patch(f"{BASE}/groups/104233", json=group_detail())

    client.patch_group("104233", {"employer": {"dbaName": None}, "workforce": {"eligibleEmployees": 3}})

    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/merge-patch+json"
    assert "Idempotency-Key" not in request.headers
    assert json.loads(request.body) == {"employer": {"dbaName": None}, "workforce": {"eligibleEmployees": 3}}


def test_it_reads_a_file_status_with_member_results(client, mocked):
    mocked.get(
        f"{BASE}/groups/104233/enrollment-files/F-000124",
        json={
            "fileId": "F-000124",
            "status": "ACCEPTED_WITH_ERRORS",
            "receivedAt": "2026-11-30T14:00:00Z",
            "completedAt": "2026-11-30T14:00:07Z",
            "interchangeControlNumber": "000000124",
            "errors": [],
            "summary": {"members": 5, "accepted": 4, "rejected": 1},
            "members": [
                {
                    "memberRef": "E-001-C1",
                    "relationship": "CHILD",
                    "status": "REJECTED",
                    "humanaMemberId": None,
                    "errors": [{"code": "FIL-010", "message": "DOB differs", "segment": "DMG", "line": 51}],
                },
                {
                    "memberRef": "E-001",
                    "relationship": "SUBSCRIBER",
                    "status": "ACCEPTED",
                    "humanaMemberId": "H40112233",
                    "errors": [],
                },
            ],
        },
    )

    status = client.get_enrollment_file("104233", "F-000124")

    assert status.is_final
    assert status.summary.rejected == 1
    assert status.members[0].errors[0].line == 51
    assert status.members[1].humana_member_id == "H40112233"


def test_it_reads_the_999_as_text(client, mocked):
    ack = (
        "ISA*00*          *00*          *ZZ*HUMANAGS       *ZZ*PORTALDEV      "
        "*261130*1400*^*00501*000000001*0*T*:~"
    )
    mocked.get(
        f"{BASE}/groups/104233/enrollment-files/F-1/acknowledgment",
        body=ack,
        content_type="application/edi-x12",
    )

    assert client.get_acknowledgment("104233", "F-1") == ack


def test_it_refuses_a_post_without_an_idempotency_key(client, mocked):
    with pytest.raises(ValueError, match="idempotency key"):
        client.finalize_group("104233", idempotency_key="")
    assert len(mocked.calls) == 0


def test_it_builds_the_client_from_settings(settings):
    settings.HUMANA_API_BASE_URL = "https://humana.example/groupsales/v1/"
    settings.HUMANA_API_KEY = "k"
    settings.HUMANA_API_MAX_ATTEMPTS = 2
    settings.HUMANA_API_CONNECT_TIMEOUT = 2.0
    settings.HUMANA_API_READ_TIMEOUT = 9.0

    built = get_client()

    assert (built.base_url, built.api_key, built.max_attempts, built.timeout) == (
        "https://humana.example/groupsales/v1",
        "k",
        2,
        (2.0, 9.0),
    )


def test_it_reads_retry_after_as_seconds_or_a_date():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def group_detail() -> dict:
    return {
        **payloads.CREATE_GROUP,
        "groupId": "104233",
        "status": "CREATED",
        "statusHistory": [{"status": "CREATED", "at": "2026-11-23T15:05:00Z"}],
        "ratingAreaId": "KY-RA02",
        "createdAt": "2026-11-23T15:05:00Z",
    }


def finalized() -> dict:
    return {
        "groupId": "104233",
        "status": "FINALIZED",
        "finalizedAt": "2026-11-30T14:00:00Z",
        "participation": [
            {"line": "MEDICAL", "eligible": 2, "enrolled": 2, "validWaivers": 0, "percent": "100.00"},
            {"line": "DENTAL", "eligible": 2, "enrolled": 1, "validWaivers": 1, "percent": "100.00"},
        ],
        "finalRates": [
            {
                "planId": "12345KY0010001",
                "line": "MEDICAL",
                "ratingMethod": "AGE",
                "members": [
                    {"memberRef": "E-001", "age": 46, "monthlyPremium": "765.59"},
                    {"memberRef": "E-001-S", "age": 47, "monthlyPremium": "957.29"},
                    {"memberRef": "E-001-C1", "age": 16, "monthlyPremium": "438.43"},
                    {"memberRef": "E-001-C2", "age": 0, "monthlyPremium": "390.45"},
                    {"memberRef": "E-002", "age": 31, "monthlyPremium": "591.54"},
                ],
                "tierRates": None,
                "totalMonthlyPremium": "3143.30",
                "employerMonthlyContribution": "1260.82",
            },
            {
                "planId": "12345KY0020001",
                "line": "DENTAL",
                "ratingMethod": "TIER",
                "members": None,
                "tierRates": {"EMP": "32.50", "ESP": "65.00", "ECH": "61.75", "FAM": "97.50"},
                "totalMonthlyPremium": "97.50",
                "employerMonthlyContribution": "20.00",
            },
        ],
        "totalMonthlyPremium": "3264.50",
        "employerMonthlyContribution": "1288.72",
    }
