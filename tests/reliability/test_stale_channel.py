"""The kombu 5.7.0 workaround of ``portal.celery`` (issue 18 item 1): a Redis channel whose connection
was closed answers a connection error, which Celery handles, instead of the ``AttributeError`` on
``hostname`` that stopped the worker ("Unrecoverable error")."""

from __future__ import annotations

import pytest
import redis
from kombu import Connection
from kombu.transport import redis as transport

import portal.celery  # noqa: F401  (installs the guard)


def _stale_channel() -> transport.Channel:
    """A channel as the consumer leaves it after a lost connection: its transport, whose client the
    closed ``kombu.Connection`` set to None (``Connection._do_close_transport``)."""
    connection = Connection("redis://127.0.0.1:1/0")
    channel = transport.Channel.__new__(transport.Channel)
    channel.connection = connection.transport
    connection._close()
    assert channel.connection.client is None
    channel._pool = channel._async_pool = None
    return channel


def test_a_stale_channel_raises_a_connection_error_celery_handles():
    channel = _stale_channel()
    with pytest.raises(redis.exceptions.ConnectionError):
        channel._connparams()
    assert issubclass(redis.exceptions.ConnectionError, transport.Transport.connection_errors)


def test_a_stale_transport_says_it_cannot_batch_instead_of_failing():
    connection = Connection("redis://127.0.0.1:1/0")
    stale = connection.transport
    connection._close()
    assert stale.supports_batch_publish is False


def test_a_live_channel_still_builds_its_connection_parameters():
    connection = Connection("redis://127.0.0.1:1/0")
    channel = transport.Channel.__new__(transport.Channel)
    channel.connection = connection.transport
    assert channel._connparams()["port"] == 1
