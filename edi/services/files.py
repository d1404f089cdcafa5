"""Building the 834 of a group (pure: nothing stored, nothing sent) and checking it before upload
(pyx12 and the companion guide), with every problem in plain words without personal data."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from enrollment.models import EmployerGroup
from groupsales.x12 import Envelope, Family, Header, member_from_api, render_834
from groupsales.x12.writer import order_family

from .. import follow_up, sources
from ..models import Transmission

P = Transmission.Purpose


@dataclass(frozen=True)
class GroupFacts:
    """What the 834 header needs from a group."""

    group_id: str
    effective_date: date | None
    employer_legal_name: str
    fein: str
    agent_name: str
    agent_npn: str


def group_facts(*, group: EmployerGroup) -> GroupFacts:
    broker = group.broker
    agent_name = " ".join(p for p in (group.agent_first_name, group.agent_last_name) if p).strip()
    return GroupFacts(
        group_id=group.humana_group_id or "",
        effective_date=group.requested_effective_date,
        employer_legal_name=group.legal_name or "",
        fein=group.fein or "",
        agent_name=agent_name or (broker.full_name if broker is not None else ""),
        agent_npn=group.agent_npn or (broker.npn if broker is not None else ""),
    )


@dataclass(frozen=True)
class Problem:
    """One thing that blocks an upload, in plain words without personal data."""

    code: str
    message: str
    fix: str
    member_ref: str | None = None
    line: int | None = None
    segment: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "memberRef": self.member_ref,
            "line": self.line,
            "segment": self.segment,
        }


class BuildError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class BuiltFile:
    text: str
    digest: str
    reference: str
    members: list[dict] = field(default_factory=list)  # memberRef, subscriberRef, relationship in file order
    subscribers: int = 0
    dependents: int = 0

    @property
    def content(self) -> bytes:
        return self.text.encode("ascii")


FIXES = {
    "FIL-001": "The portal could not write a readable file. Tell support; nothing was sent.",
    "FIL-003": "The file's envelope or header does not match the group (Group ID, FEIN, sender ID). "
    "Check the group's details, then send again.",
    "FIL-004": "The file's control numbers or counts disagree. This is a portal fault: tell support.",
    "FIL-005": "Correct the member's details named here, validate the member again, then send again.",
    "MEMBER": "Correct the member's details named here, validate the member again, then send again.",
    "NO-MEMBERS": "Validate the group's members first; only validated members go in the file.",
    "GROUP": "Complete the group's details (Humana Group ID, effective date, FEIN, agent) first.",
}


SEGMENT_WORDS = {
    "ISA": "envelope",
    "GS": "functional group header",
    "ST": "transaction header",
    "BGN": "file header",
    "REF": "reference",
    "DTP": "date",
    "QTY": "member count",
    "N1": "party name",
    "INS": "member",
    "NM1": "name and SSN",
    "PER": "contact",
    "N3": "address",
    "N4": "city, state and ZIP",
    "DMG": "date of birth and gender",
    "HLH": "tobacco use",
    "HD": "coverage",
    "SE": "transaction trailer",
    "GE": "functional group trailer",
    "IEA": "envelope trailer",
}


_QUOTED = re.compile(r"""(['"]).*?\1""")


# Any spelling of a date a person or a system writes (2010-06-05, 06/05/2010, 6.5.10): its month and day
# are a date of birth's too, so the whole date goes, not only its year.
_DATE = re.compile(
    r"(?<!\d)\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?!\d)"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{2,4}\b"
    r"|\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{2,4}\b",
    re.IGNORECASE,
)


_DIGITS = re.compile(r"\d{4,}")


_LINE_PREFIX = re.compile(r"^Line \d+(, [A-Z0-9]+)?: ")


def plain(text: str) -> str:
    """A message with every quoted value, date and long number taken out (no personal data on pages)."""
    return _DIGITS.sub("…", _DATE.sub("…", _QUOTED.sub("…", text)))


def _ordered_families(bodies: Sequence[dict], only_refs: set[str] | None) -> list[Family]:
    """Families for the writer: subscribers with at least one elected line and their covered dependents.

    With ``only_refs`` (a follow-up), only those members, plus the subscriber of a corrected dependent.
    """
    subscribers = sorted(
        (b for b in bodies if b.get("relationship") == "SUBSCRIBER"), key=lambda b: str(b.get("memberRef"))
    )
    dependents: dict[str, list[dict]] = {}
    for body in bodies:
        if body.get("relationship") != "SUBSCRIBER":
            dependents.setdefault(str(body.get("subscriberRef")), []).append(body)
    families = []
    problems = []
    for sub_body in subscribers:
        ref = sub_body["memberRef"]
        if not any(not c.get("waived") for c in sub_body.get("coverage") or ()):
            continue  # waived every line: nobody of this family is in the file
        deps = [d for d in dependents.get(ref, []) if d.get("coverage")]
        if only_refs is not None:
            deps = [d for d in deps if d["memberRef"] in only_refs]
            if ref not in only_refs and not deps:
                continue
        try:
            subscriber = member_from_api(sub_body)
            family = Family(
                subscriber=subscriber, dependents=tuple(member_from_api(d, subscriber) for d in deps)
            )
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(
                Problem("FIL-005", f"Family of member {ref}: {plain(str(exc))}", FIXES["MEMBER"], ref)
            )
            continue
        families.append(family)
    if problems:
        raise BuildError(problems)
    return families


def reference_for(group_id: str, control_number: int) -> str:
    """BGN02: unique per partner because the control number is."""
    return f"G{group_id}-{control_number:09d}"


def _complete_facts(group: EmployerGroup) -> GroupFacts:
    """The group's header facts; ``BuildError`` (FIL-003) naming each one missing."""
    facts = group_facts(group=group)
    missing = [
        name
        for name, value in (
            ("Humana Group ID", facts.group_id),
            ("effective date", facts.effective_date),
            ("legal name", facts.employer_legal_name),
            ("FEIN", facts.fein),
            ("writing agent", facts.agent_name),
            ("agent NPN", facts.agent_npn),
        )
        if not value
    ]
    if missing:
        raise BuildError([Problem("FIL-003", f"The group has no {', '.join(missing)}.", FIXES["GROUP"])])
    return facts


def _writer_problem(message: str, families: list[Family]) -> Problem:
    """The writer's refusal in plain words: FIL-005 on the member it names, else FIL-003 on the group."""
    ref = message.split(":", 1)[0].strip("'\" ") if ":" in message else None
    known = {f.subscriber.member_ref for f in families} | {
        d.member_ref for f in families for d in f.dependents
    }
    ref = ref if ref in known else None
    who = f"Member {ref}: " if ref else ""
    body = message.split(":", 1)[1] if ref else message
    return Problem(
        "FIL-005" if ref else "FIL-003", who + plain(body.strip()), FIXES["MEMBER" if ref else "GROUP"], ref
    )


def _file_members(families: list[Family], by_ref: Mapping[str | None, dict]) -> list[dict[str, str]]:
    """Each member in the file's order, with the digest of the body it was written from (follow-ups)."""
    return [
        {
            "memberRef": m.member_ref,
            "subscriberRef": m.subscriber_ref,
            "relationship": str(m.relationship),
            "bodyDigest": follow_up.body_digest(by_ref[m.member_ref]) if m.member_ref in by_ref else "",
        }
        for family in families
        for m in order_family(family)
    ]


def transmission_render(
    *,
    group: EmployerGroup,
    purpose: str,
    control_number: int,
    created_at: datetime,
    member_refs: Iterable[str] | None = None,
    original_reference: str = "",
) -> BuiltFile:
    """The 834 for ``group`` with ``control_number`` as ISA13 and GS06; pure (nothing stored, nothing sent).

    Raises ``BuildError`` with plain problems when the group or a member cannot be written.
    """
    facts = _complete_facts(group)
    assert facts.effective_date is not None  # _complete_facts raised FIL-003 without one
    only = set(member_refs) if member_refs is not None else None
    try:
        bodies = sources.member_bodies(group=group)
    except sources.MembersUnavailable as exc:
        raise BuildError(
            [Problem("GRP-030", "The group's validated members cannot be read yet.", str(exc))]
        ) from exc
    families = _ordered_families(bodies, only)
    if not families:
        raise BuildError([Problem("GRP-030", "There is no validated member to send.", FIXES["NO-MEMBERS"])])
    stamp = timezone.localtime(created_at) if timezone.is_aware(created_at) else created_at
    reference = reference_for(facts.group_id, control_number)
    envelope = Envelope(
        sender_id=settings.HUMANA_SENDER_ID,
        usage_indicator=settings.HUMANA_USAGE_INDICATOR or "T",
        interchange_control_number=control_number,
        group_control_number=control_number,
        created_at=stamp,
    )
    header = Header(
        purpose="15" if purpose == P.RESUBMISSION else "00",
        reference=reference,
        original_reference=(original_reference or None) if purpose == P.RESUBMISSION else None,
        group_id=facts.group_id,
        effective_date=facts.effective_date,
        employer_legal_name=facts.employer_legal_name,
        fein=facts.fein,
        agent_name=facts.agent_name,
        agent_npn=facts.agent_npn,
    )
    try:
        text = render_834(envelope, header, families)
    except ValueError as exc:
        raise BuildError([_writer_problem(str(exc), families)]) from exc
    members = _file_members(families, {b.get("memberRef"): b for b in bodies})
    subscribers = len(families)
    return BuiltFile(
        text=text,
        digest=hashlib.sha256(text.encode("ascii")).hexdigest(),
        reference=reference,
        members=members,
        subscribers=subscribers,
        dependents=len(members) - subscribers,
    )


def _member_at_lines(text: str) -> dict[int, str]:
    """Segment ordinal (from ISA, 1-based) -> the memberRef of the 2000 loop it is in."""
    owner: dict[int, str] = {}
    current: str | None = None
    loop_lines: list[int] = []
    for number, raw in enumerate(text.split("~"), start=1):
        seg = raw.strip()
        sid = seg.split("*", 1)[0]
        if sid == "INS":
            current, loop_lines = None, []
        elif sid in ("SE", "GE", "IEA"):
            current, loop_lines = None, []
            continue
        if sid == "INS" or loop_lines:
            loop_lines.append(number)
        if sid == "REF" and seg.startswith("REF*ZZ*") and loop_lines:
            current = seg.split("*")[2]
            for n in loop_lines:
                owner[n] = current
        elif current:
            owner[number] = current
    return owner


def precheck_problems(*, text: str, group: EmployerGroup) -> list[Problem]:
    """pyx12 and the companion guide over ``text``, as plain problems naming the member (no values)."""
    from groupsales.x12.validate import precheck

    facts = group_facts(group=group)
    issues = precheck(
        text,
        sender_id=settings.HUMANA_SENDER_ID,
        group_id=facts.group_id,
        fein=facts.fein,
        usage_indicator=settings.HUMANA_USAGE_INDICATOR or "T",
        effective_date=facts.effective_date,
    )
    owners = _member_at_lines(text)
    problems = []
    for issue in issues:
        ref = owners.get(issue.line) if issue.line else None
        what = SEGMENT_WORDS.get(issue.segment or "", issue.segment or "file")
        where = f"member {ref}: {what} segment" if ref else f"the file's {what} segment"
        detail = plain(_LINE_PREFIX.sub("", issue.message))
        message = (
            f"{where[0].upper()}{where[1:]} (line {issue.line}): {detail}"
            if issue.line
            else f"{where}: {detail}"
        )
        problems.append(
            Problem(
                issue.code, message, FIXES.get(issue.code, FIXES["FIL-005"]), ref, issue.line, issue.segment
            )
        )
    return problems
