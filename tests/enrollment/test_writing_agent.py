"""Issue 16 item 7: the writing agent is a broker of the submitting broker's agency, chosen from a list;
NPN, name and e-mail come from the chosen broker. A principal may choose any broker of the agency; a
broker only themself (or keep the agent a principal chose)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from enrollment.models import EmployerGroup
from tests.enrollment.test_forms import field_block, step_url
from tests.factories import BrokerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(agency):
    return BrokerFactory(
        agency=agency, user__first_name="Kim", user__last_name="Baker", user__email="kim@agency.example"
    )


def options(html: str) -> list[str]:
    select = html.split('name="writing_agent"', 1)[1].split("</select>", 1)[0]
    return [v for v in re.findall(r'<option value="([^"]*)"', select) if v]


def test_a_broker_can_name_only_themself(broker_client, broker, colleague, other_broker, complete_group):
    html = broker_client.get(step_url(complete_group, "agent")).content.decode()
    assert options(html) == [str(broker.pk)]
    assert colleague.npn not in html and other_broker.npn not in html


@pytest.mark.parametrize("who", ["colleague", "other_broker"])
def test_a_broker_cannot_post_another_broker(
    request, broker_client, broker, complete_group, catalogue_facts, who
):
    chosen = request.getfixturevalue(who)
    response = broker_client.post(step_url(complete_group, "agent"), {"writing_agent": str(chosen.pk)})
    assert response.status_code == 200
    assert "Choose the writing agent from your agency" in field_block(
        response.content.decode(), "writing_agent"
    )
    assert EmployerGroup.objects.get(pk=complete_group.pk).agent_npn == broker.npn


def test_a_principal_chooses_any_broker_of_the_agency_and_gets_their_profile(
    client, principal, broker, colleague, other_broker, complete_group, catalogue_facts
):
    client.force_login(principal.user)
    html = client.get(step_url(complete_group, "agent")).content.decode()
    assert set(options(html)) == {str(principal.pk), str(broker.pk), str(colleague.pk)}
    response = client.post(step_url(complete_group, "agent"), {"writing_agent": str(colleague.pk)})
    assert response.status_code == 302
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert (group.agent_npn, group.agent_first_name, group.agent_last_name, group.agent_email) == (
        colleague.npn, "Kim", "Baker", "kim@agency.example",
    )  # fmt: skip
    again = client.post(step_url(complete_group, "agent"), {"writing_agent": str(other_broker.pk)})
    assert "Choose the writing agent from your agency" in again.content.decode()
    assert EmployerGroup.objects.get(pk=complete_group.pk).agent_npn == colleague.npn


def test_a_broker_keeps_the_colleague_a_principal_chose(broker_client, broker, colleague, complete_group):
    EmployerGroup.objects.filter(pk=complete_group.pk).update(agent_npn=colleague.npn)
    html = broker_client.get(step_url(complete_group, "agent")).content.decode()
    assert set(options(html)) == {str(broker.pk), str(colleague.pk)}


def test_an_agent_typed_before_the_list_blocks_submitting(
    broker_client, other_broker, complete_group, catalogue_facts
):
    """A draft from before this change may carry an outside NPN: review names it and refuses to submit."""
    EmployerGroup.objects.filter(pk=complete_group.pk).update(
        agent_npn=other_broker.npn, agent_email="x@y.example"
    )
    review = reverse("enrollment:group_review", args=[complete_group.pk])
    html = broker_client.get(review).content.decode()
    assert '<span class="rule-id">AGENT</span>' in html and "is not a broker of your agency" in html
    broker_client.post(review)
    assert EmployerGroup.objects.get(pk=complete_group.pk).status == EmployerGroup.Status.DRAFT


def test_a_chosen_broker_without_an_e_mail_says_whom_to_ask(
    broker_client, broker, complete_group, catalogue_facts
):
    broker.user.email = ""
    broker.user.save()
    EmployerGroup.objects.filter(pk=complete_group.pk).update(agent_email="")
    html = broker_client.get(step_url(complete_group, "agent") + "?check=1").content.decode()
    assert "Ask your administrator to add an e-mail address" in field_block(html, "writing_agent")
