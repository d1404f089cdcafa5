"""Renewals in the sandbox (api.md 1.1 *Renewal*): the carrier's clock moves Blue Heron through its first
year, the offer's figures equal an independent calculation from the rate file, the decision's rules,
passive renewal, the scenarios FEIN 92–94 and the new plan year.

The sandbox's clock is ``SANDBOX_TODAY``; the processing clock is set to zero so a read ends a file.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings as django_settings

from tests.carrier import payloads

from .conftest import RATE_FILE, Api, codes, enrollment_file

pytestmark = pytest.mark.django_db

R = "2028-01-01"
SIGNATURE = {
    "signedBy": "Ann Lee",
    "title": "Owner",
    "email": "ann@example.com",
    "signedAt": "2027-10-20T15:00:00Z",
    "method": "ELECTRONIC",
}
SHA = "87e879f71905040be9b6419a02f61c18a7721e16bb7079eecd38d9adec3bf981"


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


def enrolled(api: Api, settings, fein: str = "123456789") -> str:
    """Blue Heron created on 2026-11-23, finalized and enrolled by the sample 834 (effective 2027-01-01)."""
    settings.SANDBOX_TODAY = "2026-11-23"
    body = payloads.create_group(fein=fein)
    group_id = api.finalized(body)
    receipt = api.post(
        f"/groups/{group_id}/enrollment-files",
        raw=enrollment_file(group_id, fein=fein).encode("ascii"),
        content_type="application/edi-x12",
    )
    assert receipt.status_code == 202, receipt.json()
    status = api.get(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}").json()
    assert status["status"] == "ACCEPTED", status
    return group_id


def on(settings, day: str) -> None:
    settings.SANDBOX_TODAY = day


def decision(kind: str = "RENEW_AS_OFFERED", **changes) -> dict:
    return {
        "renewalDate": R,
        "decision": kind,
        "documentSha256": SHA,
        "employerSignature": dict(SIGNATURE),
    } | changes


# --------------------------------------------------------------------------- an independent calculation


def _rate_rows() -> dict[tuple[str, str], Decimal]:
    """(plan, age band) → 2027 Q1 rate in KY-RA02, and (plan, tier) for TRA, read from the file's text."""
    rows: dict[tuple[str, str], Decimal] = {}
    for line in (django_settings.SAMPLES_DIR / RATE_FILE).read_text().splitlines():
        f = line.split("|")
        if f[0] == "ARA" and f[2] == "KY-RA02" and f[3] == "20270101":
            rows[(f[1], f[5])] = Decimal(f[6])
        if f[0] == "TRA" and f[3] == "20270101" and (f[1], f[5]) not in rows:
            rows[(f[1], f[5])] = Decimal(f[6])
    return rows


def _band(age: int) -> str:
    return "0-14" if age <= 14 else ("64+" if age >= 64 else str(age))


def _age(born: str, day: date) -> int:
    b = date.fromisoformat(born)
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_medical(trend: Decimal) -> tuple[Decimal, Decimal]:
    """Blue Heron's medical (…0001, age rated, no tobacco rate in the test's sense: the spouse is a
    tobacco user only if the plan is tobacco rated; the file's tobacco rate is used then)."""
    rows = _rate_rows()
    tobacco: dict[str, Decimal] = {}
    for line in (django_settings.SAMPLES_DIR / RATE_FILE).read_text().splitlines():
        f = line.split("|")
        if f[0] == "ARA" and f[1] == "12345KY0010001" and f[2] == "KY-RA02" and f[3] == "20270101" and f[7]:
            tobacco[f[5]] = Decimal(f[7])
    current = renewal = Decimal("0.00")
    members = payloads.family()
    medical = {
        m["memberRef"]
        for m in members
        if any(c.get("line") == "MEDICAL" and not c.get("waived") for c in m["coverage"])
    }
    for m in members:
        if m["memberRef"] not in medical:
            continue
        smoker = bool(m.get("tobaccoUse")) and m["relationship"] in ("SUBSCRIBER", "SPOUSE")
        for day, total_is_renewal in ((date(2027, 1, 1), False), (date(2028, 1, 1), True)):
            band = _band(_age(m["dateOfBirth"], day))
            rate = tobacco.get(band) if smoker and tobacco else rows[("12345KY0010001", band)]
            if total_is_renewal:
                renewal += _cents(rate * trend)
            else:
                current += rate
    return current, renewal


# --------------------------------------------------------------------------- the year


def test_the_first_renewal_is_upcoming_then_offered_on_r_minus_90(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-02")
    upcoming = api.get(f"/groups/{group_id}/renewal").json()
    assert (upcoming["status"], upcoming["offer"]) == ("UPCOMING", None)
    assert (upcoming["offerDate"], upcoming["decisionDeadline"], upcoming["enrollmentCutoff"]) == (
        "2027-10-03",
        "2027-12-02",
        "2027-12-31",
    )
    on(settings, "2027-10-03")
    offered = api.get(f"/groups/{group_id}/renewal").json()
    assert offered["status"] == "OFFERED"
    medical = offered["offer"]["lines"][0]
    assert medical["line"] == "MEDICAL"
    plan = medical["plans"][0]
    assert (plan["currentPlanId"], plan["crosswalkReason"], plan["renewalPlanId"]) == (
        "12345KY0010001",
        "SAME_PLAN",
        "12345KY0010001",
    )
    assert offered["warnings"] == []
    book = api.get(f"/agents/{payloads.create_group()['writingAgent']['npn']}/groups").json()["items"][0]
    assert (book["renewalDate"], book["renewalStatus"]) == (R, "OFFERED")


def test_the_book_filters_by_renewal_status_and_renewal_date(api, settings):
    """api.md 1.1: ``renewalStatus``, ``renewalFrom`` and ``renewalTo`` filter the agent's book; a group
    without a renewal (not yet enrolled) is left out by any of them; a value the contract does not know
    is 400."""
    enrolled_id = enrolled(api, settings)
    created_id = api.create(payloads.create_group(fein="123456780"))
    on(settings, "2027-10-03")
    book = f"/agents/{payloads.create_group()['writingAgent']['npn']}/groups"

    def ids(**filters) -> list[str]:
        answer = api.get(book, **filters)
        assert answer.status_code == 200, answer.json()
        return [item["groupId"] for item in answer.json()["items"]]

    assert sorted(ids()) == sorted([enrolled_id, created_id])
    assert ids(renewalStatus="OFFERED") == [enrolled_id]
    assert ids(renewalStatus="ACCEPTED") == []
    assert ids(renewalFrom=R, renewalTo=R) == [enrolled_id]
    assert ids(renewalFrom="2028-01-02") == []
    assert ids(renewalTo="2027-12-31") == []
    for bad in ({"renewalStatus": "SOON"}, {"renewalFrom": "2028-13-01"}, {"renewalTo": "tomorrow"}):
        answer = api.get(book, **bad)
        assert answer.status_code == 400 and codes(answer) == ["MALFORMED_REQUEST"], bad


def test_the_offer_equals_an_independent_calculation_from_the_rate_file(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-03")
    offer = api.get(f"/groups/{group_id}/renewal").json()["offer"]
    medical = next(line for line in offer["lines"] if line["line"] == "MEDICAL")
    current, renewal = expected_medical(Decimal("1.0800"))
    assert Decimal(medical["currentMonthlyPremium"]) == current
    assert Decimal(medical["renewalMonthlyPremium"]) == renewal
    change = renewal - current
    assert Decimal(medical["plans"][0]["changeAmount"]) == change
    assert Decimal(medical["plans"][0]["changePercent"]) == _cents(change * 100 / current)
    totals = offer["totals"]
    assert Decimal(totals["changeAmount"]) == Decimal(totals["renewalMonthlyPremium"]) - Decimal(
        totals["currentMonthlyPremium"]
    )


def test_a_decision_with_changes_is_accepted_and_the_new_plan_year_begins_on_r(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-21")
    offer = api.get(f"/groups/{group_id}/renewal").json()
    body = decision("RENEW_WITH_CHANGES", offerings=copy.deepcopy(offer["renewalOfferings"] or []))
    lines = [
        {
            "line": line["line"],
            "planIds": [p["renewalPlanId"] for p in line["plans"]],
            **({"ratingOption": line["ratingOption"]} if line["line"] == "MEDICAL" else {}),
            "contribution": {"basis": "PERCENT", "employee": "75.00", "dependents": "25.00"},
            "planMappings": [],
        }
        for line in offer["offer"]["lines"]
        if line["line"] != "VISION"
    ]
    body["offerings"] = lines
    answer = api.post(f"/groups/{group_id}/renewal-decisions", body, key="decision-1")
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["renewalStatus"], answer.json()["source"]) == ("ACCEPTED", "EMPLOYER")
    replay = api.post(f"/groups/{group_id}/renewal-decisions", body, key="decision-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == answer.json()
    on(settings, R)
    group = api.get(f"/groups/{group_id}").json()
    assert group["planYear"] == {"start": R, "end": "2028-12-31"}
    assert [o["line"] for o in group["currentOfferings"]] == ["MEDICAL", "DENTAL"]
    assert (group["renewalDate"], group["renewalStatus"]) == ("2029-01-01", "UPCOMING")
    history = api.get(f"/groups/{group_id}/renewals").json()["items"]
    assert [(r["renewalDate"], r["status"]) for r in history] == [("2029-01-01", "UPCOMING"), (R, "RENEWED")]


def test_passive_renewal_with_no_decision(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-12-02")
    assert api.get(f"/groups/{group_id}/renewal").json()["status"] == "OFFERED"
    on(settings, "2027-12-03")
    renewal = api.get(f"/groups/{group_id}/renewal").json()
    assert renewal["status"] == "ACCEPTED"
    assert (renewal["decision"]["decision"], renewal["decision"]["source"]) == ("RENEW_AS_OFFERED", "PASSIVE")
    assert {o["line"] for o in renewal["renewalOfferings"]} == {"MEDICAL", "DENTAL", "VISION"}


def test_ren_001_a_decision_after_the_deadline_is_refused_with_the_rule(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-12-03")
    answer = api.post(
        f"/groups/{group_id}/renewal-decisions",
        decision(employerSignature=SIGNATURE | {"signedAt": "2027-12-01T10:00:00Z"}),
    )
    assert answer.status_code == 409
    assert (
        answer.json()["errors"][0]["code"] == "INVALID_STATE"
        and answer.json()["errors"][0]["rule"] == "REN-001"
    )


def test_ren_001_passes_on_the_deadline_day(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-12-02")
    answer = api.post(
        f"/groups/{group_id}/renewal-decisions",
        decision(employerSignature=SIGNATURE | {"signedAt": "2027-12-01T10:00:00Z"}),
    )
    assert answer.status_code == 201, answer.json()


def test_ren_002_a_bad_signature_is_every_error_at_once(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-21")
    bad = decision(documentSha256="X" * 64, employerSignature=SIGNATURE | {"email": "ann", "method": "INK"})
    answer = api.post(f"/groups/{group_id}/renewal-decisions", bad)
    assert answer.status_code == 422
    assert sorted((e["code"], e["pointer"]) for e in answer.json()["errors"]) == [
        ("REN-002", "/documentSha256"),
        ("REN-002", "/employerSignature/email"),
        ("REN-002", "/employerSignature/method"),
    ]


def test_offerings_with_renew_as_offered_are_a_schema_problem(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-21")
    answer = api.post(f"/groups/{group_id}/renewal-decisions", decision(offerings=[]))
    assert answer.status_code == 422 and codes(answer) == ["SCHEMA"]


def test_do_not_renew_ends_coverage_and_terminates_the_group_on_r(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-21")
    answer = api.post(f"/groups/{group_id}/renewal-decisions", decision("DO_NOT_RENEW"))
    assert answer.json()["renewalStatus"] == "NOT_RENEWED"
    on(settings, R)
    group = api.get(f"/groups/{group_id}").json()
    assert (group["status"], group["coverageEndDate"]) == ("TERMINATED", "2027-12-31")
    renewal = api.get(f"/groups/{group_id}/renewal").json()
    assert renewal["nonRenewal"] == {"reason": "EMPLOYER_DECLINED", "coverageEnds": "2027-12-31"}


# --------------------------------------------------------------------------- the scenarios


def test_fein_92_the_carrier_does_not_renew(api, settings):
    group_id = enrolled(api, settings, fein="923456789")
    on(settings, "2027-10-03")
    renewal = api.get(f"/groups/{group_id}/renewal").json()
    assert (renewal["status"], renewal["offer"]) == ("NOT_RENEWED", None)
    assert renewal["nonRenewal"] == {"reason": "PARTICIPATION_OR_CONTRIBUTION", "coverageEnds": "2027-12-31"}


def test_fein_93_a_large_increase_is_a_ren_009_warning(api, settings):
    group_id = enrolled(api, settings, fein="933456789")
    on(settings, "2027-10-03")
    renewal = api.get(f"/groups/{group_id}/renewal").json()
    assert [(w["code"], w["severity"]) for w in renewal["warnings"]] == [("REN-009", "warning")]
    assert Decimal(renewal["offer"]["totals"]["changePercent"]) >= Decimal("15.00")


def test_fein_94_a_discontinued_plan_needs_a_mapping(api, settings):
    group_id = enrolled(api, settings, fein="943456789")
    on(settings, "2027-10-03")
    renewal = api.get(f"/groups/{group_id}/renewal").json()
    assert [w["code"] for w in renewal["warnings"]] == ["REN-006"]
    medical = renewal["offer"]["lines"][0]
    assert (medical["plans"][0]["crosswalkReason"], medical["plans"][0]["renewalPlanId"]) == (
        "DISCONTINUED",
        None,
    )
    refused = api.post(
        f"/groups/{group_id}/renewal-decisions",
        decision(employerSignature=SIGNATURE | {"signedAt": "2027-10-02T10:00:00Z"}),
    )
    assert refused.status_code == 422 and codes(refused) == ["REN-004"]


def test_fein_94_passive_renewal_ends_the_discontinued_medical(api, settings):
    group_id = enrolled(api, settings, fein="943456789")
    on(settings, "2027-12-03")
    renewal = api.get(f"/groups/{group_id}/renewal").json()
    assert renewal["status"] == "ACCEPTED"
    gone = renewal["offer"]["lines"][0]["plans"][0]["currentPlanId"]
    medical = [o for o in renewal["renewalOfferings"] if o["line"] == "MEDICAL"]
    assert all(gone not in o["planIds"] for o in medical)


def test_a_group_never_enrolled_has_no_renewal(api, settings):
    settings.SANDBOX_TODAY = "2026-11-23"
    group_id = api.create()
    answer = api.get(f"/groups/{group_id}/renewal")
    assert answer.status_code == 409 and codes(answer) == ["INVALID_STATE"]


# --------------------------------------------------------------------------- loaded renewal data (ETSS 2.2)


def test_loaded_renewal_data_the_crosswalk_and_the_2028_rates(api, settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from groupsales.demo_etss import KY_2028, write_etss_file

    group_id = enrolled(api, settings)
    path = write_etss_file(tmp_path, KY_2028)
    call_command("sandbox_load_etss", str(path), stdout=StringIO())
    on(settings, "2027-10-03")
    offer = api.get(f"/groups/{group_id}/renewal").json()["offer"]
    medical = offer["lines"][0]
    by_plan = {p["currentPlanId"]: p for p in medical["plans"]}
    assert (by_plan["12345KY0010001"]["crosswalkReason"], by_plan["12345KY0010001"]["renewalPlanId"]) == (
        "SAME_PLAN",
        "12345KY0010001",
    )
    if "12345KY0010002" in by_plan:
        assert by_plan["12345KY0010002"]["renewalPlanId"] == "12345KY0010004"
    rates_2028 = {}
    for line in path.read_text().splitlines():
        f = line.split("|")
        if f[0] == "ARA" and f[1] == "12345KY0010001" and f[2] == "KY-RA02" and f[3] == "20280101":
            rates_2028[f[5]] = (Decimal(f[6]), Decimal(f[7]) if f[7] else None)
    members = {m["memberRef"]: m for m in payloads.family()}
    for priced in by_plan["12345KY0010001"]["members"]:
        member = members[priced["memberRef"]]
        rate, tobacco = rates_2028[_band(priced["ageOnRenewalDate"])]
        smoker = bool(member.get("tobaccoUse")) and member["relationship"] in ("SUBSCRIBER", "SPOUSE")
        expected = tobacco if smoker and tobacco is not None else rate
        if priced["renewalMonthlyPremium"] != "0.00":  # a fourth child under 21 is free
            assert Decimal(priced["renewalMonthlyPremium"]) == expected


# --------------------------------------------------------------------------- renewal files (REN-008)


def renewal_file_codes(api: Api, group_id: str, number: int) -> list[str]:
    text = enrollment_file(
        group_id, control_number=number, replace=(("DTP*007*D8*20270101", "DTP*007*D8*20280101"),)
    )
    receipt = api.post(
        f"/groups/{group_id}/enrollment-files", raw=text.encode("ascii"), content_type="application/edi-x12"
    )
    assert receipt.status_code == 202, receipt.json()
    status = api.get(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}").json()
    return [e["code"] for e in status["errors"]]


def test_ren_008_a_renewal_file_before_acceptance_is_rejected(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-21")
    assert "REN-008" in renewal_file_codes(api, group_id, 201)


def test_ren_008_a_renewal_file_after_r_minus_1_is_rejected(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-12-03")
    api.get(f"/groups/{group_id}/renewal")  # passively accepted
    on(settings, R)
    assert "REN-008" in renewal_file_codes(api, group_id, 202)


def test_ren_008_passes_for_the_accepted_renewal_by_its_cutoff(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-12-31")
    assert api.get(f"/groups/{group_id}/renewal").json()["status"] == "ACCEPTED"
    codes_found = renewal_file_codes(api, group_id, 203)
    assert "REN-008" not in codes_found and not any("DTP*007" in c for c in codes_found)


def test_on_r_the_roster_follows_the_decision_a_line_left_out_ends_the_day_before(api, settings):
    group_id = enrolled(api, settings)
    on(settings, "2027-10-21")
    offer = api.get(f"/groups/{group_id}/renewal").json()
    body = decision("RENEW_WITH_CHANGES")
    body["offerings"] = [
        {"line": line["line"], "planIds": sorted({p["renewalPlanId"] for p in line["plans"]}),
         **({"ratingOption": line["ratingOption"]} if line["line"] == "MEDICAL" else {}),
         "contribution": {"basis": "PERCENT", "employee": "75.00", "dependents": "25.00"}, "planMappings": []}
        for line in offer["offer"]["lines"] if line["line"] != "VISION"
    ]  # fmt: skip
    assert api.post(f"/groups/{group_id}/renewal-decisions", body).status_code == 201
    on(settings, R)
    api.get(f"/groups/{group_id}/renewal")  # R happens on a read

    def lines(day: str) -> dict[str, set[str]]:
        items = api.get(f"/groups/{group_id}/members", asOf=day).json()["items"]
        return {m["memberRef"]: {c["line"] for c in m["coverage"]} for m in items}

    assert "VISION" in lines("2027-12-31")["E-001"]
    assert lines(R)["E-001"] == {"MEDICAL", "DENTAL"}
    ann = next(
        m for m in api.get(f"/groups/{group_id}/members", asOf=R).json()["items"] if m["memberRef"] == "E-001"
    )
    assert {c["line"]: c["planId"] for c in ann["coverage"]}["MEDICAL"] == "12345KY0010001"
