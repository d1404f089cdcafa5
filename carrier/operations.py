"""Every call the portal makes to the carrier, one way, and the one retry policy of the tasks that make them.

:func:`carrier_call` is the pattern of every write (create group, finalize, the group's changes, member
validations, the 834 upload):

1. the caller opens the operation (``carrier.services.operation_for``: the OPEN row of its kind and
   subject, with the idempotency key every retry reuses) when the call needs one;
2. ``call(client)`` on a client opened for it and closed after it;
3. ``CarrierTransientError``: ``unavailable(exc)`` (release a claim, say "retrying"), then the error
   propagates and the task retries later with the same key;
4. a permanent refusal (``CarrierPermanentError``: 422 rules, 409, another 4xx, a body the client will
   not send): the operation is FAILED (a corrected request is a new operation) and ``refused(exc)``
   says what it means for the record (errors beside the fields, NEEDS_ATTENTION, ...);
5. the answer: the operation SUCCEEDED and ``succeeded(answer)`` in ONE transaction, so a worker dying in
   between leaves the operation open and the redelivered task replays the same key (never twice).

Retries, in two levels and no more: the client retries one call itself, within one task attempt
(``HUMANA_API_MAX_ATTEMPTS`` attempts, exponential backoff with jitter, ``Retry-After`` honoured up to a
minute: a blip); when it gives up the task retries after :meth:`RetryPolicy.countdown` (an outage), until
the policy's retries are used up and ``gave_up`` records it (NEEDS_ATTENTION, CARRIER_UNREACHABLE, ...).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload

from django.conf import settings
from django.db import connection, transaction

from . import client as carrier_client
from .errors import CarrierPermanentError, CarrierTransientError
from .models import CarrierOperation
from .services import operation_mark_failed, operation_mark_succeeded

logger = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


class Answer(Protocol):
    """A parsed carrier answer (a ``carrier.schemas`` model): what the operation stores."""

    def model_dump(self, *, mode: str = ..., by_alias: bool = ...) -> dict[str, Any]: ...


A = TypeVar("A", bound=Answer)
Opener = Callable[[], Any]


@contextmanager
def carrier_session(opener: Opener | None = None) -> Iterator[Any]:
    """A client for one piece of work, closed after it (``carrier.client.get_client`` unless ``opener``)."""
    client = (opener or carrier_client.get_client)()
    try:
        yield client
    finally:
        close = getattr(client, "close", None)  # a stand-in client of a test may have nothing to close
        if close is not None:
            close()


@contextmanager
def claim_kept(renew: Callable[[], object], *, every: float) -> Iterator[None]:
    """A claim as a lease: while the work inside runs, a thread calls ``renew()`` (move the claim's time
    to now) every ``every`` seconds, so a live worker keeps its claim however slow the carrier is, and a
    killed one (the thread dies with it) lets go a claim's length after its last renewal."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(max(every, 0.5)):
                try:
                    renew()
                except Exception:  # a database blip: the next beat tries again
                    logger.warning("claim not renewed", exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name="claim-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@overload
def carrier_call(
    call: Callable[[Any], A],
    *,
    succeeded: Callable[[A], R],
    refused: Callable[[Exception], R],
    operation: CarrierOperation,
    unavailable: Callable[[CarrierTransientError], object] | None = None,
    also_refused: tuple[type[Exception], ...] = (),
    client: Any = None,
    opener: Opener | None = None,
) -> R: ...


@overload
def carrier_call(  # no operation: a read, whose answer is not stored (any value)
    call: Callable[[Any], T],
    *,
    succeeded: Callable[[T], R],
    refused: Callable[[Exception], R],
    operation: None = None,
    unavailable: Callable[[CarrierTransientError], object] | None = None,
    also_refused: tuple[type[Exception], ...] = (),
    client: Any = None,
    opener: Opener | None = None,
) -> R: ...


def carrier_call(
    call: Callable[[Any], Any],
    *,
    succeeded: Callable[[Any], R],
    refused: Callable[[Exception], R],
    operation: CarrierOperation | None = None,
    unavailable: Callable[[CarrierTransientError], object] | None = None,
    also_refused: tuple[type[Exception], ...] = (),
    client: Any = None,
    opener: Opener | None = None,
) -> R:
    """Make one call and record its outcome (the module's five steps). ``client``: one already open (a
    run of several calls); ``also_refused``: the client's own refusals to send (``ValueError``) that end
    the operation like the carrier's."""
    refusals: tuple[type[Exception], ...] = (CarrierPermanentError, *also_refused)
    with carrier_session(opener) if client is None else nullcontext(client) as session:
        try:
            answer = call(session)
        except CarrierTransientError as exc:
            if unavailable is not None:
                unavailable(exc)
            raise
        except refusals as exc:
            if operation is not None:
                operation_mark_failed(operation=operation, error=str(exc))
            return refused(exc)
    with transaction.atomic():
        if operation is not None:
            response = answer.model_dump(mode="json", by_alias=True)
            operation_mark_succeeded(operation=operation, response=response)
        return succeeded(answer)


# ------------------------------------------------------------------------------------------ retries


@dataclass(frozen=True)
class RetryPolicy:
    """How a task retries work the carrier did not answer: the n-th retry waits ``countdowns[n]`` (the
    last repeats), never sooner than the carrier's ``Retry-After``; after ``max_retries`` it gives up."""

    name: str
    countdowns: tuple[float, ...]
    max_retries: int

    def countdown(self, retries: int, retry_after: float | None = None) -> float:
        wait = self.countdowns[min(retries, len(self.countdowns) - 1)]
        return max(wait, math.ceil(retry_after)) if retry_after else wait

    def retry(
        self, task: Any, exc: CarrierTransientError, *, gave_up: Callable[[int, CarrierTransientError], R]
    ) -> R:
        """Raise the task's retry after the next countdown; once the retries are used up, return
        ``gave_up(attempts, exc)`` (what records that the carrier stayed unavailable)."""
        retries = task.request.retries
        if retries >= self.max_retries:
            return gave_up(retries + 1, exc)
        wait = self.countdown(retries, exc.retry_after)
        logger.info("%s: carrier unavailable (%s), retry %s in %ss", task.name, exc.code, retries + 1, wait)
        raise task.retry(exc=exc, countdown=wait) from exc


def doubling(first: float, most: float, steps: int) -> tuple[float, ...]:
    """``first``, twice that, … capped at ``most``: ``steps`` countdowns."""
    return tuple(min(first * 2**n, most) for n in range(max(steps, 1)))


def retry_policy(name: str) -> RetryPolicy:
    """The retry policy of each kind of carrier work (every number a setting):

    * ``group``: a group's create, finalize and changes, and the book sync: ``GROUP_CREATE_RETRY_COUNTDOWNS``
      (5, 15, 45, 120, 300, 600 s), ``GROUP_CREATE_MAX_RETRIES`` (8);
    * ``members``: validations and withdrawals: 2, 4, 8 … s up to 300, ``MEMBERS_VALIDATE_MAX_RETRIES`` (8);
    * ``upload_834``: ``EDI_UPLOAD_RETRY_FIRST_SECONDS`` doubling up to ``EDI_POLL_MAX_SECONDS``,
      ``EDI_UPLOAD_MAX_RETRIES``.
    """
    if name == "group":
        countdowns = tuple(getattr(settings, "GROUP_CREATE_RETRY_COUNTDOWNS", (5, 15, 45, 120, 300, 600)))
        return RetryPolicy(name, countdowns, int(getattr(settings, "GROUP_CREATE_MAX_RETRIES", 8)))
    if name == "members":
        most = int(getattr(settings, "MEMBERS_VALIDATE_MAX_RETRIES", 8))
        return RetryPolicy(name, doubling(2, 300, 10), most)
    if name == "upload_834":
        most = int(settings.EDI_UPLOAD_MAX_RETRIES)
        steps = doubling(settings.EDI_UPLOAD_RETRY_FIRST_SECONDS, settings.EDI_POLL_MAX_SECONDS, most + 1)
        return RetryPolicy(name, steps, most)
    raise ValueError(f"no retry policy named {name!r}")
