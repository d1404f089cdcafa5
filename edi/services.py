"""The 834 transmission: build, check, upload, poll, record results, follow the group, tell the broker.

Flow: ``transmission_start`` (a broker's click) creates the row (one in flight per group, a DB
constraint), allocates a control number in its own committed transaction, renders the 834, prechecks
it (pyx12 + companion guide) and queues ``edi.tasks.upload_transmission`` on commit. The upload task
calls ``transmission_upload`` (idempotent: the carrier operation's key is reused on every retry; a
409 FIL-002 adopts the earlier fileId), then ``edi.tasks.poll_transmission`` calls
``transmission_poll`` with backoff until the file ends (``_apply_final``) or gets too old (STUCK).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from carrier.client import GroupSalesClient
from carrier.errors import CarrierConflictError, CarrierError, CarrierPermanentError, CarrierTransientError
from carrier.operations import carrier_call, carrier_session
from carrier.schemas import EnrollmentFileStatus, FileReceipt
from carrier.services import operation_for
from enrollment.models import EmployerGroup
from enrollment.states import TransitionNotAllowed as GroupMoveRefused
from enrollment.states import group_transition
from groupsales.masking import mask_999
from groupsales.x12 import Envelope, Family, Header, member_from_api, render_834
from members.services import member_record_enrollment_results

from . import follow_up, sources
from .models import FINAL_STATUSES, ControlNumberSequence, Transmission, TransmissionMember
from .states import TransitionNotAllowed, transmission_transition

logger = logging.getLogger(__name__)

S = Transmission.Status
P = Transmission.Purpose
G = EmployerGroup.Status

DEFAULTS: dict[str, float] = {
    "EDI_POLL_FIRST_SECONDS": 5,
    "EDI_POLL_MAX_SECONDS": 300,
    "EDI_POLL_MAX_AGE_SECONDS": 6 * 3600,
    "EDI_UPLOAD_MAX_RETRIES": 8,
    "EDI_UPLOAD_RETRY_FIRST_SECONDS": 10,
    "EDI_SWEEP_STALE_SECONDS": 600,
}
SEQUENCE_NAME = "interchange"
MAX_CONTROL_NUMBER = 999_999_999

__all__ = [
    "TransitionNotAllowed",
    "TransmissionRefused",
    "control_number_allocate",
    "edi_setting",
    "transmission_mark_upload_failed",
    "transmission_poll",
    "transmission_poll_again",
    "transmission_render",
    "transmission_resubmit",
    "transmission_start",
    "transmission_transition",
    "transmission_upload",
    "transmissions_sweep",
]


def edi_setting(name: str) -> float:
    return getattr(settings, name, DEFAULTS[name])


class TransmissionRefused(Exception):
    """The broker's request cannot be done now; ``str(exc)`` is a plain message for them."""


# --------------------------------------------------------------------------- control numbers


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


# --------------------------------------------------------------------------- building the file


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
        message = str(exc)
        ref = message.split(":", 1)[0].strip("'\" ") if ":" in message else None
        known = {f.subscriber.member_ref for f in families} | {
            d.member_ref for f in families for d in f.dependents
        }
        ref = ref if ref in known else None
        who = f"Member {ref}: " if ref else ""
        body = message.split(":", 1)[1] if ref else message
        raise BuildError(
            [
                Problem(
                    "FIL-005" if ref else "FIL-003",
                    who + plain(body.strip()),
                    FIXES["MEMBER" if ref else "GROUP"],
                    ref,
                )
            ]
        ) from exc
    by_ref = {b.get("memberRef"): b for b in bodies}
    members = []
    for family in families:
        from groupsales.x12.writer import order_family

        for m in order_family(family):
            members.append(
                {
                    "memberRef": m.member_ref,
                    "subscriberRef": m.subscriber_ref,
                    "relationship": str(m.relationship),
                    "bodyDigest": follow_up.body_digest(by_ref[m.member_ref])
                    if m.member_ref in by_ref
                    else "",
                }
            )
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


# --------------------------------------------------------------------------- starting a transmission


def last_final_transmission(*, group: EmployerGroup) -> Transmission | None:
    return (
        Transmission.objects.filter(group=group, status__in=FINAL_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )


def _plan(*, group: EmployerGroup, purpose: str) -> tuple[Transmission | None, set[str] | None]:
    """Check that ``purpose`` is what the group needs now; the file it corrects and the members to send."""
    group.refresh_from_db(fields=["status"])
    status = group.status
    last = last_final_transmission(group=group)
    if purpose == P.ORIGINAL:
        if last is not None:
            raise TransmissionRefused(
                "This group already has an enrollment file; send a follow-up or a resubmission instead."
            )
        if status != G.FINALIZED:
            raise TransmissionRefused("The group must be finalized before its enrollment file is sent.")
        return None, None
    if purpose == P.FOLLOW_UP:
        try:
            plan = follow_up.follow_up_plan(group=group)
        except sources.MembersUnavailable as exc:
            raise TransmissionRefused("The group's validated members cannot be read yet.") from exc
        if not plan.follow_up_due:
            raise TransmissionRefused(
                gettext("A follow-up is for members Humana rejected after it enrolled others of the group.")
            )
        if not plan.can_follow_up:
            raise TransmissionRefused(
                gettext(
                    "None of the rejected members has been changed since Humana rejected it: correct them "
                    "on their family pages (they are validated again), then send the follow-up."
                )
            )
        return last, plan.ready_refs
    if purpose == P.RESUBMISSION:
        if last is None or last.status != S.REJECTED:
            raise TransmissionRefused("A resubmission of the whole group is for a file that was rejected.")
        if follow_up.follow_up_plan(group=group, bodies=[]).ever_accepted:
            raise TransmissionRefused(
                gettext(
                    "Humana has enrolled members of this group: send the rejected ones in a follow-up "
                    "instead."
                )
            )
        return last, None
    raise TransmissionRefused(f"Unknown purpose {purpose}.")


def transmission_start(
    *, group: EmployerGroup, purpose: str = P.ORIGINAL, by: AbstractBaseUser | None = None
) -> Transmission:
    """Build, precheck and (when clean) queue the upload of the group's next file.

    Raises ``TransmissionRefused`` (plain message) when the group is not ready for this purpose or a
    file of the group is already in flight. A file that fails the precheck is kept as PRECHECK_FAILED
    with its problems; nothing is uploaded.
    """
    follows, refs = _plan(group=group, purpose=purpose)
    try:
        with transaction.atomic():
            transmission = Transmission.objects.create(
                group=group,
                purpose=purpose,
                follows=follows,
                original_reference=follows.reference if follows and purpose == P.RESUBMISSION else "",
                created_by=by if by is not None and by.is_authenticated else None,
            )
    except IntegrityError as exc:
        raise TransmissionRefused(
            "An enrollment file for this group is already being sent. Wait for its result."
        ) from exc
    number = control_number_allocate()
    Transmission.objects.filter(pk=transmission.pk).update(isa13=number, gs06=number)
    transmission.refresh_from_db()
    try:
        built = transmission_render(
            group=group,
            purpose=purpose,
            control_number=number,
            created_at=transmission.created_at,
            member_refs=refs,
            original_reference=transmission.original_reference,
        )
        problems = precheck_problems(text=built.text, group=group)
    except BuildError as exc:
        return transmission_transition(
            transmission=transmission,
            to=S.PRECHECK_FAILED,
            reason="The file could not be written.",
            precheck_errors=[p.as_dict() for p in exc.problems],
        )
    except Exception:
        # Never leave a BUILT row behind: it would block the group's next file.
        transmission_transition(
            transmission=transmission,
            to=S.PRECHECK_FAILED,
            reason="The file could not be built (portal fault).",
        )
        raise
    with transaction.atomic():
        Transmission.objects.filter(pk=transmission.pk).update(
            content=built.text,
            sha256=built.digest,
            reference=built.reference,
            member_count=len(built.members),
            subscriber_count=built.subscribers,
            precheck_errors=[p.as_dict() for p in problems],
        )
        TransmissionMember.objects.bulk_create(
            TransmissionMember(
                transmission=transmission,
                member_ref=m["memberRef"],
                subscriber_ref=m["subscriberRef"],
                relationship=m["relationship"],
                position=i,
                body_digest=m.get("bodyDigest", ""),
            )
            for i, m in enumerate(built.members)
        )
        if problems:
            return transmission_transition(
                transmission=transmission,
                to=S.PRECHECK_FAILED,
                reason=f"{len(problems)} problem(s) before upload.",
            )
        transmission = transmission_transition(
            transmission=transmission, to=S.READY, reason="Precheck passed."
        )
        queue_upload(transmission_id=transmission.pk)
    return transmission


def queue_upload(*, transmission_id: int) -> None:
    from .tasks import upload_transmission

    transaction.on_commit(lambda: upload_transmission.delay(transmission_id))


def queue_poll(*, transmission_id: int, countdown: float, token: int | None = None) -> None:
    from .tasks import poll_transmission

    transaction.on_commit(
        lambda: poll_transmission.apply_async((transmission_id,), {"token": token}, countdown=countdown)
    )


# --------------------------------------------------------------------------- upload


def _subject(transmission: Transmission) -> str:
    return f"transmission:{transmission.pk}"


def transmission_upload(*, transmission_id: int) -> Transmission:
    """Upload the file once (idempotent). Raises the carrier's transient error for the task to retry."""
    transmission = Transmission.objects.select_related("group").get(pk=transmission_id)
    if transmission.status == S.READY:
        try:
            transmission = transmission_transition(
                transmission=transmission, to=S.UPLOADING, reason="Uploading."
            )
        except TransitionNotAllowed:
            transmission.refresh_from_db()
    if transmission.status != S.UPLOADING:
        return transmission  # done already, or by another worker
    operation = operation_for(kind="upload_834", subject=_subject(transmission))
    Transmission.objects.filter(pk=transmission.pk).update(
        idempotency_key=operation.idempotency_key, upload_attempts=F("upload_attempts") + 1
    )
    group_id, key = transmission.group.humana_group_id or "", operation.idempotency_key
    subject = _subject(transmission)

    def upload(client: GroupSalesClient) -> FileReceipt | Adopted:
        try:
            return client.upload_enrollment_file(
                group_id, transmission.content.encode("ascii"), idempotency_key=key, subject=subject
            )
        except CarrierConflictError as exc:
            earlier = _earlier_file(exc)
            if earlier is None:
                raise
            return Adopted(file_id=earlier)  # 409 FIL-002: the carrier has this very file already

    def refused(exc: Exception) -> Transmission:
        # ValueError: the client refuses to send it (empty, or over the size limit).
        words = _carrier_words(exc) if isinstance(exc, CarrierPermanentError) else plain(str(exc))[:500]
        return transmission_mark_upload_failed(transmission_id=transmission.pk, error=words)

    def received(receipt: FileReceipt | Adopted) -> Transmission:
        if isinstance(receipt, Adopted):
            return _received(
                transmission, file_id=receipt.file_id, status="RECEIVED", received_at=None,
                reason=f"The carrier had this file already (FIL-002): file {receipt.file_id}.",
            )  # fmt: skip
        return _received(
            transmission, file_id=receipt.file_id, status=str(receipt.status),
            received_at=receipt.received_at, reason=f"Received by the carrier as {receipt.file_id}.",
        )  # fmt: skip

    # The receipt and the transmission's move in one transaction: a worker dying in between leaves the
    # operation open, and the redelivered task replays the same key (the carrier's 202, not a new file).
    return carrier_call(
        upload, operation=operation, opener=sources.carrier_client, also_refused=(ValueError,),
        refused=refused, succeeded=received,
    )  # fmt: skip


@dataclass(frozen=True)
class Adopted:
    """The carrier's 409 FIL-002 for the file it already has: the upload's answer after all."""

    file_id: str

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return {"fileId": self.file_id, "adopted": True}


def _earlier_file(exc: CarrierConflictError) -> str | None:
    """The earlier file of a 409 FIL-002 (the same interchange control number), if it is one."""
    earlier = exc.file_id or next((e.file_id for e in exc.errors if e.file_id), None)
    fil_002 = exc.code == "FIL-002" or any(e.code == "FIL-002" for e in exc.errors)
    return earlier if earlier and fil_002 else None


def _carrier_words(exc: Exception) -> str:
    code = getattr(exc, "code", "")
    message = getattr(exc, "message", "") or str(exc)
    details = "; ".join(f"{e.code}: {e.message}" for e in getattr(exc, "errors", [])[:5])
    return plain(f"{code}: {message}" + (f" ({details})" if details else ""))[:500]


def _received(
    transmission: Transmission, *, file_id: str, status: str, received_at: Any, reason: str
) -> Transmission:
    now = timezone.now()
    try:
        transmission = transmission_transition(
            transmission=transmission,
            to=S.RECEIVED,
            frm=S.UPLOADING,
            reason=reason,
            file_id=file_id,
            carrier_status=status,
            received_at=received_at or now,
            uploaded_at=now,
            poll_started_at=now,
            next_poll_at=now + timedelta(seconds=edi_setting("EDI_POLL_FIRST_SECONDS")),
        )
    except TransitionNotAllowed:
        transmission.refresh_from_db()
        return transmission
    _group_follows(
        transmission.group,
        to=G.ENROLLING,
        reason=f"Enrollment file {file_id} uploaded.",
    )
    queue_poll(transmission_id=transmission.pk, countdown=edi_setting("EDI_POLL_FIRST_SECONDS"), token=0)
    return transmission


def _group_follows(group: EmployerGroup, *, to: str, reason: str) -> None:
    """The group follows its file through its lifecycle. A move the lifecycle refuses (the group was moved
    meanwhile) is not lost: the group goes to NEEDS_ATTENTION naming the file and the move it could not
    make, or, already there, has that added to its reason."""
    group.refresh_from_db()
    if group.status == to:
        return
    try:
        group_transition(group=group, to=to, reason=reason)
        return
    except GroupMoveRefused as exc:
        refused = f"{reason} The group could not follow it to {to}: {exc}"
    group.refresh_from_db()
    if group.status == to:  # another worker made the same move first
        return
    try:
        group_transition(group=group, to=G.NEEDS_ATTENTION, reason=refused)
    except GroupMoveRefused:
        attention = EmployerGroup.objects.filter(pk=group.pk, status=G.NEEDS_ATTENTION)
        if not attention.update(status_reason=f"{group.status_reason} {refused}".strip()[:500]):
            logger.error("group %s: %s (it is %s)", group.pk, refused, group.status)


def transmission_mark_upload_failed(*, transmission_id: int, error: str) -> Transmission:
    """READY/UPLOADING → UPLOAD_FAILED (retries ran out, or the carrier refused the file); broker told."""
    transmission = Transmission.objects.get(pk=transmission_id)
    try:
        transmission = transmission_transition(transmission=transmission, to=S.UPLOAD_FAILED, reason=error)
    except TransitionNotAllowed:
        return transmission
    _notify(transmission)
    return transmission


# --------------------------------------------------------------------------- polling


def _delay(attempt: int) -> float:
    first, most = edi_setting("EDI_POLL_FIRST_SECONDS"), edi_setting("EDI_POLL_MAX_SECONDS")
    return float(min(first * (2 ** min(attempt, 30)), most))


def transmission_poll(
    *, transmission_id: int, token: int | None = None, redelivered: bool = False
) -> float | None:
    """Ask the carrier once; store what ended; return the delay before the next poll, or None to stop.

    ``token`` is the poll count the caller expects: a poll chain whose token is stale (another chain
    polled meanwhile, e.g. after a sweep re-queued it) stops, so only one chain lives. A poll the broker
    delivers again (``redelivered``: its worker died after taking token ``n``) finds the count at n + 1,
    its own claim, and carries the chain on; the next poll's token is n + 1 either way, so a chain the
    dead worker had already scheduled and this one cannot both go on.
    """
    transmission = Transmission.objects.select_related("group").get(pk=transmission_id)
    if transmission.status not in (S.RECEIVED, S.PROCESSING):
        return None
    current = transmission.poll_attempts if token is None else token
    claimed = Transmission.objects.filter(pk=transmission.pk, poll_attempts=current).update(
        poll_attempts=current + 1, last_polled_at=timezone.now()
    )
    own_claim = redelivered and token is not None and transmission.poll_attempts == current + 1
    if not claimed and not own_claim:
        return None
    group_id, subject = transmission.group.humana_group_id or "", _subject(transmission)
    status = None
    try:
        with carrier_session(sources.carrier_client) as client:
            status = client.get_enrollment_file(group_id, transmission.file_id, subject=subject)
    except CarrierTransientError as exc:
        logger.info("transmission %s: status not read (%s); polling again later", transmission.pk, exc.code)
    except CarrierPermanentError as exc:
        logger.warning("transmission %s: status refused: %s", transmission.pk, exc)
    if status is not None:
        if status.is_final:
            _apply_final(transmission, status)
            return None
        if str(status.status) == "PROCESSING" and transmission.status == S.RECEIVED:
            try:
                transmission = transmission_transition(
                    transmission=transmission,
                    to=S.PROCESSING,
                    reason="The carrier is processing the file.",
                    carrier_status="PROCESSING",
                )
            except TransitionNotAllowed:
                transmission.refresh_from_db()
    started = transmission.poll_started_at or transmission.uploaded_at or transmission.created_at
    if timezone.now() - started > timedelta(seconds=edi_setting("EDI_POLL_MAX_AGE_SECONDS")):
        try:
            transmission = transmission_transition(
                transmission=transmission,
                to=S.STUCK,
                next_poll_at=None,
                reason="The carrier has not finished the file in time; an admin should look at it.",
            )
        except TransitionNotAllowed:
            return None
        _notify_admins(transmission)
        return None
    delay = _delay(current)
    Transmission.objects.filter(pk=transmission.pk).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay)
    )
    return delay


def _error_dicts(items: Iterable[Any]) -> list[dict]:
    return [
        {"code": e.code, "message": plain(e.message or ""), "segment": e.segment, "line": e.line}
        for e in items
    ]


def _apply_final(transmission: Transmission, status: EnrollmentFileStatus) -> None:
    final = str(status.status)
    file_errors = _error_dicts(status.errors)
    with transaction.atomic():
        try:
            transmission = transmission_transition(
                transmission=transmission,
                to=final,
                reason=f"The carrier finished the file: {final}.",
                carrier_status=final,
                completed_at=status.completed_at or timezone.now(),
                file_errors=file_errors,
                summary=status.summary.model_dump(mode="json") if status.summary else {},
                next_poll_at=None,
            )
        except TransitionNotAllowed:
            return  # another worker recorded it
        seen = set()
        for result in status.members:
            if not result.member_ref:
                file_errors += _error_dicts(result.errors)
                continue
            seen.add(result.member_ref)
            TransmissionMember.objects.update_or_create(
                transmission=transmission,
                member_ref=result.member_ref,
                defaults={
                    "status": str(result.status),
                    "humana_member_id": result.humana_member_id or "",
                    "errors": _error_dicts(result.errors),
                    **({"relationship": str(result.relationship)} if result.relationship else {}),
                },
            )
        if final == S.REJECTED:
            transmission.members.exclude(member_ref__in=seen).update(
                status=TransmissionMember.Status.REJECTED,
                errors=[
                    {
                        "code": e["code"],
                        "message": follow_up.WHOLE_FILE,
                        "segment": None,
                        "line": None,
                        "whole_file": True,  # no member was judged: it goes again as it is
                    }
                    for e in file_errors
                ]
                or [
                    {
                        "code": "REJECTED",
                        "message": follow_up.WHOLE_FILE,
                        "segment": None,
                        "line": None,
                        "whole_file": True,
                    }
                ],
            )
        Transmission.objects.filter(pk=transmission.pk).update(file_errors=file_errors)
        ever_accepted = TransmissionMember.objects.filter(
            transmission__group=transmission.group, status=TransmissionMember.Status.ACCEPTED
        ).exists()
        _group_follows(
            transmission.group,
            to=G.ENROLLED if ever_accepted else G.FINALIZED,
            reason=f"Enrollment file {transmission.file_id} ended {final}.",
        )
        results = [
            {
                "memberRef": m.member_ref,
                "status": m.status,
                "humanaMemberId": m.humana_member_id or None,
                "errors": m.errors,
            }
            for m in transmission.members.all()
        ]
        member_record_enrollment_results(group=transmission.group, results=results)
    transmission.refresh_from_db()
    transmission_fetch_acknowledgment(transmission=transmission)
    _notify(transmission)


def transmission_fetch_acknowledgment(*, transmission: Transmission) -> bool:
    """Fetch and store the 999 (masked) of a finished file; False when the carrier could not give it now."""
    if transmission.ack_999 or transmission.status not in FINAL_STATUSES:
        return bool(transmission.ack_999)
    group_id = transmission.group.humana_group_id or ""
    try:
        with carrier_session(sources.carrier_client) as client:
            text = client.get_acknowledgment(group_id, transmission.file_id, subject=_subject(transmission))
    except CarrierError as exc:
        logger.info("transmission %s: 999 not fetched (%s)", transmission.pk, exc.code)
        return False
    Transmission.objects.filter(pk=transmission.pk).update(ack_999=mask_999(text))
    transmission.refresh_from_db(fields=["ack_999"])
    return True


# --------------------------------------------------------------------------- e-mail


def _notify(transmission: Transmission) -> None:
    """Tell the broker once that the file reached a final status (or could not be uploaded)."""
    if not Transmission.objects.filter(pk=transmission.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return
    transmission.refresh_from_db()
    to = transmission.group.broker.user.email if transmission.group.broker else ""
    if not to:
        return
    label = transmission.get_status_display()
    summary = transmission.summary or {}
    counts = (
        f"{summary.get('accepted', 0)} of {summary.get('members', transmission.member_count)} members "
        "accepted, "
        f"{summary.get('rejected', 0)} rejected.\n"
        if summary
        else ""
    )
    link = settings.SITE_URL.rstrip("/") + reverse("edi_transmission", args=[transmission.pk])
    body = (
        f"The enrollment file for {str(transmission.group)} "
        f"(Humana Group ID {group_facts(group=transmission.group).group_id}) is {label.lower()}.\n"
        f"{counts}{transmission.status_reason}\n\nDetails: {link}\n"
    )
    # A legal name typed with a line break must not get the header refused (BadHeaderError), failing the poll.
    group_label = " ".join(str(transmission.group).split())
    send_mail(
        f"Enrollment file {label.lower()}: {group_label}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        fail_silently=True,
    )


def _notify_admins(transmission: Transmission) -> None:
    from django.core.mail import mail_admins

    mail_admins(
        f"Enrollment file #{transmission.pk} is stuck", transmission.status_reason, fail_silently=True
    )


# --------------------------------------------------------------------------- admin actions and sweep


def transmission_poll_again(*, transmission: Transmission) -> Transmission:
    """Admin: a STUCK file goes back to PROCESSING, with a fresh age limit, and is polled at once."""
    if transmission.status == S.STUCK:
        transmission = transmission_transition(
            transmission=transmission,
            to=S.PROCESSING,
            reason="An admin asked to poll again.",
            poll_started_at=timezone.now(),
        )
    if transmission.status in (S.RECEIVED, S.PROCESSING):
        queue_poll(transmission_id=transmission.pk, countdown=0, token=transmission.poll_attempts)
    elif transmission.status in FINAL_STATUSES and not transmission.ack_999:
        transmission_fetch_acknowledgment(transmission=transmission)
    return transmission


def transmission_resubmit(*, transmission: Transmission, by: AbstractBaseUser | None = None) -> Transmission:
    """Admin or broker: send the group again as the situation needs (a new file, a new control number)."""
    last = last_final_transmission(group=transmission.group)
    if last is not None and last.status == S.REJECTED:
        purpose = P.RESUBMISSION
    elif last is not None and last.status == S.ACCEPTED_WITH_ERRORS:
        purpose = P.FOLLOW_UP
    else:
        purpose = P.ORIGINAL
    return transmission_start(group=transmission.group, purpose=purpose, by=by)


def transmissions_sweep() -> dict[str, int]:
    """Beat: re-queue work whose task was lost (a broker restart, a killed worker)."""
    now = timezone.now()
    stale = now - timedelta(seconds=edi_setting("EDI_SWEEP_STALE_SECONDS"))
    counts = {"uploads": 0, "polls": 0, "acknowledgments": 0}
    for transmission in Transmission.objects.filter(status=S.BUILT, updated_at__lt=stale):
        try:
            transmission_transition(
                transmission=transmission,
                to=S.PRECHECK_FAILED,
                reason="The build was interrupted; send again.",
            )
        except TransitionNotAllowed:
            pass
    for pk in Transmission.objects.filter(
        status__in=[S.READY, S.UPLOADING], updated_at__lt=stale
    ).values_list("pk", flat=True):
        queue_upload(transmission_id=pk)
        counts["uploads"] += 1
    lost_polls = Transmission.objects.filter(status__in=[S.RECEIVED, S.PROCESSING]).filter(
        next_poll_at__lt=now - timedelta(seconds=edi_setting("EDI_SWEEP_STALE_SECONDS") / 10 + 30)
    )
    for pk, token in lost_polls.values_list("pk", "poll_attempts"):
        queue_poll(transmission_id=pk, countdown=0, token=token)
        counts["polls"] += 1
    for transmission in Transmission.objects.filter(
        status__in=FINAL_STATUSES, ack_999="", completed_at__gt=now - timedelta(days=2)
    ).select_related("group")[:50]:
        counts["acknowledgments"] += transmission_fetch_acknowledgment(transmission=transmission)
    return counts
