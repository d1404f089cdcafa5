"""A task of the tests only (the worker imports it with ``-I``): it sleeps, so that a Redis loss finds
late-acknowledged work in flight, as a carrier call would be."""

from __future__ import annotations

import time

from celery import shared_task


@shared_task(name="tests.nap", acks_late=True)
def nap(seconds: float, tag: str) -> str:
    time.sleep(seconds)
    return tag
