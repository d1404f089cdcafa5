"""The new plan year on R (issue 20 item 5): the group shows the renewal's plans and rates, keeps last
year's as history, members' elections move to their destinations, every renewal step on the timeline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment.models import EmployerGroup
from members import services as member_services
from members.examples import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS
from members.models import Election
from renewals import selectors, services
from renewals.models import PlanYear, Renewal
from tests.enrollment.conftest import make_complete_group

pytestmark = pytest.mark.django_db
S = Renewal.Status
MEDICAL_CONTRIBUTION = {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"}


def _plan(current, renewal, reason, now, after, refs):
    return {"currentPlanId": current, "successorPlanId": renewal, "crosswalkReason": reason,
            "renewalPlanId": renewal, "ratingMethod": "AGE", "currentMonthlyPremium": now,
            "renewalMonthlyPremium": after, "members": [{"memberRef": r} for r in refs]}  # fmt: skip


CARRIER = {
    "status": "ACCEPTED",
    "offer": {
        "lines": [
            {"line": "MEDICAL", "ratingOption": "AGE", "contribution": MEDICAL_CONTRIBUTION,
             "plans": [_plan("12345KY0010001", "12345KY0010004", "MAPPED", "3143.30", "3504.68",
                             ["E-001", "E-002"])],
             "currentEmployerContribution": "1776.52", "renewalEmployerContribution": "1937.12"},
            {"line": "DENTAL", "ratingOption": None,
             "contribution": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"},
             "plans": [_plan("12345KY0020001", None, "DISCONTINUED", "97.50", "0.00", ["E-001"])],
             "currentEmployerContribution": "20.00", "renewalEmployerContribution": "0.00"},
        ],
        "totals": {"currentMonthlyPremium": "3240.80", "renewalMonthlyPremium": "3504.68"},
    },
    "renewalOfferings": [
        {"line": "MEDICAL", "planIds": ["12345KY0010004"], "ratingOption": "AGE",
         "contribution": MEDICAL_CONTRIBUTION, "planMappings": []},
    ],
}  # fmt: skip


@pytest.fixture
def renewal(broker, monkeypatch):
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda group_id: None)
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.OPEN_ENROLLMENT)
    group.refresh_from_db()
    for data, dependents, elections in ((ANN, ANN_DEPENDENTS, ANN_ELECTIONS), (LUIS, [], LUIS_ELECTIONS)):
        member_services.family_save(
            group=group, subscriber_data=data, dependents_data=[dict(d) for d in dependents],
            elections=elections, by=None,
        )  # fmt: skip
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.ENROLLED, humana_group_id="104233",
        final_rates=[{"planId": "12345KY0010001", "line": "MEDICAL", "ratingMethod": "AGE",
                      "totalMonthlyPremium": "3143.30", "employerMonthlyContribution": "1776.52"}],
    )  # fmt: skip
    group.refresh_from_db()
    return Renewal.objects.create(
        group=group, renewal_date=date(2028, 1, 1), offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2), enrollment_cutoff=date(2027, 12, 31),
        status=S.PASSIVELY_ACCEPTED, carrier_renewal=CARRIER,
    )  # fmt: skip


def test_on_r_the_group_takes_the_renewal_plans_and_keeps_last_year(renewal, settings, client, broker):
    settings.SANDBOX_TODAY = "2028-01-01"
    services._follow(renewal=renewal, carrier_status="RENEWED", source=None, reason=None)
    group = EmployerGroup.objects.get(pk=renewal.group_id)
    assert group.offerings == [
        {
            "line": "MEDICAL",
            "planIds": ["12345KY0010004"],
            "ratingOption": "AGE",
            "contribution": MEDICAL_CONTRIBUTION,
        }
    ]
    last, new = PlanYear.objects.filter(group=group).order_by("start")
    assert (last.start, last.end, new.start, new.end) == (
        date(2027, 1, 1),
        date(2027, 12, 31),
        date(2028, 1, 1),
        date(2028, 12, 31),
    )
    assert last.rates == [{"line": "MEDICAL", "planId": "12345KY0010001", "totalMonthlyPremium": "3143.30"}]
    assert new.rates == [{"line": "MEDICAL", "planId": "12345KY0010004", "totalMonthlyPremium": "3504.68"}]
    assert new.employer_contributions == {"MEDICAL": "1937.12"}
    ann_last = next(m for m in last.members if m["memberRef"] == "E-001")
    assert (
        ann_last["elections"]["MEDICAL"] == "12345KY0010001"
        and ann_last["elections"]["DENTAL"] == "12345KY0020001"
    )
    # the elections moved: medical to the mapped plan, dental (discontinued, not renewed) lost
    ann = Election.objects.filter(member__member_ref="E-001", member__group=group)
    assert {e.line: (e.plan_id, e.waived) for e in ann} == {
        "MEDICAL": ("12345KY0010004", False),
        "DENTAL": ("", True),
        "VISION": ("", True),
    }
    assert ann.get(line="MEDICAL").history.count() >= 2  # last year's plan is in the election's history
    views = selectors.plan_years(group=group, today=date(2028, 1, 1))
    assert [v.current for v in views] == [True, False]
    assert views[0].plans[0].monthly == Decimal("3504.68")
    client.force_login(broker.user)
    page = client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert (
        "Plan year in force: 2028-01-01 to 2028-12-31" in page
        and "Plan year 2027-01-01 to 2027-12-31" in page
    )
    assert "$3,504.68" in page or "3,504.68" in page
    assert "Renewal of 2028-01-01" in page and "The plan year 2028-01-01 began." in page
    # once: a second sync after R writes nothing more
    services._follow(
        renewal=Renewal.objects.get(pk=renewal.pk), carrier_status="RENEWED", source=None, reason=None
    )
    assert PlanYear.objects.filter(group=group).count() == 2


def test_the_decision_steps_are_on_the_group_timeline(renewal, client, broker, monkeypatch):
    monkeypatch.setattr("renewals.tasks.send_renewal_decision.delay", lambda pk: None)
    Renewal.objects.filter(pk=renewal.pk).update(status=S.OFFERED)
    renewal.refresh_from_db()
    services.renewal_decision_record(renewal=renewal, body={"decision": "RENEW_AS_OFFERED"})
    client.force_login(broker.user)
    page = client.get(reverse("enrollment:group_detail", args=[renewal.group_id])).content.decode()
    assert "The signed decision Renew as offered was sent to the carrier." in page
