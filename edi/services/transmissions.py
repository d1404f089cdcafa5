"""The 834 transmission's lifecycle: start, upload, poll, record results, follow the group, sweep.

Flow: ``transmission_start`` (a broker's click) creates the row (one in flight per group, a DB
constraint), allocates a control number in its own committed transaction, renders the 834, prechecks
it (pyx12 + companion guide) and queues ``edi.tasks.upload_transmission`` on commit. The upload task
calls ``transmission_upload`` (idempotent: the carrier operation's key is reused on every retry; a
409 FIL-002 adopts the earlier fileId), then ``edi.tasks.poll_transmission`` calls
``transmission_poll`` with backoff until the file ends (``_apply_final``) or gets too old (STUCK).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from carrier.client import GroupSalesClient
from carrier.errors import CarrierConflictError, CarrierError, CarrierPermanentError, CarrierTransientError
from carrier.operations import carrier_call, carrier_session
from carrier.outbox import outbox_enqueue
from carrier.schemas import EnrollmentFileStatus, FileReceipt
from carrier.services import operation_for
from enrollment.models import EmployerGroup
from enrollment.states import TransitionNotAllowed as GroupMoveRefused
from enrollment.states import group_transition
from groupsales.masking import mask_999
from members.services import member_record_enrollment_results

from .. import follow_up, sources
from ..models import FINAL_STATUSES, Transmission, TransmissionMember
from ..states import TransitionNotAllowed, transmission_transition
from .control_numbers import control_number_allocate
from .files import BuildError, BuiltFile, Problem, plain, precheck_problems, transmission_render
from .notify import transmission_notify_admins, transmission_notify_broker
from .results import error_dicts as _error_dicts
from .results import store_member_results as _store_member_results

logger = logging.getLogger(__name__)

S = Transmission.Status
P = Transmission.Purpose
G = EmployerGroup.Status


def edi_setting(name: str) -> float:
    """One of the 834 work's ``EDI_*`` settings (their defaults are in ``portal/settings.py``)."""
    return float(getattr(settings, name))


class TransmissionRefused(Exception):
    """The broker's request cannot be done now; ``str(exc)`` is a plain message for them."""


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


def _transmission_open(
    *, group: EmployerGroup, purpose: str, follows: Transmission | None, by: User | None
) -> tuple[Transmission, int]:
    """The group's new file row with its control number; refused while another file of the group is in
    flight (the database's one-in-flight constraint decides)."""
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
    return transmission, number


def transmission_start(
    *, group: EmployerGroup, purpose: str = P.ORIGINAL, by: User | None = None
) -> Transmission:
    """Build, precheck and (when clean) queue the upload of the group's next file.

    Raises ``TransmissionRefused`` (plain message) when the group is not ready for this purpose or a
    file of the group is already in flight. A file that fails the precheck is kept as PRECHECK_FAILED
    with its problems; nothing is uploaded.
    """
    follows, refs = _plan(group=group, purpose=purpose)
    transmission, number = _transmission_open(group=group, purpose=purpose, follows=follows, by=by)
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
        _store_built(transmission, built, problems)
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


def _store_built(transmission: Transmission, built: BuiltFile, problems: list[Problem]) -> None:
    """The file's text, figures and members on its row (the precheck's problems with them)."""
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


def queue_upload(*, transmission_id: int) -> None:
    """Recorded with the change (``carrier.outbox``): queued on commit, or by the outbox sweep when Redis
    is down then, so an upload clicked during a broker outage is not lost."""
    from ..tasks import upload_transmission

    outbox_enqueue(task_name=upload_transmission.name, args=[transmission_id])


def queue_poll(*, transmission_id: int, countdown: float, token: int | None = None) -> None:
    """The next status poll, through the outbox like the upload (and found by the sweep if lost)."""
    from ..tasks import poll_transmission

    outbox_enqueue(
        task_name=poll_transmission.name, args=[transmission_id], kwargs={"token": token}, countdown=countdown
    )


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
    transmission_notify_broker(transmission)
    return transmission


def _delay(attempt: int) -> float:
    first, most = edi_setting("EDI_POLL_FIRST_SECONDS"), edi_setting("EDI_POLL_MAX_SECONDS")
    return float(min(first * (2 ** min(attempt, 30)), most))


def _poll_claim(transmission: Transmission, *, token: int | None, redelivered: bool) -> int | None:
    """Take poll number ``token`` (the count now when None) with a conditional update; the count taken, or
    None when another chain holds it (see ``transmission_poll``)."""
    current = transmission.poll_attempts if token is None else token
    claimed = Transmission.objects.filter(pk=transmission.pk, poll_attempts=current).update(
        poll_attempts=current + 1, last_polled_at=timezone.now()
    )
    own_claim = redelivered and token is not None and transmission.poll_attempts == current + 1
    return current if claimed or own_claim else None


def _status_read(transmission: Transmission) -> Any:
    """The carrier's status of the file, or None when it could not be read this time (logged)."""
    group_id, subject = transmission.group.humana_group_id or "", _subject(transmission)
    try:
        with carrier_session(sources.carrier_client) as client:
            return client.get_enrollment_file(group_id, transmission.file_id, subject=subject)
    except CarrierTransientError as exc:
        logger.info("transmission %s: status not read (%s); polling again later", transmission.pk, exc.code)
    except CarrierPermanentError as exc:
        logger.warning("transmission %s: status refused: %s", transmission.pk, exc)
    return None


def _given_up(transmission: Transmission) -> bool:
    """Past ``EDI_POLL_MAX_AGE_SECONDS`` the file is STUCK and the admins are told; True when polling ends."""
    started = transmission.poll_started_at or transmission.uploaded_at or transmission.created_at
    if timezone.now() - started <= timedelta(seconds=edi_setting("EDI_POLL_MAX_AGE_SECONDS")):
        return False
    try:
        transmission = transmission_transition(
            transmission=transmission,
            to=S.STUCK,
            next_poll_at=None,
            reason="The carrier has not finished the file in time; an admin should look at it.",
        )
    except TransitionNotAllowed:
        return True
    transmission_notify_admins(transmission)
    return True


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
    current = _poll_claim(transmission, token=token, redelivered=redelivered)
    if current is None:
        return None
    status = _status_read(transmission)
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
    if _given_up(transmission):
        return None
    delay = _delay(current)
    Transmission.objects.filter(pk=transmission.pk).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay)
    )
    return delay


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
        _store_member_results(transmission, status, file_errors)
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
    transmission_notify_broker(transmission)


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


def transmission_resubmit(*, transmission: Transmission, by: User | None = None) -> Transmission:
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


def transmission_operation_resume(operation: Any) -> str:
    """``carrier.resume`` for ``upload_834``: a file still READY or UPLOADING is uploaded again under the
    operation's key (the carrier answers its first 202 again); one an admin must look at keeps it
    (``waiting``); otherwise ``superseded``."""
    transmission = Transmission.objects.filter(pk=int(operation.subject.split(":")[1])).first()
    if transmission is None:
        return "superseded"
    if transmission.status == S.UPLOAD_FAILED:
        return "waiting"
    if transmission.status not in (S.READY, S.UPLOADING):
        return "superseded"
    queue_upload(transmission_id=transmission.pk)
    return "queued"
