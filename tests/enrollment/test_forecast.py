"""Issue 15 item 3: the carrier's finalize rules are checked where the broker types, not only at finalize.

Blue Heron Bakery, effective 2027-02-01 (so the open-enrollment exception for 1 January does not apply),
census: E-001 (owner, family) and E-002 (employee only); FakeFacts prices every own premium at $400.00.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from enrollment import services
from tests.enrollment.conftest import OFFERINGS, make_complete_group
from tests.enrollment.test_forms import field_block, step_url

pytestmark = pytest.mark.django_db
FEBRUARY = date(2027, 2, 1)


def offerings_with(line: str, **contribution) -> list[dict]:
    out = [dict(o) for o in OFFERINGS]
    for o in out:
        if o["line"] == line:
            o["contribution"] = {**o["contribution"], **contribution}
    return out


@pytest.fixture
def group(broker, catalogue_facts):
    return make_complete_group(broker, requested_effective_date=FEBRUARY)


def review(client, group) -> str:
    return client.get(reverse("enrollment:group_review", args=[group.pk])).content.decode()


def test_a_medical_contribution_of_40_percent_is_an_error_on_review_and_beside_the_field(
    broker_client, group
):
    group.offerings = offerings_with("MEDICAL", employee="40.00")
    group.save()
    html = review(broker_client, group)
    assert "No problems found" not in html
    assert '<span class="rule-id">GRP-022</span>' in html
    assert "Submit to the carrier</button>" in html and "disabled>Submit to the carrier" in html
    codes = {p.code for p in services.group_check(group=group) if p.is_error}
    assert "GRP-022" in codes
    response = broker_client.get(step_url(group, "contributions") + "?check=1")
    assert '<span class="rule-id">GRP-022</span>' in field_block(
        response.content.decode(), "medical_employee"
    )


def test_typing_the_contribution_shows_grp_022_as_the_broker_types(broker_client, group):
    url = reverse("enrollment:group_step_check", args=[group.pk, "contributions"])
    data = {
        "medical_basis": "PERCENT", "medical_employee": "40", "medical_dependents": "0",
        "dental_basis": "FLAT", "dental_employee": "20", "dental_dependents": "0",
        "vision_basis": "PERCENT", "vision_employee": "100", "vision_dependents": "0",
    }  # fmt: skip
    body = broker_client.post(url, data).json()
    assert [p["code"] for p in body["fields"]["medical_employee"]] == ["GRP-022"]
    assert body["fields"]["medical_employee"][0]["severity"] == "error"
    body = broker_client.post(url, data | {"medical_employee": "50"}).json()
    assert body["fields"]["medical_employee"] == []


def test_a_flat_contribution_below_half_the_lowest_employee_only_premium_is_an_error(broker_client, group):
    group.offerings = offerings_with("MEDICAL", basis="FLAT", employee="150.00")  # $400.00 premium
    group.save()
    assert "GRP-022" in {p.code for p in services.group_check(group=group) if p.is_error}
    group.offerings = offerings_with("MEDICAL", basis="FLAT", employee="200.00")
    group.save()
    assert "GRP-022" not in {p.code for p in services.group_check(group=group)}


def test_participation_below_the_minimum_is_a_warning_beside_the_eligible_employees(broker_client, group):
    services.group_update(group=group, fields={"total_employees": 10, "eligible_employees": 10})
    html = review(broker_client, group)
    assert "No problems found" not in html
    assert '<span class="rule-id">GRP-020</span>' in html  # 2 of 10 eligible enroll in the census
    assert "disabled>Submit to the carrier" not in html  # a warning: enrollment may still reach it
    page = broker_client.get(step_url(group, "coverage") + "?check=1").content.decode()
    assert '<span class="rule-id">GRP-020</span>' in field_block(page, "eligible_employees")


def test_the_small_group_attestation_is_asked_for_on_its_step(broker_client, group):
    services.group_update(group=group, fields={"attestation_signed_by": "", "attestation_title": ""})
    page = broker_client.get(step_url(group, "attestation") + "?check=1").content.decode()
    assert '<span class="rule-id">GRP-014</span>' in page


def test_the_open_enrollment_exception_lets_a_low_contribution_through(
    broker_client, broker, catalogue_facts
):
    """Created between 15 November and 15 December (the carrier's day is 2026-11-23) for 1 January:
    GRP-020, GRP-021 and GRP-022 do not apply (45 CFR 147.104), here as at the carrier."""
    group = make_complete_group(broker, requested_effective_date=date(2027, 1, 1))
    group.offerings = offerings_with("MEDICAL", employee="40.00")
    group.save()
    assert "GRP-022" not in {p.code for p in services.group_check(group=group)}


def test_a_good_draft_still_says_no_problems_found(broker_client, group):
    assert "No problems found" in review(broker_client, group)


def test_the_rule_context_asks_the_catalogue_once_per_plan_and_age():
    """The forecast asks for many employees' own premiums; a rate depends on the age on the effective
    date, so two people of one age cost one catalogue read (each read is two queries)."""
    from decimal import Decimal

    from enrollment.rules import PortalRuleContext

    asked = []

    class Counting:
        def own_premium(self, plan_id, **kwargs):
            asked.append((plan_id, kwargs["date_of_birth"]))
            return Decimal("400.00")

    ctx = PortalRuleContext(Counting(), today=date(2026, 11, 23))
    common = {"rating_area_id": "KY-RA02", "tobacco": False, "effective_date": FEBRUARY}
    for born in (date(1980, 3, 1), date(1980, 6, 1), date(1980, 12, 5)):  # all 46 on 2027-02-01
        assert ctx.own_premium("P1", date_of_birth=born, **common) == Decimal("400.00")
    ctx.own_premium("P1", date_of_birth=date(1990, 3, 1), **common)
    ctx.own_premium("P1", date_of_birth=date(1980, 3, 1), **(common | {"tobacco": True}))
    assert len(asked) == 3
