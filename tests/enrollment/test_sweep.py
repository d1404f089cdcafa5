"""The sweep re-queues carrier work whose task was lost, and leaves work in progress alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from enrollment.models import EmployerGroup
from enrollment.sweep import groups_sweep
from members.models import Member
from members.services import members_sweep
from tests.members.conftest import ann, group, queued, rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db
S = EmployerGroup.Status


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr("enrollment.tasks.create_group.delay", lambda pk: calls.append(("create", pk)))
    monkeypatch.setattr("enrollment.tasks.finalize_group.delay", lambda pk: calls.append(("finalize", pk)))
    monkeypatch.setattr("enrollment.tasks.patch_group.delay", lambda pk: calls.append(("patch", pk)))
    monkeypatch.setattr(
        "members.tasks.validate_group_members.delay", lambda pk: calls.append(("validate", pk))
    )
    return calls


def age(model, pk: int, minutes: int, **fields) -> None:
    model.objects.filter(pk=pk).update(updated_at=timezone.now() - timedelta(minutes=minutes), **fields)


def test_it_requeues_a_group_left_creating_or_finalizing(group, sent):  # noqa: F811
    age(EmployerGroup, group.pk, 20, status=S.CREATING, create_claimed_at=None)
    assert groups_sweep() == {"create": 1, "finalize": 0, "patch": 0}
    age(EmployerGroup, group.pk, 20, status=S.FINALIZING)
    assert groups_sweep() == {"create": 0, "finalize": 1, "patch": 0}
    assert sent == [("create", group.pk), ("finalize", group.pk)]


def test_it_requeues_changes_left_sending_and_leaves_claimed_ones(group, sent):  # noqa: F811
    sending = {"status": S.OPEN_ENROLLMENT, "change_state": EmployerGroup.ChangeState.SENDING}
    age(EmployerGroup, group.pk, 20, change_claimed_at=timezone.now(), **sending)
    assert groups_sweep() == {"create": 0, "finalize": 0, "patch": 0}
    age(EmployerGroup, group.pk, 20, change_claimed_at=None, **sending)
    assert groups_sweep() == {"create": 0, "finalize": 0, "patch": 1}
    assert sent == [("patch", group.pk)]


def test_it_leaves_fresh_or_claimed_work_alone(group, sent):  # noqa: F811
    age(EmployerGroup, group.pk, 2, status=S.CREATING)
    assert groups_sweep() == {"create": 0, "finalize": 0, "patch": 0}
    age(EmployerGroup, group.pk, 20, status=S.CREATING, create_claimed_at=timezone.now())
    assert groups_sweep() == {"create": 0, "finalize": 0, "patch": 0}
    assert sent == []


def test_it_requeues_validation_that_waits_too_long(ann, sent):  # noqa: F811
    sent.clear()
    members = Member.objects.filter(group=ann.group)
    members.update(validation_status="NOT_VALIDATED", updated_at=timezone.now())
    assert members_sweep() == 0
    members.update(validation_status="NOT_VALIDATED", updated_at=timezone.now() - timedelta(minutes=20))
    assert members_sweep() == 1
    members.update(validation_status="VALID")
    assert members_sweep() == 0
    assert sent == [("validate", ann.group_id)]
