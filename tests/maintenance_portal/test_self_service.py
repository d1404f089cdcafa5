"""An enrolled employee's own life-event link: e-mailed by the broker, their family only, in Spanish;
what they report is validated with the sandbox as saved and is a change request the broker sees."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from maintenance.models import ChangeRequest, LifeEventLink
from members.models import Member

from .conftest import on

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def test_the_employee_reports_a_birth_for_their_own_family_and_the_broker_sees_it(
    enrolled,
    client,
    broker,
):
    group = enrolled
    ann = Member.objects.get(group=group, member_ref="E-001")
    client.force_login(broker.user)
    client.post(reverse("maintenance:life_event_link", args=[group.pk, ann.pk]))
    first = re.search(r"/enroll/life-events/([\w-]+)/", mail.outbox[-1].body).group(1)
    client.post(reverse("maintenance:life_event_link", args=[group.pk, ann.pk]))  # sent again: a new link
    token = re.search(r"/enroll/life-events/([\w-]+)/", mail.outbox[-1].body).group(1)
    client.logout()

    assert mail.outbox[-1].to == ["ann@example.com"] and "Tuve un bebé" not in mail.outbox[-1].body
    assert "/ Cuéntenos" in mail.outbox[-1].subject
    assert token != first and client.get(f"/enroll/life-events/{first}/").status_code == 404
    assert LifeEventLink.objects.get(revoked_at__isnull=True).token_hash not in mail.outbox[-1].body

    client.cookies["django_language"] = "es"
    start = client.get(f"/enroll/life-events/{token}/", HTTP_USER_AGENT=PHONE)
    assert start.status_code == 200 and start["Cache-Control"] == "no-store"
    assert "Tuve un bebé" in start.content.decode() and "Me casé" in start.content.decode()

    luis = {"member": "E-002", "event_date": "2027-05-20", "address_line1": "1 Elsewhere"}
    other = client.post(f"/enroll/life-events/{token}/details", luis)
    assert other.status_code == 200 and not ChangeRequest.objects.exists()  # Luis is not Ann's family
    assert client.get(f"/enroll/life-events/{token}/divorce").content.decode().count("E-002") == 0

    on("2027-05-25")
    saved = client.post(f"/enroll/life-events/{token}/birth", {
        "member_ref": "E-001-C3", "relationship": "CHILD", "first_name": "Iris", "last_name": "Lee",
        "gender": "FEMALE", "event_date": "2027-04-10"}, HTTP_USER_AGENT=PHONE)  # fmt: skip
    iris = ChangeRequest.objects.get(member_ref="E-001-C3")
    assert iris.state == "VALIDATED" and iris.reported_by_employee and iris.created_by is None
    assert iris.subscriber_ref == "E-001" and "2027-04-10" in saved.content.decode()

    client.force_login(broker.user)
    page = client.get(reverse("maintenance:group_changes", args=[group.pk])).content.decode()
    people = client.get(reverse("maintenance:people", args=[group.pk])).content.decode()
    assert "E-001-C3" in page and "el empleado" in people  # the broker reads Spanish too (the cookie)
    assert "informado por el empleado" in page


def test_a_link_is_refused_for_a_group_no_longer_enrolled(enrolled, client, broker):
    from maintenance.self_service import life_event_link_send

    group = enrolled
    _link, token = life_event_link_send(subscriber=Member.objects.get(group=group, member_ref="E-001"))
    assert client.get(f"/enroll/life-events/{token}/").status_code == 200
    type(group).objects.filter(pk=group.pk).update(status="NEEDS_ATTENTION")
    assert client.get(f"/enroll/life-events/{token}/").status_code == 404
    assert client.get(f"/enroll/life-events/{token}x/birth").status_code == 404
