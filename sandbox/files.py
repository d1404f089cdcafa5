"""Enrollment files: upload checks (FIL-001, FIL-002), the processing clock, processing, the 999.

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
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from groupsales.codes import LINE_TO_X12, RELATIONSHIP_TO_X12, X12_TO_RELATIONSHIP, Relationship
from groupsales.x12.ack999 import build_999
from groupsales.x12.parser import ParsedInterchange, ParsedMember, X12SyntaxError, is_interchange, parse_834
from groupsales.x12.sanitize import clean_digits, names_match
from groupsales.x12.validate import companion_issues, pyx12_issues

from . import change_files, clock, maintenance, renewals, scenarios
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
    advance_group_files(group=group)
    group.refresh_from_db()
    if group.status not in (G.FINALIZED, G.ENROLLED):
        raise ApiProblem.of(
            409, "INVALID_STATE", f"The group is {group.status}; files are taken when FINALIZED or ENROLLED."
        )
    if group.files.filter(status__in=EnrollmentFile.IN_FLIGHT).exists():
        raise ApiProblem.of(409, "INVALID_STATE", "Another file of this group is still being processed.")
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
    isa13 = parsed.interchange_control_number
    earlier = EnrollmentFile.objects.filter(partner=partner, interchange_control_number=isa13).first()
    if earlier is not None:
        raise ApiProblem(
            409,
            [
                error(
                    "FIL-002",
                    f"Interchange control number {isa13} was already received.",
                    fileId=earlier.file_id,
                )
            ],
        )
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
            errors=[_file_error(PROCESSING_FAILED, message, None, None)],
            summary={"members": 0, "accepted": 0, "rejected": 0},
            members=[],
        )
        if claimed:
            group = Group.objects.select_for_update().get(pk=file.group_id)
            ever_accepted = group.validations.filter(status=V.ACCEPTED).exists()
            _record(group, G.ENROLLED if ever_accepted else G.FINALIZED)
            group.save()


# --------------------------------------------------------------------------- processing


def _file_error(code: str, message: str, segment: str | None, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "segment": segment, "line": line}


def _process(file: EnrollmentFile) -> None:
    group = file.group
    partner = file.partner
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
        + [_file_error(i.code, i.message, i.segment, i.line) for i in issues]
        + renewal_errors
    )
    if change_file or renewal_file:
        whole += change_files.file_level_errors(group=group)
    plan: list = []
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
    with transaction.atomic():
        validations = {v.member_ref: v for v in group.validations.select_for_update()}
        members: list[dict[str, Any]]
        if whole:
            status, members, summary = (
                F.REJECTED,
                [],
                {"members": len(parsed.members), "accepted": 0, "rejected": len(parsed.members)},
            )
            accepted_refs: list[str] = []
            rejected_refs: list[str] = []
        else:
            if change_file or renewal_file:
                members, accepted_refs, rejected_refs, plan = change_files.change_results(
                    file=file, parsed=parsed, validations=validations, renewal=renewal_file
                )
            else:
                members, accepted_refs, rejected_refs = _member_results(parsed, validations, effective)
            accepted = len(accepted_refs)
            summary = {"members": len(members), "accepted": accepted, "rejected": len(members) - accepted}
            status = (
                F.ACCEPTED
                if accepted == len(members) and members
                else (F.ACCEPTED_WITH_ERRORS if accepted else F.REJECTED)
            )
        claimed = EnrollmentFile.objects.filter(pk=file.pk, status=F.PROCESSING).update(
            status=status,
            completed_at=now,
            errors=whole,
            summary=summary,
            members=members,
            acknowledgment=ack,
        )
        if not claimed:  # another reader ended it first
            return
        for ref in accepted_refs:
            validation = validations[ref]
            if validation.status != V.ACCEPTED:
                validation.status = V.ACCEPTED
                validation.humana_member_id = f"H{40000000 + validation.pk}"
                validation.save(update_fields=["status", "humana_member_id"])
        for ref in rejected_refs:
            validation = validations[ref]
            if validation.status != V.ACCEPTED:
                validation.status = V.REJECTED
                validation.save(update_fields=["status"])
        if change_file or renewal_file:
            change_files.apply_changes(group=group, loops=plan, rejected=rejected_refs, file_id=file.file_id)
        else:
            maintenance.roster_enroll(
                group=group, validations=validations, refs=accepted_refs, file_id=file.file_id
            )
        group.refresh_from_db()
        ever_accepted = group.validations.filter(status=V.ACCEPTED).exists()
        _record(group, G.ENROLLED if ever_accepted else G.FINALIZED)
        group.save()
    # Fill the member IDs of those just accepted into the stored results.
    if accepted_refs:
        ids = dict(
            group.validations.filter(member_ref__in=accepted_refs).values_list(
                "member_ref", "humana_member_id"
            )
        )
        for entry in members:
            if entry["status"] == V.ACCEPTED:
                entry["humanaMemberId"] = ids.get(entry["memberRef"])
        EnrollmentFile.objects.filter(pk=file.pk).update(members=members)


def _expected_coverage(
    validation: MemberValidation, validations: dict[str, MemberValidation]
) -> dict[str, tuple]:
    """{line: (plan, tier)} the validation elects, a dependent's on its subscriber's plan and tier."""
    source: MemberValidation | None = validation
    lines: set[str] | None = None
    if validation.relationship != Relationship.SUBSCRIBER:
        source = validations.get(validation.subscriber_ref)
        lines = {c.get("line") for c in validation.body.get("coverage") or []}
    if source is None:
        return {}
    expected = {}
    for cover in source.body.get("coverage") or []:
        if cover.get("waived") or not cover.get("planId"):
            continue
        if lines is not None and cover.get("line") not in lines:
            continue
        expected[LINE_TO_X12[cover["line"]]] = (cover["planId"], cover.get("coverageTier"))
    return expected


def _member_errors(
    pm: ParsedMember, validation: MemberValidation, validations: dict[str, MemberValidation], effective: date
) -> list[dict[str, Any]]:
    body = validation.body
    errors = []

    def fil(code: str, message: str, segment: str, line: int) -> None:
        errors.append(_file_error(code, message, segment, line))

    if (pm.subscriber_ref or "") != validation.subscriber_ref:
        fil("FIL-010", "REF*0F differs from the validation's subscriberRef.", "REF", pm.line_of("REF", "0F"))
    if pm.relationship_code != RELATIONSHIP_TO_X12.get(Relationship(validation.relationship)):
        fil("FIL-010", "The relationship (INS02) differs from the validation.", "INS", pm.line)
    if pm.birth_date is None or pm.birth_date.isoformat() != body.get("dateOfBirth"):
        fil("FIL-010", "The file's date of birth differs from the validation.", "DMG", pm.line_of("DMG"))
    if pm.ssn and pm.ssn != clean_digits(body.get("ssn")):
        fil("FIL-010", "The file's SSN differs from the validation.", "NM1", pm.line_of("NM1"))
    for element, file_value, key in (
        ("NM103", pm.last_name, "lastName"),
        ("NM104", pm.first_name, "firstName"),
        ("NM105", pm.middle_name, "middleName"),
    ):
        if not names_match(file_value, body.get(key), element):
            fil(
                "FIL-010",
                f"The file's name ({element}) differs from the validation.",
                "NM1",
                pm.line_of("NM1"),
            )
    expected = _expected_coverage(validation, validations)
    seen = set()
    for cover in pm.coverages:
        seen.add(cover.insurance_line)
        want = expected.get(cover.insurance_line)
        if want is None:
            fil(
                "FIL-011",
                f"The member is not validated for {cover.insurance_line} coverage.",
                "HD",
                cover.line,
            )
        elif (cover.plan_id, cover.tier) != want:
            fil("FIL-011", f"HD04/HD05 should be {want[0]}/{want[1]} as validated.", "HD", cover.line)
        if cover.start_date != effective:
            fil(
                "FIL-012",
                "Coverage start (DTP*348) is not the group's effective date.",
                "DTP",
                cover.start_line or cover.line,
            )
    for line in sorted(set(expected) - seen):
        fil(
            "FIL-011", f"The validation elects {line} coverage but the file has no HD for it.", "INS", pm.line
        )
    if pm.eligibility_begin != effective:
        fil(
            "FIL-012",
            "Eligibility begin (DTP*356) is not the group's effective date.",
            "DTP",
            pm.eligibility_begin_line or pm.line,
        )
    return errors


def _member_results(
    parsed: ParsedInterchange, validations: dict[str, MemberValidation], effective: date
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    results, accepted, rejected = [], [], []
    for pm in parsed.members:
        validation = validations.get(pm.member_ref or "")
        relationship = X12_TO_RELATIONSHIP.get(pm.relationship_code)
        entry: dict[str, Any] = {
            "memberRef": pm.member_ref if validation is not None else (pm.member_ref or None),
            "relationship": (validation.relationship if validation else relationship and relationship.value),
            "status": V.REJECTED,
            "humanaMemberId": None,
            "action": "ADD",
            "effectiveDate": None,
            "coverageEnd": None,
            "errors": [],
        }
        if validation is None or not validation.valid:
            why = (
                "The 2000 loop has no REF*ZZ member reference."
                if not pm.member_ref
                else (f"No valid validation for member {pm.member_ref} in this group.")
            )
            entry["errors"] = [
                _file_error("FIL-010", why, "REF" if pm.member_ref else "INS", pm.line_of("REF", "ZZ"))
            ]
            results.append(entry)
            continue
        if validation.status == V.ACCEPTED:  # reported accepted again, never enrolled twice
            entry.update(
                status=V.ACCEPTED,
                humanaMemberId=validation.humana_member_id,
                effectiveDate=effective.isoformat(),
            )
            accepted.append(validation.member_ref)
            results.append(entry)
            continue
        errors = _member_errors(pm, validation, validations, effective)
        subscriber = validations.get(validation.subscriber_ref)
        last_name = (subscriber or validation).body.get("lastName")
        if scenarios.member_rejected(subscriber_last_name=last_name):
            errors.append(
                _file_error(
                    "FIL-901",
                    "Enrollment processing rejected the member (sandbox: Rejectsmith).",
                    "INS",
                    pm.line,
                )
            )
        if errors:
            entry["errors"] = errors
            rejected.append(validation.member_ref)
        else:
            entry.update(status=V.ACCEPTED, effectiveDate=effective.isoformat())
            accepted.append(validation.member_ref)
        results.append(entry)
    return results, accepted, rejected
