"""Site-wide periodic work."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="portal.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Beat sends this every minute; its stored results show admins that worker and beat are alive."""
    return timezone.now().isoformat()


def _held_task_ids(app) -> set[str] | None:
    """The ids of the tasks every live worker holds (running, prefetched, waiting for an ETA); ``None``
    when no worker answered (then nothing can be told orphaned)."""
    inspect = app.control.inspect(timeout=float(getattr(settings, "ORPHAN_INSPECT_TIMEOUT", 3.0)))
    active, reserved, scheduled = inspect.active(), inspect.reserved(), inspect.scheduled()
    # Three broadcasts: a worker slow to answer one of them (a loaded machine) would have its tasks
    # counted as nobody's, so anything short of the same workers answering all three is no answer.
    if not active or reserved is None or scheduled is None:
        return None
    if not set(active) == set(reserved) == set(scheduled):
        return None
    held: set[str] = set()
    for replies in (active, reserved or {}):
        for requests in replies.values():
            held.update(str(r.get("id")) for r in requests)
    for entries in (scheduled or {}).values():
        held.update(str((e.get("request") or {}).get("id")) for e in entries)
    return held


def unacked_orphans_restore(*, min_age: float | None = None, app=None) -> int:
    """Put back on their queue the messages Redis holds as delivered but unacknowledged (its ``unacked``
    hash) for longer than ``min_age`` whose task no live worker holds: those of a killed worker. Without
    this they would wait for the visibility timeout (900 s) before Redis gave them to another worker.
    Returns how many were restored. A task restored while its worker still ran (it did not answer the
    inspection in time) runs twice, which every task here tolerates: claims, stored idempotency keys and
    conditional moves."""
    import json
    import time

    from celery import current_app as default_app

    current_app = app or default_app
    if not str(current_app.conf.broker_url or "").startswith("redis"):
        return 0
    age = float(getattr(settings, "ORPHAN_MESSAGE_MIN_AGE_SECONDS", 60)) if min_age is None else min_age
    held = _held_task_ids(current_app)
    if held is None:
        return 0
    restored = 0
    with current_app.connection_for_write() as connection:
        channel: Any = connection.default_channel  # kombu's Redis channel (the stubs know only StdChannel)
        client, qos = channel.client, channel.qos
        for tag in client.zrangebyscore(channel.unacked_index_key, 0, time.time() - age)[:1000]:
            tag = tag.decode() if isinstance(tag, bytes) else tag
            payload = client.hget(channel.unacked_key, tag)
            if payload is None:
                continue
            message = json.loads(payload)[0]
            headers = message.get("headers") or {}
            task_id = headers.get("id") or (message.get("properties") or {}).get("correlation_id")
            if str(task_id) in held:
                continue
            qos.restore_by_tag(tag, client=client)
            restored += 1
    if restored:
        logger.warning("restored %s unacknowledged message(s) no live worker holds", restored)
    return restored


@shared_task(name="portal.restore_orphaned_messages")
def restore_orphaned_messages() -> int:
    """Beat (``ORPHAN_SWEEP_SECONDS``): :func:`unacked_orphans_restore`."""
    return unacked_orphans_restore()
