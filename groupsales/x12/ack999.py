"""The 999 implementation acknowledgment (and the TA1) the carrier returns for a received 834.

api.md: the 999 reports X12 compliance only, ``R`` when FIL-004 or FIL-005 failed and ``A`` otherwise
(business rejections are in the status body). As 005010X231A1 has it:

- one 999 transaction set per functional group received (AK1 echoes GS01, GS06 and GS08), one AK2/IK5
  per transaction set of that group (AK2 echoes ST01, ST02 and ST03); IK3/IK4 name each segment and
  element in error, IK4's position as the composite C030 (``6:1`` for INS06's first component);
- every rejection carries its reason: IK502… on an ``IK5*R``, AK905… on an ``AK9*R``;
- an error of the interchange envelope itself (ISA, IEA) is a TA1 (``R`` with its TA105 note code), and
  the groups of a rejected interchange are not acknowledged; ISA14 ``1`` asks for a TA1 in any case.
  A body without any functional group gets the TA1 alone, never an invented AK1/AK2.

pyx12 can write a 999 itself, but it stamps the wall clock and a *random* control number into it (and
leaves SE01 and GE01 empty); the carrier needs its own increasing control numbers and a reproducible
document, so this module writes the 999 from the issues ``validate`` collected, with the writer's segment
sink (which refuses any value that would break the X12 structure). Every value copied from the received
file is checked against what its 999 element allows and left out (or replaced by the code that says it
is wrong) when it does not fit, so the 999 is valid X12 whatever was received.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from groupsales.codes import SENDER_ID_PATTERN

from .issues import Issue, X12Issue
from .parser import ParsedInterchange, Segment
from .validate import CONTROL_CODES
from .writer import COMPONENT, SegmentSink, isa_segment

ACK_VERSION = "005010X231A1"
REJECTING_RULES = frozenset({"FIL-004", "FIL-005"})

_IK3_CODES = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"})
_IK4_CODES = frozenset(
    {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "I10", "I11", "I12", "I13", "I6",
     "I9"}
)  # fmt: skip
_IK5_CODES = frozenset(
    {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "15", "16", "17", "18", "19", "23",
     "24", "25", "26", "27", "I5", "I6"}
)  # fmt: skip
_AK9_CODES = frozenset(
    {"1", "2", "3", "4", "5", "6", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "23", "24",
     "25", "26"}
)  # fmt: skip
_TA1_CODES = frozenset(f"{n:03d}" for n in range(32))
# The code lists of the 999 (005010X231A1) for the values it echoes.
_AK101_CODES = frozenset({"BE", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "RA"})
_AK201_CODES = frozenset({"270", "271", "276", "277", "278", "820", "834", "835", "837"})
# Which trailer or header element in error gives which IK5 / AK9 / TA1 reason.
_SET_ELEMENT_CODES = {("ST", 1): "6", ("ST", 2): "7", ("ST", 3): "I6", ("SE", 1): "4", ("SE", 2): "3"}
_GROUP_ELEMENT_CODES = {("GS", 6): "6", ("GS", 8): "2", ("GE", 1): "5", ("GE", 2): "4"}
_ISA_ELEMENT_CODES = {
    1: "010", 2: "011", 3: "012", 4: "013", 5: "005", 6: "006", 7: "007", 8: "008", 9: "014", 10: "015",
    11: "016", 12: "017", 13: "018", 14: "019", 15: "020", 16: "027",
}  # fmt: skip
_IEA_ELEMENT_CODES = {1: "021", 2: "001"}
# Our own control-number checks (FIL-004, validate.control_issues), by the trailer they are about.
_CONTROL_MESSAGES = (("SE01", "SE", "4"), ("SE02", "SE", "3"), ("GE01", "GE", "5"), ("GE02", "GE", "4"),
                     ("IEA01", "IEA", "021"), ("IEA02", "IEA", "001"))  # fmt: skip
_UNSAFE = re.compile(r"[*:^~\r\n]|[^\x20-\x7e]")


def ack_code(issues: Sequence[Issue]) -> str:
    """``R`` when a FIL-004 or FIL-005 issue is present, else ``A``."""
    return "R" if any(i.code in REJECTING_RULES for i in issues) else "A"


def _safe(value: str | None, limit: int) -> str:
    """A value copied from the received file, made safe for our delimiters."""
    return _UNSAFE.sub("", value or "")[:limit].strip()


def _an(value: str | None, low: int, high: int) -> str:
    """``value`` when it is a usable AN/ID value of ``low`` to ``high`` characters, else ``""``."""
    safe = _safe(value, high)
    return safe if len(safe) >= low else ""


# --------------------------------------------------------------------------- the file's envelope


@dataclass
class _Set:
    st: Segment
    se: Segment | None = None
    end: int = 0  # the last line that belongs to the set
    codes: set[str] = field(default_factory=set)
    segment_issues: list[X12Issue] = field(default_factory=list)
    rejected: bool = False


@dataclass
class _Group:
    gs: Segment
    ge: Segment | None = None
    sets: list[_Set] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)


def _envelope(parsed: ParsedInterchange) -> tuple[list[_Group], bool]:
    """The functional groups and their transaction sets as received, and whether anything sat outside."""
    groups: list[_Group] = []
    group: _Group | None = None
    current: _Set | None = None
    stray = False
    last = len(parsed.segments)
    for seg in parsed.segments[1:]:
        if seg.id in ("GS", "ST", "GE", "IEA", "ISA") and current is not None and seg.id != "SE":
            current.end = seg.line - 1  # a set without its SE ends before the next envelope segment
            current.codes.add("2")
            current = None
        if seg.id == "GS":
            group = _Group(seg)
            groups.append(group)
        elif seg.id == "ST":
            if group is None:
                stray = True
                continue
            current = _Set(seg)
            group.sets.append(current)
        elif seg.id == "SE" and current is not None:
            current.se, current.end = seg, seg.line
            current = None
        elif seg.id == "GE" and group is not None:
            group.ge = seg
            group = None
        elif seg.id in ("ISA", "IEA"):
            if group is not None:
                group.codes.add("3")  # the GE trailer is missing
            group = None
            stray = stray or seg.id == "ISA"
        elif current is None and seg.id not in ("SE", "GE"):
            stray = True
    if current is not None:
        current.end, current.codes = last, current.codes | {"2"}
    if group is not None:
        group.codes.add("3")
    return groups, stray


def _set_of(groups: list[_Group], line: int | None) -> _Set | None:
    if line is None:
        return None
    for group in groups:
        for s in group.sets:
            if s.st.line <= line <= (s.end or s.st.line):
                return s
    return None


def _group_of(groups: list[_Group], line: int | None) -> _Group | None:
    if line is None:
        return None
    for group in groups:
        end = group.ge.line if group.ge else (group.sets[-1].end if group.sets else group.gs.line)
        if group.gs.line <= line <= end:
            return group
    return groups[-1] if groups else None


def _place_x12(groups: list[_Group], x12_issues: Sequence[X12Issue], ta1: set[str]) -> None:
    """Each pyx12 finding to the set, group or interchange it is about, as a 999 or TA1 code."""
    for issue in x12_issues:
        seg_id = issue.segment_id or ""
        level = {"ISA": "interchange", "IEA": "interchange", "GS": "group", "GE": "group"}.get(
            seg_id, "transaction" if seg_id in ("ST", "SE") and issue.element_position else issue.level
        )
        if level == "interchange":
            if issue.element_position and seg_id == "ISA":
                ta1.add(_ISA_ELEMENT_CODES.get(issue.element_position, "022"))
            elif issue.element_position and seg_id == "IEA":
                ta1.add(_IEA_ELEMENT_CODES.get(issue.element_position, "022"))
            else:
                ta1.add(issue.code if issue.code in _TA1_CODES else "022")
        elif level == "group":
            group = _group_of(groups, issue.line)
            if group is None:
                ta1.add("024")
            elif issue.element_position:
                group.codes.add(_GROUP_ELEMENT_CODES.get((seg_id, issue.element_position), "1"))
            else:
                group.codes.add(issue.code if issue.code in _AK9_CODES else "1")
        else:
            target = _set_of(groups, issue.line)
            if target is None:
                if issue.line is not None and _group_of(groups, issue.line) is None:
                    ta1.add("024")  # a segment outside any functional group
                elif groups:
                    (_group_of(groups, issue.line) or groups[-1]).codes.add("1")
                continue
            target.rejected = True
            if level == "transaction":
                if issue.element_position:
                    target.codes.add(_SET_ELEMENT_CODES.get((seg_id, issue.element_position), "5"))
                else:
                    target.codes.add(issue.code if issue.code in _IK5_CODES else "5")
            elif target.st.line < (issue.line or 0) and not (target.se and issue.line == target.se.line):
                target.segment_issues.append(issue)
                target.codes.add("5")
            else:
                target.codes.add("5")


def _control_target(issue: Issue) -> tuple[str, str]:
    """The segment (SE, GE, IEA) a FIL-004 finding is about, and the 999/TA1 code that names it."""
    for name, seg_id, code in _CONTROL_MESSAGES:
        if issue.message.startswith(name):
            return seg_id, code
    segment = issue.segment or ""
    return segment, {"SE": "2", "GE": "3", "IEA": "023"}.get(segment, "")


def _place_fil(groups: list[_Group], issues: Sequence[Issue], ta1: set[str]) -> None:
    """Our own FIL-004 (control numbers and counts) and lexical FIL-005 findings, where pyx12's miss them."""
    for issue in issues:
        if issue.code not in REJECTING_RULES:
            continue
        if issue.code == "FIL-004":
            seg_id, code = _control_target(issue)
            if seg_id == "IEA" and code:
                ta1.add(code)
            elif seg_id == "GE":
                group = _group_of(groups, issue.line)
                if group is not None and code:
                    group.codes.add(code)
            elif seg_id == "SE":
                target = _set_of(groups, issue.line)
                if target is not None and code:
                    target.rejected = True
                    target.codes.add(code)
            continue
        target = _set_of(groups, issue.line)  # FIL-005
        if target is not None:
            target.rejected = True
            target.codes.add("5")
        elif _group_of(groups, issue.line) is None:
            ta1.add("024")


# --------------------------------------------------------------------------- writing


def _write_ik3(sink: SegmentSink, s: _Set) -> None:
    """IK3 per segment in error (file order), each with its IK4 element errors."""
    grouped: dict[int, tuple[X12Issue, list[X12Issue]]] = {}
    for issue in s.segment_issues:
        head, elements = grouped.setdefault(issue.line or 0, (issue, []))
        if issue.level == "element":
            elements.append(issue)
        elif head.level == "element":
            grouped[issue.line or 0] = (issue, elements)
    for line in sorted(grouped):
        head, elements = grouped[line]
        ik3_code = head.code if head.level == "segment" and head.code in _IK3_CODES else "8"
        position = head.position_in_set or line - s.st.line + 1
        seg_id = _an(head.segment_id, 2, 3)
        if not re.fullmatch(r"[A-Z][A-Z0-9]{1,2}", seg_id):
            seg_id = "UNK"
        sink.segment("IK3", seg_id, str(position), _an(head.loop_id, 1, 4), ik3_code)
        for ele in elements:
            if not ele.element_position:
                continue
            where = [str(ele.element_position)]
            if ele.component_position:
                where.append(str(ele.component_position))
            ref = ele.element_ref if (ele.element_ref or "").isdigit() else ""
            sink.composite_segment(
                "IK4",
                COMPONENT.join(where),
                _safe(ref, 4),
                ele.code if ele.code in _IK4_CODES else "7",
                _safe(ele.bad_value, 99),
            )


def _write_set(sink: SegmentSink, s: _Set) -> bool:
    """AK2 … IK5 for one transaction set; ``True`` when it is accepted."""
    ak2_version = _an(s.st.element(3), 1, 35)
    sink.segment("AK2", s.st.element(1), _an(s.st.element(2), 4, 9) or "0000", ak2_version)
    _write_ik3(sink, s)
    if s.rejected or s.codes:
        sink.segment("IK5", "R", *sorted(s.codes or {"5"}, key=_code_order)[:5])
        return False
    sink.segment("IK5", "A")
    return True


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdigit() else (1000, code)


def _write_group(sink: SegmentSink, group: _Group, number: int) -> None:
    """One 999 transaction set for ``group``: ST, AK1, an AK2 loop per set, AK9, SE."""
    control = f"{number:04d}"
    sink.segment("ST", "999", control, ACK_VERSION)
    sink.in_transaction = 1
    gs = group.gs
    gs06 = gs.element(6)  # AK102 is N0 1-9: a GS06 that is no such number is not echoed (AK905 6 says so)
    numeric = re.fullmatch(r"\d{1,9}", gs06) is not None
    sink.segment("AK1", gs.element(1), gs06 if numeric else "0", _an(gs.element(8), 1, 12) or "0")
    if not numeric:
        group.codes.add("6")
    acknowledged = [s for s in group.sets if s.st.element(1) in _AK201_CODES]
    if len(acknowledged) < len(group.sets):
        group.codes.add("1")  # a transaction set the 999 cannot name: not supported
    accepted = sum(_write_set(sink, s) for s in acknowledged)
    stated = group.ge.element(1) if group.ge is not None else ""
    received = len(group.sets)
    if not stated.isdigit():
        group.codes.add("5" if group.ge is not None else "3")
    elif int(stated) != received:
        group.codes.add("5")
    stated_count = str(int(stated)) if stated.isdigit() and len(stated) <= 6 else str(received)
    if group.codes:
        ak9 = ("R", stated_count, str(received), str(accepted), *sorted(group.codes, key=_code_order)[:5])
    elif accepted == received:
        ak9 = ("A", stated_count, str(received), str(accepted))
    else:
        ak9 = ("P" if accepted else "R", stated_count, str(received), str(accepted))
    sink.segment("AK9", *ak9)
    sink.segment("SE", str(sink.in_transaction + 1), control)
    sink.in_transaction = 0


def _ta1(parsed: ParsedInterchange, codes: set[str], created_at: datetime) -> tuple[str, ...]:
    isa = parsed.isa
    control = isa.element(13)
    if not re.fullmatch(r"\d{9}", control):
        control, codes = "000000000", codes | {"018"}
    day, time = isa.element(9), isa.element(10)
    if not re.fullmatch(r"\d{6}", day):
        day, codes = created_at.strftime("%y%m%d"), codes | {"014"}
    if not re.fullmatch(r"\d{4}", time):
        time, codes = created_at.strftime("%H%M"), codes | {"015"}
    if codes:
        return (control, day, time, "R", sorted(codes)[0])
    return (control, day, time, "A", "000")


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
    """The 999 (with a TA1 where X12 calls for one) for ``parsed``, from ``carrier_id`` to ``partner_id``.

    ``issues`` are the file's FIL issues (FIL-004 and FIL-005 reject); ``x12_issues`` are pyx12's, giving
    the IK3/IK4 detail and the IK5, AK9 and TA1 codes. Control numbers are the carrier's own; the usage
    indicator follows the received file unless given.
    """
    if not re.match(SENDER_ID_PATTERN, partner_id) or not re.match(SENDER_ID_PATTERN, carrier_id):
        raise ValueError("partner and carrier IDs must match the sender ID pattern")
    usage = usage_indicator or (parsed.usage_indicator if parsed.usage_indicator in ("T", "P") else "T")
    groups, stray = _envelope(parsed)
    ta1_codes: set[str] = {"024"} if stray else set()
    _place_x12(groups, [i for i in x12_issues if (i.level, i.code) not in CONTROL_CODES], ta1_codes)
    _place_fil(groups, issues, ta1_codes)
    if not groups or any(g.gs.element(1) not in _AK101_CODES for g in groups):
        ta1_codes.add("024")  # nothing a 999 could acknowledge, or a group it cannot name
    out = io.StringIO()
    sink = SegmentSink(out, newline_after_segment)
    sink.raw(isa_segment(carrier_id, partner_id, created_at, interchange_control_number, usage))
    groups_written = 0
    if ta1_codes or parsed.isa.element(14) == "1":
        sink.segment("TA1", *_ta1(parsed, ta1_codes, created_at))
    if not ta1_codes:  # a rejected interchange's groups are not acknowledged
        acknowledged = groups
        if acknowledged:
            sink.segment(
                "GS", "FA", carrier_id, partner_id, created_at.strftime("%Y%m%d"),
                created_at.strftime("%H%M"), str(group_control_number), "X", ACK_VERSION,
            )  # fmt: skip
            for number, group in enumerate(acknowledged, start=1):
                _write_group(sink, group, number)
            sink.segment("GE", str(len(acknowledged)), str(group_control_number))
            groups_written = 1
    sink.segment("IEA", str(groups_written), f"{interchange_control_number:09d}")
    return out.getvalue()
