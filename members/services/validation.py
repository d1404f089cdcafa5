"""Validation with the carrier: claims, the calls (one by one or in batches), the answers stored only
for the edit they were sent for (``members.states``), withdrawals, the sweep.

Every edit that changes what would be sent to the carrier bumps the member's ``edit_version`` and
marks it ``NOT_VALIDATED``; a carrier result is stored only while ``edit_version`` is the one sent, so a
late answer never overwrites a newer edit. Validation runs in ``members.tasks.validate_group_members``
(queued on commit); the idempotency key of a member's validation is the key of the carrier operation
``member:{id}:v{edit_version}`` (one per logical attempt; a retry after a transient failure reuses it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from carrier.client import get_client
from carrier.errors import CarrierPermanentError, CarrierRuleError, CarrierTransientError
from carrier.models import CarrierOperation
from carrier.operations import carrier_call, carrier_session, claim_kept
from carrier.outbox import outbox_enqueue
from carrier.schemas import InvalidCarrierRequest
from carrier.services import operation_for
from enrollment import rules as enrollment_rules
from enrollment.models import EmployerGroup
from enrollment.payload import group_build_create_payload
from enrollment.rules import Problem

from .. import completeness
from ..models import Member
from ..states import member_validation_move, members_validation_move
from .bodies import member_build_validation_body
from .open_batches import member_subject, open_batches
from .problems import member_local_problems

V = Member.ValidationStatus
NOT_SENT = "Not sent: it lacks what api.md needs (portal_errors)."
BATCH_LIMIT = 200  # api.md: at most 200 members per batch


def claim_seconds() -> float:
    """How long a worker's claim on members it is validating holds; after that (its worker died) another
    task may claim them again and replay the same idempotency keys."""
    return float(getattr(settings, "MEMBERS_VALIDATION_CLAIM_SECONDS", 60))


def batch_threshold() -> int:
    return int(getattr(settings, "MEMBERS_BATCH_THRESHOLD", 5))


def _mark_edited(member_ids: Iterable[int]) -> int:
    ids = list(member_ids)
    if not ids:
        return 0
    moved = members_validation_move(
        members=Member.objects.filter(pk__in=ids), to=V.NOT_VALIDATED, new_edit=True,
        reason="Edited: to be validated again.", carrier_errors=[], carrier_warnings=[], portal_errors=[],
        validation_claimed_at=None,
    )  # fmt: skip
    return len(moved)


def group_accepts_validation(*, group: EmployerGroup) -> bool:
    """api.md: member validations are allowed while the carrier's group is CREATED, FINALIZED or ENROLLED."""
    S = EmployerGroup.Status
    return bool(group.humana_group_id) and group.status in (
        S.OPEN_ENROLLMENT,
        S.FINALIZING,
        S.FINALIZED,
        S.ENROLLING,
        S.ENROLLED,
        S.NEEDS_ATTENTION,
    )


def members_queue_validation(*, group: EmployerGroup) -> bool:
    """Queue ``validate_group_members`` on commit (when the carrier has the group)."""
    if not group_accepts_validation(group=group):
        return False
    from .. import tasks

    # Recorded with the change (carrier.outbox): queued on commit, or by the outbox sweep if Redis is down.
    outbox_enqueue(task_name=tasks.validate_group_members.name, args=[group.pk])
    return True


def member_withdraw_with_carrier(*, member_id: int) -> str:
    """DELETE the member's validation at the carrier (a subscriber takes its dependents with it)."""
    member = Member.objects.select_related("group", "subscriber").get(pk=member_id)
    if member.withdrawn_at is None or not member.group.humana_group_id:
        return "skipped"

    def refused(exc: Exception) -> str:
        assert isinstance(exc, CarrierPermanentError)
        errors = [{"code": exc.code, "message": exc.message, "pointer": ""}]
        Member.objects.filter(pk=member.pk).update(enrollment_errors=errors)
        return "failed"

    return carrier_call(  # a DELETE: the same answer however often it is sent, no operation to keep
        lambda client: client.withdraw_member(
            member.group.humana_group_id, member.member_ref, subject=f"member:{member.pk}"
        ),
        opener=get_client,
        refused=refused,
        succeeded=lambda answer: "withdrawn",
    )


def _error_dicts(errors: Iterable[Any]) -> list[dict]:
    out = []
    for e in errors:
        if hasattr(e, "model_dump"):
            out.append(
                e.model_dump(by_alias=True, include={"code", "pointer", "message", "severity", "member_ref"})
            )
        elif isinstance(e, dict):
            out.append(e)
    return out


def _claim(group_id: int) -> list[Member]:
    """Claim the members waiting for validation (conditional update), subscribers first."""
    now = timezone.now()
    stale = now - timedelta(seconds=claim_seconds())
    waiting = Q(validation_status__in=[V.NOT_VALIDATED, V.CARRIER_UNREACHABLE]) | Q(
        validation_status=V.PENDING, validation_claimed_at__lt=stale
    )
    base = Member.objects.filter(group_id=group_id, withdrawn_at__isnull=True)
    ids = members_validation_move(
        members=base.filter(waiting), to=V.PENDING, reason="Claimed by a validation run.",
        validation_claimed_at=now, validation_attempts=F("validation_attempts") + 1,
    )  # fmt: skip
    if not ids:
        return []
    claimed = (
        Member.objects.filter(pk__in=ids)
        .select_related("subscriber", "group")
        .prefetch_related("elections", "dependents")
    )
    return sorted(claimed, key=_sending_order)


def _claimed_elsewhere(group_id: int) -> int:
    """Seconds until the oldest live claim on the group's members expires (0: none). A task redelivered
    after its worker died finds the dead worker's claim here and looks again once it has expired."""
    oldest = (
        Member.objects.filter(group_id=group_id, withdrawn_at__isnull=True, validation_status=V.PENDING)
        .order_by("validation_claimed_at")
        .values_list("validation_claimed_at", flat=True)
        .first()
    )
    if oldest is None:
        return 0
    left = (oldest + timedelta(seconds=claim_seconds()) - timezone.now()).total_seconds()
    return max(int(left + 0.999), 1)


def _store(member: Member, to: str, reason: str, **fields: Any) -> bool:
    """Store a result only if nobody edited the member since it was sent (same edit_version)."""
    fields.setdefault("validation_claimed_at", None)
    return member_validation_move(member=member, to=to, reason=reason, frm=V.PENDING, **fields)


def _store_valid(member: Member, *, validation_id: str, validated_at: Any, warnings: Any) -> bool:
    return _store(
        member,
        V.VALID,
        "Validated by the carrier.",
        validation_id=validation_id or "",
        validated_at=validated_at or timezone.now(),
        carrier_errors=[],
        carrier_warnings=_error_dicts(warnings or []),
        portal_errors=[],
    )


def _store_invalid(member: Member, errors: list[dict]) -> bool:
    # api.md: a 422 leaves the earlier validation in force, so validation_id is kept.
    codes = ", ".join(sorted({str(e.get("code", "")) for e in errors})) or "refused"
    reason = f"Refused by the carrier: {codes}."
    return _store(member, V.INVALID, reason, carrier_errors=errors, portal_errors=[])


def _store_incomplete(member: Member, problems: list[dict], reason: str) -> bool:
    return _store(member, V.INCOMPLETE, reason, portal_errors=problems)


def _release_unreachable(members: Iterable[Member]) -> None:
    for member in members:
        _store(member, V.CARRIER_UNREACHABLE, "The carrier could not be reached; retrying.")


def _member_rules(group: EmployerGroup) -> Any:
    """``member -> [Problem]``: the carrier's member rules, with the group's inputs read once."""
    inputs: list[tuple[dict, Any]] = []

    def rules(member: Member) -> list[Problem]:
        if not inputs:
            inputs.append((group_build_create_payload(group=group), enrollment_rules.group_rule_context()))
        payload, ctx = inputs[0]
        return member_local_problems(member=member, group_payload=payload, ctx=ctx)

    return rules


class _Run:
    """One validation run's counts and the members it finished."""

    def __init__(self) -> None:
        self.counts = {"valid": 0, "invalid": 0, "incomplete": 0, "stale": 0, "sent": 0}
        self.done: set[int] = set()
        self.valid_subscribers: list[int] = []
        self.refused_subscribers: set[int] = set()
        self.claimed: list[int] = []

    def renew(self) -> None:
        """Before each call: the run's claim on the members it has not finished holds for another
        ``claim_seconds`` (a live run keeps them however long the carrier takes; a dead one lets go)."""
        left = [pk for pk in self.claimed if pk not in self.done]
        if left:
            Member.objects.filter(pk__in=left, validation_status=V.PENDING).update(
                validation_claimed_at=timezone.now()
            )

    def note(self, member: Member, stored: bool, kind: str) -> None:
        self.counts[kind if stored else "stale"] += 1
        self.done.add(member.pk)
        if member.subscriber_id is None:
            if stored and kind == "valid":
                self.valid_subscribers.append(member.pk)
            elif kind != "valid":
                self.refused_subscribers.add(member.pk)


def group_validate_members(*, group_id: int) -> dict[str, int]:
    """Validate with the carrier every member of the group waiting for it. Returns counts by outcome.

    Members whose body does not fit api.md are not sent: they are stored INCOMPLETE with what they lack
    (``members.completeness``), and dependents wait for their employee. Subscribers are sent before
    dependents; more than ``MEMBERS_BATCH_THRESHOLD`` members go through the batch endpoint (chunks of
    200). ``CarrierTransientError`` marks the unanswered members CARRIER_UNREACHABLE and propagates (the
    task retries with the same idempotency keys).
    """
    group = EmployerGroup.objects.get(pk=group_id)
    run = _Run()
    if not group_accepts_validation(group=group):
        return run.counts
    members = _claim(group_id)
    run.claimed = [m.pk for m in members]
    if not members:
        run.counts["busy_seconds"] = _claimed_elsewhere(group_id)
        return run.counts
    plan = completeness.plan_sending(
        members, body=lambda m: member_build_validation_body(member=m), rules=_member_rules(group)
    )
    for m, problems in plan.incomplete:
        run.note(m, _store_incomplete(m, problems, NOT_SENT), "incomplete")
    run.counts["sent"] = len(plan.send)
    try:
        if plan.send:
            with carrier_session(get_client) as client, claim_kept(run.renew, every=claim_seconds() / 3):
                _send(group, plan.send, client, run)  # one client for the run; the claim a lease
    except CarrierTransientError:
        _release_unreachable(m for m in members if m.pk not in run.done)
        raise
    except Exception:
        # Never leave members PENDING on a bug: they wait again.
        for m in members:
            if m.pk not in run.done:
                _store(m, V.NOT_VALIDATED, "Released: the validation run stopped on an error.")
        raise
    if completeness.dependents_release(subscriber_ids=run.valid_subscribers):
        members_queue_validation(group=group)
    return run.counts


def _send(group: EmployerGroup, members: list[Member], client: Any, run: _Run) -> None:
    """One member version, one idempotency key, always (issue 18): a member version already sent keeps
    the key it was sent under until that operation closes, whatever run sends it again (a retry, a
    redelivered task, a swept one). So the batches still OPEN for these versions are sent again first,
    with the same members in the same order under the same key; members with an OPEN single operation
    go one by one under theirs; only the rest are sent afresh, in batches above the threshold."""
    batches, rest = open_batches(group, members)
    for resend in batches:
        _validate_batch(group, resend.members, client, run, operation=resend.operation, bodies=resend.bodies)
        if resend.moved:
            _moved_on(group, resend.moved)
    open_singles = set(
        CarrierOperation.objects.filter(
            kind="validate_member", status=CarrierOperation.Status.OPEN,
            subject__in=[member_subject(m) for m in rest],
        ).values_list("subject", flat=True)
    )  # fmt: skip
    singles = [m for m in rest if member_subject(m) in open_singles]
    fresh = [m for m in rest if member_subject(m) not in open_singles]
    if len(fresh) > batch_threshold():
        _validate_one_by_one(group, singles, client, run)
        _validate_in_batches(group, fresh, client, run)
    else:
        _validate_one_by_one(group, sorted(singles + fresh, key=_sending_order), client, run)


def _sending_order(member: Member) -> tuple[bool, str]:
    return (member.subscriber_id is not None, member.member_ref)


def _moved_on(group: EmployerGroup, subjects: list[str]) -> None:
    """After a batch was sent again with the old bodies of members that moved on: a withdrawn member is
    withdrawn at the carrier again (a DELETE answers the same however often); one whose newer version
    the carrier validated before the old body went again is validated once more (a new version, its own
    key), so the carrier's current validation is the portal's."""
    from .. import tasks

    for subject in subjects:
        _, pk, version = subject.split(":")
        member = Member.objects.filter(pk=int(pk)).first()
        if member is None:
            continue
        if member.withdrawn_at is not None:
            outbox_enqueue(task_name=tasks.withdraw_member.name, args=[member.pk])
        elif member.edit_version > int(version.lstrip("v")) and member.validation_status == V.VALID:
            reason = "Its earlier version was sent again after it: validated again."
            if members_validation_move(
                members=Member.objects.filter(pk=member.pk, edit_version=member.edit_version),
                to=V.NOT_VALIDATED, new_edit=True, reason=reason, validation_claimed_at=None,
            ):  # fmt: skip
                members_queue_validation(group=group)


def _validate_in_batches(group: EmployerGroup, members: list[Member], client: Any, run: _Run) -> None:
    for start in range(0, len(members), BATCH_LIMIT):
        _validate_batch(group, members[start : start + BATCH_LIMIT], client, run)


def _validate_batch(
    group: EmployerGroup,
    chunk: list[Member],
    client: Any,
    run: _Run,
    operation: CarrierOperation | None = None,
    bodies: list[dict] | None = None,
) -> None:
    """Send ``chunk`` in one batch call, or (``operation``) an OPEN batch again, with ``bodies`` as first
    sent when kept: ``chunk`` then holds the members still waiting at their version, which alone take
    the answer's results (those of members that moved on are left)."""
    bodies = bodies if bodies is not None else [member_build_validation_body(member=m) for m in chunk]
    subjects = [member_subject(m) for m in chunk]
    if operation is None:
        digest = hashlib.sha256(",".join(subjects).encode()).hexdigest()[:32]
        operation = operation_for(kind="validate_members", subject=f"group:{group.pk}:batch:{digest}")
        if not operation.covers:  # saved before the call: a later run sends these members under this key
            sent = json.dumps(bodies, default=str)  # as the client writes them (dates as ISO text)
            CarrierOperation.objects.filter(pk=operation.pk).update(covers=subjects, sent_bodies=sent)
            operation.covers = subjects

    def refused(exc: Exception) -> None:
        errors = _refusal_errors(exc)
        for m in chunk:
            own = [e for e in errors if e.get("memberRef") in (None, m.member_ref)]
            run.note(m, _store_invalid(m, own or errors), "invalid")

    sent_refs = [str(b.get("memberRef")) for b in bodies]

    def answered(answer: Any) -> None:
        by_ref = {r.member_ref: r for r in answer.results if r.member_ref}
        for m in chunk:
            result = by_ref.get(m.member_ref)
            index = sent_refs.index(m.member_ref) if m.member_ref in sent_refs else len(answer.results)
            if result is None and index < len(answer.results):
                result = answer.results[index]
            if result is None:
                run.note(
                    m, _store(m, V.NOT_VALIDATED, "No result for it in the carrier's answer."), "invalid"
                )
            elif result.valid:
                run.note(m, _store_result_valid(m, result), "valid")
            else:
                run.note(m, _store_invalid(m, _error_dicts(result.errors)), "invalid")

    key, subject = operation.idempotency_key, f"group:{group.pk}"
    run.renew()
    carrier_call(
        lambda c: c.validate_members(group.humana_group_id, bodies, idempotency_key=key, subject=subject),
        operation=operation, client=client, refused=refused, succeeded=answered,
    )  # fmt: skip


def _refusal_errors(exc: Exception) -> list[dict]:
    assert isinstance(exc, CarrierPermanentError)
    return _error_dicts(exc.errors) or [{"code": exc.code, "pointer": "", "message": exc.message}]


def _store_result_valid(member: Member, result: Any) -> bool:
    return _store_valid(
        member, validation_id=result.validation_id or "", validated_at=result.validated_at,
        warnings=result.warnings,
    )  # fmt: skip


def _validate_one_by_one(group: EmployerGroup, members: list[Member], client: Any, run: _Run) -> None:
    for m in members:
        if m.subscriber_id in run.refused_subscribers:
            # Its employee was just refused: the carrier would refuse it too (MBR-020).
            run.note(
                m,
                _store_incomplete(
                    m, [completeness.hold_problem()], "Held: its employee was refused (MBR-020)."
                ),
                "incomplete",
            )
            continue
        _validate_one(group, m, client, run)


def _validate_one(group: EmployerGroup, m: Member, client: Any, run: _Run) -> None:
    operation = operation_for(kind="validate_member", subject=member_subject(m))
    body = member_build_validation_body(member=m)

    def refused(exc: Exception) -> None:
        if isinstance(exc, InvalidCarrierRequest):  # our own schema refused it: nothing was sent
            problems = completeness.missing_problems(
                member=m, body=body, schema_errors=exc.errors, rules=_member_rules(group)
            )
            run.note(m, _store_incomplete(m, problems, NOT_SENT), "incomplete")
        elif isinstance(exc, CarrierRuleError):
            run.note(m, _store_invalid(m, _error_dicts(exc.errors)), "invalid")
        else:
            run.note(m, _store_invalid(m, _refusal_errors(exc)), "invalid")

    key, subject = operation.idempotency_key, f"member:{m.pk}"
    # The answer and its record in one transaction: a worker dying between the two leaves the operation
    # open, so the redelivered task replays the same key instead of validating the member a second time.
    run.renew()
    carrier_call(
        lambda c: c.validate_member(group.humana_group_id, body, idempotency_key=key, subject=subject),
        operation=operation, client=client, refused=refused,
        succeeded=lambda result: run.note(m, _store_result_valid(m, result), "valid"),
    )  # fmt: skip


def group_mark_members_unreachable(*, group_id: int) -> int:
    """When the task's retries run out: every member still waiting is CARRIER_UNREACHABLE (for admins)."""
    waiting = Member.objects.filter(
        group_id=group_id, withdrawn_at__isnull=True, validation_status__in=[V.PENDING, V.NOT_VALIDATED]
    )
    reason = "The carrier stayed unreachable: the retries are used up."
    return len(members_validation_move(members=waiting, to=V.CARRIER_UNREACHABLE, reason=reason,
                                       validation_claimed_at=None))  # fmt: skip


def members_request_validation(*, group: EmployerGroup, member_ids: Iterable[int] | None = None) -> bool:
    """'Validate now' / admin 'validate again': put the members back in the queue and queue the task.
    INVALID members are sent again only when named (their data has not changed)."""
    with transaction.atomic():
        members = Member.objects.filter(group=group, withdrawn_at__isnull=True)
        if member_ids is not None:
            members_validation_move(
                members=members.filter(pk__in=list(member_ids)).exclude(validation_status=V.PENDING),
                to=V.NOT_VALIDATED, reason="Validation asked for again.", new_edit=True,
                portal_errors=[], validation_claimed_at=None,
            )  # fmt: skip
        return members_queue_validation(group=group)


def members_sweep() -> int:
    """Beat: queue validation again for groups whose members wait longer than ``MEMBERS_SWEEP_STALE_SECONDS``
    (a task lost with a broker restart or a killed worker). Claims are conditional and results are stored
    only for the edit they were sent for, so an extra task changes nothing that was already done."""
    stale = timezone.now() - timedelta(
        seconds=float(getattr(settings, "MEMBERS_SWEEP_STALE_SECONDS", 15 * 60))
    )
    waiting = Q(validation_status__in=[V.NOT_VALIDATED, V.CARRIER_UNREACHABLE], updated_at__lt=stale) | Q(
        validation_status=V.PENDING, validation_claimed_at__lt=stale
    )
    group_ids = (
        Member.objects.filter(waiting, withdrawn_at__isnull=True)
        .values_list("group_id", flat=True)
        .distinct()
        .order_by()
    )
    queued = 0
    for group in EmployerGroup.objects.filter(pk__in=list(group_ids)):
        if group_accepts_validation(group=group):
            from .. import tasks

            tasks.validate_group_members.delay(group.pk)
            queued += 1
    return queued


def member_operation_resume(operation: CarrierOperation) -> str:
    """``carrier.resume`` for ``validate_member`` and ``validate_members``: the members of the operation
    still waiting at the version it was sent for are released from their (dead) run's claim and their
    group's validation is queued; the run sends them under the operation's key again (the carrier
    replays its stored answer). None waiting at that version: ``superseded``."""
    subjects = list(operation.covers or []) if operation.kind == "validate_members" else [operation.subject]
    versions: dict[int, int] = {}
    for subject in subjects:
        _, pk, version = str(subject).split(":")
        versions[int(pk)] = int(version.lstrip("v"))
    waiting = [
        m
        for m in Member.objects.filter(pk__in=list(versions), withdrawn_at__isnull=True).select_related(
            "group"
        )
        if m.edit_version == versions[m.pk]
        and m.validation_status in (V.PENDING, V.NOT_VALIDATED, V.CARRIER_UNREACHABLE)
    ]
    if not waiting:
        return "superseded"
    # The run that sent it stopped (no call for the stale age): every member it still holds is let go.
    claimed = [m.validation_claimed_at for m in waiting if m.validation_claimed_at is not None]
    held = Q(pk__in=[m.pk for m in waiting])
    if claimed:
        held |= Q(group_id__in={m.group_id for m in waiting}, validation_claimed_at__lte=max(claimed))
    members_validation_move(
        members=Member.objects.filter(held, validation_status=V.PENDING),
        to=V.CARRIER_UNREACHABLE, reason="Its validation run stopped; sent again under the same key.",
        validation_claimed_at=None,
    )  # fmt: skip
    for group in {m.group_id: m.group for m in waiting}.values():
        members_queue_validation(group=group)
    return "queued"
