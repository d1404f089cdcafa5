"""api.md 1.1 *Maintenance*, the carrier's side: member validations with an ``event``, the validation
list's change fields, the roster ``GET /groups/{groupId}/members`` and the carrier's own age-outs.

``member_validations.member_validate`` and ``members_validate_batch`` hand a body with an ``event`` to
:func:`change_validate`; a validation without ``event`` of a member on the roster drops its pending change
(:func:`change_withdraw`). The rules are ``groupsales.rules.check_change`` (every failure at once); the
change file's processing is ``change_files``.

The renewal date (MNT-011, the roster's ``asOf`` limit) is the group's effective-date anniversary after
today (``groupsales.change_events.renewal_date_after``); whether that renewal is ``ACCEPTED`` is
:func:`renewal_accepted`, read from the sandbox's renewal records (``sandbox.models.Renewal``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction

from groupsales.change_events import (
    ACTION_TO_X12,
    ChangeAction,
    ChangeStatus,
    EventType,
    RosterStatus,
    age_out_end,
    maintenance_reason,
    renewal_date_after,
)
from groupsales.codes import CHILD_RELATIONSHIPS, Relationship
from groupsales.contract.operations import request_of
from groupsales.contract.wire import wire_problems
from groupsales.rules import PendingChange, RosterFacts, check_change

from . import clock
from .http import ApiProblem, error
from .models import Group, MemberValidation, Partner, Renewal
from .rates import CarrierFacts
from .roster_models import MemberChange, RosterEntry

C = MemberChange.Status
_CHILDREN = {r.value for r in CHILD_RELATIONSHIPS}


def _d(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def has_event(body: Any) -> bool:
    return isinstance(body, dict) and body.get("event") is not None


def renewal_accepted(*, group: Group, renewal_date: date) -> bool:
    """Whether the group's renewal on ``renewal_date`` is ACCEPTED (MNT-011), or already RENEWED: a change
    effective on or after the renewal date waits until then."""
    return group.renewals.filter(
        renewal_date=renewal_date, status__in=(Renewal.Status.ACCEPTED, Renewal.Status.RENEWED)
    ).exists()


def group_renewal_date(group: Group, today: date) -> date | None:
    start = _d(group.body.get("requestedEffectiveDate"))
    return renewal_date_after(start, today) if start else None


# --------------------------------------------------------------------------- the roster as the rules read it


def _lines_on(entry: RosterEntry, on: date) -> list[dict[str, Any]]:
    """The line periods in force on ``on`` (a member that ended: on its last covered day)."""
    if entry.coverage_end is not None and on > entry.coverage_end:
        on = entry.coverage_end
    on = max(on, entry.coverage_start)
    return [
        item
        for item in entry.lines
        if date.fromisoformat(item["start"]) <= on
        and (item.get("end") is None or on <= date.fromisoformat(item["end"]))
    ]


def _line_map(entry: RosterEntry, on: date) -> dict[str, tuple[str, str]]:
    return {i["line"]: (i["planId"], i["coverageTier"]) for i in _lines_on(entry, on)}


def roster_facts(group: Group, on: date) -> dict[str, RosterFacts]:
    return {
        e.member_ref: RosterFacts(
            member_ref=e.member_ref,
            subscriber_ref=e.subscriber_ref,
            relationship=e.relationship,
            coverage_start=e.coverage_start,
            coverage_end=e.coverage_end,
            end_reason=e.end_reason or None,
            lines=_line_map(e, on),
            body=e.body,
            ended_by_file=e.ended_by_file,
        )
        for e in group.roster.all()
    }


def _pending(group: Group, excluding: str | None) -> list[PendingChange]:
    out = []
    for c in group.changes.filter(status=C.PENDING).exclude(member_ref=excluding or ""):
        out.append(
            PendingChange(
                member_ref=c.member_ref,
                subscriber_ref=c.subscriber_ref,
                type=c.event.get("type"),
                action=c.event.get("action"),
                event_date=date.fromisoformat(c.event["date"]),  # a pending change's dates were checked
                effective_date=date.fromisoformat(c.change["effectiveDate"]),
            )
        )
    return out


def apply_age_outs(*, group: Group, today: date) -> None:
    """MNT-007 (T): the carrier ends a child's coverage on the last day of the month of its 26th birthday
    unless it is disabled (roster ``endReason`` AGE_OUT), from the start of the next business day."""
    for entry in group.roster.filter(coverage_end__isnull=True, relationship__in=_CHILDREN):
        born = _d(entry.body.get("dateOfBirth"))
        if born is None or entry.body.get("disabled"):
            continue
        end = age_out_end(born)
        if end < today:
            _end_entry(entry, end, EventType.AGE_OUT.value, by_file=False)
            entry.save()


def _end_entry(entry: RosterEntry, end: date, reason: str, *, by_file: bool) -> None:
    entry.coverage_end, entry.end_reason, entry.ended_by_file = end, reason, by_file
    for item in entry.lines:
        if item.get("end") is None or date.fromisoformat(item["end"]) > end:
            item["end"], item["endReason"] = end.isoformat(), reason
    entry.updated_at = clock.now()


# --------------------------------------------------------------------------- validations with an event


def _check_state(group: Group) -> None:
    if group.status != Group.Status.ENROLLED:
        raise ApiProblem(
            409,
            [
                error(
                    "INVALID_STATE",
                    f"The group is {group.status}; changes are taken only while ENROLLED.",
                    rule="MNT-001",
                )
            ],
        )


def _errors_of(group: Group, body: Any, facts: CarrierFacts) -> tuple[list[dict], list[dict], dict | None]:
    """(errors, warnings, change block) of one body with an event."""
    from .groups import _with_schema  # the 1.0 member checks
    from .member_validations import _subscriber_errors, _valid_bodies

    schema = wire_problems(request_of("validateMember"), body)
    if not isinstance(body, dict):
        return _with_schema([], schema), [], None
    today = facts.today
    apply_age_outs(group=group, today=today)
    others = _valid_bodies(group, excluding=body.get("memberRef"))
    by_ref = {v.member_ref: v for v in others}
    subscriber = None
    if body.get("relationship") != Relationship.SUBSCRIBER:
        held = by_ref.get(body.get("subscriberRef") or "")
        subscriber = held.body if held and held.relationship == Relationship.SUBSCRIBER else None
    renewal = group_renewal_date(group, today)
    group_body, offerings = group.body, None
    if (body.get("event") or {}).get("type") == EventType.RENEWAL_OPEN_ENROLLMENT and renewal is not None:
        current = group.renewals.filter(renewal_date=renewal).first()  # REN-007: on the renewal's plans
        offerings = (current.renewal_offerings or None) if current is not None else None
        if offerings:
            group_body = {**group.body, "offerings": [
                {k: v for k, v in o.items() if k != "planMappings"} for o in offerings]}  # fmt: skip
    violations, dates = check_change(
        body,
        group=group_body,
        ctx=facts,
        request_date=today,
        group_status=group.status,
        roster=roster_facts(group, today),
        pending=_pending(group, body.get("memberRef")),
        subscriber=subscriber,
        other_dependents=[
            v.body
            for v in others
            if v.subscriber_ref == body.get("subscriberRef") and v.relationship != Relationship.SUBSCRIBER
        ],
        ssn_members={v.body.get("ssn"): v.member_ref for v in others if v.body.get("ssn")},
        renewal_date=renewal,
        renewal_accepted=bool(renewal and renewal_accepted(group=group, renewal_date=renewal)),
        renewal_offerings=offerings,
    )
    found = _with_schema([v.as_problem() for v in violations], schema) + _subscriber_errors(body, schema)
    errors = [e for e in found if e.get("severity") != "warning"]
    warnings = [e for e in found if e.get("severity") == "warning"]
    if errors or dates is None:
        return errors, warnings, None
    return errors, warnings, _change_block(group, body, dates, today)


def _change_block(group: Group, body: dict[str, Any], dates: Any, today: date) -> dict[str, Any]:
    event = body["event"]
    action, kind = ChangeAction(event["action"]), EventType(event["type"])
    held = group.roster.filter(member_ref=body["memberRef"]).first()
    reason = maintenance_reason(kind, action, before=held.body if held else None, after=body)
    return {
        "type": kind.value,
        "action": action.value,
        "eventDate": event["date"],
        "requestDate": today.isoformat(),
        "effectiveDate": dates.effective_date.isoformat(),
        "coverageEnd": dates.coverage_end.isoformat() if dates.coverage_end else None,
        "sendBy": dates.send_by.isoformat(),
        "maintenanceTypeCode": ACTION_TO_X12[action],
        "maintenanceReasonCode": reason,
    }


def _store(group: Group, body: dict[str, Any], warnings: list[dict], change: dict) -> MemberValidation:
    from .member_validations import _store_valid

    validation = _store_valid(group, body, warnings)
    MemberChange.objects.update_or_create(
        group=group,
        member_ref=validation.member_ref,
        defaults={
            "subscriber_ref": validation.subscriber_ref,
            "validation_id": validation.validation_id,
            "event": body["event"],
            "change": change,
            "status": C.PENDING,
            "file_id": "",
            "updated_at": clock.now(),
        },
    )
    return validation


def _answer(validation: MemberValidation, warnings: list[dict], change: dict) -> dict[str, Any]:
    return {
        "validationId": validation.validation_id,
        "memberRef": validation.member_ref,
        "valid": True,
        "validatedAt": clock.rfc3339(validation.validated_at),
        "warnings": warnings,
        "change": change,
    }


def change_validate(*, group: Group, body: dict[str, Any]) -> dict[str, Any]:
    """One member validation with an ``event`` (the group locked by the caller)."""
    _check_state(group)
    errors, warnings, change = _errors_of(group, body, CarrierFacts())
    if errors or change is None:
        raise ApiProblem(422, errors + warnings)
    return _answer(_store(group, body, warnings, change), warnings, change)


def change_validate_batch(*, partner: Partner, group_id: str, members: list[Any]) -> dict[str, Any]:
    """A batch in which some bodies carry an ``event``: subscribers first, each answered in order sent."""
    from .groups import group_get
    from .member_validations import member_validate_locked

    results: list[dict[str, Any] | None] = [None] * len(members)
    order = sorted(range(len(members)), key=lambda i: 0 if _is_subscriber(members[i]) else 1)
    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        for index in order:
            member = members[index]
            ref = member.get("memberRef") if isinstance(member, dict) else None
            try:
                with transaction.atomic():
                    answer = (
                        change_validate(group=group, body=member)
                        if has_event(member)
                        else member_validate_locked(group=group, body=member)
                    )
            except ApiProblem as problem:
                results[index] = {"memberRef": ref, "valid": False, "errors": problem.errors}
                continue
            results[index] = answer
    return {"results": results}


def _is_subscriber(body: Any) -> bool:
    return isinstance(body, dict) and body.get("relationship") == Relationship.SUBSCRIBER


def change_withdraw(*, group: Group, member_ref: str) -> None:
    """api.md: a validation without ``event`` of a member on the roster drops its pending change."""
    group.changes.filter(member_ref=member_ref, status=C.PENDING).delete()


def change_fields(*, group: Group, today: date) -> dict[str, dict[str, Any]]:
    """The 1.1 fields of the validation list: {memberRef: {event, changeStatus, effectiveDate}}."""
    out = {}
    for c in group.changes.all():
        status = c.status
        send_by = _d(c.change.get("sendBy"))
        if status == C.PENDING and send_by is not None and today > send_by:
            status = ChangeStatus.EXPIRED.value
        out[c.member_ref] = {
            "event": c.event,
            "changeStatus": status,
            "effectiveDate": c.change.get("effectiveDate"),
        }
    return out


# --------------------------------------------------------------------------- GET /groups/{id}/members


def _bad(message: str) -> ApiProblem:
    return ApiProblem.of(400, "MALFORMED_REQUEST", message)


def roster_read(*, group: Group, query: dict[str, str]) -> tuple[date, list[dict[str, Any]]]:
    """The roster on ``asOf`` (default today; at most the current renewal date), family by family."""
    today = CarrierFacts().today
    apply_age_outs(group=group, today=today)
    as_of = _d(query["asOf"]) if query.get("asOf") else today
    if as_of is None:
        raise _bad("asOf is a date YYYY-MM-DD.")
    renewal = group_renewal_date(group, today)
    if renewal is not None and as_of > renewal:
        raise _bad(f"asOf may be at most the current renewal date {renewal}.")
    status = query.get("status")
    if status and status not in {s.value for s in RosterStatus}:
        raise _bad(f"status is one of {', '.join(s.value for s in RosterStatus)}.")
    rows = group.roster.all()
    if query.get("subscriberRef"):
        rows = rows.filter(subscriber_ref=query["subscriberRef"])
    items = [_roster_item(e, as_of) for e in sorted(rows, key=_family_order)]
    return as_of, [i for i in items if i is not None and (not status or i["status"] == status)]


def _family_order(entry: RosterEntry) -> tuple:
    spouse = entry.relationship in ("SPOUSE", "DOMESTIC_PARTNER")
    rank = 0 if entry.relationship == Relationship.SUBSCRIBER else (1 if spouse else 2)
    return (entry.subscriber_ref, rank, str(entry.body.get("dateOfBirth")), entry.member_ref)


def _roster_item(entry: RosterEntry, as_of: date) -> dict[str, Any] | None:
    if not entry.lines:
        return None  # every line waived: holds no coverage, not listed
    if entry.coverage_start > as_of:
        status = RosterStatus.PENDING
    elif entry.coverage_end is not None and entry.coverage_end < as_of:
        status = RosterStatus.TERMINATED
    else:
        status = RosterStatus.ACTIVE
    lines = [
        {
            "line": i["line"],
            "planId": i["planId"],
            "coverageTier": i["coverageTier"],
            "start": i["start"],
            "end": i.get("end"),
            "endReason": i.get("endReason"),
            "monthlyPremium": None,
        }
        for i in _lines_on(entry, as_of)
    ]
    body = entry.body
    return {
        "memberRef": entry.member_ref,
        "subscriberRef": entry.subscriber_ref,
        "relationship": entry.relationship,
        "humanaMemberId": entry.humana_member_id or None,
        "firstName": str(body.get("firstName", "")).upper(),
        "middleName": (str(body["middleName"]).upper() if body.get("middleName") else None),
        "lastName": str(body.get("lastName", "")).upper(),
        "suffix": body.get("suffix"),
        "dateOfBirth": body.get("dateOfBirth"),
        "gender": body.get("gender"),
        "status": status.value,
        "benefitStatus": "ACTIVE",
        "coverageStart": entry.coverage_start.isoformat(),
        "coverageEnd": entry.coverage_end.isoformat() if entry.coverage_end else None,
        "endReason": entry.end_reason or None,
        "coverage": lines,
        "waivers": entry.waivers,
        "lastChange": entry.last_change,
        "updatedAt": clock.rfc3339(entry.updated_at),
    }


def roster_enroll(
    *, group: Group, validations: dict[str, MemberValidation], refs: list[str], file_id: str
) -> None:
    """New business: the members a file accepted join the roster from the group's effective date."""
    start = _d(group.body.get("requestedEffectiveDate"))
    for ref in refs:
        validation = validations[ref]
        if start is None or group.roster.filter(member_ref=ref).exists():
            continue
        lines = coverage_lines(validation, validations)
        RosterEntry.objects.create(
            group=group,
            member_ref=ref,
            subscriber_ref=validation.subscriber_ref,
            relationship=validation.relationship,
            humana_member_id=validation.humana_member_id or f"H{40000000 + validation.pk}",
            body=_member_data(validation.body),
            coverage_start=start,
            lines=[{**item, "start": start.isoformat(), "end": None, "endReason": None} for item in lines],
            waivers=_waivers(validation.body),
            last_change={
                "fileId": file_id,
                "action": "ADD",
                "eventType": None,
                "effectiveDate": start.isoformat(),
            },
            updated_at=clock.now(),
        )


def coverage_lines(validation: MemberValidation, validations: dict[str, MemberValidation]) -> list[dict]:
    """[{line, planId, coverageTier}] a validation covers: a dependent's on its subscriber's plan and tier."""
    source: MemberValidation | None = validation
    lines: set[str] | None = None
    if validation.relationship != Relationship.SUBSCRIBER:
        source = validations.get(validation.subscriber_ref)
        lines = {c.get("line") for c in validation.body.get("coverage") or []}
    if source is None:
        return []
    return [
        {"line": c["line"], "planId": c["planId"], "coverageTier": c.get("coverageTier")}
        for c in source.body.get("coverage") or []
        if c.get("planId") and not c.get("waived") and (lines is None or c.get("line") in lines)
    ]


def _waivers(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"line": c["line"], "waiverReason": c.get("waiverReason")}
        for c in body.get("coverage") or []
        if c.get("waived")
    ]


_DATA_KEYS = (
    "firstName middleName lastName suffix ssn dateOfBirth gender maritalStatus tobaccoUse disabled address "
    "phone email employment relationship subscriberRef"
).split()


def _member_data(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body.get(k) for k in _DATA_KEYS if k in body}


def day_before(day: date) -> date:
    return day - timedelta(days=1)
