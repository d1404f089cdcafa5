"""The group page (timeline with carrier calls), the admin, starting from a quote, the demo seed."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import pytest
from django.urls import reverse

from carrier.models import ApiCall
from enrollment import demo, services
from enrollment.models import EmployerGroup
from enrollment.states import group_transition

S = EmployerGroup.Status
pytestmark = pytest.mark.django_db


def test_it_lists_each_transition_and_each_carrier_call_on_the_group_page(
    broker_client, complete_group, broker
):
    group_transition(group=complete_group, to=S.CREATING, by=broker.user, reason="Submitted to the carrier")
    ApiCall.objects.create(
        subject=f"group:{complete_group.pk}",
        method="POST",
        path="/groups",
        status_code=503,
        outcome="http_error",
        duration_ms=42,
        attempt=1,
        correlation_id="corr-123",
    )
    ApiCall.objects.create(
        subject="group:999999",
        method="POST",
        path="/groups",
        status_code=201,
        outcome="ok",
        duration_ms=7,
        attempt=1,
        correlation_id="corr-other",
    )
    html = broker_client.get(reverse("enrollment:group_detail", args=[complete_group.pk])).content.decode()
    assert "Submitted to the carrier" in html and "by sam" in html
    assert "corr-123" in html and "503" in html and "42 ms" in html
    assert "corr-other" not in html
    assert "1980" not in html  # dates of birth are masked


def test_it_masks_dates_of_birth_in_the_admin(admin_client, complete_group):
    html = admin_client.get(
        reverse("admin:enrollment_employergroup_change", args=[complete_group.pk])
    ).content.decode()
    assert "E-001" in html and "1980" not in html and "••/••/••••" in html
    html = admin_client.get(
        reverse("admin:enrollment_employergroup_changelist"), {"q": "123456789"}
    ).content.decode()
    assert "Blue Heron Bakery LLC" in html


def test_it_starts_a_draft_from_a_quote(broker, monkeypatch):
    quote = SimpleNamespace(
        pk=7,
        employer_name="Blue Heron Bakery LLC",
        zip5="40202",
        county_fips="21111",
        effective_date=date(2027, 1, 1),
        composite=False,
        contributions={
            "MEDICAL": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"},
            "DENTAL": {"basis": "FLAT", "employee": "20", "dependents": "0"},
        },
        census_rows=[
            SimpleNamespace(
                member_ref="E-001",
                subscriber_ref="E-001",
                relationship="SUBSCRIBER",
                date_of_birth=date(1980, 5, 2),
                tobacco_use=False,
                coverage_tier="FAM",
            ),
            SimpleNamespace(
                member_ref="E-001-S",
                subscriber_ref="E-001",
                relationship="SPOUSE",
                date_of_birth=date(1979, 11, 30),
                tobacco_use=True,
                coverage_tier="",
            ),
        ],
    )
    group = services.group_start_from_quote(quote=quote, broker=broker)
    assert group.status == S.DRAFT and group.quote_id == 7 and group.legal_name == "Blue Heron Bakery LLC"
    assert (group.zip5, group.county_fips, group.requested_effective_date) == (
        "40202",
        "21111",
        date(2027, 1, 1),
    )
    assert group.offering("MEDICAL")["contribution"] == {
        "basis": "PERCENT",
        "employee": "60.00",
        "dependents": "25.00",
    }
    assert group.offering("DENTAL")["contribution"]["employee"] == "20"
    assert group.agent_npn == broker.npn
    spouse = group.census.get(member_ref="E-001-S")
    assert (
        spouse.subscriber_ref == "E-001" and spouse.date_of_birth == date(1979, 11, 30) and spouse.tobacco_use
    )


def test_it_seeds_one_demo_draft_for_the_demo_broker(rule_facts):
    from tests.factories import BrokerFactory

    broker = BrokerFactory(npn="17012345", user__username="broker")
    out = io.StringIO()
    group = demo.seed(stdout=out)
    assert demo.seed(stdout=out).pk == group.pk
    assert group.broker == broker and group.status == S.DRAFT and group.census.count() == 5
    assert group.lines == ["MEDICAL", "DENTAL", "VISION"]
    assert [p.code for p in services.group_check(group=group)] == []  # ready to submit
    assert EmployerGroup.objects.count() == 1
