"""The portal follows a renewal through the year against the carrier sandbox over HTTP (live server):
sync by the service the beat task calls, the renewal page's figures equal to an independent calculation
from the rate file, passive renewal, renewal open enrollment, the new plan year, the signed decision sent
with its stored key (REN-001 after the deadline: test_decision_signing_live.py), the carrier's
non-renewal (FEIN 92)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from renewals import selectors, services
from renewals.models import Renewal
from tests.sandbox.test_renewals import expected_medical

from .conftest import carrier_enrolled, on
from .signing_helpers import agent_signs, decision_form, employer_signs, invite_ann, prepare, submit

pytestmark = pytest.mark.django_db(transaction=True)
S = Renewal.Status


def renewal_of(group) -> Renewal:
    return Renewal.objects.get(group=group, renewal_date="2028-01-01")


def test_a_year_passive_renewal_open_enrollment_and_the_new_plan_year(enrolled_group):
    group, _api = enrolled_group
    on("2027-10-02")
    assert services.renewal_sync(group_id=group.pk) == 1
    assert renewal_of(group).status == S.UPCOMING
    on("2027-10-03")
    services.renewal_sync(group_id=group.pk)
    renewal = renewal_of(group)
    assert renewal.status == S.OFFERED
    assert list(group.notices.values_list("kind", flat=True)) == ["RENEWAL_OFFERED"]  # once, to the broker
    services.renewal_sync(group_id=group.pk)
    assert group.notices.count() == 1
    figures = selectors.renewal_figures(renewal=renewal)
    current, after = expected_medical(Decimal("1.0800"))
    medical = [p for p in figures.plans if p.line == "MEDICAL"]
    assert sum(p.current for p in medical) == current and sum(p.renewal for p in medical) == after
    assert figures.change == figures.renewal - figures.current
    on("2027-12-03")
    services.renewal_sync(group_id=group.pk)
    renewal = renewal_of(group)
    assert renewal.status == S.PASSIVELY_ACCEPTED
    services.renewal_open_enrollment_start(renewal=renewal)
    assert renewal_of(group).status == S.RENEWAL_OE
    on("2028-01-01")
    services.renewal_sync(group_id=group.pk)
    assert renewal_of(group).status == S.RENEWED
    assert [r.status for r in Renewal.objects.filter(group=group).order_by("renewal_date")] == [
        S.RENEWED,
        S.UPCOMING,
    ]
    years = selectors.plan_years(group=group)
    assert [(str(y.year.start), y.current) for y in years] == [("2028-01-01", True), ("2027-01-01", False)]
    medical = [r for r in years[0].plans if r.line == "MEDICAL"]
    assert sum(r.monthly for r in medical) == after  # the 2028 plans at the offer's renewal rates
    assert selectors.renewal_headline(renewal=selectors.renewal_current(group=group)).status == S.UPCOMING
    events = list(renewal_of(group).events.all())
    assert [e.reason for e in events if not e.is_move] == ["The plan year 2028-01-01 began."]
    steps = [(e.from_status, e.to_status) for e in events if e.is_move]
    assert steps == [
        (S.UPCOMING, S.OFFERED),
        (S.OFFERED, S.PASSIVELY_ACCEPTED),
        (S.PASSIVELY_ACCEPTED, S.RENEWAL_OE),
        (S.RENEWAL_OE, S.RENEWED),
    ]


def test_the_signed_decision_is_sent_with_its_stored_key(enrolled_group, client, broker):
    group, _api = enrolled_group
    on("2027-10-21")
    services.renewal_sync(group_id=group.pk)
    employer = client.__class__()
    employer.force_login(invite_ann(group, broker).user)
    client.force_login(broker.user)
    prepare(client, group, decision_form("RENEW_AS_OFFERED"))
    employer_signs(employer, group)
    agent_signs(client, group)
    assert submit(client, group).status_code == 302
    renewal = renewal_of(group)
    assert renewal.sending == Renewal.Sending.QUEUED and renewal.decision_key
    assert services.renewal_decision_send(renewal_id=renewal.pk) == "sent"
    renewal = renewal_of(group)
    assert (renewal.status, renewal.sending) == (S.DECIDED, Renewal.Sending.SENT)
    assert renewal.carrier_renewal["decision"]["source"] == "EMPLOYER"


def test_the_carrier_does_not_renew_fein_92(sandbox, broker):
    from enrollment.models import EmployerGroup
    from tests.enrollment.conftest import make_complete_group

    humana_id = carrier_enrolled(sandbox, fein="923456789")
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.ENROLLED, humana_group_id=humana_id
    )
    on("2027-10-03")
    services.renewal_sync(group_id=group.pk)
    renewal = renewal_of(group)
    assert (renewal.status, renewal.non_renewal_reason) == (
        S.CARRIER_NON_RENEWAL,
        "PARTICIPATION_OR_CONTRIBUTION",
    )


def test_the_pages_in_english_and_spanish(enrolled_group, client, broker):
    group, _api = enrolled_group
    on("2027-10-21")
    services.renewal_sync(group_id=group.pk)
    client.force_login(broker.user)
    book = client.get(reverse("book")).content.decode()
    assert "Renews 2028-01-01" in book and "decision due in 42 days" in book
    due = client.get(reverse("renewals:due"), {"within": "90"}).content.decode()
    assert str(group) in due
    assert str(group) not in client.get(reverse("renewals:due"), {"within": "30"}).content.decode()
    page = client.get(reverse("renewals:detail", args=[group.pk])).content.decode()
    assert "Humana Bronze PPO 6000" in page and "Decision deadline" in page
    with translation.override("es"):
        client.cookies["django_language"] = "es"
        page = client.get(
            reverse("renewals:detail", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es"
        ).content.decode()
    assert "Fecha límite de la decisión" in page


def test_another_agency_does_not_see_the_renewal(enrolled_group, client, other_broker):
    group, _api = enrolled_group
    client.force_login(other_broker.user)
    assert client.get(reverse("renewals:detail", args=[group.pk])).status_code == 404


def _decision_form(kind: str = "RENEW_WITH_CHANGES") -> dict:
    return decision_form(kind)


def test_the_decision_is_checked_as_the_broker_types(enrolled_group, client, broker):
    group, _api = enrolled_group
    on("2027-10-21")
    services.renewal_sync(group_id=group.pk)
    client.force_login(broker.user)
    url = reverse("renewals:decide_check", args=[group.pk])
    page = client.get(reverse("renewals:decide", args=[group.pk])).content.decode()
    assert f'data-check-url="{url}"' in page and "js/group-form.js" in page and 'name="medical_plans"' in page
    clean = client.post(url, _decision_form()).json()
    assert not any(clean["fields"].values()) and clean["general"] == []
    broken = client.post(url, _decision_form() | {"dental_employee": "", "medical_plans": ["NOPE"]}).json()
    assert [p["code"] for p in broken["fields"]["dental_employee"]] == ["REN-003"]
    assert broken["fields"]["medical_plans"] and broken["fields"]["medical_plans"][0]["code"] == ""
    on("2027-12-03")
    late = client.post(url, _decision_form("RENEW_AS_OFFERED")).json()
    assert "REN-001" in [p["code"] for p in late["fields"]["decision"]]
