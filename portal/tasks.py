"""Site-wide periodic work."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="portal.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Beat sends this every minute; its stored results show admins that worker and beat are alive."""
    return timezone.now().isoformat()
