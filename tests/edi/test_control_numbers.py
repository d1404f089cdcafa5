"""Control numbers (ISA13, GS06) come from a database counter and are never handed out twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from edi.services import control_number_allocate


@pytest.mark.django_db(transaction=True)
def test_it_never_hands_out_the_same_control_number_to_concurrent_allocations():
    workers, each = 6, 15
    results: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(workers)
    lock = threading.Lock()

    def allocate() -> None:
        try:
            start.wait()
            mine = [control_number_allocate() for _ in range(each)]
            with lock:
                results.extend(mine)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(results) == workers * each
    assert sorted(results) == list(range(1, workers * each + 1))
