"""Reads of the members app."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.utils.translation import gettext, ngettext

from carrier.rules import rule_settings
from enrollment.models import EmployerGroup
from enrollment.payload import group_build_create_payload
from enrollment.roster import GroupProgress
from groupsales.rules import participation
from portal.display import code_label

from .models import Member
from .services import member_build_validation_body, member_carrier_problems

V = Member.ValidationStatus
# What the broker's member pages show of a group, for enrollment.selectors.group_get_visible(records=...):
# a staff user reaches them only with the members' permissions as well as the group's.
MEMBER_PAGES = ("members.member",)
INVITATION_ACTIONS = ("members.member", "members.invitation")


def _active_dependents_prefetch() -> Prefetch:
    """A family's current dependents as people list them: the spouse or partner first, then the children."""
    partner_first = Case(
        When(
            relationship__in=[Member.Relationship.SPOUSE, Member.Relationship.DOMESTIC_PARTNER], then=Value(0)
        ),
        default=Value(1),
    )
    return Prefetch(
        "dependents",
        queryset=Member.objects.filter(withdrawn_at__isnull=True).order_by(partner_first, "member_ref"),
    )


def member_list_for_group(*, group: EmployerGroup) -> QuerySet[Member]:
    """The group's current subscribers with their dependents and elections (a constant number of queries)."""
    return (
        Member.objects.filter(group=group, subscriber__isnull=True, withdrawn_at__isnull=True)
        .select_related("group")
        .prefetch_related("elections", _active_dependents_prefetch())
        .order_by("member_ref", "id")
    )


def member_get_for_group(*, group: EmployerGroup, pk: int) -> Member:
    """One current subscriber of the group (Member.DoesNotExist otherwise)."""
    return (
        Member.objects.select_related("group")
        .prefetch_related("elections", _active_dependents_prefetch())
        .get(group=group, pk=pk, subscriber__isnull=True, withdrawn_at__isnull=True)
    )


def group_validated_member_bodies(*, group: EmployerGroup) -> list[dict]:
    """api.md validation bodies of the group's VALID members: each subscriber, then its valid dependents
    (for the 834 writer). A dependent whose subscriber is not valid is left out."""
    bodies: list[dict] = []
    for subscriber in member_list_for_group(group=group).filter(validation_status=V.VALID):
        dependents = list(subscriber.dependents.all())
        bodies.append(member_build_validation_body(member=subscriber, dependents=dependents))
        for dependent in dependents:
            if dependent.validation_status == V.VALID:
                dependent.subscriber = subscriber
                bodies.append(member_build_validation_body(member=dependent))
    return bodies


def group_progress(*, group: EmployerGroup) -> GroupProgress:
    """Counts for the members page: subscribers enrolled (electing a line), waived (waiving every
    offered line), not started; validation counts; participation per line over the valid validations
    (groupsales.rules.participation); what keeps the group from finalizing."""
    progress = GroupProgress()
    _count_families(progress, group)
    try:
        payload = group_build_create_payload(group=group)
        progress.participation = participation(
            payload, group_validated_member_bodies(group=group), settings=rule_settings()
        )
    except Exception:  # pragma: no cover - an incomplete draft has no participation to show
        progress.participation = []
    progress.blockers.extend(_blockers(progress))
    return progress


def _count_families(progress: GroupProgress, group: EmployerGroup) -> None:
    """Each family's election (enrolled, waived, not started) and each member's validation status."""
    offered = set(group.lines)
    for subscriber in member_list_for_group(group=group):
        family = [subscriber, *subscriber.dependents.all()]
        progress.subscribers += 1
        progress.members += len(family)
        elections = list(subscriber.elections.all())
        if any(not e.waived and e.plan_id for e in elections):
            progress.enrolled += 1
        elif elections and offered and offered <= {e.line for e in elections if e.waived}:
            progress.waived += 1
        else:
            progress.not_started += 1
        for m in family:
            if m.validation_status == V.VALID:
                progress.validated += 1
            elif m.validation_status == V.INVALID:
                progress.invalid += 1
            elif m.validation_status == V.INCOMPLETE:
                progress.incomplete += 1
            else:
                progress.waiting += 1


def _blockers(progress: GroupProgress) -> list[str]:
    """What keeps the group from finalizing, in the reader's words, from the counts and participation."""
    blockers: list[str] = []
    if not progress.subscribers:
        blockers.append(gettext("No employees have been added."))
    if progress.not_started:
        blockers.append(
            ngettext(
                "%(n)s employee has neither elected nor waived coverage.",
                "%(n)s employees have neither elected nor waived coverage.",
                progress.not_started,
            )
            % {"n": progress.not_started}
        )
    if progress.invalid:
        blockers.append(
            ngettext(
                "%(n)s member was refused by the carrier: correct it.",
                "%(n)s members were refused by the carrier: correct them.",
                progress.invalid,
            )
            % {"n": progress.invalid}
        )
    if progress.incomplete:
        blockers.append(
            ngettext(
                "%(n)s member is incomplete and was not sent to the carrier: what it lacks is listed "
                "with its family below.",
                "%(n)s members are incomplete and were not sent to the carrier: what each lacks is listed "
                "with its family below.",
                progress.incomplete,
            )
            % {"n": progress.incomplete}
        )
    if progress.waiting:
        blockers.append(
            ngettext(
                "%(n)s member is not validated yet.", "%(n)s members are not validated yet.", progress.waiting
            )
            % {"n": progress.waiting}
        )
    for line in progress.participation:
        if not line.ok:
            blockers.append(
                gettext(
                    "%(line)s: participation is %(percent)s%% (%(enrolled)s of %(of)s); the carrier "
                    "requires more."
                )
                % {
                    "line": code_label(line.line, "line"),
                    "percent": line.percent,
                    "enrolled": line.enrolled,
                    "of": line.eligible - line.valid_waivers,
                }
            )
    return blockers


@dataclass(frozen=True)
class Blocker:
    """One thing that keeps a member of a family from being valid, for the broker's member list."""

    member_ref: str
    step: str  # ``member`` or ``election:LINE``: which form of the family page has the field
    field: str | None  # that form's field; None when it is about the member as a whole
    code: str
    message: str
    fix: str
    source: str  # "portal" (not sent: incomplete) or "carrier" (its refusal)


def family_blockers(*, subscriber: Member) -> list[Blocker]:
    """What blocks this family (prefetched as ``member_list_for_group`` gives it, no query): what the
    portal found missing in each INCOMPLETE member, the carrier's refusal of each INVALID one, and why
    the 834 rejected a member (until a follow-up gets it accepted)."""
    out: list[Blocker] = []
    for member in [subscriber, *subscriber.dependents.all()]:
        if member.validation_status == V.INCOMPLETE:
            out += [
                Blocker(
                    member.member_ref,
                    e.get("step") or "member",
                    e.get("field"),
                    e.get("code", ""),
                    e.get("message", ""),
                    e.get("fix", ""),
                    "portal",
                )
                for e in member.portal_errors or []
            ]
        elif member.validation_status == V.INVALID:
            if member.subscriber_id is not None:
                member.subscriber = subscriber
            out += [
                Blocker(member.member_ref, p.step, p.field, p.code, p.message, p.fix, "carrier")
                for p in member_carrier_problems(member=member)
            ]
        if member.enrollment_status == Member.EnrollmentStatus.REJECTED:
            out += [
                Blocker(
                    member.member_ref,
                    "member",
                    None,
                    e.get("code", ""),
                    e.get("message", ""),
                    gettext(
                        "Correct the member here; once it is validated again, send it in a follow-up "
                        "file (Enrollment files)."
                    ),
                    "carrier",
                )
                for e in member.enrollment_errors or []
            ]
    return out
