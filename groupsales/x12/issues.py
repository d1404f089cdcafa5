"""What the 834 checks report: an X12 error pyx12 found, and a business-rules.md FIL rule broken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["interchange", "group", "transaction", "segment", "element"]


@dataclass(frozen=True)
class X12Issue:
    """One error pyx12 found, in words a broker understands (``detail`` is pyx12's own)."""

    line: int | None
    segment_id: str | None
    code: str  # the X12 acknowledgment code: IK304 / IK403 / IK502 / AK905 / TA105
    message: str
    level: Level = "segment"
    detail: str = ""
    element: str | None = None  # e.g. "INS02"
    element_position: int | None = None
    component_position: int | None = None
    element_ref: str | None = None  # data element reference number, e.g. "1069"
    bad_value: str | None = None
    position_in_set: int | None = None  # IK302: segment count from ST
    loop_id: str | None = None


@dataclass(frozen=True)
class Issue:
    """A business-rules.md FIL rule broken, with the line and segment it is about."""

    code: str
    line: int | None
    segment: str | None
    message: str
