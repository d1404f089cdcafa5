"""The 999 implementation acknowledgment the carrier returns for a received 834.

api.md: the 999 reports X12 compliance only, ``R`` when FIL-004 or FIL-005 failed and
``A`` otherwise (business rejections are in the status body). Segment errors are listed
as IK3 with their IK4 element errors.

pyx12 can write a 999 itself, but it stamps the wall clock and a *random* control number
into it; the carrier needs its own increasing control numbers and a reproducible document,
so this module writes the 999 from the issues ``validate`` collected, with the writer's
segment sink (which refuses any value that would break the X12 structure).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime

from groupsales.codes import SENDER_ID_PATTERN

from .parser import ParsedInterchange
from .validate import Issue, X12Issue
from .writer import VERSION, SegmentSink, isa_segment

ACK_VERSION = "005010X231A1"
REJECTING_RULES = frozenset({"FIL-004", "FIL-005"})

_IK3_CODES = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"})
_IK4_CODES = frozenset(
    {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13", "I10", "I11", "I12", "I13", "I6", "I9"}
)
_IK5_CODES = frozenset({"1", "2", "3", "4", "5", "6", "7", "23"})
_AK9_CODES = frozenset({"1", "2", "3", "4", "5", "6"})
_UNSAFE = re.compile(r"[*:^~\r\n]|[^\x20-\x7e]")


def ack_code(issues: Sequence[Issue]) -> str:
    """``R`` when a FIL-004 or FIL-005 issue is present, else ``A``."""
    return "R" if any(i.code in REJECTING_RULES for i in issues) else "A"


def _safe(value: str | None, limit: int) -> str:
    """A value copied from the received file, made safe for our delimiters."""
    return _UNSAFE.sub("", value or "")[:limit].strip()


def _segment_errors(parsed: ParsedInterchange, x12_issues: Sequence[X12Issue]) -> list[tuple[X12Issue, list]]:
    """Group pyx12's segment and element issues by segment, in file order."""
    st = parsed.first("ST")
    st_line = st.line if st else 1
    grouped: dict[int, tuple[X12Issue, list[X12Issue]]] = {}
    for issue in x12_issues:
        if issue.level not in ("segment", "element") or issue.line is None or issue.line <= st_line:
            continue
        head, elements = grouped.setdefault(issue.line, (issue, []))
        if issue.level == "element":
            elements.append(issue)
        elif head.level == "element":
            grouped[issue.line] = (issue, elements)
    return [grouped[line] for line in sorted(grouped)]


def build_999(
    parsed: ParsedInterchange,
    issues: Sequence[Issue],
    x12_issues: Sequence[X12Issue],
    *,
    partner_id: str,
    interchange_control_number: int,
    group_control_number: int,
    created_at: datetime,
    carrier_id: str = "HUMANAGS",
    usage_indicator: str | None = None,
    newline_after_segment: bool = True,
) -> str:
    """The 999 for ``parsed``, from the carrier (``carrier_id``) to the partner (``partner_id``).

    ``issues`` are the file's FIL issues (deciding ``A`` or ``R``); ``x12_issues`` are
    pyx12's, giving the IK3/IK4 detail and the IK5/AK9 codes. Control numbers are the
    carrier's own; the usage indicator follows the received file unless given.
    """
    if not re.match(SENDER_ID_PATTERN, partner_id) or not re.match(SENDER_ID_PATTERN, carrier_id):
        raise ValueError("partner and carrier IDs must match the sender ID pattern")
    usage = usage_indicator or (parsed.usage_indicator if parsed.usage_indicator in ("T", "P") else "T")
    code = ack_code(issues)
    out = io.StringIO()
    sink = SegmentSink(out, newline_after_segment)
    sink.raw(isa_segment(carrier_id, partner_id, created_at, interchange_control_number, usage))
    sink.segment(
        "GS", "FA", carrier_id, partner_id, created_at.strftime("%Y%m%d"), created_at.strftime("%H%M"),
        str(group_control_number), "X", ACK_VERSION,
    )  # fmt: skip
    sink.segment("ST", "999", "0001", ACK_VERSION)
    sink.in_transaction = 1
    gs, st = parsed.first("GS"), parsed.first("ST")
    sink.segment("AK1", "BE", _safe(gs.element(6) if gs else "", 9) or "0", VERSION)
    sink.segment("AK2", "834", _safe(st.element(2) if st else "", 9) or "0001", VERSION)

    for head, elements in _segment_errors(parsed, x12_issues):
        ik3_code = head.code if head.level == "segment" and head.code in _IK3_CODES else "8"
        st_line = st.line if st else 1
        position = head.position_in_set or (head.line or st_line) - st_line + 1
        seg_id = _safe(head.segment_id, 3) or "UNK"
        sink.segment("IK3", seg_id, str(position), _safe(head.loop_id, 4), ik3_code)
        for ele in elements:
            if ele.element_position is None:
                continue
            where = str(ele.element_position)
            if ele.component_position:
                where += f":{ele.component_position}"
            sink.segment(
                "IK4", where, _safe(ele.element_ref, 4),
                ele.code if ele.code in _IK4_CODES else "7", _safe(ele.bad_value, 99),
            )  # fmt: skip

    transaction_codes = {i.code for i in x12_issues if i.level == "transaction" and i.code in _IK5_CODES}
    if any(i.level in ("segment", "element") for i in x12_issues) or any(i.code == "FIL-005" for i in issues):
        transaction_codes.add("5")
    ik5 = sorted(transaction_codes, key=lambda c: int(c))[:5] if code == "R" else []
    sink.segment("IK5", code, *ik5)

    group_codes = sorted({i.code for i in x12_issues if i.level == "group" and i.code in _AK9_CODES})[:5]
    sets = len(parsed.all("ST"))
    ge = parsed.first("GE")
    stated = ge.element(1) if ge and ge.element(1).isdigit() else str(sets)
    accepted = 0 if code == "R" else sets
    sink.segment("AK9", code, stated, str(sets), str(accepted), *(group_codes if code == "R" else []))
    sink.segment("SE", str(sink.in_transaction + 1), "0001")
    sink.in_transaction = 0
    sink.segment("GE", "1", str(group_control_number))
    sink.segment("IEA", "1", f"{interchange_control_number:09d}")
    return out.getvalue()
