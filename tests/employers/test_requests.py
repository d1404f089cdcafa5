"""The employer's "Request a change" (issue 22): asked from their page with a kind and free text, recorded,
e-mailed to the broker (numbers and dates masked), on the broker's group page and its timeline; the broker
marks it done and the employer is told, in their language. Another group's requests are 404."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from employers import services
from employers.models import EmployerRequest
from employers.services import employer_invite
from tests.enrollment.conftest import make_complete_group

pytestmark = pytest.mark.django_db
TEXT = "Priya Shah starts on 2027-05-01 (SSN 123-45-6783); she wants medical for herself."


@pytest.fixture
def ann(group, broker):
    return employer_invite(group=group, first_name="Ann", last_name="Lee", email="ann.hr@example.com",
                           title="Owner", language="es", by=broker.user)  # fmt: skip


def test_the_employer_asks_and_the_broker_is_told_without_personal_numbers(
    ann, group, broker, client, django_capture_on_commit_callbacks
):
    client.force_login(ann.user)
    url = reverse("employers:requests", args=[group.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Pedir un cambio" in page and "Una nueva contratación" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"kind": "NEW_HIRE", "text": TEXT}, HTTP_ACCEPT_LANGUAGE="es", follow=True)
    assert "Su solicitud se envió a su corredor." in answer.content.decode()
    request = EmployerRequest.objects.get()
    assert (request.group, request.contact, request.kind, request.text) == (group, ann, "NEW_HIRE", TEXT)
    assert request.asked_by == "Ann Lee" and not request.done
    (told,) = mail.outbox
    assert told.to == [broker.user.email]
    assert told.subject == "Blue Heron Bakery LLC asks for a change: A new hire"
    assert "Ann Lee of Blue Heron Bakery LLC asks for a change (A new hire):" in told.body
    assert "Priya Shah starts on" in told.body and "she wants medical" in told.body
    assert "123-45-6783" not in told.body and "2027-05-01" not in told.body
    assert f"/groups/{group.pk}/" in told.body


def test_the_broker_sees_it_on_the_group_page_and_its_timeline_and_marks_it_done(
    ann, group, broker, client, django_capture_on_commit_callbacks
):
    request = services.employer_request_create(contact=ann, kind="GROUP_DATA", text="We moved to 5 Elm St.")
    client.force_login(broker.user)
    page = client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert "The employer's requests" in page and "We moved to 5 Elm St." in page
    assert "Ann Lee (employer) asked for a change: Address or other group details" in page
    done_url = reverse("employers:request_done", args=[group.pk, request.pk])
    assert done_url in page
    mail.outbox.clear()
    assert client.post(done_url).status_code == 302
    request.refresh_from_db()
    assert request.done and request.done_by == broker.user
    (told,) = mail.outbox
    assert (
        told.to == ["ann.hr@example.com"]
        and "Su solicitud de cambio para Blue Heron Bakery LLC" in told.subject
    )
    assert "Su corredor marcó como hecha su solicitud" in told.body
    assert "La dirección u otros datos del grupo" in told.body
    page = client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert "was marked done" in page and done_url not in page
    assert client.post(done_url).status_code == 302 and len(mail.outbox) == 1  # told once
    employer = Client()
    employer.force_login(ann.user)
    page = employer.get(reverse("employers:requests", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Hecha el" in page.content.decode()


def test_a_request_needs_a_kind_and_text(ann):
    for kind, text in (("", "x"), ("NEW_HIRE", "  "), ("NEW_HIRE", "x" * 2001)):
        with pytest.raises(services.ValidationError):
            services.employer_request_create(contact=ann, kind=kind, text=text)
    assert not EmployerRequest.objects.exists()


def test_another_groups_employer_and_broker_get_404(ann, group, other_broker, client):
    request = services.employer_request_create(contact=ann, kind="TERMINATION", text="Luis leaves")
    theirs = make_complete_group(other_broker)
    eve = employer_invite(group=theirs, first_name="Eve", last_name="Other", email="eve@other.example",
                          title="Owner", language="en", by=other_broker.user)  # fmt: skip
    client.force_login(eve.user)
    assert client.get(reverse("employers:requests", args=[group.pk])).status_code == 404
    assert (
        client.post(
            reverse("employers:requests", args=[group.pk]), {"kind": "NEW_HIRE", "text": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("employers:request_done", args=[group.pk, request.pk])).status_code == 404
    own = services.employer_request_create(contact=eve, kind="PLANS", text="Add a plan")
    # Their own group's URL with our request's id: still 404 (the request is not theirs).
    client.force_login(other_broker.user)
    assert client.post(reverse("employers:request_done", args=[theirs.pk, request.pk])).status_code == 404
    assert client.post(reverse("employers:request_done", args=[group.pk, own.pk])).status_code == 404
    request.refresh_from_db()
    assert not request.done and EmployerRequest.objects.filter(group=group).count() == 1
