"""Writes of the members app: families, carrier validation, census import, withdrawal.

Every edit that changes what would be sent to the carrier bumps the member's ``edit_version`` and
marks it ``NOT_VALIDATED``; a carrier result is stored only while ``edit_version`` is the one sent, so a
late answer never overwrites a newer edit. Validation runs in ``members.tasks.validate_group_members``
(queued on commit); the idempotency key of a member's validation is the key of the carrier operation
``member:{id}:v{edit_version}`` (one per logical attempt; a retry after a transient failure reuses it).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
from collections.abc import Callable, Container, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from carrier.client import get_client
from carrier.errors import CarrierPermanentError, CarrierRuleError, CarrierTransientError
from carrier.operations import carrier_call, carrier_session
from carrier.schemas import InvalidCarrierRequest
from carrier.services import operation_for
from enrollment import rules as enrollment_rules
from enrollment.models import CensusMember, EmployerGroup
from enrollment.payload import group_build_create_payload
from enrollment.rules import Problem
from groupsales.x12.sanitize import nanp_phone

from .models import LINES, Election, Member, coverage_tier
from .states import member_validation_move, members_validation_move

logger = logging.getLogger(__name__)

V = Member.ValidationStatus
NOT_SENT = "Not sent: it lacks what api.md needs (portal_errors)."
BATCH_LIMIT = 200  # api.md: at most 200 members per batch

# Member fields a family form may set (everything the validation body carries).
MEMBER_FIELDS = (
    "member_ref",
    "relationship",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "ssn",
    "date_of_birth",
    "gender",
    "marital_status",
    "tobacco_use",
    "disabled",
    "is_owner",
    "is_owner_spouse",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip5",
    "zip4",
    "county_fips",
    "phone",
    "email",
    "hire_date",
    "hours_per_week",
    "employment_status",
    "covered_lines",
)
SUBSCRIBER_ONLY = (
    "marital_status",
    "is_owner",
    "is_owner_spouse",
    "hire_date",
    "hours_per_week",
    "employment_status",
)


def claim_seconds() -> float:
    """How long a worker's claim on members it is validating holds; after that (its worker died) another
    task may claim them again and replay the same idempotency keys."""
    return float(getattr(settings, "MEMBERS_VALIDATION_CLAIM_SECONDS", 600))


def batch_threshold() -> int:
    return int(getattr(settings, "MEMBERS_BATCH_THRESHOLD", 5))


# ------------------------------------------------------------------------------------ body building


def _none(value: Any) -> Any:
    return None if value in ("", None) else value


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def _digits(value: str) -> str:
    return "".join(c for c in (value or "") if c.isdigit())


def _active_dependents(subscriber: Member) -> list[Member]:
    return [d for d in subscriber.dependents.all() if d.withdrawn_at is None]


def _address(member: Member) -> dict[str, Any]:
    return {
        "line1": _none(member.address_line1),
        "line2": _none(member.address_line2),
        "city": _none(member.city),
        "state": _none(member.state),
        "zip5": _none(member.zip5),
        "zip4": _none(member.zip4),
        "countyFips": _none(member.county_fips),
    }


def _ordered_lines(lines: Iterable[str]) -> list[str]:
    wanted = set(lines)
    return [line for line in LINES if line in wanted]


def member_build_validation_body(
    *, member: Member, dependents: list[Member] | None = None, elections: Iterable[Election] | None = None
) -> dict:
    """api.md's member-validation body. A subscriber's ``coverage`` has its elections with the tier
    derived from the dependents covered on each line; a dependent's lists the lines it is covered on.
    ``dependents`` and ``elections`` stand in for the stored ones (a family not saved yet)."""
    subscriber = member.subscriber if member.subscriber_id else None
    body: dict[str, Any] = {
        "memberRef": member.member_ref,
        "subscriberRef": subscriber.member_ref if subscriber else member.member_ref,
        "relationship": member.relationship,
        "firstName": member.first_name,
        "middleName": _none(member.middle_name),
        "lastName": member.last_name,
        "suffix": _none(member.suffix),
        "ssn": _none(_digits(member.ssn)),
        "dateOfBirth": _iso(member.date_of_birth),
        "gender": _none(member.gender),
    }
    if subscriber is None:
        body["maritalStatus"] = _none(member.marital_status)
    body["tobaccoUse"] = member.tobacco_use
    body["disabled"] = member.disabled
    if subscriber is None:
        body["isOwner"] = member.is_owner
        body["isOwnerSpouse"] = member.is_owner_spouse
        body["address"] = _address(member)
    elif member.address_line1:
        body["address"] = _address(member)
    # The 10 NANP digits the 834 sends (PTL-002); a number stored before that rule goes as its digits.
    body["phone"] = _none(nanp_phone(member.phone) or _digits(member.phone))
    body["email"] = _none(member.email)
    if subscriber is None:
        body["employment"] = {
            "hireDate": _iso(member.hire_date),
            "hoursPerWeek": member.hours_per_week,
            "status": _none(member.employment_status),
        }
        family = dependents if dependents is not None else _active_dependents(member)
        by_line = {e.line: e for e in (elections if elections is not None else member.elections.all())}
        coverage = []
        for line in _ordered_lines(by_line):
            election = by_line[line]
            if election.waived:
                coverage.append({"line": line, "waived": True, "waiverReason": _none(election.waiver_reason)})
            else:
                tier = coverage_tier(d.relationship for d in family if line in (d.covered_lines or []))
                coverage.append({"line": line, "planId": _none(election.plan_id), "coverageTier": tier})
        body["coverage"] = coverage
    else:
        body["coverage"] = [{"line": line} for line in _ordered_lines(member.covered_lines or [])]
    return body


# ------------------------------------------------------------------------------------ local problems

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
    if member.subscriber_id:
        subscriber = member.subscriber
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


# ------------------------------------------------------------------------------------ families


def _dependent_ref(subscriber_ref: str, relationship: str, taken: Container[str]) -> str:
    if relationship in ("SPOUSE", "DOMESTIC_PARTNER"):
        base = f"{subscriber_ref}-S"
        if base not in taken:
            return base
    n = 1
    while f"{subscriber_ref}-C{n}" in taken:
        n += 1
    return f"{subscriber_ref}-C{n}"


def _set_fields(member: Member, data: Mapping[str, Any], *, subscriber: bool) -> None:
    for name in MEMBER_FIELDS:
        if name not in data:
            continue
        if not subscriber and name in SUBSCRIBER_ONLY:
            continue
        value = data[name]
        if value is None and name not in ("tobacco_use", "date_of_birth", "hire_date", "hours_per_week"):
            value = "" if name != "covered_lines" else []
        if name in ("is_owner", "is_owner_spouse", "disabled"):
            value = bool(value)
        setattr(member, name, value)


def _family_bodies(subscriber: Member) -> dict[int, dict]:
    subscriber = Member.objects.prefetch_related("elections", "dependents").get(pk=subscriber.pk)
    dependents = _active_dependents(subscriber)
    bodies = {subscriber.pk: member_build_validation_body(member=subscriber, dependents=dependents)}
    for d in dependents:
        d.subscriber = subscriber
        bodies[d.pk] = member_build_validation_body(member=d)
    return bodies


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
    from . import tasks

    group_id = group.pk
    transaction.on_commit(lambda: tasks.validate_group_members.delay(group_id))
    return True


# api.md: after finalize only members already validated may be validated again; a new memberRef is
# 409 INVALID_STATE (later additions are a maintenance process outside the API).
CLOSED_TO_NEW_MEMBERS = (
    EmployerGroup.Status.FINALIZED,
    EmployerGroup.Status.ENROLLING,
    EmployerGroup.Status.ENROLLED,
)
NEW_MEMBER_AFTER_FINALIZE = (
    "The group is finalized: the carrier takes no new members through the portal (a later addition "
    "is a maintenance request to Humana)."
)


@dataclasses.dataclass
class FamilyPlan:
    """A family with the answers applied, in memory: what ``family_save`` stores, and what the employee's
    pages check before anything is stored (``family_draft_problems``). One definition of how answers
    change a family: elections, dependents added, changed or deleted, their member refs and lines."""

    subscriber: Member
    elections: dict[str, Election]  # line -> the election once stored (a plan, or a waiver)
    dropped: list[Election]  # stored elections the answers remove
    # by dependents_data position: ("save", the dependent once stored), ("withdraw", the stored one) or None
    steps: list[tuple[str, Member] | None]
    kept: list[Member]  # the active dependents the answers leave as they are (their lines trimmed)
    trimmed: list[Member] = dataclasses.field(default_factory=list)  # those of ``kept`` losing a line

    @property
    def elected(self) -> set[str]:
        return {line for line, e in self.elections.items() if not e.waived and e.plan_id}

    @property
    def dependents(self) -> list[Member]:
        """The family's active dependents once stored."""
        return [step[1] for step in self.steps if step and step[0] == "save"] + self.kept


class _Refs:
    """The group's member refs, read once and only when a new dependent needs one."""

    def __init__(self, group: EmployerGroup) -> None:
        self.group, self.known, self.added = group, None, set()

    def __contains__(self, ref: str) -> bool:
        if self.known is None:
            self.known = set(
                Member.objects.filter(group=self.group).order_by().values_list("member_ref", flat=True)
            )
        return ref in self.known or ref in self.added

    def add(self, ref: str) -> None:
        self.added.add(ref)


def family_plan(
    *,
    group: EmployerGroup,
    subscriber: Member,
    dependents: list[Member],
    stored_elections: Iterable[Election],
    subscriber_data: Mapping[str, Any],
    dependents_data: list[Mapping[str, Any]],
    elections: Mapping[str, Mapping[str, Any]],
    check: Callable[[Member], None],
    refuse: Callable[[str], object],
    in_place: bool = False,
) -> FamilyPlan:
    """The family (``subscriber`` with its stored ``dependents`` and ``stored_elections``) once the answers
    are applied. ``check(member)`` and ``refuse(message)`` decide what a broken answer does: ``family_save``
    raises, the draft collects. ``in_place``: the stored instances take the answers (they are to be saved);
    otherwise copies do, and nothing the caller holds changes."""
    sub = subscriber if in_place else copy.copy(subscriber)
    _set_fields(sub, subscriber_data, subscriber=True)
    sub.relationship, sub.subscriber = Member.Relationship.SUBSCRIBER, None
    check(sub)

    stored = {e.line: e for e in stored_elections}
    chosen: dict[str, Election] = dict(stored)
    dropped: list[Election] = []
    for line, data in elections.items():
        if line not in LINES:
            refuse(f"Unknown line {line}.")
            continue
        election = (stored.get(line) if in_place else None) or Election(member=sub, line=line)
        election.waived = bool(data.get("waived"))
        election.plan_id = "" if election.waived else (data.get("plan_id") or "")
        election.waiver_reason = (data.get("waiver_reason") or "") if election.waived else ""
        if election.waived or election.plan_id:
            chosen[line] = election
        elif chosen.pop(line, None) is not None and line in stored:
            dropped.append(stored[line])
    for line in [line for line in chosen if line not in elections and line not in group.lines]:
        dropped.append(chosen.pop(line))
    plan = FamilyPlan(subscriber=sub, elections=chosen, dropped=dropped, steps=[], kept=[])
    elected = plan.elected

    current = {d.pk: d for d in dependents}
    refs = _Refs(group)
    for data in dependents_data:
        dependent_id = data.get("id")
        original = current.get(int(dependent_id)) if dependent_id else None
        if dependent_id and original is None:
            refuse("That dependent is not in this family.")
            plan.steps.append(None)
            continue
        if data.get("DELETE"):
            plan.steps.append(("withdraw", original) if original is not None else None)
            continue
        if original is None and group.status in CLOSED_TO_NEW_MEMBERS:
            refuse(NEW_MEMBER_AFTER_FINALIZE)
            plan.steps.append(None)
            continue
        dependent = (
            Member(group=group) if original is None else (original if in_place else copy.copy(original))
        )
        dependent.subscriber = sub
        _set_fields(dependent, data, subscriber=False)
        if not dependent.member_ref:
            dependent.member_ref = _dependent_ref(sub.member_ref, dependent.relationship, refs)
        if data.get("covered_lines") is None and original is None:
            dependent.covered_lines = sorted(elected)
        dependent.covered_lines = _ordered_lines(set(dependent.covered_lines or []) & elected)
        check(dependent)
        refs.add(dependent.member_ref)
        plan.steps.append(("save", dependent))
    touched = {step[1].pk for step in plan.steps if step}
    for original in dependents:  # the active dependents the answers leave: only their lines may change
        if original.withdrawn_at is None and original.pk not in touched:
            kept = original if in_place else copy.copy(original)
            kept.subscriber = sub
            lines = _ordered_lines(set(kept.covered_lines or []) & elected)
            if lines != list(kept.covered_lines or []):
                kept.covered_lines = lines
                plan.trimmed.append(kept)
            plan.kept.append(kept)
    return plan


def family_save(
    *,
    group: EmployerGroup,
    subscriber_data: Mapping[str, Any],
    dependents_data: list[Mapping[str, Any]],
    elections: Mapping[str, Mapping[str, Any]],
    by: AbstractBaseUser | None,
    subscriber: Member | None = None,
) -> Member:
    """Create or update a family: the subscriber, its dependents and its elections (:func:`family_plan`).

    ``dependents_data``: dicts of Member fields; ``id`` names an existing dependent, ``DELETE`` removes it
    (withdrawn when the carrier knows it). ``elections``: {line: {plan_id, waived, waiver_reason}}.
    A dependent without ``covered_lines`` is covered on every line the subscriber elects; lines the
    subscriber waives are dropped from it. Every member whose validation body changed gets a new
    ``edit_version`` and ``NOT_VALIDATED``; validation is queued on commit.
    """
    if group.status in CLOSED_TO_NEW_MEMBERS and subscriber is None:
        raise ValidationError(NEW_MEMBER_AFTER_FINALIZE)
    with transaction.atomic():
        if subscriber is not None:
            if subscriber.group_id != group.pk or subscriber.subscriber_id is not None:
                raise ValidationError("That member is not a subscriber of this group.")
            subscriber = Member.objects.select_for_update().get(pk=subscriber.pk)
            before = _family_bodies(subscriber)
            stored, stored_elections = list(subscriber.dependents.all()), list(subscriber.elections.all())
        else:
            subscriber = Member(group=group, relationship=Member.Relationship.SUBSCRIBER)
            before, stored, stored_elections = {}, [], []

        def refuse(message: str) -> None:
            raise ValidationError(message)

        plan = family_plan(
            group=group, subscriber=subscriber, dependents=stored, stored_elections=stored_elections,
            subscriber_data=subscriber_data, dependents_data=dependents_data, elections=elections,
            check=lambda member: member.full_clean(), refuse=refuse, in_place=True,
        )  # fmt: skip
        _family_store(plan, by=by)
        after = _family_bodies(subscriber)
        changed = [pk for pk, body in after.items() if before.get(pk) != body]
        _mark_edited(changed)
        if changed:
            members_queue_validation(group=group)
    subscriber.refresh_from_db()
    return subscriber


def _family_store(plan: FamilyPlan, *, by: AbstractBaseUser | None) -> None:
    """Store a plan made ``in_place`` (its members checked with ``full_clean``)."""
    plan.subscriber.save()
    for election in plan.elections.values():
        if election.pk is None or election.member_id != plan.subscriber.pk:
            election.member = plan.subscriber
        election.save()
    for election in plan.dropped:
        election.delete()
    for step in plan.steps:
        if step is None:
            continue
        action, member = step
        if action == "withdraw":
            member_withdraw(member=member, by=by)
        else:
            member.subscriber = plan.subscriber
            member.save()
    for dependent in plan.trimmed:
        dependent.save(update_fields=["covered_lines", "updated_at"])


@dataclasses.dataclass
class DraftProblems:
    """The carrier's member rules over a family not saved yet."""

    subscriber: list[Problem] = dataclasses.field(default_factory=list)
    # by position in dependents_data; None for a dependent deleted
    dependents: list[list[Problem] | None] = dataclasses.field(default_factory=list)
    general: list[str] = dataclasses.field(default_factory=list)  # what would stop ``family_save`` itself


def family_draft_problems(
    *,
    group: EmployerGroup,
    subscriber: Member,
    dependents: list[Member],
    stored_elections: list[Election],
    subscriber_data: Mapping[str, Any],
    dependents_data: list[Mapping[str, Any]],
    elections: Mapping[str, Mapping[str, Any]],
    group_payload: dict,
    ctx: Any,
) -> DraftProblems:
    """What the carrier's member rules would say of the family once ``family_save`` (same arguments)
    stored it: the same :func:`family_plan`, on copies, never saved.

    ``dependents`` and ``stored_elections`` are the family as stored (active dependents only). A member
    whose validation body the answers change loses its last carrier refusal, as ``family_save`` clears it.
    The employee's pages call this on every step, so it reads at most two small queries (the group's
    other SSNs when the family has one, the group's member refs when a dependent is new) where saving
    and rolling back took some fifty."""
    out = DraftProblems()
    stored_bodies = {
        subscriber.pk: member_build_validation_body(
            member=subscriber, dependents=dependents, elections=stored_elections
        )
    }
    for d in dependents:
        d.subscriber = subscriber
        stored_bodies[d.pk] = member_build_validation_body(member=d)

    def check(member: Member) -> None:
        try:
            # Uniqueness and the foreign keys are the database's to check when the family is saved.
            member.full_clean(
                exclude=["group", "subscriber"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            out.general += [m for m in exc.messages if m not in out.general]

    plan = family_plan(
        group=group, subscriber=subscriber, dependents=dependents, stored_elections=stored_elections,
        subscriber_data=subscriber_data, dependents_data=dependents_data, elections=elections,
        check=check, refuse=out.general.append,
    )  # fmt: skip
    sub, family = plan.subscriber, plan.dependents
    bodies: dict[int, dict] = {
        id(sub): member_build_validation_body(
            member=sub, dependents=family, elections=plan.elections.values()
        )
    }
    for d in family:
        bodies[id(d)] = member_build_validation_body(member=d)
    for m in [sub, *family]:
        if m.pk is None or stored_bodies.get(m.pk) != bodies[id(m)]:
            m.carrier_errors = []  # family_save marks it edited: the carrier's last answer no longer holds

    # MBR-014: SSNs of the group's other members, only read when this family has one to compare.
    ssn_members: dict[str, str] = {}
    if any(_digits(m.ssn) for m in [sub, *family]):
        family_pks = [pk for pk in [subscriber.pk, *(d.pk for d in dependents)] if pk]
        rows = Member.objects.filter(group_id=group.pk, withdrawn_at__isnull=True).exclude(pk__in=family_pks)
        ssn_members = {
            _digits(ssn): ref for ssn, ref in rows.order_by().values_list("ssn", "member_ref") if ssn
        }

    def problems(member: Member) -> list[Problem]:
        body = bodies[id(member)]
        others_ssn = dict(ssn_members)
        for m in [sub, *family]:
            if m is not member and _digits(m.ssn):
                others_ssn[_digits(m.ssn)] = m.member_ref
        is_dependent = member is not sub
        found = _body_problems(
            body,
            group_payload=group_payload,
            ctx=ctx,
            subscriber_body=bodies[id(sub)] if is_dependent else None,
            other_dependents=[bodies[id(d)] for d in family if d is not member] if is_dependent else [],
            ssn_members=others_ssn,
        )
        codes = {(p.code, p.pointer) for p in found}
        carrier = member_carrier_problems(member=member, body=body)
        return found + [p for p in carrier if (p.code, p.pointer) not in codes]

    out.subscriber = problems(sub)
    out.dependents = [problems(step[1]) if step and step[0] == "save" else None for step in plan.steps]
    return out


def member_withdraw(*, member: Member, by: AbstractBaseUser | None) -> Member:
    """Take a member (a subscriber with its dependents) out of the group. A member the carrier never
    validated is deleted; one it knows is marked withdrawn and withdrawn with the carrier on commit.
    A member already ACCEPTED by the carrier cannot be withdrawn here (api.md: 409)."""
    if member.enrollment_status == Member.EnrollmentStatus.ACCEPTED:
        raise ValidationError("The carrier has enrolled this member; withdrawing is a maintenance request.")
    family = [member]
    if member.subscriber_id is None:
        family += list(member.dependents.filter(withdrawn_at__isnull=True))
    known = [m for m in family if m.validation_id]
    with transaction.atomic():
        if not known:
            member.delete()  # the carrier never saw the family: nothing to withdraw there
            member.pk = None
            return member
        now = timezone.now()
        Member.objects.filter(pk__in=[m.pk for m in family]).update(withdrawn_at=now, updated_at=now)
        # A subscriber's DELETE takes its dependents with it; otherwise each known member goes.
        to_call = [member] if member.validation_id else known
        if member.group.humana_group_id:
            from . import tasks

            for m in to_call:
                member_id = m.pk
                transaction.on_commit(lambda member_id=member_id: tasks.withdraw_member.delay(member_id))
    member.refresh_from_db()
    return member


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


# ------------------------------------------------------------------------------------ validation


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
    return sorted(claimed, key=lambda m: (m.subscriber_id is not None, m.member_ref))


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


def _member_subject(member: Member) -> str:
    return f"member:{member.pk}:v{member.edit_version}"


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
    from . import completeness

    group = EmployerGroup.objects.get(pk=group_id)
    run = _Run()
    if not group_accepts_validation(group=group):
        return run.counts
    members = _claim(group_id)
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
            with carrier_session(get_client) as client:  # one client for the run, closed after it
                send = _validate_in_batches if len(plan.send) > batch_threshold() else _validate_one_by_one
                send(group, plan.send, client, run)
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


def _validate_in_batches(group: EmployerGroup, members: list[Member], client: Any, run: _Run) -> None:
    for start in range(0, len(members), BATCH_LIMIT):
        _validate_batch(group, members[start : start + BATCH_LIMIT], client, run)


def _validate_batch(group: EmployerGroup, chunk: list[Member], client: Any, run: _Run) -> None:
    bodies = [member_build_validation_body(member=m) for m in chunk]
    digest = hashlib.sha256(",".join(_member_subject(m) for m in chunk).encode()).hexdigest()[:32]
    operation = operation_for(kind="validate_members", subject=f"group:{group.pk}:batch:{digest}")

    def refused(exc: Exception) -> None:
        errors = _refusal_errors(exc)
        for m in chunk:
            own = [e for e in errors if e.get("memberRef") in (None, m.member_ref)]
            run.note(m, _store_invalid(m, own or errors), "invalid")

    def answered(answer: Any) -> None:
        by_ref = {r.member_ref: r for r in answer.results if r.member_ref}
        for index, m in enumerate(chunk):
            result = by_ref.get(m.member_ref)
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
    from . import completeness

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
    from . import completeness

    operation = operation_for(kind="validate_member", subject=_member_subject(m))
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


# ------------------------------------------------------------------------------------ census


def census_import_members(*, group: EmployerGroup) -> int:
    """Create members from the group's census rows (what the census has: relationship, birth date,
    gender, ZIP, tobacco, owner flags). Existing member refs are left alone. Each is saved with what it
    has and marked INCOMPLETE with what it still lacks (names, SSN, address, employment: the family page
    and the member list say so). Returns members created."""
    rows = list(CensusMember.objects.filter(group=group).order_by("position", "id"))
    existing = {m.member_ref: m for m in Member.objects.filter(group=group)}
    imported: list[Member] = []
    with transaction.atomic():
        for row in sorted(rows, key=lambda r: not r.is_subscriber):
            if row.member_ref in existing:
                continue
            subscriber = None
            if not row.is_subscriber:
                subscriber = existing.get(row.subscriber_ref)
                if subscriber is None or subscriber.subscriber_id is not None:
                    logger.info("census row %s: no subscriber %s", row.member_ref, row.subscriber_ref)
                    continue
            member = Member(
                group=group,
                member_ref=row.member_ref,
                subscriber=subscriber,
                relationship=row.relationship,
                date_of_birth=row.date_of_birth,
                gender=row.gender,
                tobacco_use=row.tobacco_use,
                is_owner=row.is_owner if row.is_subscriber else False,
                is_owner_spouse=row.is_owner_spouse if row.is_subscriber else False,
                zip5=row.zip5 if row.is_subscriber else "",
                state=(group.state if row.is_subscriber and row.zip5 == group.zip5 else ""),
                county_fips=(group.county_fips if row.is_subscriber and row.zip5 == group.zip5 else ""),
            )
            try:
                member.full_clean(exclude=["group", "subscriber", "covered_lines"])
            except ValidationError as exc:
                logger.info("census row %s skipped: %s", row.member_ref, exc)
                continue
            member.save()
            existing[member.member_ref] = member
            imported.append(member)
        _mark_incomplete(group, imported)
    return len(imported)


def _mark_incomplete(group: EmployerGroup, members: list[Member]) -> int:
    """Store as INCOMPLETE, with what they lack, the members that could not be sent as they are (a census
    gives no names, SSNs or addresses), so the member list says what is missing before any validation."""
    from . import completeness

    plan = completeness.plan_sending(
        members, body=lambda m: member_build_validation_body(member=m), rules=_member_rules(group)
    )
    return sum(
        member_validation_move(
            member=m, to=V.INCOMPLETE, frm=V.NOT_VALIDATED, portal_errors=problems, reason=NOT_SENT
        )
        for m, problems in plan.incomplete
    )


# ------------------------------------------------------------------------------------ enrollment results


def member_record_enrollment_results(*, group: EmployerGroup, results: list[dict]) -> int:
    """Store the 834 outcome per member (called by edi): ``memberRef``, ``status`` (ACCEPTED/REJECTED/
    NOT_SENT), ``humanaMemberId``, ``errors``. Returns how many members were updated."""
    statuses = set(Member.EnrollmentStatus.values)
    updated = 0
    for result in results:
        ref = result.get("memberRef") or result.get("member_ref")
        status = result.get("status")
        if not ref or status not in statuses:
            continue
        updated += Member.objects.filter(group=group, member_ref=ref).update(
            enrollment_status=status,
            humana_member_id=result.get("humanaMemberId") or result.get("humana_member_id") or "",
            enrollment_errors=list(result.get("errors") or []),
            updated_at=timezone.now(),
        )
    return updated


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
            from . import tasks

            tasks.validate_group_members.delay(group.pk)
            queued += 1
    return queued
