"""Changes after enrollment: create and validate a change request, gather validated ones into a change
file (pre-checked with pyx12 and the companion guide) and send it, poll it and land the per-member
results, reconcile the carrier's roster. Carrier calls that change something go through
``carrier.operations.carrier_call``; reads (file status, roster) use the client directly."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carrier.client import get_client
from carrier.errors import CarrierPermanentError, CarrierRuleError
from carrier.operations import carrier_call
from carrier.rules import carrier_today
from edi.services.control_numbers import control_number_allocate
from edi.services.files import group_facts
from enrollment import notices
from enrollment.models import EmployerGroup
from enrollment.renewal_facts import current_renewal
from groupsales.change_events import ChangeAction
from groupsales.x12.changes import ChangeFamily, ChangeLoop, render_change_834
from groupsales.x12.model import Coverage, Envelope, Header, member_from_api
from groupsales.x12.validate import precheck
from members.models import Member
from members.services.bodies import member_build_validation_body

from .apply import member_apply_change
from .models import ChangeFile, ChangeRequest, MemberCoverage, RosterCheck
from .states import change_request_move

S = ChangeRequest.State
F = ChangeFile.Status


def change_request_create(
    *,
    group: EmployerGroup,
    body: dict[str, Any],
    member: Member | None = None,
    by: Any = None,
    before: list[dict[str, Any]] | None = None,
) -> ChangeRequest:
    """A DRAFT request for one member's change (``body``: api.md's validation body with its ``event``)."""
    event = body["event"]
    request = ChangeRequest(
        group=group,
        member=member,
        member_ref=body["memberRef"],
        subscriber_ref=body["subscriberRef"],
        relationship=body["relationship"],
        event_type=event["type"],
        action=event["action"],
        event_date=date.fromisoformat(str(event["date"])),
        before=before or [],
        created_by=by,
    )
    request.body = body
    request.save()
    return request


def change_request_validate(*, request_id: int) -> ChangeRequest:
    """Validate a DRAFT request with the carrier: VALIDATED with the carrier's dates, or REFUSED with its
    rules. A transient failure propagates (the task retries)."""
    request = ChangeRequest.objects.select_related("group").get(pk=request_id)
    if request.state != S.DRAFT:
        return request

    def succeeded(answer: Any) -> ChangeRequest:
        change = answer.change.model_dump(mode="json", by_alias=True) if answer.change else None
        change_request_move(
            request=request,
            to=S.VALIDATED,
            reason="validated by the carrier",
            change=change,
            carrier_errors=[],
        )
        return request

    def refused(exc: Exception) -> ChangeRequest:
        errors = [e.model_dump(by_alias=True) for e in getattr(exc, "errors", [])] or [
            {"code": getattr(exc, "code", "CARRIER"), "message": str(exc), "pointer": ""}
        ]
        rule = getattr(exc, "rule", None)
        if rule:
            errors = [{**e, "code": rule} for e in errors]
        if renewal_refusal_only(errors):
            return _hold(request, errors=errors)
        change_request_move(
            request=request, to=S.REFUSED, reason="refused by the carrier", carrier_errors=errors
        )
        return request

    return carrier_call(
        lambda client: client.validate_change(
            request.group.humana_group_id,
            request.body,
            idempotency_key=uuid.uuid4().hex,
            subject=f"change {request.pk}",
        ),
        succeeded=succeeded,
        refused=refused,
        also_refused=(ValueError,),
    )


def change_request_correct(*, request: ChangeRequest, body: dict[str, Any], by: Any = None) -> ChangeRequest:
    """A refused or rejected request, corrected: back to DRAFT with the new body (validate it again)."""
    if request.state in (S.REFUSED, S.REJECTED, S.VALIDATED, S.HELD):
        request.body = body
        request.save(update_fields=["body_text"])
        change_request_move(request=request, to=S.DRAFT, reason="corrected", by=by, change=None)
    return request


# --------------------------------------------------------------------------- MNT-011: held for the renewal

RENEWAL_RULE = "MNT-011"


def renewal_refusal_only(errors: list[dict[str, Any]]) -> bool:
    """The carrier refused the change for MNT-011 alone (it takes effect on or after a renewal date whose
    renewal is not accepted): the change waits for the renewal rather than being corrected."""
    blocking = [e for e in errors if e.get("severity", "error") != "warning"]
    return bool(blocking) and all(e.get("code") == RENEWAL_RULE for e in blocking)


def _hold(request: ChangeRequest, *, errors: list[dict[str, Any]] | None = None) -> ChangeRequest:
    renewal = current_renewal(group=request.group)
    held_for = renewal.renewal_date if renewal is not None else None
    day = held_for.isoformat() if held_for else "?"
    fields: dict[str, Any] = {"held_for": held_for}
    if errors is not None:
        fields["carrier_errors"] = errors
    change_request_move(
        request=request,
        to=S.HELD,
        reason=f"held until the renewal of {day} is accepted (MNT-011)",
        **fields,
    )
    return request


def held_by_renewal(*, request: ChangeRequest, renewal: Any) -> bool:
    """MNT-011 on the portal's side: a validated ADD, CHANGE or REINSTATE whose effective date is on or after
    the current renewal date, while that renewal is not accepted (``enrollment.renewal_facts``)."""
    effective = (request.change or {}).get("effectiveDate")
    if renewal is None or renewal.accepted or not effective or request.action == ChangeAction.TERMINATE:
        return False
    return date.fromisoformat(effective) >= renewal.renewal_date


def change_requests_hold(*, group: EmployerGroup, requests: list[ChangeRequest]) -> list[ChangeRequest]:
    """Hold the validated requests MNT-011 holds, with the rest of their event (MNT-013: a family's event
    goes whole); the requests still to send."""
    renewal = current_renewal(group=group)
    keys = {r.event_key or f"#{r.pk}" for r in requests if held_by_renewal(request=r, renewal=renewal)}
    if not keys:
        return requests
    for request in requests:
        if (request.event_key or f"#{request.pk}") in keys:
            _hold(request)
    return [r for r in requests if (r.event_key or f"#{r.pk}") not in keys]


def still_held(*, request: ChangeRequest, renewal: Any) -> bool:
    """Whether a HELD request still waits: its renewal is the current one and not accepted yet."""
    if renewal is None or renewal.accepted or request.held_for is None:
        return False
    return renewal.renewal_date <= request.held_for


def change_requests_release(*, group_id: int) -> list[int]:
    """The group's HELD requests whose renewal has been accepted (or has taken effect): back to DRAFT, to be
    validated again (a new request date, so a new ``sendBy``) and sent in the next change file."""
    group = EmployerGroup.objects.get(pk=group_id)
    held = list(group.change_requests.filter(state=S.HELD))
    if not held:
        return []
    renewal = current_renewal(group=group)
    released = []
    for request in held:
        if still_held(request=request, renewal=renewal):
            continue
        day = request.held_for.isoformat() if request.held_for else "?"
        if change_request_move(
            request=request,
            to=S.DRAFT,
            reason=f"released: the renewal of {day} was accepted",
            change=None,
            carrier_errors=[],
        ):
            released.append(request.pk)
    return released


def groups_with_held_changes() -> list[int]:
    return sorted(set(ChangeRequest.objects.filter(state=S.HELD).values_list("group_id", flat=True)))


# --------------------------------------------------------------------------- change files


def _coverages(items: list[dict[str, Any]]) -> tuple[Coverage, ...]:
    return tuple(Coverage(line=i["line"], plan_id=i["planId"], tier=i["coverageTier"]) for i in items)


def _loop(request: ChangeRequest, subscribers: dict[str, dict]) -> ChangeLoop:
    body, change = request.body, request.change or {}
    subscriber = None
    if body["relationship"] != "SUBSCRIBER":
        subscriber = member_from_api(subscribers[request.subscriber_ref])
    return ChangeLoop(
        member=member_from_api(body, subscriber),
        action=change["action"],
        event_type=change["type"],
        event_date=date.fromisoformat(change["eventDate"]),
        effective_date=date.fromisoformat(change["effectiveDate"]),
        coverage_end=date.fromisoformat(change["coverageEnd"]) if change.get("coverageEnd") else None,
        reason=change["maintenanceReasonCode"],
        before=_coverages(request.before),
    )


def _subscriber_bodies(group: EmployerGroup, requests: list[ChangeRequest]) -> dict[str, dict]:
    bodies = {r.member_ref: r.body for r in requests if r.relationship == "SUBSCRIBER"}
    for member in Member.objects.filter(group=group, relationship="SUBSCRIBER").exclude(
        member_ref__in=bodies
    ):
        bodies[member.member_ref] = member_build_validation_body(member=member)
    return bodies


def _families(
    group: EmployerGroup, requests: list[ChangeRequest]
) -> tuple[list[ChangeFamily], list[ChangeRequest]]:
    """One event per family per file (MNT-013): a family's earliest event now, the others in a later file."""
    by_family: dict[str, list[ChangeRequest]] = {}
    for request in sorted(requests, key=lambda r: (r.event_date, r.pk)):
        by_family.setdefault(request.subscriber_ref, []).append(request)
    subscribers = _subscriber_bodies(group, requests)
    families, sent = [], []
    for ref, items in by_family.items():
        first = (items[0].event_type, items[0].event_date)
        now = [r for r in items if (r.event_type, r.event_date) == first]
        families.append(ChangeFamily(subscriber_ref=ref, loops=tuple(_loop(r, subscribers) for r in now)))
        sent += now
    return families, sent


def complete_events(requests: list[ChangeRequest]) -> list[ChangeRequest]:
    """The validated requests whose event's other requests are validated too (MNT-013: a family's event
    goes whole, so a refused subscriber's tier change holds its dependent's termination back)."""
    keys = {r.event_key for r in requests if r.event_key}
    waiting = set(
        ChangeRequest.objects.filter(event_key__in=keys)
        .exclude(state__in=(S.VALIDATED, S.APPLIED))
        .values_list("event_key", flat=True)
    )
    return [r for r in requests if not r.event_key or r.event_key not in waiting]


def change_file_build(*, group: EmployerGroup) -> tuple[ChangeFile | None, list[ChangeRequest]]:
    """The group's VALIDATED requests in a change file, pre-checked; None when nothing is to be sent."""
    validated = list(group.change_requests.filter(state=S.VALIDATED))
    requests = complete_events(change_requests_hold(group=group, requests=validated))
    if not requests:
        return None, []
    families, sent = _families(group, requests)
    number = control_number_allocate()
    facts = group_facts(group=group)
    envelope = Envelope(
        sender_id=settings.HUMANA_SENDER_ID,
        usage_indicator=settings.HUMANA_USAGE_INDICATOR or "T",
        interchange_control_number=number,
        group_control_number=number,
        created_at=timezone.now(),
    )
    reference = f"C{facts.group_id}-{number:09d}"
    header = Header(
        reference=reference,
        group_id=facts.group_id,
        effective_date=facts.effective_date or date.min,
        employer_legal_name=facts.employer_legal_name,
        fein=facts.fein,
        agent_name=facts.agent_name,
        agent_npn=facts.agent_npn,
    )
    text = render_change_834(envelope, header, families)
    issues = precheck(
        text,
        sender_id=settings.HUMANA_SENDER_ID,
        group_id=facts.group_id,
        fein=facts.fein,
        usage_indicator=settings.HUMANA_USAGE_INDICATOR or "T",
    )
    problems = [{"code": i.code, "message": i.message, "line": i.line, "segment": i.segment} for i in issues]
    file = ChangeFile.objects.create(
        group=group,
        control_number=number,
        reference=reference,
        content=text,
        status=F.PRECHECK_FAILED if problems else F.SENT,
        problems=problems,
    )
    return file, sent


def change_file_send(*, group_id: int, by: Any = None) -> ChangeFile | None:
    """Gather, pre-check and upload the group's validated changes; the requests move IN_FILE."""
    group = EmployerGroup.objects.get(pk=group_id)
    file, requests = change_file_build(group=group)
    if file is None or file.status == F.PRECHECK_FAILED:
        return file

    def succeeded(receipt: Any) -> ChangeFile:
        file.file_id = receipt.file_id
        file.save(update_fields=["file_id"])
        for request in requests:
            change_request_move(
                request=request,
                to=S.IN_FILE,
                by=by,
                file_reference=file.reference,
                reason="sent in a change file",
                change_file=file,
            )
        return file

    def refused(exc: Exception) -> ChangeFile:
        file.status, file.problems = (
            F.UPLOAD_FAILED,
            [{"code": getattr(exc, "code", "CARRIER"), "message": str(exc)}],
        )
        file.save(update_fields=["status", "problems"])
        return file

    return carrier_call(
        lambda client: client.upload_enrollment_file(
            group.humana_group_id,
            file.content.encode("ascii"),
            idempotency_key=uuid.uuid4().hex,
            subject=file.reference,
        ),
        succeeded=succeeded,
        refused=refused,
        also_refused=(ValueError,),
    )


def change_file_poll(*, change_file_id: int) -> ChangeFile:
    """Read the file's status; once it has ended, each member's result lands on its request."""
    file = ChangeFile.objects.select_related("group").get(pk=change_file_id)
    if file.status != F.SENT or not file.file_id:
        return file
    assert file.group.humana_group_id is not None  # a file was sent for a group at the carrier
    with get_client() as client:
        status = client.get_change_file(
            file.group.humana_group_id or "", file.file_id, subject=file.reference
        )
    if not status.is_final:
        return file
    results = [m.model_dump(mode="json", by_alias=True) for m in status.members]
    with transaction.atomic():
        file.status, file.results, file.completed_at = status.status.value, results, timezone.now()
        file.problems = [e.model_dump(mode="json", by_alias=True) for e in status.errors]
        file.save()
        by_ref = {r["memberRef"]: r for r in results}
        carried = file.changerequest_set.filter(state=S.IN_FILE).order_by("pk")
        for request in sorted(carried, key=lambda r: r.relationship != "SUBSCRIBER"):  # subscribers first
            result = by_ref.get(request.member_ref)
            if result is None:  # the whole file refused: the changes stand validated, to send again
                change_request_move(
                    request=request,
                    to=S.VALIDATED,
                    file_reference=file.reference,
                    reason="the file was rejected as a whole",
                )
            elif result["status"] == "ACCEPTED":
                change_request_move(
                    request=request, to=S.APPLIED, file_reference=file.reference, reason="applied"
                )
                member_apply_change(request=request, result=result)
            else:
                change_request_move(
                    request=request,
                    to=S.REJECTED,
                    file_reference=file.reference,
                    reason="rejected in the file",
                    carrier_errors=result["errors"],
                )
        transaction.on_commit(lambda: _notify_results(file))
    return file


def _notify_results(file: ChangeFile) -> None:
    """Tell the broker and the employer how a change file ended (counts only: no personal data), once."""
    requests = list(file.changerequest_set.all())
    applied = sum(1 for r in requests if r.state == S.APPLIED)
    rejected = sum(1 for r in requests if r.state == S.REJECTED)
    notices.notice_send_quietly(
        group=file.group,
        kind="MEMBER_CHANGES",
        context={"reference": file.reference, "applied": applied, "rejected": rejected,
                 "whole_file": file.status == "REJECTED" and not applied and not rejected},
        key=f"change-file:{file.pk}",
    )  # fmt: skip


# --------------------------------------------------------------------------- the carrier's roster


def _local_lines(member: Member) -> dict[str, tuple[str | None, str | None]]:
    body = member_build_validation_body(member=member)
    if member.relationship == "SUBSCRIBER":
        return {
            c["line"]: (c.get("planId"), c.get("coverageTier"))
            for c in body["coverage"]
            if not c.get("waived")
        }
    return {c["line"]: (None, None) for c in body["coverage"]}


def _difference(kind: str, ref: str, **detail: Any) -> dict[str, Any]:
    return {"kind": kind, "memberRef": ref, **detail}


def roster_differences(*, group: EmployerGroup, roster: list[Any]) -> list[dict[str, Any]]:
    """Every difference between the carrier's roster and what the portal holds."""
    local = {m.member_ref: m for m in Member.objects.filter(group=group, withdrawn_at__isnull=True)}
    requests = list(group.change_requests.all())
    applied = {
        r.member_ref: r for r in sorted(requests, key=lambda r: r.pk) if r.state == S.APPLIED
    }  # latest
    spans = {
        c.member.member_ref: c
        for c in MemberCoverage.objects.filter(member__group=group).select_related("member")
    }
    pending = {r.member_ref for r in requests if r.state in (S.VALIDATED, S.IN_FILE)}
    out: list[dict[str, Any]] = []
    carried = {m.member_ref: m for m in roster}
    for ref, entry in carried.items():
        if ref not in local and not (ref in applied and applied[ref].action == ChangeAction.ADD):
            out.append(_difference("MISSING_HERE", ref))
            continue
        request = applied.get(ref)
        span = spans.get(ref)
        local_end = span.end.isoformat() if span and span.end else None
        carrier_end = entry.coverage_end.isoformat() if entry.coverage_end else None
        if local_end != carrier_end:
            out.append(_difference("END_DATE", ref, carrier=carrier_end, portal=local_end))
        if ref in local and not request:
            lines = {c.line.value: (c.plan_id, c.coverage_tier.value) for c in entry.coverage}
            mine = _local_lines(local[ref])
            if local[ref].relationship != "SUBSCRIBER":
                lines = {k: (None, None) for k in lines}
            if entry.coverage_end is None and mine != lines:
                out.append(
                    _difference("COVERAGE", ref, carrier=sorted(lines.items()), portal=sorted(mine.items()))
                )
    for ref, member in local.items():
        if ref not in carried and member.humana_member_id:
            out.append(_difference("MISSING_AT_CARRIER", ref))
    out += [_difference("PENDING", ref) for ref in sorted(pending)]
    return out


def roster_reconcile(*, group_id: int, as_of: date | None = None) -> RosterCheck:
    """Read the carrier's roster and store every difference from what the portal holds."""
    group = EmployerGroup.objects.get(pk=group_id)
    assert group.humana_group_id is not None  # a roster is read only of a group at the carrier
    with get_client() as client:
        roster = list(client.iter_group_members(group.humana_group_id or "", as_of=as_of))
    differences = roster_differences(group=group, roster=roster)
    check, _ = RosterCheck.objects.update_or_create(
        group=group,
        defaults={
            "checked_at": timezone.now(),
            "as_of": as_of or timezone.localdate(),
            "differences": differences,
            "premiums": roster_premiums(roster=roster),
        },
    )
    return check


def roster_premiums(*, roster: list[Any]) -> list[dict[str, str]]:
    """The carrier's ``monthlyPremium`` of each covered line of the roster, where it gives one (api.md:
    that member's rate on ``asOf`` for age-rated lines)."""
    return [
        {
            "memberRef": m.member_ref,
            "line": c.line.value,
            "planId": c.plan_id,
            "monthlyPremium": c.monthly_premium,
        }
        for m in roster
        for c in m.coverage
        if c.monthly_premium is not None and c.end is None
    ]


def change_files_due(*, today: date | None = None, days: int = 2) -> list[int]:
    """Groups whose validated changes reach their send-by date within ``days`` (the schedule's sends)."""
    today = today or carrier_today()
    due = set()
    for request in ChangeRequest.objects.filter(state=S.VALIDATED).only("group_id", "change"):
        send_by = (request.change or {}).get("sendBy")
        if send_by and (datetime.fromisoformat(send_by).date() - today).days <= days:
            due.add(request.group_id)
    return sorted(due)


def expiring(*, group: EmployerGroup, today: date | None = None, days: int = 2) -> list[ChangeRequest]:
    """Validated changes not yet sent whose send-by date is within ``days`` (flagged before they expire)."""
    today = today or carrier_today()
    out = []
    for request in group.change_requests.filter(state=S.VALIDATED):
        send_by = (request.change or {}).get("sendBy")
        if send_by and (date.fromisoformat(send_by) - today).days <= days:
            out.append(request)
    return out


__all__ = [
    "CarrierPermanentError",
    "CarrierRuleError",
    "change_file_poll",
    "change_file_send",
    "change_request_create",
    "change_request_validate",
    "roster_reconcile",
]
