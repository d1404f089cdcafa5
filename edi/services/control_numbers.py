"""Interchange and group control numbers (ISA13, GS06): one counter row, incremented atomically,
committed before a number is used, never handed out twice."""

from __future__ import annotations

import time

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F

from ..models import ControlNumberSequence

SEQUENCE_NAME = "interchange"


MAX_CONTROL_NUMBER = 999_999_999


def control_number_allocate(*, name: str = SEQUENCE_NAME) -> int:
    """The next control number (ISA13 and GS06), committed before it is used: never handed out twice.

    The counter row is incremented with an atomic ``UPDATE … SET last_value = last_value + 1`` and read
    back in the same transaction, which is safe on PostgreSQL (the row lock serialises) and SQLite (the
    database lock does). Call it outside any open transaction so that the number stays used up even if
    what follows fails.
    """
    last_error: Exception | None = None
    for attempt in range(20):
        try:
            with transaction.atomic():
                ControlNumberSequence.objects.get_or_create(name=name)
                ControlNumberSequence.objects.filter(name=name).update(last_value=F("last_value") + 1)
                value = (
                    ControlNumberSequence.objects.filter(name=name).values_list("last_value", flat=True).get()
                )
        except IntegrityError as exc:  # two first allocations raced to create the row
            last_error = exc
            continue
        except OperationalError as exc:  # SQLite: "database is locked" under heavy contention
            last_error = exc
            time.sleep(0.01 * (attempt + 1))
            continue
        if value > MAX_CONTROL_NUMBER:
            raise RuntimeError("the interchange control numbers are used up (999999999)")
        return value
    raise RuntimeError(f"could not allocate a control number: {last_error}")
