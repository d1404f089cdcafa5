"""The employer's page after enrollment (issue 22 item 1): the renewal offer with its figures and decision,
and the changes after enrollment — names, events, dates and states, never an SSN or a birth date."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from employers.services import employer_invite
from enrollment.models import EmployerGroup
from maintenance.models import ChangeRequest
from renewals.models import Renewal
from tests.renewals.test_plan_years import CARRIER

pytestmark = pytest.mark.django_db


@pytest.fixture
def employer_page(client, group, broker):
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.ENROLLED)
    contact = employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com",
                              title="Owner", language="en", by=broker.user)  # fmt: skip
    client.force_login(contact.user)
    url = reverse("employers:group", args=[group.pk])
    return lambda **headers: client.get(url, **headers).content.decode()


def test_the_employer_sees_the_renewal_offer_its_figures_and_the_decision(employer_page, group):
    Renewal.objects.create(
        group=group, renewal_date=date(2028, 1, 1), offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2), enrollment_cutoff=date(2027, 12, 31),
        status=Renewal.Status.OFFERED, carrier_renewal=CARRIER,
        decision_body={"decision": "RENEW_WITH_CHANGES"},
    )  # fmt: skip
    page = employer_page()
    assert "Renews on 2028-01-01" in page
    assert "$3,240.80" in page and "$3,504.68" in page  # the group's totals now and at renewal
    assert "(8.14%)" in page  # (3504.68 − 3240.80) ÷ 3240.80, half up
    assert "no successor" in page  # the dental plan the carrier discontinues
    assert "Decision: Renew with changes" in page
    spanish = employer_page(HTTP_ACCEPT_LANGUAGE="es")
    assert "Se renueva el 2028-01-01" in spanish and "Renews on" not in spanish


def test_the_employer_sees_the_changes_after_enrollment_without_personal_numbers(employer_page, group):
    request = ChangeRequest(
        group=group, member_ref="E-003", subscriber_ref="E-003", relationship="SUBSCRIBER",
        event_type="NEW_HIRE", action="ADD", event_date=date(2027, 3, 15), state=ChangeRequest.State.APPLIED,
        change={"effectiveDate": "2027-05-01"},
    )  # fmt: skip
    request.body = {"firstName": "Priya", "lastName": "Shah", "ssn": "123456783", "dateOfBirth": "1990-02-14"}
    request.save()
    page = employer_page()
    assert "Changes after enrollment" in page
    assert "Priya Shah" in page and "New employee (added)" in page and "2027-05-01" in page
    assert "Applied" in page
    assert "123456783" not in page and "1990-02-14" not in page
