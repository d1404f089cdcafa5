"""The carrier's member rules run on the portal side, each problem placed on the family page's field,
and the carrier's last refusal of a member, placed the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enrollment import rules as enrollment_rules
from enrollment.payload import group_build_create_payload
from enrollment.rules import Problem

from ..models import Member
from .bodies import _active_dependents, _digits, member_build_validation_body

# api.md member pointer (no indexes) -> form field
POINTER_FIELDS: dict[str, str] = {
    "/memberRef": "member_ref",
    "/subscriberRef": "member_ref",
    "/relationship": "relationship",
    "/firstName": "first_name",
    "/middleName": "middle_name",
    "/lastName": "last_name",
    "/suffix": "suffix",
    "/ssn": "ssn",
    "/dateOfBirth": "date_of_birth",
    "/gender": "gender",
    "/maritalStatus": "marital_status",
    "/tobaccoUse": "tobacco_use",
    "/disabled": "disabled",
    "/isOwner": "is_owner",
    "/isOwnerSpouse": "is_owner_spouse",
    "/address/line1": "address_line1",
    "/address/line2": "address_line2",
    "/address/city": "city",
    "/address/state": "state",
    "/address/zip5": "zip5",
    "/address/zip4": "zip4",
    "/address/countyFips": "county_fips",
    "/address": "address_line1",
    "/phone": "phone",
    "/email": "email",
    "/employment/hireDate": "hire_date",
    "/employment/hoursPerWeek": "hours_per_week",
    "/employment/status": "employment_status",
    "/employment": "hire_date",
}


COVERAGE_FIELDS = {
    "planId": "plan_id",
    "waived": "waived",
    "waiverReason": "waiver_reason",
    "coverageTier": "plan_id",
}


def locate_member_pointer(pointer: str, body: Mapping[str, Any]) -> tuple[str, str | None]:
    """(step, field) of a member pointer: step ``member`` for the member's own fields, ``election:LINE``
    for a subscriber's coverage entry (field plan_id / waiver_reason), ``member``/``covered_lines`` for a
    dependent's coverage."""
    parts = pointer.split("/")
    if len(parts) >= 2 and parts[1] == "coverage":
        is_subscriber = body.get("relationship") == "SUBSCRIBER"
        if not is_subscriber:
            return "member", "covered_lines"
        line = None
        if len(parts) >= 3 and parts[2].isdigit():
            coverage = body.get("coverage") or []
            index = int(parts[2])
            if index < len(coverage) and isinstance(coverage[index], dict):
                line = coverage[index].get("line")
        if line is None:
            return "elections", None
        field = COVERAGE_FIELDS.get(parts[3]) if len(parts) >= 4 else None
        return f"election:{line}", field or ("plan_id" if len(parts) < 4 else None)
    return "member", POINTER_FIELDS.get(pointer)


def _rule_fix(code: str) -> str:
    from groupsales.rules import RULES

    rule = RULES.get(code)
    return rule.fix if rule else ""


def member_local_problems(
    *, member: Member, group_payload: dict | None = None, ctx: Any = None
) -> list[Problem]:
    """The carrier's member rules (groupsales.rules.check_member) run here, each placed on a form field."""
    group = member.group
    payload = group_payload if group_payload is not None else group_build_create_payload(group=group)
    ctx = ctx if ctx is not None else enrollment_rules.group_rule_context()
    body = member_build_validation_body(member=member)
    subscriber_body = None
    others: list[dict] = []
    subscriber = member.subscriber
    if subscriber is not None:
        subscriber_body = member_build_validation_body(member=subscriber)
        others = [
            member_build_validation_body(member=d)
            for d in _active_dependents(subscriber)
            if d.pk != member.pk
        ]
    ssn_members = {
        _digits(m.ssn): m.member_ref
        for m in Member.objects.filter(group_id=group.pk, withdrawn_at__isnull=True).exclude(pk=member.pk)
        if m.ssn
    }
    return _body_problems(
        body,
        group_payload=payload,
        ctx=ctx,
        subscriber_body=subscriber_body,
        other_dependents=others,
        ssn_members=ssn_members,
    )


def _body_problems(
    body: dict,
    *,
    group_payload: dict,
    ctx: Any,
    subscriber_body: dict | None,
    other_dependents: list[dict],
    ssn_members: Mapping[str, str],
) -> list[Problem]:
    from groupsales.rules import check_member, check_member_entry

    problems = []
    carrier_rules = check_member(
        body,
        group=group_payload,
        ctx=ctx,
        subscriber=subscriber_body,
        other_dependents=other_dependents,
        ssn_members=ssn_members,
    )
    # + the portal's own PTL rules: what the 834 could not carry of a member stored before them.
    for v in carrier_rules + check_member_entry(body):
        step, field = locate_member_pointer(v.pointer, body)
        problems.append(
            Problem(
                code=v.code,
                message=v.message,
                fix=v.fix or _rule_fix(v.code),
                step=step,
                field=field,
                pointer=v.pointer,
                severity=v.severity,
            )
        )
    return problems


def member_carrier_problems(*, member: Member, body: dict | None = None) -> list[Problem]:
    """The errors of the carrier's last refusal of this member, placed on fields (``body``: the member's
    validation body when the caller has it)."""
    if not member.carrier_errors:
        return []
    body = body if body is not None else member_build_validation_body(member=member)
    out = []
    for e in member.carrier_errors or []:
        code = e.get("code", "")
        step, field = locate_member_pointer(e.get("pointer", ""), body)
        out.append(
            Problem(
                code=code,
                message=e.get("message", ""),
                fix=_rule_fix(code) or "Correct this and save: the member is validated again.",
                step=step,
                field=field,
                pointer=e.get("pointer", ""),
                severity=e.get("severity", "error"),
                source="carrier",
            )
        )
    return out
