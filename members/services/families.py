"""Families: the in-memory plan of a family's answers (``family_plan``), stored by ``family_save``,
checked by ``family_draft_problems``; withdrawal of a member."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enrollment.models import EmployerGroup
from enrollment.rules import Problem

from ..models import LINES, Election, Member
from .bodies import (
    MEMBER_FIELDS,
    SUBSCRIBER_ONLY,
    _digits,
    _ordered_lines,
    member_build_validation_body,
)
from .problems import _body_problems, member_carrier_problems
from .validation import _mark_edited, members_queue_validation


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


def _family_bodies(
    subscriber: Member, dependents: list[Member], elections: Iterable[Election]
) -> dict[int, dict]:
    """{pk: validation body} of a family as given (its active dependents only), read from nothing."""
    active = [d for d in dependents if d.withdrawn_at is None]
    bodies = {
        subscriber.pk: member_build_validation_body(member=subscriber, dependents=active, elections=elections)
    }
    for d in active:
        d.subscriber = subscriber
        bodies[d.pk] = member_build_validation_body(member=d)
    return bodies


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
        self.group = group
        self.known: set[str] | None = None
        self.added: set[str] = set()

    def __contains__(self, ref: object) -> bool:
        if self.known is None:
            self.known = set(
                Member.objects.filter(group=self.group).order_by().values_list("member_ref", flat=True)
            )
        return ref in self.known or ref in self.added

    def add(self, ref: str) -> None:
        self.added.add(ref)


def _plan_elections(
    group: EmployerGroup,
    sub: Member,
    stored_elections: Iterable[Election],
    elections: Mapping[str, Mapping[str, Any]],
    refuse: Callable[[str], object],
    *,
    in_place: bool,
) -> tuple[dict[str, Election], list[Election]]:
    """{line: the election once stored}, and the stored elections the answers remove (answered with
    neither a plan nor a waiver, or on a line the group no longer offers and the answers do not name)."""
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
    return chosen, dropped


def family_plan(
    *,
    group: EmployerGroup,
    subscriber: Member,
    dependents: list[Member],
    stored_elections: Iterable[Election],
    subscriber_data: Mapping[str, Any],
    dependents_data: Sequence[Mapping[str, Any]],
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
    chosen, dropped = _plan_elections(group, sub, stored_elections, elections, refuse, in_place=in_place)
    plan = FamilyPlan(subscriber=sub, elections=chosen, dropped=dropped, steps=[], kept=[])
    elected = plan.elected

    current = {d.pk: d for d in dependents}
    refs = _Refs(group)
    for data in dependents_data:
        plan.steps.append(
            _dependent_step(group, sub, current, data, elected, refs, check, refuse, in_place=in_place)
        )
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


def _dependent_step(
    group: EmployerGroup,
    sub: Member,
    current: dict[int, Member],
    data: Mapping[str, Any],
    elected: set[str],
    refs: _Refs,
    check: Callable[[Member], None],
    refuse: Callable[[str], object],
    *,
    in_place: bool,
) -> tuple[str, Member] | None:
    """One dependent's answers as a step of the plan: ("save", the member as answered), ("withdraw", the
    stored one), or None when the answers are refused (``refuse`` told why)."""
    dependent_id = data.get("id")
    original = current.get(int(dependent_id)) if dependent_id else None
    if dependent_id and original is None:
        refuse("That dependent is not in this family.")
        return None
    if data.get("DELETE"):
        return ("withdraw", original) if original is not None else None
    if original is None and group.status in CLOSED_TO_NEW_MEMBERS:
        refuse(NEW_MEMBER_AFTER_FINALIZE)
        return None
    dependent = Member(group=group) if original is None else (original if in_place else copy.copy(original))
    dependent.subscriber = sub
    _set_fields(dependent, data, subscriber=False)
    if not dependent.member_ref:
        dependent.member_ref = _dependent_ref(sub.member_ref, dependent.relationship, refs)
    if data.get("covered_lines") is None and original is None:
        dependent.covered_lines = sorted(elected)
    dependent.covered_lines = _ordered_lines(set(dependent.covered_lines or []) & elected)
    check(dependent)
    refs.add(dependent.member_ref)
    return ("save", dependent)


def family_save(
    *,
    group: EmployerGroup,
    subscriber_data: Mapping[str, Any],
    dependents_data: Sequence[Mapping[str, Any]],
    elections: Mapping[str, Mapping[str, Any]],
    by: User | None,
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
            stored, stored_elections = list(subscriber.dependents.all()), list(subscriber.elections.all())
            before = _family_bodies(subscriber, stored, stored_elections)  # before the plan changes them
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
        # The family as just stored, from the plan in memory (its members were full_clean'ed): no re-read.
        after = _family_bodies(plan.subscriber, plan.dependents, plan.elections.values())
        changed = [pk for pk, body in after.items() if before.get(pk) != body]
        _mark_edited(changed)
        if changed:
            members_queue_validation(group=group)
    subscriber.refresh_from_db()
    return subscriber


def _family_store(plan: FamilyPlan, *, by: User | None) -> None:
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
    dependents_data: Sequence[Mapping[str, Any]],
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

    problems = _draft_rules(group, subscriber, dependents, plan, bodies, group_payload, ctx)
    out.subscriber = problems(sub)
    out.dependents = [problems(step[1]) if step and step[0] == "save" else None for step in plan.steps]
    return out


def _draft_rules(
    group: EmployerGroup,
    subscriber: Member,
    dependents: list[Member],
    plan: FamilyPlan,
    bodies: dict[int, dict],
    group_payload: dict,
    ctx: Any,
) -> Callable[[Member], list[Problem]]:
    """``member -> [Problem]`` over the plan: the carrier's member rules, then its last refusal."""
    sub, family = plan.subscriber, plan.dependents
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

    return problems


def member_withdraw(*, member: Member, by: User | None) -> Member:
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
            from .. import tasks

            for m in to_call:
                transaction.on_commit(functools.partial(tasks.withdraw_member.delay, m.pk))
    member.refresh_from_db()
    return member
