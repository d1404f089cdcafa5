"""The orphan sweep restores only what it can prove no live worker holds: a worker that answers one of
the three inspections and not another (late on a loaded machine) makes the whole answer unknown, and
nothing is restored. A stand-in for Celery's inspection (error handling; the real sweep is exercised
against Redis and prefork workers in ``tests/reliability/test_orphaned_messages.py``)."""

from __future__ import annotations

import pytest

from portal.tasks import _held_task_ids

ACTIVE = {"w1@host": [{"id": "running"}]}
RESERVED = {"w1@host": [{"id": "prefetched"}]}
SCHEDULED = {"w1@host": [{"request": {"id": "eta-sweep"}}]}


class _Inspect:
    def __init__(self, active, reserved, scheduled) -> None:
        self._answers = {"active": active, "reserved": reserved, "scheduled": scheduled}

    def __getattr__(self, name):
        return lambda: self._answers[name]


class _App:
    def __init__(self, *answers) -> None:
        self.control = type("Control", (), {"inspect": lambda _self, timeout: _Inspect(*answers)})()


def test_it_collects_every_task_the_workers_hold():
    assert _held_task_ids(_App(ACTIVE, RESERVED, SCHEDULED)) == {"running", "prefetched", "eta-sweep"}


@pytest.mark.parametrize(
    "answers",
    [
        (None, RESERVED, SCHEDULED),
        (ACTIVE, None, SCHEDULED),
        (ACTIVE, RESERVED, None),
        (ACTIVE, RESERVED, {}),
        ({**ACTIVE, "w2@host": []}, RESERVED, SCHEDULED),
    ],
    ids=["no-active", "no-reserved", "no-scheduled", "scheduled-empty", "one-worker-late"],
)
def test_it_knows_nothing_when_a_worker_misses_one_of_the_inspections(answers):
    assert _held_task_ids(_App(*answers)) is None
