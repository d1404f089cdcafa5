"""The Celery application. Settings come from Django's settings (``CELERY_*``).

:func:`guard_stale_redis_channels` works around kombu 5.7.0 (issue 18 item 1): once a consumer's
connection to Redis is lost and closed, kombu's Redis channels of that connection still hold their
transport, whose ``client`` the closed ``kombu.Connection`` has set to ``None``. Anything that later
needs a new Redis connection pool on such a channel (acknowledging or restoring a message it delivered,
the unacked-restore timer) reads ``transport.client.hostname`` in ``Channel._connparams`` and raises
``AttributeError("'NoneType' object has no attribute 'hostname'")``. That error is not one of the
transport's connection errors, so the worker's consumer does not reconnect: it stops with "Unrecoverable
error" and the worker exits (code 1). The guard turns it into the ``redis.ConnectionError`` it is, which
Celery handles (the ack is logged as lost, the consumer reconnects; the message is delivered again).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def guard_stale_redis_channels() -> None:
    try:
        from kombu.transport import redis as kombu_redis
    except ImportError:  # pragma: no cover - the redis extra is a dependency
        return
    transport: Any = kombu_redis  # what is patched is kombu's private, untyped internals
    if transport.redis is None or getattr(transport.Channel._connparams, "portal_guard", False):
        return
    connparams = transport.Channel._connparams

    def _connparams(self, asynchronous=False):
        owner = self.connection
        if owner is None or owner.client is None:
            raise transport.redis.exceptions.ConnectionError("this channel's broker connection is closed")
        return connparams(self, asynchronous=asynchronous)

    _connparams.portal_guard = True  # type: ignore[attr-defined]  # a mark on the function: patched once
    transport.Channel._connparams = _connparams
    batch = transport.Transport.supports_batch_publish

    def supports_batch_publish(self) -> bool:
        return self.client is not None and batch.fget(self)

    transport.Transport.supports_batch_publish = property(supports_batch_publish)


guard_stale_redis_channels()

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def look_for_orphaned_messages(sender=None, **kwargs) -> None:
    """A worker that starts (perhaps in place of one that was killed) has the orphan sweep run soon:
    the messages the dead worker held go back to their queue without waiting for beat."""
    try:
        app.send_task("portal.restore_orphaned_messages", countdown=5)
    except Exception:  # noqa: BLE001 - the broker is down: beat's sweep does it later
        pass
