"""What the carrier does for the member calls of api.md: validate (one or a batch), list, withdraw.

A body with an ``event`` (1.1, a change after enrollment) goes to ``maintenance.py``; the rules are the
shared ``groupsales.rules.check_member`` over the sandbox's rate data.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q

from groupsales.codes import Relationship
from groupsales.contract.operations import request_of
from groupsales.contract.wire import SchemaProblem, wire_problems
from groupsales.rules import check_member

from . import clock, maintenance
from .groups import VALIDATING_STATES, S, _invalid_state, _with_schema, group_get
from .http import ApiProblem, error
from .models import Group, MemberValidation, Partner
from .rates import CarrierFacts

MAX_BATCH = 200


def _valid_bodies(group: Group, *, excluding: str | None = None) -> list[MemberValidation]:
    rows = group.validations.filter(valid=True)
    if excluding:
        rows = rows.exclude(member_ref=excluding)
    return list(rows)


def _member_errors(
    group: Group, body: Any, facts: CarrierFacts, others: list[MemberValidation]
) -> list[dict]:
    schema = wire_problems(request_of("validateMember"), body)
    if not isinstance(body, dict):
        return _with_schema([], schema)
    by_ref = {v.member_ref: v for v in others}
    subscriber = None
    if body.get("relationship") != Relationship.SUBSCRIBER:
        found = by_ref.get(body.get("subscriberRef") or "")
        if found is not None and found.relationship == Relationship.SUBSCRIBER:
            subscriber = found.body
    other_dependents = [
        v.body
        for v in others
        if v.subscriber_ref == body.get("subscriberRef") and v.relationship != Relationship.SUBSCRIBER
    ]
    ssn_members = {v.body.get("ssn"): v.member_ref for v in others if v.body.get("ssn")}
    violations = check_member(
        body,
        group=group.body,
        ctx=facts,
        subscriber=subscriber,
        other_dependents=other_dependents,
        ssn_members=ssn_members,
    )
    return _with_schema([v.as_problem() for v in violations], schema) + _subscriber_errors(body, schema)


#: api.md: fields "given to subscribers only"; these two a subscriber must give.
SUBSCRIBER_REQUIRED = ("address", "employment")


def _subscriber_errors(body: dict[str, Any], schema: list[SchemaProblem]) -> list[dict[str, Any]]:
    """The SCHEMA problems a JSON Schema of the body does not state: a subscriber's own address and
    employment, and its subscriberRef (its own memberRef)."""
    if body.get("relationship") != Relationship.SUBSCRIBER:
        return []
    taken = {p.pointer for p in schema}
    out = [
        error("SCHEMA", f"{name} is required for a subscriber.", f"/{name}")
        for name in SUBSCRIBER_REQUIRED
        if body.get(name) is None and f"/{name}" not in taken
    ]
    if body.get("subscriberRef") != body.get("memberRef"):
        out.append(error("SCHEMA", "A subscriber's subscriberRef is its own memberRef.", "/subscriberRef"))
    return out


def _split(found: list[dict]) -> tuple[list[dict], list[dict]]:
    errors = [e for e in found if e.get("severity") != "warning"]
    warnings = [e for e in found if e.get("severity") == "warning"]
    return errors, warnings


def _store_valid(group: Group, body: dict[str, Any], warnings: list[dict]) -> MemberValidation:
    now = clock.now()
    validation, created = MemberValidation.objects.get_or_create(
        group=group,
        member_ref=body["memberRef"],
        defaults={
            "subscriber_ref": body["subscriberRef"],
            "relationship": body["relationship"],
            "body": body,
            "validation_id": uuid.uuid4().hex,
            "validated_at": now,
            "errors": warnings,
        },
    )
    if not created:
        validation.subscriber_ref = body["subscriberRef"]
        validation.relationship = body["relationship"]
        validation.body = body
        validation.valid = True
        validation.errors = warnings
        validation.validation_id = uuid.uuid4().hex
        validation.validated_at = now
        if validation.status == MemberValidation.Status.REJECTED:
            validation.status = MemberValidation.Status.NOT_SENT  # corrected: may be sent again
        validation.save()
    if validation.relationship == Relationship.SUBSCRIBER:
        _dependents_follow(group, validation)
    return validation


def _lines_elected(body: dict[str, Any]) -> set[str]:
    return {c.get("line") for c in body.get("coverage") or [] if c.get("planId") and not c.get("waived")}


def _dependents_follow(group: Group, subscriber: MemberValidation) -> None:
    """A subscriber that drops a line takes it from its dependents (MBR-011 if it was their only one)."""
    elected = _lines_elected(subscriber.body)
    for dependent in group.validations.filter(subscriber_ref=subscriber.member_ref).exclude(pk=subscriber.pk):
        coverage = dependent.body.get("coverage") or []
        kept = [c for c in coverage if c.get("line") in elected]
        if len(kept) == len(coverage):
            continue
        dependent.body = {**dependent.body, "coverage": kept}
        if not kept:
            dependent.valid = False
            dependent.errors = [
                error(
                    "MBR-011",
                    "The employee no longer elects any line this dependent was covered on.",
                    "/coverage",
                )
            ]
        dependent.save()


def _check_member_state(group: Group, member_ref: Any, *, known: bool | None = None) -> None:
    """``known``: whether the group already has a validation of ``member_ref`` (looked up when None)."""
    if group.status not in VALIDATING_STATES:
        raise _invalid_state(f"The group is {group.status}; members cannot be validated now.")
    if known is None:
        known = group.validations.filter(member_ref=member_ref).exists()
    if group.status != S.CREATED and not known:
        raise _invalid_state(
            "After finalize only members already validated may be validated again; "
            "later additions are a maintenance process."
        )


def member_validate(*, partner: Partner, group_id: str, body: Any) -> dict[str, Any]:
    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        if maintenance.has_event(body):  # 1.1: a change after enrollment
            return maintenance.change_validate(group=group, body=body)
        return member_validate_locked(group=group, body=body)


def member_validate_locked(*, group: Group, body: Any) -> dict[str, Any]:
    """A validation without ``event`` of the locked group (api.md 1.0; 1.1: drops a pending change)."""
    _check_member_state(group, body.get("memberRef") if isinstance(body, dict) else None)
    facts = CarrierFacts()
    errors, warnings = _split(_member_errors(group, body, facts, _valid_bodies(group, excluding=_ref(body))))
    if errors:
        raise ApiProblem(422, errors + warnings)
    validation = _store_valid(group, body, warnings)
    maintenance.change_withdraw(group=group, member_ref=validation.member_ref)
    return {
        "validationId": validation.validation_id,
        "memberRef": validation.member_ref,
        "valid": True,
        "validatedAt": clock.rfc3339(validation.validated_at),
        "warnings": warnings,
    }


def _ref(body: Any) -> str | None:
    return body.get("memberRef") if isinstance(body, dict) else None


def members_validate_batch(*, partner: Partner, group_id: str, body: Any) -> dict[str, Any]:
    members = body.get("members") if isinstance(body, dict) else None
    if not isinstance(members, list) or not members:
        raise ApiProblem.of(422, "SCHEMA", "members is a list of 1 to 200 member bodies.", "/members")
    if len(members) > MAX_BATCH:
        raise ApiProblem.of(413, "PAYLOAD_TOO_LARGE", f"At most {MAX_BATCH} members per batch.", "/members")
    if any(maintenance.has_event(member) for member in members):
        return maintenance.change_validate_batch(partner=partner, group_id=group_id, members=members)
    results: list[dict[str, Any] | None] = [None] * len(members)
    order = sorted(
        range(len(members)),
        key=lambda i: (
            0 if isinstance(members[i], dict) and members[i].get("relationship") == "SUBSCRIBER" else 1
        ),
    )
    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        facts = CarrierFacts()
        # The group's current valid validations, read once and kept up to date as the batch is stored
        # (not read again for every member of a 200-member batch).
        valid = {v.member_ref: v for v in _valid_bodies(group)}
        known = set(group.validations.values_list("member_ref", flat=True))  # valid or not
        for index in order:
            member = members[index]
            ref = _ref(member)
            try:
                _check_member_state(group, ref, known=ref in known)
            except ApiProblem as problem:
                results[index] = {"memberRef": ref, "valid": False, "errors": problem.errors}
                continue
            others = [v for other, v in valid.items() if other != ref]
            errors, warnings = _split(_member_errors(group, member, facts, others))
            if errors:
                results[index] = {"memberRef": ref, "valid": False, "errors": errors + warnings}
                continue
            validation = _store_valid(group, member, warnings)
            valid[validation.member_ref] = validation
            known.add(validation.member_ref)
            if validation.relationship == Relationship.SUBSCRIBER and any(
                v.subscriber_ref == ref and other != ref for other, v in valid.items()
            ):  # its existing dependents may have lost a line (MBR-011): read them again
                valid = {v.member_ref: v for v in _valid_bodies(group)}
            results[index] = {
                "memberRef": validation.member_ref,
                "valid": True,
                "validationId": validation.validation_id,
                "validatedAt": clock.rfc3339(validation.validated_at),
                "warnings": warnings,
            }
    return {"results": results}


def member_list(*, group: Group) -> list[dict[str, Any]]:
    changes = maintenance.change_fields(group=group, today=CarrierFacts().today)
    no_change = {"event": None, "changeStatus": None, "effectiveDate": None}
    return [
        {
            "memberRef": v.member_ref,
            "subscriberRef": v.subscriber_ref,
            "relationship": v.relationship,
            "valid": v.valid,
            "validatedAt": clock.rfc3339(v.validated_at),
            "status": v.status,
            "humanaMemberId": v.humana_member_id or None,
            "errors": v.errors if not v.valid else [],
            **changes.get(v.member_ref, no_change),
        }
        for v in group.validations.order_by("id")
    ]


def member_withdraw(*, partner: Partner, group_id: str, member_ref: str) -> None:
    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        if group.status not in VALIDATING_STATES:
            raise _invalid_state(f"The group is {group.status}; members cannot be withdrawn now.")
        validation = group.validations.filter(member_ref=member_ref).first()
        if validation is None:
            raise ApiProblem.of(404, "NOT_FOUND", f"No member {member_ref} in group {group_id}.")
        leaving = group.validations.filter(pk=validation.pk)
        if validation.relationship == Relationship.SUBSCRIBER:  # a subscriber takes its dependents along
            leaving = group.validations.filter(Q(pk=validation.pk) | Q(subscriber_ref=member_ref))
        if leaving.filter(status=MemberValidation.Status.ACCEPTED).exists():
            raise _invalid_state("A member already enrolled (ACCEPTED) cannot be withdrawn here.")
        leaving.delete()
