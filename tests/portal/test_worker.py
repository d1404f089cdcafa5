"""The Celery worker runs tasks through the configured broker (Redis in CI) and stores results."""

from __future__ import annotations

import pytest
from django_celery_results.models import TaskResult

from portal.tasks import heartbeat


@pytest.mark.worker
def test_it_runs_a_task_on_a_real_worker_and_records_the_result(celery_worker_thread):
    result = heartbeat.delay()
    value = result.get(timeout=30)
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert value[:4].isdigit() and value in stored.result
