"""Book of business: visibility, search, filters, constant queries, carrier sync."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse

from enrollment import services
from enrollment.models import CensusMember, EmployerGroup
from tests.factories import BrokerFactory, EmployerGroupFactory
from tests.members.conftest import ann, group, queued, rule_facts  # noqa: F401

S = EmployerGroup.Status
pytestmark = pytest.mark.django_db


def make_groups(broker, n):
    groups = []
    for i in range(n):
        g = EmployerGroupFactory(
            broker=broker,
            requested_effective_date=date(2027, 1 + i % 3, 1),
            offerings=[{"line": "MEDICAL", "planIds": ["X"]}],
        )
        CensusMember.objects.create(
            group=g, member_ref="E-1", subscriber_ref="E-1", relationship="SUBSCRIBER"
        )
        CensusMember.objects.create(group=g, member_ref="E-1-S", subscriber_ref="E-1", relationship="SPOUSE")
        groups.append(g)
    return groups


@pytest.mark.parametrize("n", [10, 60])
def test_it_lists_the_book_in_a_constant_number_of_queries(
    broker_client, broker, n, django_assert_max_num_queries
):
    make_groups(broker, n)
    with django_assert_max_num_queries(8):
        response = broker_client.get(reverse("book"))
    assert response.status_code == 200
    assert response.content.decode().count("0 of 1 validated") == min(n, 25)


def test_it_shows_a_broker_only_their_groups_and_a_principal_the_agencys(client, broker, principal, agency):
    mine = EmployerGroupFactory(broker=broker, legal_name="Mine Bakery")
    colleague = EmployerGroupFactory(broker=BrokerFactory(agency=agency), legal_name="Colleague Cafe")
    elsewhere = EmployerGroupFactory(legal_name="Elsewhere Diner")
    client.force_login(broker.user)
    html = client.get(reverse("book")).content.decode()
    assert mine.legal_name in html and colleague.legal_name not in html and elsewhere.legal_name not in html
    client.force_login(principal.user)
    html = client.get(reverse("book")).content.decode()
    assert mine.legal_name in html and colleague.legal_name in html and elsewhere.legal_name not in html
    html = client.get(reverse("book"), {"broker": broker.pk}).content.decode()
    assert mine.legal_name in html and colleague.legal_name not in html


def test_it_answers_404_for_another_agencys_group(client, broker, other_broker):
    theirs = EmployerGroupFactory(broker=other_broker)
    client.force_login(broker.user)
    for url in (
        reverse("enrollment:group_detail", args=[theirs.pk]),
        reverse("enrollment:group_status", args=[theirs.pk]),
        reverse("enrollment:group_review", args=[theirs.pk]),
        reverse("enrollment:group_step", args=[theirs.pk, "employer"]),
        reverse("enrollment:group_step", args=[theirs.pk, "census"]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("enrollment:group_step", args=[theirs.pk, "employer"]), {"legal_name": "Hijacked"}
        ).status_code
        == 404
    )
    assert EmployerGroup.objects.get(pk=theirs.pk).legal_name != "Hijacked"


def test_it_searches_by_employer_fein_and_group_id(broker_client, broker):
    a = EmployerGroupFactory(broker=broker, legal_name="Blue Heron Bakery", fein="123456789")
    b = EmployerGroupFactory(broker=broker, legal_name="Red Fox Cafe", humana_group_id="104299")
    for q, expected, other in (("heron", a, b), ("12-3456789", a, b), ("104299", b, a)):
        html = broker_client.get(reverse("book"), {"q": q}).content.decode()
        assert expected.legal_name in html and other.legal_name not in html, q


def test_it_filters_by_status_and_effective_month(broker_client, broker):
    jan = EmployerGroupFactory(
        broker=broker, legal_name="January Co", requested_effective_date=date(2027, 1, 1)
    )
    feb = EmployerGroupFactory(
        broker=broker,
        legal_name="February Co",
        requested_effective_date=date(2027, 2, 1),
        status=S.OPEN_ENROLLMENT,
    )
    html = broker_client.get(reverse("book"), {"month": "2027-01"}).content.decode()
    assert jan.legal_name in html and feb.legal_name not in html
    html = broker_client.get(reverse("book"), {"status": "OPEN_ENROLLMENT"}).content.decode()
    assert feb.legal_name in html and jan.legal_name not in html


def test_it_sorts_by_employer(broker_client, broker):
    EmployerGroupFactory(broker=broker, legal_name="Zeta LLC")
    EmployerGroupFactory(broker=broker, legal_name="Alpha LLC")
    html = broker_client.get(reverse("book"), {"sort": "employer"}).content.decode()
    assert html.index("Alpha LLC") < html.index("Zeta LLC")


def test_it_shows_the_estimated_premium_until_the_final_one(broker_client, broker):
    EmployerGroupFactory(broker=broker, estimated_monthly_premium="3243.30")
    html = broker_client.get(reverse("book")).content.decode()
    assert "$3,243.30" in html and "(est.)" in html


def agent_group(group_id, status):
    return SimpleNamespace(
        group_id=group_id,
        status=status,
        updated_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        total_monthly_premium=None,
    )


def test_it_syncs_the_carriers_status_and_flags_a_disagreement(broker_client, broker, monkeypatch):
    agrees = EmployerGroupFactory(
        broker=broker, legal_name="Agrees Co", humana_group_id="104233", status=S.OPEN_ENROLLMENT
    )
    differs = EmployerGroupFactory(
        broker=broker, legal_name="Differs Co", humana_group_id="104234", status=S.OPEN_ENROLLMENT
    )
    stuck = EmployerGroupFactory(
        broker=broker, legal_name="Stuck Co", humana_group_id="104235", status=S.NEEDS_ATTENTION
    )
    seen = []

    class Client:
        def iter_agent_groups(self, npn, **filters):
            seen.append(npn)
            return iter(
                [
                    agent_group("104233", "CREATED"),
                    agent_group("104234", "FINALIZED"),
                    agent_group("104235", "CREATED"),
                    agent_group("999999", "CREATED"),
                ]
            )

    monkeypatch.setattr("carrier.client.get_client", lambda: Client())
    assert services.book_sync_for_broker(broker_id=broker.pk) == 3
    assert seen == [broker.npn]
    differs.refresh_from_db()
    stuck.refresh_from_db()
    assert differs.carrier_status == "FINALIZED" and differs.differs_from_carrier
    assert stuck.status == S.OPEN_ENROLLMENT and "synced" in stuck.transitions.last().reason.lower()
    html = broker_client.get(reverse("book"), {"differs": "1"}).content.decode()
    assert "Differs Co" in html and "Differs from the carrier" in html
    assert agrees.legal_name not in html and "Stuck Co" not in html


def test_it_queues_a_sync_from_the_button(
    broker_client, broker, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("enrollment.tasks.sync_book.delay", lambda broker_id: sent.append(broker_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = broker_client.post(reverse("enrollment:book_sync"))
    assert response.status_code == 302 and sent == [broker.pk]


def test_it_queues_the_nightly_sync_for_each_broker_with_carrier_groups(broker, other_broker, monkeypatch):
    from enrollment import tasks

    EmployerGroupFactory(broker=broker, humana_group_id="104233")
    EmployerGroupFactory(broker=other_broker)
    sent = []
    monkeypatch.setattr("enrollment.tasks.sync_book.delay", lambda broker_id: sent.append(broker_id))
    assert tasks.sync_all_books() == 1 and sent == [broker.pk]


def test_it_queues_a_sync_for_every_broker_of_the_agency_from_a_principals_button(
    client, principal, broker, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("enrollment.tasks.sync_book.delay", lambda broker_id: sent.append(broker_id))
    client.force_login(principal.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enrollment:book_sync"))
    assert sorted(sent) == sorted([principal.pk, broker.pk])


def test_it_counts_the_subscribers_the_carrier_validated(client, ann, rule_facts):  # noqa: F811
    from members.models import Member

    client.force_login(ann.group.broker.user)
    assert "0 of 2 validated" in client.get("/").content.decode()
    Member.objects.filter(pk=ann.pk).update(validation_status=Member.ValidationStatus.VALID)
    Member.objects.filter(subscriber=ann).update(validation_status=Member.ValidationStatus.VALID)
    assert "1 of 2 validated" in client.get("/").content.decode()
