"""The broker's open-enrollment window page and "Remind all not started" (issue 22 item 4), through the
views: what the broker sees, what is saved, the rule beside the field, and who may reach them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from carrier.rules import carrier_today
from enrollment.models import EmployerGroup, Notice
from enrollment.window import default_ends_on, lead_days
from members import self_service
from members.models import Member
from tests.members.test_self_service import url

pytestmark = pytest.mark.django_db


def window_url(group):
    return reverse("enrollment:group_window", args=[group.pk])


def remind_url(group):
    return reverse("members:remind_not_started", args=[group.pk])


def with_email(member, email):
    Member.objects.filter(pk=member.pk).update(email=email)
    member.refresh_from_db()
    return member


def test_the_window_page_shows_the_default_end_before_the_effective_date(broker_client, group):
    page = broker_client.get(window_url(group))
    assert page.status_code == 200
    text = page.content.decode()
    latest = group.requested_effective_date - timedelta(days=lead_days())
    assert f"to {latest:%Y-%m-%d}" in text
    assert f"{lead_days()} days before the effective date ({latest:%Y-%m-%d})" in text


def test_the_broker_sets_the_window_and_the_page_shows_it(broker_client, group):
    today = carrier_today()
    ends = default_ends_on(group) - timedelta(days=2)
    answer = broker_client.post(
        window_url(group), {"oe_starts_on": today.isoformat(), "oe_ends_on": ends.isoformat()}
    )
    assert answer.status_code == 302
    group.refresh_from_db()
    assert (group.oe_starts_on, group.oe_ends_on) == (today, ends)
    page = broker_client.get(window_url(group))
    assert f"from {today:%Y-%m-%d} to {ends:%Y-%m-%d}" in page.content.decode()


def test_an_end_too_close_to_the_effective_date_is_refused_beside_the_field_and_kept(broker_client, group):
    too_late = default_ends_on(group) + timedelta(days=1)
    answer = broker_client.post(window_url(group), {"oe_starts_on": "", "oe_ends_on": too_late.isoformat()})
    assert answer.status_code == 400
    form = answer.context["form"]
    assert "OEW-001" in " ".join(form.errors["oe_ends_on"])
    assert f'value="{too_late:%Y-%m-%d}"' in answer.content.decode()  # what the broker typed is not lost
    group.refresh_from_db()
    assert group.oe_ends_on is None


def test_a_start_after_the_end_is_refused_in_spanish(broker_client, group):
    ends = default_ends_on(group) - timedelta(days=3)
    starts = ends + timedelta(days=1)
    answer = broker_client.post(
        window_url(group),
        {"oe_starts_on": starts.isoformat(), "oe_ends_on": ends.isoformat()},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert answer.status_code == 400
    problem = " ".join(answer.context["form"].errors["oe_starts_on"])
    assert problem.startswith("OEW-002")
    assert "starts after it ends" not in problem  # the Spanish text, not the English one


def test_another_agencys_broker_gets_404_on_both_pages(client, group, other_broker):
    client.force_login(other_broker.user)
    assert client.get(window_url(group)).status_code == 404
    assert client.post(window_url(group), {"oe_ends_on": ""}).status_code == 404
    assert client.post(remind_url(group)).status_code == 404


def test_remind_all_reaches_only_those_who_never_opened_their_link_once_a_day(
    broker_client, group, ann, luis
):
    luis = with_email(luis, "luis@blueheron.example")
    not_opened = self_service.invitation_send(subscriber=luis, by=None)
    opened = self_service.invitation_send(subscriber=ann, by=None)
    assert broker_client.get(url(opened)).status_code == 200  # Ann opens her link
    mail.outbox.clear()

    answer = broker_client.post(remind_url(group), follow=True)
    assert answer.status_code == 200
    assert "1 reminder sent." in answer.content.decode()
    assert [m.to for m in mail.outbox] == [[luis.email]]
    assert url(not_opened) in mail.outbox[0].body  # the same link as the invitation
    assert broker_client.get(url(not_opened)).status_code == 200

    again = broker_client.post(remind_url(group), follow=True)
    assert "No reminder to send" in again.content.decode()
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(kind="EMPLOYEE_REMINDER", group=group).count() == 1


def test_remind_all_is_a_post(broker_client, group):
    assert broker_client.get(remind_url(group)).status_code == 405


def test_a_group_no_longer_open_sends_no_reminder(broker_client, group, luis):
    luis = with_email(luis, "luis@blueheron.example")
    self_service.invitation_send(subscriber=luis, by=None)
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.ENROLLED)
    mail.outbox.clear()
    answer = broker_client.post(remind_url(group), follow=True)
    assert "Open enrollment has ended for this group" in answer.content.decode()
    assert "Remind all not started" not in answer.content.decode()  # the member list offers no button
    assert mail.outbox == []
