"""Create group end to end: the portal's client against the carrier sandbox over real HTTP
(pytest-django's live_server) with a real Celery worker thread."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from carrier.models import ApiCall
from enrollment import services, tasks
from enrollment.models import EmployerGroup
from tests.enrollment.conftest import make_complete_group

S = EmployerGroup.Status
KEY = "enrollment-e2e-key-0001"


@pytest.fixture
def sandbox(live_server, transactional_db):
    call_command("sandbox_key", "Enrollment E2E", "--sender-id", "ENRE2E", "--key", KEY)
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt"))
    with override_settings(
        HUMANA_API_BASE_URL=live_server.url + "/sandbox/groupsales/v1",
        HUMANA_API_KEY=KEY,
        GROUP_CREATE_RETRY_COUNTDOWNS=(1,),
    ):
        yield live_server


def wait_until_not_creating(group_id: int, deadline_seconds: float = 60) -> EmployerGroup:
    """Wait for the worker (a deadline against hanging, not a timed assertion)."""
    end = time.monotonic() + deadline_seconds
    while time.monotonic() < end:
        group = EmployerGroup.objects.get(pk=group_id)
        if group.status != S.CREATING:
            return group
        time.sleep(0.1)
    raise AssertionError(f"group {group_id} is still CREATING")


def carrier_groups_of(npn: str) -> list:
    from carrier.client import get_client

    with get_client() as client:
        return list(client.iter_agent_groups(npn))


def test_it_rides_out_a_503_storm_and_creates_one_carrier_group(sandbox, celery_worker_thread, broker):
    group = make_complete_group(broker, fein="981234567")  # the sandbox answers 503 twice to this FEIN
    services.group_submit(group=group, by=broker.user)
    group = wait_until_not_creating(group.pk)
    assert group.status == S.OPEN_ENROLLMENT
    assert len(group.humana_group_id) == 6 and group.rating_area_id == "KY-RA02"
    assert group.estimated_rates and group.estimated_monthly_premium > 0
    calls = list(ApiCall.objects.filter(subject=f"group:{group.pk}", method="POST").order_by("id"))
    assert [c.status_code for c in calls] == [503, 503, 201]
    assert {c.idempotency_key for c in calls} == {group.idempotency_key}
    assert [g.group_id for g in carrier_groups_of(broker.npn)] == [group.humana_group_id]


def test_it_creates_one_carrier_group_when_submitted_twice_and_the_task_runs_twice(
    sandbox, celery_worker_thread, broker
):
    from enrollment.states import TransitionNotAllowed

    group = make_complete_group(broker)
    stale = EmployerGroup.objects.get(pk=group.pk)
    services.group_submit(group=group, by=broker.user)
    with pytest.raises(TransitionNotAllowed):
        services.group_submit(group=stale, by=broker.user)
    tasks.create_group.delay(group.pk)  # a redelivered or duplicated task
    group = wait_until_not_creating(group.pk)
    assert group.status == S.OPEN_ENROLLMENT
    tasks.create_group.apply(args=[group.pk])  # once more, after the fact: nothing happens
    assert [g.group_id for g in carrier_groups_of(broker.npn)] == [group.humana_group_id]
    assert group.transitions.filter(to_status=S.OPEN_ENROLLMENT).count() == 1


def test_it_shows_agt_002_on_the_agent_field_when_the_agent_is_not_appointed(
    sandbox, celery_worker_thread, broker, client, monkeypatch
):
    monkeypatch.setattr("enrollment.views._counties", lambda group, zip5: [])
    group = make_complete_group(broker, agent_npn="99999999")
    services.group_submit(group=group, by=broker.user)
    group = wait_until_not_creating(group.pk)
    assert group.status == S.DRAFT and group.humana_group_id is None
    assert [e["code"] for e in group.carrier_errors] == ["AGT-002"]
    client.force_login(broker.user)
    html = client.get(reverse("enrollment:group_step", args=[group.pk, "agent"])).content.decode()
    from tests.enrollment.test_forms import field_block

    assert '<span class="rule-id">AGT-002</span>' in field_block(html, "writing_agent")
    assert carrier_groups_of("99999999") == []
