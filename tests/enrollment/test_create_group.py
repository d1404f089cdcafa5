"""Create group: the service and task against a fake client (the e2e test uses the sandbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import override_settings

from carrier.errors import CarrierConflictError, CarrierRuleError, CarrierTransientError, ProblemError
from carrier.models import CarrierOperation
from enrollment import services, tasks
from enrollment.models import EmployerGroup
from enrollment.states import TransitionNotAllowed

S = EmployerGroup.Status
pytestmark = pytest.mark.django_db


class FakeClient:
    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls: list[tuple[dict, str]] = []

    def create_group(self, payload, *, idempotency_key, subject=""):
        self.calls.append((payload, idempotency_key))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def created(group_id="104233"):
    return SimpleNamespace(
        group_id=group_id,
        status="CREATED",
        rating_area_id="KY-RA02",
        created_at=datetime(2026, 11, 23, 15, 5, tzinfo=UTC),
        estimated_rates=[
            SimpleNamespace(
                plan_id="12345KY0010001", line="MEDICAL", estimated_monthly_premium=Decimal("3143.30")
            ),
            SimpleNamespace(
                plan_id="12345KY0020001", line="DENTAL", estimated_monthly_premium=Decimal("100.00")
            ),
        ],
        model_dump=lambda **kw: {"groupId": group_id},
    )


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr("enrollment.tasks.create_group.delay", lambda group_id: sent.append(group_id))
    return sent


@pytest.fixture
def fake_client(monkeypatch):
    holder = {}

    def install(*outcomes):
        holder["client"] = FakeClient(*outcomes)
        monkeypatch.setattr("carrier.client.get_client", lambda: holder["client"])
        return holder["client"]

    return install


def submit(group, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.group_submit(group=group, by=user)


def test_it_queues_creation_on_commit_with_a_stored_idempotency_key(
    complete_group, broker, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        group = services.group_submit(group=complete_group, by=broker.user)
        assert queued == []  # nothing is queued before the transaction commits
    for callback in callbacks:
        callback()
    assert queued == [group.pk]
    operation = CarrierOperation.objects.get(kind="create_group", subject=f"group:{group.pk}")
    assert group.status == S.CREATING and group.idempotency_key == operation.idempotency_key
    assert group.transitions.get().by == broker.user


def test_it_submits_a_draft_once_however_often_it_is_clicked(
    complete_group, broker, queued, django_capture_on_commit_callbacks
):
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    stale = EmployerGroup.objects.get(pk=complete_group.pk)
    stale.status = S.DRAFT  # a second tab that still shows the draft
    with pytest.raises(TransitionNotAllowed):
        submit(stale, broker.user, django_capture_on_commit_callbacks)
    assert queued == [complete_group.pk]
    assert CarrierOperation.objects.filter(subject=f"group:{complete_group.pk}").count() == 1


def test_it_stores_the_group_id_and_estimated_rates_and_opens_enrollment(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    client = fake_client(created())
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    assert services.group_create_with_carrier(group_id=complete_group.pk) == "created"
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.OPEN_ENROLLMENT and group.humana_group_id == "104233"
    assert group.rating_area_id == "KY-RA02" and group.estimated_monthly_premium == Decimal("3243.30")
    assert group.carrier_status == "CREATED"
    assert client.calls[0][1] == group.idempotency_key
    assert client.calls[0][0]["employer"]["fein"] == "123456789"
    assert (
        CarrierOperation.objects.get(subject=f"group:{group.pk}").status == CarrierOperation.Status.SUCCEEDED
    )
    assert (
        services.group_create_with_carrier(group_id=group.pk) == "skipped"
    )  # a redelivered task does nothing
    assert len(client.calls) == 1


def test_it_maps_a_422_onto_the_fields_and_returns_the_group_to_draft(
    complete_group,
    broker,
    queued,
    fake_client,
    django_capture_on_commit_callbacks,
    broker_client,
    catalogue_facts,
):
    fake_client(
        CarrierRuleError(
            "rules",
            status=422,
            code="GRP-002",
            errors=[
                ProblemError(
                    code="AGT-002", pointer="/writingAgent/npn", message="The agent is not appointed in KY."
                ),
                ProblemError(code="GRP-010", pointer="/offerings/1/planIds/0", message="Plan not sold."),
            ],
        )
    )
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    assert services.group_create_with_carrier(group_id=complete_group.pk) == "refused"
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.DRAFT
    assert [e["code"] for e in group.carrier_errors] == ["AGT-002", "GRP-010"]
    assert "AGT-002" in group.transitions.last().reason
    assert CarrierOperation.objects.get(subject=f"group:{group.pk}").status == CarrierOperation.Status.FAILED

    from tests.enrollment.test_forms import field_block, step_url

    html = broker_client.get(step_url(group, "agent")).content.decode()
    assert '<span class="rule-id">AGT-002</span>' in field_block(html, "writing_agent")
    html = broker_client.get(step_url(group, "plans")).content.decode()
    assert '<span class="rule-id">GRP-010</span>' in field_block(html, "dental_plans")


def test_it_uses_a_new_key_for_the_corrected_request_after_a_422(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    client = fake_client(
        CarrierRuleError(
            "rules", status=422, errors=[ProblemError(code="GRP-002", pointer="/employer/fein")]
        ),
        created(),
    )
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    services.group_create_with_carrier(group_id=complete_group.pk)
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    services.group_update(group=group, fields={"fein": "123456780"})
    assert group.carrier_errors == []  # the edited field's carrier error is gone
    submit(group, broker.user, django_capture_on_commit_callbacks)
    assert services.group_create_with_carrier(group_id=group.pk) == "created"
    assert client.calls[0][1] != client.calls[1][1]


def test_it_keeps_the_group_creating_and_the_key_when_the_carrier_is_unavailable(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    client = fake_client(CarrierTransientError("503", status=503), created())
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    with pytest.raises(CarrierTransientError):
        services.group_create_with_carrier(group_id=complete_group.pk)
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.CREATING and group.create_claimed_at is None
    assert services.group_create_with_carrier(group_id=group.pk) == "created"
    assert client.calls[0][1] == client.calls[1][1]  # the retry reuses the idempotency key
    assert EmployerGroup.objects.get(pk=group.pk).create_attempts == 2


def test_it_does_not_call_the_carrier_while_another_worker_holds_the_claim(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    client = fake_client(created())
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    EmployerGroup.objects.filter(pk=complete_group.pk).update(create_claimed_at=timezone.now())
    assert (
        services.group_create_with_carrier(group_id=complete_group.pk) == "busy"
    )  # the task comes back later
    assert client.calls == []


def test_it_needs_attention_on_another_permanent_error(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    fake_client(CarrierConflictError("reused", status=409, code="IDEMPOTENCY_KEY_REUSED"))
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    assert services.group_create_with_carrier(group_id=complete_group.pk) == "failed"
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.NEEDS_ATTENTION and "IDEMPOTENCY_KEY_REUSED" in group.status_reason


def test_it_backs_off_exponentially_and_honours_retry_after():
    assert [tasks.create_group_countdown(n) for n in range(7)] == [5, 15, 45, 120, 300, 600, 600]
    assert tasks.create_group_countdown(0, retry_after=30) == 30


@override_settings(GROUP_CREATE_MAX_RETRIES=2, GROUP_CREATE_RETRY_COUNTDOWNS=(0,))
def test_it_retries_the_task_then_moves_the_group_to_needs_attention(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    from celery.exceptions import Retry

    fake_client(*[CarrierTransientError("503", status=503)] * 3)
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    for retries in range(2):
        with pytest.raises(Retry):
            tasks.create_group.apply(args=[complete_group.pk], retries=retries, throw=True)
    assert EmployerGroup.objects.get(pk=complete_group.pk).status == S.CREATING
    result = tasks.create_group.apply(args=[complete_group.pk], retries=2, throw=True)
    assert result.get() == "needs_attention"
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.NEEDS_ATTENTION and "3 attempts" in group.status_reason
    assert group.transitions.last().by is None


def test_it_shows_the_retry_attempt_on_the_group_page(
    broker_client, complete_group, broker, queued, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    EmployerGroup.objects.filter(pk=complete_group.pk).update(create_attempts=3)
    html = broker_client.get(reverse("enrollment:group_detail", args=[complete_group.pk])).content.decode()
    assert "The carrier is being retried (attempt 3)" in html
    body = broker_client.get(reverse("enrollment:group_status", args=[complete_group.pk])).json()
    assert body["pending"] is True and body["attempts"] == 3


def test_it_lets_an_admin_retry_creation_of_a_group_that_needs_attention(
    complete_group, broker, queued, django_capture_on_commit_callbacks, admin_client
):
    from django.urls import reverse

    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    services.group_mark_needs_attention(group_id=complete_group.pk, reason="carrier down")
    key = EmployerGroup.objects.get(pk=complete_group.pk).idempotency_key
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:enrollment_employergroup_changelist"),
            {"action": "retry_creation", "_selected_action": [complete_group.pk]},
        )
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.CREATING and group.idempotency_key == key
    assert queued == [group.pk, group.pk]


def test_it_never_leaves_a_group_creating_after_an_unexpected_error(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks
):
    fake_client(ValueError("the client refused to send the body"))
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    with pytest.raises(ValueError):
        tasks.create_group.apply(args=[complete_group.pk], throw=True)
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.status == S.NEEDS_ATTENTION and "ValueError" in group.status_reason


def test_it_comes_back_later_while_another_workers_claim_holds(
    complete_group, broker, queued, fake_client, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from celery.exceptions import Retry
    from django.utils import timezone

    from enrollment import tasks

    settings.GROUP_CREATE_CLAIM_SECONDS = 7
    client = fake_client(created())
    submit(complete_group, broker.user, django_capture_on_commit_callbacks)
    EmployerGroup.objects.filter(pk=complete_group.pk).update(create_claimed_at=timezone.now())
    asked: list[int] = []

    def retry(*args, countdown=None, **kwargs):
        asked.append(countdown)
        return Retry(when=countdown)

    monkeypatch.setattr(tasks.create_group, "retry", retry)
    with pytest.raises(Retry):
        tasks.create_group.run(complete_group.pk)
    assert asked == [8]  # once the claim has expired
    assert EmployerGroup.objects.get(pk=complete_group.pk).status == EmployerGroup.Status.CREATING  # not lost
    assert client.calls == []
