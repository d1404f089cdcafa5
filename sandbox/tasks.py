"""The sandbox's Celery task: the processing of a file too large for a read (``files.advance_file``)."""

from __future__ import annotations

from celery import shared_task

from . import files


@shared_task(name="sandbox.process_file", acks_late=True, soft_time_limit=600)
def process_file(file_id: int) -> str:
    return files.file_process(file_id=file_id)
