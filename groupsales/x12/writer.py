"""A streaming writer of the 834 that ``edi-834-companion.md`` describes.

Families are written one at a time to a text stream, so a 10,000-life file never sits in
memory. The QTY counts come first in the file, so callers pass them in (they count with a
query) and the writer checks at the end that the families it saw agree; if they do not it
raises *before* writing the trailers, so a half-right file can never look complete.

Free text (names, addresses, e-mail) is cleaned with ``sanitize`` and can never carry a
delimiter. Identifiers (member refs, SSN, FEIN, plan IDs, dates) are *checked*, never
rewritten: changing one silently would enroll the wrong person, so a bad one raises
``ValueError`` naming the member.

Names and addresses are never emptied or cut either: a letter of another script, or a value
longer than its element once cleaned, raises ``ValueError`` naming the member and the portal's
rule that refuses it where it is typed (PTL-001 names, PTL-003 addresses); a phone that is no
10-digit NANP number raises with PTL-002. Dependents sharing a birth date (twins) carry their
birth sequence in INS17, numbered in ``memberRef`` order.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO

from groupsales.codes import (
    CHILD_RELATIONSHIPS,
    EMPLOYMENT_TO_X12,
    GENDER_TO_X12,
    LINE_TO_X12,
    MARITAL_TO_X12,
    MEMBER_REF_PATTERN,
    RELATIONSHIP_TO_X12,
    SENDER_ID_PATTERN,
    SPOUSE_RELATIONSHIPS,
    EmploymentStatus,
    Gender,
    Line,
    MaritalStatus,
    Relationship,
    Tier,
)

from .model import Counts, Coverage, Envelope, Family, Header, Member
from .sanitize import MAX_LENGTHS, clean_email, clean_text, nanp_phone, sent_length, unsendable_characters

# The guide's delimiters (edi-834-companion.md, "Envelope").
ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
SEGMENT = "~"
_UNSAFE = re.compile(r"[*:^~\r\n]|[^\x20-\x7e]")

VERSION = "005010X220A1"
CHILD_AGE_LIMIT = 26  # business-rules.md thresholds: a child is under 26 unless disabled
_LINE_ORDER = {Line.MEDICAL: 0, Line.DENTAL: 1, Line.VISION: 2}

# re.ASCII and fullmatch: \d must not accept other scripts' digits, $ must not accept a trailing newline.
_MEMBER_REF = re.compile(MEMBER_REF_PATTERN, re.ASCII)
_SENDER_ID = re.compile(SENDER_ID_PATTERN, re.ASCII)
_PATTERNS = {
    "group ID": re.compile(r"^[A-Z0-9-]{1,30}$", re.ASCII),
    "FEIN": re.compile(r"^\d{9}$", re.ASCII),
    "agent NPN": re.compile(r"^\d{1,10}$", re.ASCII),
    "SSN": re.compile(r"^\d{9}$", re.ASCII),
    "plan ID": re.compile(r"^[A-Z0-9-]{1,50}$", re.ASCII),
    "state": re.compile(r"^[A-Z]{2}$", re.ASCII),
    "ZIP": re.compile(r"^\d{5}$", re.ASCII),
    "ZIP+4": re.compile(r"^\d{4}$", re.ASCII),
    "county FIPS": re.compile(r"^\d{5}$", re.ASCII),
}


class CountMismatchError(ValueError):
    """The QTY counts passed in disagree with the families written; the file has no trailers."""


@dataclass(frozen=True)
class WriteResult:
    segment_count: int  # SE01: ST through SE
    members: int
    subscribers: int
    dependents: int
    digest: str  # SHA-256 of the text written, to store beside the file


def _check(kind: str, value: str | None, who: str = "") -> str:
    pattern = _PATTERNS[kind]
    if value is None or not pattern.fullmatch(value):
        where = f"{who}: " if who else ""
        raise ValueError(f"{where}{kind} {value!r} does not match {pattern.pattern}")
    return value


def carried_text(value: str | None, element: str, what: str, rule: str | None, who: str = "") -> str:
    """``value`` as the guide cleans it, whole: a ``ValueError`` naming ``rule`` (the rule that refuses
    it where it is typed, when there is one) when the clean-up would drop a letter or digit of another
    script or the element (``MAX_LENGTHS``) would cut it."""
    where = f"{who}: " if who else f"{element}: "
    refs = f"{rule}, {element}" if rule else element
    if unsendable_characters(value):
        raise ValueError(f"{where}the {what} has characters the 834 cannot carry ({refs})")
    length, limit = sent_length(value), MAX_LENGTHS[element]
    if length > limit:
        raise ValueError(
            f"{where}the {what} is {length} characters as the 834 writes it; "
            f"{element} carries {limit} ({refs})"
        )
    return clean_text(value)


def birth_sequence(ordered: list[Member]) -> dict[str, int]:
    """INS17 of the dependents who share a birth date with another dependent of the family.

    The TR3 gives INS17 for multiple births; they are numbered 1, 2, … in ``memberRef`` order, so
    the same family always gets the same numbers. Only children count: a spouse or partner is no
    twin of a child.
    """
    by_birth: dict[date, list[str]] = {}
    for m in ordered:
        if m.relationship in CHILD_RELATIONSHIPS:
            by_birth.setdefault(m.date_of_birth, []).append(m.member_ref)
    return {
        ref: number
        for refs in by_birth.values()
        if len(refs) > 1
        for number, ref in enumerate(sorted(refs), start=1)
    }


def _d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def age_on(birth: date, on: date) -> int:
    """Completed years on ``on`` (business-rules.md: ages are taken on the effective date)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class SegmentSink:
    """Writes segments, counts them and hashes what it wrote."""

    def __init__(self, out: TextIO, newline: bool) -> None:
        self._out = out
        self._end = SEGMENT + ("\n" if newline else "")
        self._hash = hashlib.sha256()
        self.in_transaction = 0  # segments since ST, ST included

    def raw(self, text: str) -> None:
        data = text + self._end
        self._out.write(data)
        self._hash.update(data.encode("ascii"))
        if self.in_transaction:
            self.in_transaction += 1

    def segment(self, seg_id: str, *elements: str | None) -> None:
        """Write one segment: trailing empty elements are left out (guide, "Data")."""
        values = ["" if e is None else e for e in elements]
        while values and values[-1] == "":
            values.pop()
        for value in values:
            if _UNSAFE.search(value):
                # Every value went through sanitize or a pattern check; reaching this is a bug.
                raise ValueError(f"{seg_id}: value {value!r} would break the X12 structure")
        self.raw(ELEMENT.join([seg_id, *values]))

    def composite_segment(self, seg_id: str, composite: str, *elements: str | None) -> None:
        """Like :meth:`segment`, its first element a composite: components joined by ``COMPONENT``,
        each checked on its own (a 999's IK401, ``6:1``)."""
        components = composite.split(COMPONENT)
        for value in components:
            if not value or _UNSAFE.search(value):
                raise ValueError(f"{seg_id}: component {value!r} would break the X12 structure")
        values = ["" if e is None else e for e in elements]
        while values and values[-1] == "":
            values.pop()
        for value in values:
            if _UNSAFE.search(value):
                raise ValueError(f"{seg_id}: value {value!r} would break the X12 structure")
        self.raw(ELEMENT.join([seg_id, COMPONENT.join(components), *values]))

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()


def isa_segment(sender_id: str, receiver_id: str, stamp: datetime, control_number: int, usage: str) -> str:
    """The ISA, fixed width: every element padded to its exact size (106 characters with ``~``)."""
    return ELEMENT.join(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            sender_id.ljust(15),
            "ZZ",
            receiver_id.ljust(15),
            stamp.strftime("%y%m%d"),
            stamp.strftime("%H%M"),
            REPETITION,
            "00501",
            f"{control_number:09d}",
            "0",
            usage,
            COMPONENT,
        ]
    )


def order_family(family: Family) -> list[Member]:
    """Subscriber, then spouse or partner, then children oldest first (guide, "2000 loop")."""
    sub = family.subscriber
    if sub.relationship != Relationship.SUBSCRIBER:
        raise ValueError(f"{sub.member_ref}: a family's subscriber must have relationship SUBSCRIBER")
    for dep in family.dependents:
        if dep.relationship == Relationship.SUBSCRIBER:
            raise ValueError(f"{dep.member_ref}: a dependent cannot be a SUBSCRIBER")
        if dep.subscriber_ref != sub.member_ref:
            raise ValueError(
                f"{dep.member_ref}: subscriberRef {dep.subscriber_ref!r} is not {sub.member_ref!r}"
            )

    def rank(m: Member) -> tuple[int, date, str]:
        return (0 if m.relationship in SPOUSE_RELATIONSHIPS else 1, m.date_of_birth, m.member_ref)

    return [sub, *sorted(family.dependents, key=rank)]


def _write_envelope_and_header(
    sink: SegmentSink, env: Envelope, hdr: Header, counts: Counts, *, file_date: date | None = None
) -> None:
    """ISA to N1*BO; ``file_date`` is the header DTP*007 (new business: the effective date; 1.1: None
    for a change file, which has none)."""
    if not _SENDER_ID.fullmatch(env.sender_id) or not _SENDER_ID.fullmatch(env.receiver_id):
        raise ValueError(f"sender/receiver IDs must match {SENDER_ID_PATTERN}")
    if env.usage_indicator not in ("T", "P"):
        raise ValueError("usage_indicator must be 'T' or 'P'")
    for name, number in (("ISA13", env.interchange_control_number), ("GS06", env.group_control_number)):
        if not 1 <= number <= 999_999_999:
            raise ValueError(f"{name} must be 1 to 999999999, got {number}")
    reference = clean_text(hdr.reference, 30)
    if not reference or reference != hdr.reference:
        raise ValueError(f"BGN02 reference {hdr.reference!r} must be 1-30 characters of the guide's set")
    if hdr.purpose == "15":
        if not hdr.original_reference or clean_text(hdr.original_reference, 30) != hdr.original_reference:
            raise ValueError(
                "a resubmission (BGN01 15) needs the rejected file's BGN02 as original_reference"
            )
        original = hdr.original_reference
    elif hdr.purpose == "00":
        if hdr.original_reference:
            raise ValueError("original_reference is only for a resubmission (purpose '15')")
        original = None
    else:
        raise ValueError("BGN01 purpose must be '00' or '15'")
    group_id = _check("group ID", hdr.group_id)
    employer = carried_text(hdr.employer_legal_name, "N102", "employer legal name", "GRP-001")
    # No rule refuses an agent's name the 834 cannot carry where it is typed (AGT-001 only requires it).
    agent = carried_text(hdr.agent_name, "N102", "writing agent's name", None)
    if not employer or not agent:
        raise ValueError("employer legal name and agent name cannot be empty after clean-up")

    stamp = env.created_at
    sink.raw(
        isa_segment(
            env.sender_id, env.receiver_id, stamp, env.interchange_control_number, env.usage_indicator
        )
    )
    date8, hhmm = stamp.strftime("%Y%m%d"), stamp.strftime("%H%M")
    sink.segment(
        "GS", "BE", env.sender_id, env.receiver_id, date8, hhmm, str(env.group_control_number), "X", VERSION
    )
    sink.in_transaction = 0
    sink.segment("ST", "834", "0001", VERSION)
    sink.in_transaction = 1
    sink.segment("BGN", hdr.purpose, reference, date8, hhmm, None, original, None, "2")
    sink.segment("REF", "38", group_id)
    if file_date is not None:
        sink.segment("DTP", "007", "D8", _d8(file_date))
    sink.segment("QTY", "ET", str(counts.subscribers))
    sink.segment("QTY", "DT", str(counts.dependents))
    sink.segment("QTY", "TO", str(counts.total))
    sink.segment("N1", "P5", employer, "FI", _check("FEIN", hdr.fein))
    sink.segment("N1", "IN", "HUMANA", "94", "HUMGS")
    sink.segment("N1", "BO", agent, "94", _check("agent NPN", hdr.agent_npn))


def write_member_name(sink: SegmentSink, m: Member, *, age: int, lines: list[Coverage]) -> None:
    """Loop 2100A as the guide writes it for every file (new business, renewal and change): NM1, the
    subscriber's PER, N3/N4, DMG and HLH, each value cleaned and checked (PTL-001…003, MBR-013)."""
    who, is_sub = m.member_ref, m.relationship == Relationship.SUBSCRIBER
    last = carried_text(m.last_name, "NM103", "last name", "PTL-001", who)
    if not last:
        raise ValueError(f"{who}: last name {m.last_name!r} is empty after the guide's clean-up")
    ssn = _check("SSN", m.ssn, who) if m.ssn else None
    sink.segment(
        "NM1",
        "IL",
        "1",
        last,
        carried_text(m.first_name, "NM104", "first name", "PTL-001", who),
        carried_text(m.middle_name, "NM105", "middle name", "PTL-001", who),
        None,
        carried_text(m.suffix, "NM107", "suffix", "MBR-001", who),
        "34" if ssn else None,
        ssn,
    )
    if is_sub:
        contact: list[str] = []
        phone = nanp_phone(m.phone)
        if m.phone and m.phone.strip() and phone is None:
            raise ValueError(f"{who}: the phone number is not a 10-digit US number (PTL-002)")
        email = clean_email(m.email)
        if phone:
            contact += ["HP", phone]
        if email:
            contact += ["EM", email]
        if contact:
            sink.segment("PER", "IP", None, *contact)
    if m.address is not None:
        a = m.address
        line1 = carried_text(a.line1, "N301", "address line 1", "PTL-003", who)
        line2 = carried_text(a.line2, "N302", "address line 2", "PTL-003", who)
        city = carried_text(a.city, "N401", "city", "PTL-003", who)
        if not line1 or len(city) < 2:  # X12 City Name (19) is 2 to 30 characters
            raise ValueError(
                f"{who}: address line 1 and a city of 2 or more characters are needed after clean-up"
            )
        zip_code = _check("ZIP", a.zip5, who) + (_check("ZIP+4", a.zip4, who) if a.zip4 else "")
        county = _check("county FIPS", a.county_fips, who) if a.county_fips else None
        sink.segment("N3", line1, line2)
        sink.segment(
            "N4", city, _check("state", a.state, who), zip_code, None, "CY" if county else None, county
        )
    elif is_sub:
        raise ValueError(f"{who}: a subscriber needs a home address (N3/N4)")
    marital = MARITAL_TO_X12[MaritalStatus(m.marital_status)] if is_sub and m.marital_status else None
    sink.segment("DMG", "D8", _d8(m.date_of_birth), GENDER_TO_X12[Gender(m.gender)], marital)
    if age >= 18 and any(Line(c.line) == Line.MEDICAL for c in lines):
        if m.tobacco_use is None:
            raise ValueError(
                f"{who}: tobacco use is required for a member aged 18 or more on medical (MBR-013)"
            )
        sink.segment("HLH", "T" if m.tobacco_use else "N")


def _write_member(
    sink: SegmentSink,
    m: Member,
    subscriber: Member,
    hdr: Header,
    child_age_limit: int,
    birth_order: int | None = None,
) -> None:
    who = m.member_ref
    if not _MEMBER_REF.fullmatch(m.member_ref) or not _MEMBER_REF.fullmatch(subscriber.member_ref):
        raise ValueError(f"{who!r}: memberRef must match {MEMBER_REF_PATTERN}")
    is_sub = m is subscriber
    age = age_on(m.date_of_birth, hdr.effective_date)
    lines = sorted(m.coverage, key=lambda c: _LINE_ORDER[Line(c.line)])
    if not lines:
        raise ValueError(f"{who}: a member in the file must be covered under at least one line")

    employment = ""
    if is_sub:
        if m.employment is None:
            raise ValueError(f"{who}: a subscriber needs employment (INS08, DTP*336)")
        employment = EMPLOYMENT_TO_X12[EmploymentStatus(m.employment.status)]
    disabled_over_limit = (
        not is_sub and m.relationship in CHILD_RELATIONSHIPS and m.disabled and age >= child_age_limit
    )
    sink.segment(
        "INS",
        "Y" if is_sub else "N",
        RELATIONSHIP_TO_X12[Relationship(m.relationship)],
        "021",
        "28",
        "A",
        None,
        None,
        employment,
        None,
        "Y" if disabled_over_limit else None,
        *(None,) * 6,  # INS11-INS16: death date, confidentiality, place of birth
        str(birth_order) if birth_order else None,
    )
    sink.segment("REF", "0F", subscriber.member_ref)
    sink.segment("REF", "1L", hdr.group_id)
    sink.segment("REF", "ZZ", m.member_ref)
    if is_sub:
        assert m.employment is not None
        sink.segment("DTP", "336", "D8", _d8(m.employment.hire_date))
    sink.segment("DTP", "356", "D8", _d8(hdr.effective_date))

    write_member_name(sink, m, age=age, lines=lines)
    for cov in lines:
        sink.segment(
            "HD",
            "021",
            None,
            LINE_TO_X12[Line(cov.line)],
            _check("plan ID", cov.plan_id, who),
            Tier(cov.tier).value,
        )
        sink.segment("DTP", "348", "D8", _d8(hdr.effective_date))


def write_834(
    out: TextIO,
    envelope: Envelope,
    header: Header,
    families: Iterable[Family],
    *,
    counts: Counts,
    newline_after_segment: bool = True,
    child_age_limit: int = CHILD_AGE_LIMIT,
) -> WriteResult:
    """Stream an 834 for one group to ``out``, one family at a time.

    ``counts`` are the QTY values; if the families disagree, ``CountMismatchError`` is
    raised before the trailers are written (discard what was written). ``child_age_limit``
    decides INS10 ("Y for a disabled child over the age limit").
    """
    sink = SegmentSink(out, newline_after_segment)
    _write_envelope_and_header(sink, envelope, header, counts, file_date=header.effective_date)
    subscribers = dependents = 0
    for family in families:
        ordered = order_family(family)
        twins = birth_sequence(ordered)
        for member in ordered:
            order = twins.get(member.member_ref)
            _write_member(sink, member, family.subscriber, header, child_age_limit, order)
        subscribers += 1
        dependents += len(ordered) - 1
    if (subscribers, dependents) != (counts.subscribers, counts.dependents):
        raise CountMismatchError(
            f"QTY said {counts.subscribers} subscribers and {counts.dependents} dependents, "
            f"the families held {subscribers} and {dependents}"
        )
    segment_count = sink.in_transaction + 1  # ST through SE, SE included
    sink.segment("SE", str(segment_count), "0001")
    sink.in_transaction = 0
    sink.segment("GE", "1", str(envelope.group_control_number))
    sink.segment("IEA", "1", f"{envelope.interchange_control_number:09d}")
    return WriteResult(
        segment_count=segment_count,
        members=subscribers + dependents,
        subscribers=subscribers,
        dependents=dependents,
        digest=sink.digest,
    )


def count_families(families: Iterable[Family]) -> Counts:
    """QTY counts of families already in memory (``render_834`` and tests)."""
    subscribers = dependents = 0
    for family in families:
        subscribers += 1
        dependents += len(family.dependents)
    return Counts(subscribers, dependents)


def render_834(
    envelope: Envelope,
    header: Header,
    families: Iterable[Family],
    *,
    counts: Counts | None = None,
    newline_after_segment: bool = True,
    child_age_limit: int = CHILD_AGE_LIMIT,
) -> str:
    """The whole 834 as a string; counts the families itself when ``counts`` is not given."""
    family_list = list(families)
    buffer = io.StringIO()
    write_834(
        buffer,
        envelope,
        header,
        family_list,
        counts=counts or count_families(family_list),
        newline_after_segment=newline_after_segment,
        child_age_limit=child_age_limit,
    )
    return buffer.getvalue()


def iter_members(families: Iterable[Family]) -> Iterator[Member]:
    """Members in file order (what the carrier will see, loop after loop)."""
    for family in families:
        yield from order_family(family)
