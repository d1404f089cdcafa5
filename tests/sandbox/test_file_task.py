"""A file over ``SANDBOX_INLINE_PROCESSING_BYTES`` (256 KiB) is processed by the Celery task
``sandbox.process_file`` on a real worker, never by the read that finds it due (issue 17 item 4)."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django_celery_results.models import TaskResult

from groupsales.x12.validate import pyx12_issues
from sandbox.models import EnrollmentFile

from .conftest import enrollment_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
FINAL = {"ACCEPTED", "ACCEPTED_WITH_ERRORS", "REJECTED"}


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


def large_file(group_id: str, min_bytes: int) -> tuple[str, int]:
    """The sample with copies of its last subscriber (never validated: FIL-010 each) until it is over
    ``min_bytes``; counts (QTY, SE01) kept right, so the file passes the whole-file checks."""
    lines = enrollment_file(group_id).split("~\n")
    start = max(i for i, s in enumerate(lines) if s.startswith("INS*Y*"))
    end = next(i for i, s in enumerate(lines) if s.startswith("SE*"))
    loop = lines[start:end]
    extra: list[str] = []
    copies = 0
    while len("~\n".join(lines)) + len("~\n".join(extra)) <= min_bytes:
        ref = f"E-9{copies:04d}"
        extra += [s.replace("*0F*E-002", f"*0F*{ref}").replace("*ZZ*E-002", f"*ZZ*{ref}") for s in loop]
        copies += 1
    lines[end:end] = extra
    se = lines.index(next(s for s in lines if s.startswith("SE*")))
    st = lines.index(next(s for s in lines if s.startswith("ST*")))
    lines[se] = f"SE*{se - st + 1}*0001"
    for qualifier, count in (("ET", 2 + copies), ("TO", 5 + copies)):
        at = lines.index(next(s for s in lines if s.startswith(f"QTY*{qualifier}*")))
        lines[at] = f"QTY*{qualifier}*{count}"
    return "~\n".join(lines), copies


def test_a_file_over_256_kib_is_processed_by_the_task_and_no_read_waits_on_it(celery_worker_thread, api):
    threshold = int(getattr(settings, "SANDBOX_INLINE_PROCESSING_BYTES", 256 * 1024))
    assert threshold == 256 * 1024
    group_id = api.finalized()
    text, copies = large_file(group_id, threshold)
    assert len(text) > threshold and copies > 500
    receipt = api.post(
        f"/groups/{group_id}/enrollment-files", raw=text.encode(), content_type="application/edi-x12"
    ).json()
    path = f"/groups/{group_id}/enrollment-files/{receipt['fileId']}"
    # The read that finds the file due hands it over and answers at once: processed inline it would end.
    first = api.get(path)
    assert first.status_code == 200 and first.json()["status"] == "PROCESSING"
    assert api.get(f"/groups/{group_id}").json()["status"] == "ENROLLING"
    deadline = time.monotonic() + 120
    status = first.json()
    while status["status"] not in FINAL and time.monotonic() < deadline:
        time.sleep(0.2)
        response = api.get(path)
        assert response.status_code == 200
        status = response.json()
    assert status["status"] == "ACCEPTED_WITH_ERRORS", status["status"]
    assert status["summary"] == {"members": 5 + copies, "accepted": 5, "rejected": copies}
    assert api.get(f"/groups/{group_id}").json()["status"] == "ENROLLED"
    file = EnrollmentFile.objects.get(file_id=receipt["fileId"])
    done = TaskResult.objects.filter(task_name="sandbox.process_file", status="SUCCESS")
    assert [(r.task_args, r.result) for r in done] == [(f'"({file.pk},)"', '"ACCEPTED_WITH_ERRORS"')]
    assert pyx12_issues(file.acknowledgment) == []
