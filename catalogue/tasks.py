"""Celery tasks of the catalogue: the scheduled ETSS pull and the processing of one received file."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

log = logging.getLogger(__name__)
MAX_RETRIES = 6


def _countdown(retries: int) -> int:
    return min(60 * 2**retries, 3600)


@shared_task(bind=True, name="catalogue.pull_etss", acks_late=True, max_retries=None)
def pull_etss(self) -> int:
    """Fetch new ETSS files; an unreachable server is retried with backoff, then left to the next run."""
    from .pull import etss_pull

    try:
        return len(etss_pull())
    except services.EtssTransientError as exc:
        if self.request.retries >= MAX_RETRIES:
            log.error("ETSS pull gave up after %s attempts: %s", self.request.retries + 1, exc)
            return 0
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(name="catalogue.process_etss_file", acks_late=True)
def process_etss_file(etss_file_id: int) -> str:
    """Check and load one received file (the admin upload queues this on commit)."""
    return services.etss_file_process(etss_file_id=etss_file_id).status
