"""Enrollment files: upload checks (FIL-001, FIL-002), the processing clock, processing, the 999; each
member's result is :mod:`sandbox.file_members`'s (FIL-010/011/012, FIL-901).

A file moves on its own clock (``SANDBOX_FILE_PICKUP_SECONDS`` in RECEIVED, then
``SANDBOX_FILE_PROCESSING_SECONDS`` in PROCESSING). Rather than a timer, the clock is applied whenever
somebody looks (:func:`advance_group_files` runs before every read of a group, its files or its members).
Ending a file is claimed with a conditional update, so two readers never process it twice.

What a read may cost is bounded: a file of up to ``SANDBOX_INLINE_PROCESSING_BYTES`` (256 KiB, some 750
members) is processed by the read that finds it due; a larger one is handed to a Celery task
(``sandbox.process_file``) and the read answers ``PROCESSING`` at once (the hand-over pushes
``ends_after`` one lease ahead, so it happens once per lease, and again if a worker lost it). Whatever the
bytes, processing ends in a final status: an unexpected exception rejects the file with ``FIL-999``
(logged), and a file no worker ended within ``SANDBOX_PROCESSING_GIVE_UP_SECONDS`` is rejected the same
way. One file's failure never reaches another file, its group or the partner's book.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from groupsales.x12.ack999 import build_999
from groupsales.x12.parser import ParsedInterchange, X12SyntaxError, is_interchange, parse_834
from groupsales.x12.validate import companion_issues, pyx12_issues

from . import change_files, clock, maintenance, renewals, scenarios
from .file_members import file_error, member_results
from .http import ApiProblem, error
from .models import EnrollmentFile, Group, MemberValidation, Partner

logger = logging.getLogger(__name__)
F = EnrollmentFile.Status
G = Group.Status
V = MemberValidation.Status
X12_CONTENT_TYPE = "application/edi-x12"
PROCESSING_FAILED = "FIL-999"  # the sandbox's own: processing failed or never ended (docs/sandbox.md)


def max_file_bytes() -> int:
    return int(getattr(settings, "SANDBOX_MAX_FILE_BYTES", 5 * 1024 * 1024))


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _record(group: Group, status: str) -> None:
    at = clock.now()
    group.status = status
    group.status_history = [*group.status_history, {"status": status, "at": clock.rfc3339(at)}]
    group.updated_at = at


def file_receipt(file: EnrollmentFile) -> dict[str, Any]:
    return {
        "fileId": file.file_id,
        "status": file.status,
        "receivedAt": clock.rfc3339(file.received_at),
        "interchangeControlNumber": file.interchange_control_number,
    }


def file_status(file: EnrollmentFile) -> dict[str, Any]:
    body = file_receipt(file)
    body.update(
        {
            "completedAt": clock.rfc3339(file.completed_at),
            "errors": file.errors,
            "summary": file.summary,
            "members": file.members,
            "kind": file_kind(file),
        }
    )
    return body


def file_kind(file: EnrollmentFile) -> str:
    """1.1: the file's kind by its header DTP*007 (none: a change file; one of the group's renewal dates
    other than its effective date: a renewal file)."""
    text = file.content or ""
    header = text.split("INS*", 1)[0]
    found = re.search(r"DTP\*007\*D8\*(\d{8})", header)
    if found is None:
        return "CHANGE"
    day = date(int(found[1][:4]), int(found[1][4:6]), int(found[1][6:]))
    effective = file.group.body.get("requestedEffectiveDate")
    if day.isoformat() != effective and file.group.renewals.filter(renewal_date=day).exists():
        return "RENEWAL"
    return "NEW_BUSINESS"


def file_upload(*, partner: Partner, group: Group, content: bytes, content_type: str) -> EnrollmentFile:
    """Checks at upload; a 202 creates the file, uses up its ISA13 and makes the group ENROLLING."""
    if content_type != X12_CONTENT_TYPE:
        raise ApiProblem.of(415, "UNSUPPORTED_MEDIA_TYPE", f"Send the 834 as {X12_CONTENT_TYPE}.")
    if len(content) > max_file_bytes():
        raise ApiProblem.of(413, "PAYLOAD_TOO_LARGE", f"A file has at most {max_file_bytes()} bytes.")
    _check_group_takes_files(group)
    text, parsed = _read_interchange(content)
    isa13 = parsed.interchange_control_number
    earlier = EnrollmentFile.objects.filter(partner=partner, interchange_control_number=isa13).first()
    if earlier is not None:
        message = f"Interchange control number {isa13} was already received."
        raise ApiProblem(409, [error("FIL-002", message, fileId=earlier.file_id)])
    return _file_create(partner=partner, group=group, isa13=isa13, text=text)


def _check_group_takes_files(group: Group) -> None:
    """409 unless the group (its files' clock applied) is FINALIZED or ENROLLED with no file in flight."""
    advance_group_files(group=group)
    group.refresh_from_db()
    if group.status not in (G.FINALIZED, G.ENROLLED):
        raise ApiProblem.of(
            409, "INVALID_STATE", f"The group is {group.status}; files are taken when FINALIZED or ENROLLED."
        )
    if group.files.filter(status__in=EnrollmentFile.IN_FLIGHT).exists():
        raise ApiProblem.of(409, "INVALID_STATE", "Another file of this group is still being processed.")


def _read_interchange(content: bytes) -> tuple[str, ParsedInterchange]:
    """The body as one readable X12 interchange, else FIL-001."""
    if content.startswith(b"\xef\xbb\xbf"):
        raise ApiProblem.of(
            422, "FIL-001", "The file begins with a UTF-8 byte-order mark; an interchange begins with ISA."
        )
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise ApiProblem.of(
            422, "FIL-001", "The file holds characters outside ASCII; it is not an X12 interchange."
        ) from None
    if "\x00" in text or not is_interchange(text):
        raise ApiProblem.of(422, "FIL-001", "The body is not an X12 interchange (ISA … IEA).")
    try:
        parsed = parse_834(text)
    except X12SyntaxError as exc:
        raise ApiProblem.of(422, "FIL-001", f"The interchange cannot be read: {exc}") from None
    interchanges = len(parsed.all("ISA"))
    if interchanges > 1:
        raise ApiProblem.of(
            422, "FIL-001", f"The body holds {interchanges} interchanges (ISA … IEA); send one per upload."
        )
    return text, parsed


def _file_create(*, partner: Partner, group: Group, isa13: str, text: str) -> EnrollmentFile:
    """The RECEIVED file on its clock (pickup, then processing); the group ENROLLING."""
    now = clock.now()
    pickup = timedelta(seconds=float(settings.SANDBOX_FILE_PICKUP_SECONDS))
    with transaction.atomic():
        file = EnrollmentFile.objects.create(
            partner=partner,
            group=group,
            file_id=f"T{uuid.uuid4().hex[:11]}",  # numbered below, once the row has its id
            interchange_control_number=isa13,
            content=text,
            received_at=now,
            processing_after=now + pickup,
            ends_after=now + pickup + timedelta(seconds=scenarios.processing_seconds(group=group)),
        )
        file.file_id = f"F-{file.pk:06d}"
        file.save(update_fields=["file_id"])
        _record(group, G.ENROLLING)
        group.save()
    return file


# --------------------------------------------------------------------------- the clock


def advance_group_files(*, group: Group) -> None:
    for file in group.files.filter(status__in=EnrollmentFile.IN_FLIGHT):
        advance_file(file=file)


def advance_partner_files(*, partner: Partner) -> None:
    for file in EnrollmentFile.objects.filter(partner=partner, status__in=EnrollmentFile.IN_FLIGHT):
        advance_file(file=file)


def advance_file(*, file: EnrollmentFile) -> EnrollmentFile:
    """Apply the clock to ``file``: never raises, and never costs a read more than a small file's work."""
    now = clock.now()
    if file.status == F.RECEIVED and now >= file.processing_after:
        EnrollmentFile.objects.filter(pk=file.pk, status=F.RECEIVED).update(status=F.PROCESSING)
        file.refresh_from_db()
    if file.status != F.PROCESSING or now < file.ends_after:
        return file
    if now - file.received_at > timedelta(seconds=_setting("SANDBOX_PROCESSING_GIVE_UP_SECONDS", 3600)):
        _fail(file, "Processing did not end in time; send the file again with a new ISA13.")
    elif len(file.content or "") <= _setting("SANDBOX_INLINE_PROCESSING_BYTES", 256 * 1024):
        file_process(file_id=file.pk)
    else:
        _hand_over(file, now)
    file.refresh_from_db()
    return file


def _hand_over(file: EnrollmentFile, now) -> None:
    """Queue a large file's processing once per lease (``ends_after`` moves one lease ahead)."""
    lease = timedelta(seconds=_setting("SANDBOX_PROCESSING_LEASE_SECONDS", 300))
    claimed = EnrollmentFile.objects.filter(
        pk=file.pk, status=F.PROCESSING, ends_after=file.ends_after
    ).update(ends_after=now + lease)
    if claimed:
        from .tasks import process_file

        try:
            process_file.delay(file.pk)
        except Exception:  # no broker: the next read after the lease tries again
            logger.exception("sandbox: could not queue the processing of file %s", file.file_id)


def file_process(*, file_id: int) -> str:
    """Process a file that is due (the read or the Celery task); an exception rejects it with FIL-999."""
    file = EnrollmentFile.objects.select_related("group", "partner").filter(pk=file_id).first()
    if file is None or file.status != F.PROCESSING:
        return "not processing"
    try:
        with transaction.atomic():
            _process(file)
    except Exception:
        logger.exception("sandbox: processing of file %s failed", file.file_id)
        _fail(file, "The file could not be processed; send it again with a new ISA13.")
    return EnrollmentFile.objects.filter(pk=file_id).values_list("status", flat=True).first() or "gone"


def _fail(file: EnrollmentFile, message: str) -> None:
    """End ``file`` REJECTED with the generic FIL-999, its group back as the file found it."""
    now = clock.now()
    with transaction.atomic():
        claimed = EnrollmentFile.objects.filter(pk=file.pk, status=F.PROCESSING).update(
            status=F.REJECTED,
            completed_at=now,
            errors=[file_error(PROCESSING_FAILED, message, None, None)],
            summary={"members": 0, "accepted": 0, "rejected": 0},
            members=[],
        )
        if claimed:
            group = Group.objects.select_for_update().get(pk=file.group_id)
            ever_accepted = group.validations.filter(status=V.ACCEPTED).exists()
            _record(group, G.ENROLLED if ever_accepted else G.FINALIZED)
            group.save()


# --------------------------------------------------------------------------- processing


@dataclass
class _Checked:
    """A file read and checked as a whole: ``errors`` (any) reject it whole; ``changes``: a change or a
    renewal file (1.1), whose loops are processed as change loops."""

    parsed: ParsedInterchange
    effective: date
    changes: bool
    renewal: bool
    errors: list[dict[str, Any]]
    acknowledgment: str
    now: datetime


@dataclass
class _Results:
    status: str
    members: list[dict[str, Any]]
    summary: dict[str, int]
    accepted: list[str]
    rejected: list[str]
    plan: list


def _process(file: EnrollmentFile) -> None:
    """End a PROCESSING file: its whole-file checks, each loop's result, the validations, the roster or
    the changes applied, the group's status; then the accepted members' IDs in the stored results."""
    group = file.group
    checked = _check_file(file)
    with transaction.atomic():
        validations = {v.member_ref: v for v in group.validations.select_for_update()}
        results = _results(file, checked, validations)
        claimed = EnrollmentFile.objects.filter(pk=file.pk, status=F.PROCESSING).update(
            status=results.status,
            completed_at=checked.now,
            errors=checked.errors,
            summary=results.summary,
            members=results.members,
            acknowledgment=checked.acknowledgment,
        )
        if not claimed:  # another reader ended it first
            return
        _update_validations(validations, results)
        if checked.changes:
            change_files.apply_changes(
                group=group, loops=results.plan, rejected=results.rejected, file_id=file.file_id
            )
        else:
            maintenance.roster_enroll(
                group=group, validations=validations, refs=results.accepted, file_id=file.file_id
            )
        group.refresh_from_db()
        ever_accepted = group.validations.filter(status=V.ACCEPTED).exists()
        _record(group, G.ENROLLED if ever_accepted else G.FINALIZED)
        group.save()
    if results.accepted:
        _fill_member_ids(file, group, results)


def _check_file(file: EnrollmentFile) -> _Checked:
    """pyx12 and the companion guide, the sandbox's scenarios, and (1.1) a renewal's or a change file's
    file-level rules; the 999 of it."""
    group, partner = file.group, file.partner
    parsed = parse_834(file.content)
    x12 = pyx12_issues(file.content)
    effective = date.fromisoformat(group.body["requestedEffectiveDate"])
    # 1.1: a renewal file (DTP*007 a renewal date) is checked on its renewal date, with REN-008
    renewal_date, renewal_errors = renewals.renewal_file_errors(
        group=group, header_date=parsed.header.effective_date
    )
    effective = renewal_date or effective
    change_file = parsed.is_change_file  # 1.1: no header DTP*007
    renewal_file = renewal_date is not None  # 1.1: its loops are processed as a change file's
    issues = companion_issues(
        parsed,
        sender_id=partner.sender_id,
        group_id=group.group_id,
        fein=group.fein,
        usage_indicator=getattr(settings, "SANDBOX_USAGE_INDICATOR", "T"),
        effective_date=None if change_file else effective,
        x12_issues=x12,
    )
    first_file = not group.files.filter(pk__lt=file.pk).exists()
    whole = (
        scenarios.file_rejected_whole(group=group, is_first_file=first_file)
        + [file_error(i.code, i.message, i.segment, i.line) for i in issues]
        + renewal_errors
    )
    if change_file or renewal_file:
        whole += change_files.file_level_errors(group=group)
    now = clock.now()
    ack = build_999(
        parsed,
        issues,
        x12,
        partner_id=partner.sender_id,
        interchange_control_number=file.pk,
        group_control_number=file.pk,
        created_at=now,
    )
    return _Checked(parsed, effective, change_file or renewal_file, renewal_file, whole, ack, now)


def _results(file: EnrollmentFile, checked: _Checked, validations: dict[str, MemberValidation]) -> _Results:
    """Each loop's result and the file's status: REJECTED whole, or by its members' results."""
    parsed = checked.parsed
    if checked.errors:
        count = len(parsed.members)
        return _Results(F.REJECTED, [], {"members": count, "accepted": 0, "rejected": count}, [], [], [])
    plan: list = []
    if checked.changes:
        members, accepted, rejected, plan = change_files.change_results(
            file=file, parsed=parsed, validations=validations, renewal=checked.renewal
        )
    else:
        members, accepted, rejected = member_results(parsed, validations, checked.effective)
    summary = {"members": len(members), "accepted": len(accepted), "rejected": len(members) - len(accepted)}
    if accepted and len(accepted) == len(members):
        status = F.ACCEPTED
    else:
        status = F.ACCEPTED_WITH_ERRORS if accepted else F.REJECTED
    return _Results(status, members, summary, accepted, rejected, plan)


def _update_validations(validations: dict[str, MemberValidation], results: _Results) -> None:
    """The accepted members get their Humana member IDs, the rejected REJECTED (never one accepted)."""
    for ref in results.accepted:
        validation = validations[ref]
        if validation.status != V.ACCEPTED:
            validation.status = V.ACCEPTED
            validation.humana_member_id = f"H{40000000 + validation.pk}"
            validation.save(update_fields=["status", "humana_member_id"])
    for ref in results.rejected:
        validation = validations[ref]
        if validation.status != V.ACCEPTED:
            validation.status = V.REJECTED
            validation.save(update_fields=["status"])


def _fill_member_ids(file: EnrollmentFile, group: Group, results: _Results) -> None:
    """Fill the member IDs of those just accepted into the stored results."""
    ids = dict(
        group.validations.filter(member_ref__in=results.accepted).values_list(
            "member_ref", "humana_member_id"
        )
    )
    for entry in results.members:
        if entry["status"] == V.ACCEPTED:
            entry["humanaMemberId"] = ids.get(entry["memberRef"])
    EnrollmentFile.objects.filter(pk=file.pk).update(members=results.members)
