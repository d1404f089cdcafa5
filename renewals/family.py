"""The employee's family at renewal: who is covered on R − 1, who the carrier ends before R (MNT-007),
what was chosen for each dependent from R, and the stand-ins the tier and the bodies are built from."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carrier.rules import rule_settings
from groupsales.change_events import age_out_end
from groupsales.codes import CHILD_RELATIONSHIPS, SPOUSE_RELATIONSHIPS
from members.models import LINES, Member

from .models import Renewal, RenewalElection


@dataclass(frozen=True)
class FamilyMember:
    """A dependent covered on R − 1, as the renewal page offers it: the lines it holds now and, for a child
    whose coverage the carrier ends before R (MNT-007), that end (it cannot be kept)."""

    member: Member
    lines: tuple[str, ...]
    ends_on: date | None = None

    @property
    def member_ref(self) -> str:
        return self.member.member_ref


def joining_member_ids(renewal: Renewal, subscriber: Member) -> set[int]:
    return set(
        RenewalElection.objects.filter(
            renewal=renewal, member__subscriber=subscriber, action="ADD"
        ).values_list("member_id", flat=True)
    )


def _ordered(lines: Iterable[str]) -> tuple[str, ...]:
    wanted = set(lines)
    return tuple(line for line in LINES if line in wanted)


def _ages_out_before(dependent: Member, renewal_date: date) -> date | None:
    """MNT-007: the day the carrier ends a (not disabled) child's coverage, when that is before R."""
    if dependent.relationship not in CHILD_RELATIONSHIPS or dependent.disabled or not dependent.date_of_birth:
        return None
    end = age_out_end(dependent.date_of_birth, age_limit=rule_settings().child_age_limit)
    return end if end < renewal_date else None


def renewal_family(*, renewal: Renewal, subscriber: Member) -> list[FamilyMember]:
    """The subscriber's dependents covered on R − 1 (spouse or partner first, then children oldest first),
    those joining at renewal left out (they are the page's "joining" list)."""
    joining = joining_member_ids(renewal, subscriber)
    found = [
        FamilyMember(d, _ordered(d.covered_lines or []), _ages_out_before(d, renewal.renewal_date))
        for d in subscriber.dependents.filter(withdrawn_at__isnull=True)
        if d.pk not in joining and d.covered_lines
    ]
    return sorted(
        found,
        key=lambda f: (
            f.member.relationship not in SPOUSE_RELATIONSHIPS,
            f.member.date_of_birth or date.max,
            f.member_ref,
        ),
    )


def renewal_family_chosen(*, renewal: Renewal, subscriber: Member) -> dict[str, tuple[str, ...]]:
    """Each dependent's lines from R as last chosen (its stored election), else as it holds them now; a
    child aging out before R on none."""
    stored = {
        e.member.member_ref: e
        for e in RenewalElection.objects.filter(renewal=renewal, member__subscriber=subscriber)
        .exclude(action="ADD")
        .select_related("member")
    }
    chosen: dict[str, tuple[str, ...]] = {}
    for f in renewal_family(renewal=renewal, subscriber=subscriber):
        election = stored.get(f.member_ref)
        if f.ends_on is not None:
            chosen[f.member_ref] = ()
        elif election is None:
            chosen[f.member_ref] = f.lines
        elif election.action == "TERMINATE":
            chosen[f.member_ref] = ()
        else:
            chosen[f.member_ref] = _ordered(c["line"] for c in election.body.get("coverage") or [])
    return chosen


def renewal_family_problems(
    *, renewal: Renewal, subscriber: Member, family: Mapping[str, Iterable[str]]
) -> dict[str, list[tuple[str, str]]]:
    """The portal's earlier check of what the employee ticked: member ref → [(rule ID, message)]. A child
    whose coverage ends before R by MNT-007 cannot be kept on any line."""
    problems: dict[str, list[tuple[str, str]]] = {}
    for f in renewal_family(renewal=renewal, subscriber=subscriber):
        if f.ends_on is not None and list(family.get(f.member_ref) or []):
            message = _(
                "%(name)s turns 26 before the renewal date: Humana ends the coverage on %(day)s, so it "
                "cannot continue at renewal."
            ) % {
                "name": f"{f.member.first_name} {f.member.last_name}",
                "day": date_format(f.ends_on, "Y-m-d"),
            }
            problems.setdefault(f.member_ref, []).append(("MNT-007", message))
    return problems


def lines_from_r(
    family: list[FamilyMember], wanted: Mapping[str, Iterable[str]], elected: set[str]
) -> dict[str, tuple[str, ...]]:
    """Each dependent's lines from R: what was chosen, on the lines the subscriber elects from R (MBR-011);
    a child aging out before R on none."""
    return {
        f.member_ref: ()
        if f.ends_on is not None
        else _ordered(set(wanted.get(f.member_ref, f.lines)) & elected)
        for f in family
    }


def stand_ins(subscriber: Member, lines: Mapping[str, tuple[str, ...]]) -> list[Member]:
    """The subscriber's active dependents with their lines from R (unsaved copies: the tier's input)."""
    out = []
    for dependent in subscriber.dependents.filter(withdrawn_at__isnull=True):
        if dependent.member_ref in lines:
            dependent = copy.copy(dependent)
            dependent.covered_lines = list(lines[dependent.member_ref])
        out.append(dependent)
    return out
