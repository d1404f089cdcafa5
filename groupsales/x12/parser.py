"""Read any 834 into segments with line ordinals, and a structured view for the carrier.

Line numbers are the 1-based ordinal of the segment counted from ISA, which is what
api.md's error objects report (and what pyx12 counts). Delimiters come from the ISA:
element separator = character 4, repetition = ISA11, component = ISA16, segment
terminator = the character after ISA16. A newline (or CR LF) after each terminator is
tolerated, as the companion guide allows.

The structured view is lenient on purpose: a missing segment gives ``None`` rather than an
exception, because the carrier must still report *what* is wrong, with its line.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
ISA_LENGTH = 106  # the ISA is fixed width: 105 characters and its terminator


class X12SyntaxError(ValueError):
    """The text is not an X12 interchange whose delimiters can be read from an ISA."""


@dataclass(frozen=True)
class Delimiters:
    element: str
    repetition: str
    component: str
    segment: str


@dataclass(frozen=True)
class Segment:
    """One segment; ``elements[0]`` is the segment ID, so ``element(1)`` is e.g. INS01."""

    line: int
    elements: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.elements[0]

    def element(self, position: int) -> str:
        """The element at ``position`` (1-based), ``""`` when absent (trailing ones are left out)."""
        return self.elements[position] if position < len(self.elements) else ""

    def __str__(self) -> str:
        return "*".join(self.elements)


def detect_delimiters(text: str) -> Delimiters:
    """Read the delimiters from the ISA at the start of ``text``."""
    if not text.startswith("ISA") or len(text) < 4:
        raise X12SyntaxError("the body does not begin with an ISA segment")
    element = text[3]
    # ISA16 follows the 16th element separator; the terminator follows ISA16.
    position = -1
    for _ in range(16):
        position = text.find(element, position + 1)
        if position < 0:
            raise X12SyntaxError("the ISA segment has fewer than 16 elements")
    if position + 2 >= len(text):
        raise X12SyntaxError("the ISA segment is cut short")
    component, segment = text[position + 1], text[position + 2]
    repetition = text[:position].split(element)[11]
    # ISA11 "U" (4010's standards identifier, a habit in many 5010 files) is no separator: the file is
    # read without one, as pyx12 and other readers do, and FIL-003 says what the guide wants instead.
    if len(repetition) != 1 or repetition.isalnum() or repetition == " ":
        repetition = ""
    delimiters = Delimiters(element, repetition, component, segment)
    special = [element, component, segment] + ([repetition] if repetition else [])
    if len(set(special)) != len(special) or any(ch.isalnum() or ch == " " for ch in special):
        raise X12SyntaxError("the ISA delimiters are not distinct special characters")
    return delimiters


def iter_segments(text: str, delimiters: Delimiters | None = None) -> Iterator[Segment]:
    """Segments in order with their ordinals; empty segments (``~~``) are kept as ``('',)``."""
    delimiters = delimiters or detect_delimiters(text)
    pieces = text.split(delimiters.segment)
    if pieces and pieces[-1].strip("\r\n \t") == "":
        pieces.pop()  # what follows the last terminator: nothing, or a newline
    for line, raw in enumerate(pieces, start=1):
        raw = raw.lstrip("\r\n \t")  # a newline after the terminator (some files: a space and a newline)
        yield Segment(line, tuple(raw.split(delimiters.element)))


def parse_d8(value: str) -> date | None:
    """A CCYYMMDD date, or ``None`` when it is not one."""
    if not re.fullmatch(r"[0-9]{8}", value or ""):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))  # strptime costs 20 times as much
    except ValueError:
        return None


@dataclass
class ParsedCoverage:
    """One 2300 loop: HD and its DTP*348."""

    line: int
    insurance_line: str  # HD03: HLT, DEN, VIS
    plan_id: str  # HD04
    tier: str  # HD05
    start_date: date | None = None  # DTP*348
    start_line: int | None = None
    maintenance_type: str = ""  # HD01 (1.1 change files: 021, 001, 024)
    end_date: date | None = None  # DTP*349
    end_line: int | None = None


@dataclass
class ParsedMember:
    """One 2000 loop, from its INS to the segment before the next INS or SE."""

    line: int  # the INS
    segments: list[Segment] = field(default_factory=list)
    subscriber_indicator: str = ""  # INS01
    relationship_code: str = ""  # INS02
    employment_status: str = ""  # INS08
    handicap_indicator: str = ""  # INS10
    maintenance_type: str = ""  # INS03
    maintenance_reason: str = ""  # INS04
    death_date: date | None = None  # INS11 D8 / INS12
    # loop 2000 DTPs by qualifier (336, 337, 356, 357, 303) and their lines
    dates: dict[str, date | None] = field(default_factory=dict)
    date_lines: dict[str, int] = field(default_factory=dict)
    subscriber_ref: str | None = None  # REF*0F
    group_ref: str | None = None  # REF*1L
    member_ref: str | None = None  # REF*ZZ
    hire_date: date | None = None  # DTP*336
    eligibility_begin: date | None = None  # DTP*356
    eligibility_begin_line: int | None = None
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    ssn: str | None = None
    phone: str | None = None
    email: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    county_fips: str | None = None
    birth_date_raw: str = ""
    birth_date: date | None = None
    gender_code: str = ""
    marital_code: str = ""
    tobacco_code: str | None = None  # HLH01
    coverages: list[ParsedCoverage] = field(default_factory=list)

    @property
    def is_subscriber(self) -> bool:
        return self.subscriber_indicator == "Y"

    def line_of(self, segment_id: str, qualifier: str | None = None) -> int:
        """The line of the first ``segment_id`` (with element 1 = ``qualifier``), else the INS line."""
        for seg in self.segments:
            if seg.id == segment_id and (qualifier is None or seg.element(1) == qualifier):
                return seg.line
        return self.line


@dataclass
class ParsedHeader:
    purpose: str = ""  # BGN01
    reference: str = ""  # BGN02
    date: str = ""  # BGN03
    time: str = ""  # BGN04
    original_reference: str = ""  # BGN06
    action: str = ""  # BGN08
    bgn_line: int | None = None
    group_id: str | None = None  # REF*38
    group_id_line: int | None = None
    effective_date: _dt.date | None = None  # DTP*007
    file_date_line: int | None = None  # the DTP*007's line; None: no DTP*007 (1.1: a change file)
    quantities: dict[str, str] = field(default_factory=dict)  # QTY01 -> QTY02
    quantity_lines: dict[str, int] = field(default_factory=dict)
    parties: dict[str, Segment] = field(default_factory=dict)  # N101 -> N1 segment


@dataclass
class ParsedInterchange:
    """Everything the carrier checks, with the segments to point at."""

    text: str
    delimiters: Delimiters
    segments: list[Segment]
    header: ParsedHeader
    members: list[ParsedMember]

    def first(self, segment_id: str) -> Segment | None:
        return next((s for s in self.segments if s.id == segment_id), None)

    def last(self, segment_id: str) -> Segment | None:
        return next((s for s in reversed(self.segments) if s.id == segment_id), None)

    def all(self, segment_id: str) -> list[Segment]:
        return [s for s in self.segments if s.id == segment_id]

    @property
    def isa(self) -> Segment:
        return self.segments[0]

    @property
    def sender_id(self) -> str:
        return self.isa.element(6).strip()

    @property
    def receiver_id(self) -> str:
        return self.isa.element(8).strip()

    @property
    def interchange_control_number(self) -> str:
        return self.isa.element(13)

    @property
    def usage_indicator(self) -> str:
        return self.isa.element(15)

    @property
    def is_change_file(self) -> bool:
        """1.1: a file without a header DTP*007 is a change file."""
        return self.header.file_date_line is None


def _apply_member_segment(member: ParsedMember, seg: Segment) -> None:
    sid, el = seg.id, seg.element
    if sid == "INS":
        member.subscriber_indicator = el(1)
        member.relationship_code = el(2)
        member.employment_status = el(8)
        member.handicap_indicator = el(10)
        member.maintenance_type, member.maintenance_reason = el(3), el(4)
        member.death_date = parse_d8(el(12)) if el(11) == "D8" else None
    elif sid == "REF":
        attr = {"0F": "subscriber_ref", "1L": "group_ref", "ZZ": "member_ref"}.get(el(1))
        if attr and getattr(member, attr) is None:
            setattr(member, attr, el(2))
    elif sid == "DTP":
        when = parse_d8(el(3)) if el(2) == "D8" else None
        if el(1) in ("336", "337", "356", "357", "303") and not member.coverages:
            member.dates.setdefault(el(1), when)
            member.date_lines.setdefault(el(1), seg.line)
        if el(1) == "336":
            member.hire_date = when
        elif el(1) == "356":
            member.eligibility_begin, member.eligibility_begin_line = when, seg.line
        elif el(1) == "348" and member.coverages:
            member.coverages[-1].start_date, member.coverages[-1].start_line = when, seg.line
        elif el(1) == "349" and member.coverages:
            member.coverages[-1].end_date, member.coverages[-1].end_line = when, seg.line
    elif sid == "NM1" and el(1) == "IL":
        member.last_name, member.first_name, member.middle_name = el(3), el(4), el(5)
        member.suffix = el(7)
        member.ssn = el(9) if el(8) == "34" and el(9) else None
    elif sid == "PER":
        pairs = dict(zip(seg.elements[3::2], seg.elements[4::2], strict=False))
        member.phone, member.email = pairs.get("HP"), pairs.get("EM")
    elif sid == "N3":
        member.address_line1, member.address_line2 = el(1), el(2) or None
    elif sid == "N4":
        member.city, member.state, member.postal_code = el(1), el(2), el(3)
        member.county_fips = el(6) if el(5) == "CY" else None
    elif sid == "DMG":
        member.birth_date_raw = el(2)
        member.birth_date = parse_d8(el(2)) if el(1) == "D8" else None
        member.gender_code, member.marital_code = el(3), el(4)
    elif sid == "HLH":
        member.tobacco_code = el(1)
    elif sid == "HD":
        member.coverages.append(ParsedCoverage(seg.line, el(3), el(4), el(5), maintenance_type=el(1)))


def _apply_header_segment(header: ParsedHeader, seg: Segment) -> None:
    sid, el = seg.id, seg.element
    if sid == "BGN":
        header.purpose, header.reference, header.date, header.time = el(1), el(2), el(3), el(4)
        header.original_reference, header.action, header.bgn_line = el(6), el(8), seg.line
    elif sid == "REF" and el(1) == "38":
        header.group_id, header.group_id_line = el(2), seg.line
    elif sid == "DTP" and el(1) == "007":
        header.effective_date = parse_d8(el(3)) if el(2) == "D8" else None
        header.file_date_line = seg.line
    elif sid == "QTY":
        header.quantities[el(1)] = el(2)
        header.quantity_lines[el(1)] = seg.line
    elif sid == "N1":
        header.parties.setdefault(el(1), seg)


def parse_834(text: str) -> ParsedInterchange:
    """Segments and the structured view of an 834; raises ``X12SyntaxError`` without an ISA."""
    delimiters = detect_delimiters(text)
    segments = list(iter_segments(text, delimiters))
    header = ParsedHeader()
    members: list[ParsedMember] = []
    in_transaction = False
    for seg in segments:
        if seg.id == "ST":
            in_transaction = True
            continue
        if seg.id in ("SE", "GE", "IEA", "ISA", "GS"):
            in_transaction = in_transaction and seg.id != "SE"
            continue
        if not in_transaction:
            continue
        if seg.id == "INS":
            members.append(ParsedMember(line=seg.line))
        if members:
            members[-1].segments.append(seg)
            _apply_member_segment(members[-1], seg)
        else:
            _apply_header_segment(header, seg)
    return ParsedInterchange(text, delimiters, segments, header, members)


def is_interchange(text: str) -> bool:
    """FIL-001: an X12 interchange (ISA … IEA) with consistent delimiters.

    The ISA must be its fixed 106 characters with 16 element separators (how every reader
    finds the delimiters) and the last segment must be an IEA. Anything finer (a bad
    segment ID, an empty segment) is for processing (FIL-003 to FIL-005), where it is
    reported with its line.
    """
    try:
        delimiters = detect_delimiters(text)
    except X12SyntaxError:
        return False
    isa_end = text.find(delimiters.segment)
    if isa_end + 1 != ISA_LENGTH or text[:isa_end].count(delimiters.element) != 16:
        return False
    segments = list(iter_segments(text, delimiters))
    return len(segments) >= 2 and segments[-1].id == "IEA"
