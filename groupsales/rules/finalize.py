"""Rules checked at finalize (phase ``F``), participation and the open-enrollment exception.

Pointers are into the group body (the finalize request itself is ``{}``); ``member_ref`` names the member
at fault where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from ..codes import ContributionBasis, EntityType, Line, RatingOption
from ..rating import round_money
from . import catalog  # noqa: F401  (fills RULES before the rules register)
from ._base import Finding, Node, Violation, as_date, rule, run
from .context import RuleContext
from .group import effective_date_findings
from .settings import RuleSettings
from .views import CHILDREN, SPOUSES, GroupView, MemberView, members_by_role

__all__ = [
    "LineParticipation",
    "check_finalize",
    "implied_tier",
    "open_enrollment_exception_applies",
    "participation",
]

_HUNDRED = Decimal(100)
_PERCENT = Decimal("0.01")
_MEDICAL = Line.MEDICAL.value


@dataclass(frozen=True)
class LineParticipation:
    line: str
    eligible: int
    enrolled: int
    valid_waivers: int
    ratio: Decimal  # unrounded; a denominator of 0 or less counts as Decimal(1)
    percent: str  # "100.00", rounded half up
    required: Decimal
    min_enrolled: int
    ok: bool

    def as_api(self) -> dict[str, Any]:
        """As in api.md's finalize answer."""
        return {
            "line": self.line,
            "eligible": self.eligible,
            "enrolled": self.enrolled,
            "validWaivers": self.valid_waivers,
            "percent": self.percent,
        }


def _line_participation(
    group: GroupView, subscribers: Sequence[MemberView], line: str, settings: RuleSettings
) -> LineParticipation:
    eligible = group.eligible_employees or 0
    enrolled = sum(1 for sub in subscribers if line in sub.elections())
    valid_waivers = 0
    for sub in subscribers:
        waiver = sub.waivers().get(line)
        if waiver is not None and line not in sub.elections():
            if waiver.node["waiverReason"].text() in settings.valid_waiver_reasons:
                valid_waivers += 1
    denominator = eligible - valid_waivers
    ratio = Decimal(enrolled) / Decimal(denominator) if denominator > 0 else Decimal(1)
    percent = (ratio * _HUNDRED).quantize(_PERCENT, rounding=ROUND_HALF_UP)
    required = settings.min_participation.get(line, Decimal(0))
    floor = settings.min_enrolled_when_two_eligible.get(line, 0)
    min_enrolled = floor if floor and denominator >= floor else 0
    return LineParticipation(
        line=line,
        eligible=eligible,
        enrolled=enrolled,
        valid_waivers=valid_waivers,
        ratio=ratio,
        percent=f"{percent:.2f}",
        required=required,
        min_enrolled=min_enrolled,
        ok=ratio >= required and enrolled >= min_enrolled,
    )


def participation(
    group: dict[str, Any], members: Sequence[dict[str, Any]], *, settings: RuleSettings
) -> list[LineParticipation]:
    """Participation of each offered line (in offering order) over the current valid validations.

    enrolled = validated subscribers electing the line; valid waivers = validated subscribers waiving it
    for a reason in ``settings.valid_waiver_reasons``; ratio = enrolled / (eligible − valid waivers).
    """
    view = GroupView(group, settings=settings)
    subscribers, _dependents = members_by_role(members)
    return [_line_participation(view, list(subscribers.values()), line, settings) for line in view.offered]


def open_enrollment_exception_applies(
    *, created_on: date, effective_date: date, settings: RuleSettings
) -> bool:
    """Created within the open-enrollment window (inclusive) before an effective date of 1 January."""
    created, effective = as_date(created_on), as_date(effective_date)  # a datetime counts as its date
    if created is None or effective is None:
        return False
    if (effective.month, effective.day) != tuple(settings.open_enrollment_effective):
        return False
    (start_month, start_day), (end_month, end_day) = settings.open_enrollment_window
    # The window lies before the effective date: in the year before when it is later in the calendar.
    year = (
        effective.year - 1
        if (start_month, start_day) > tuple(settings.open_enrollment_effective)
        else (effective.year)
    )
    try:
        start = date(year, start_month, start_day)
        end = date(year + ((end_month, end_day) < (start_month, start_day)), end_month, end_day)
    except ValueError:
        return False
    return start <= created <= end


# --------------------------------------------------------------------------------------------------


@dataclass
class FinalizeCheck:
    group: GroupView
    ctx: RuleContext
    subscribers: dict[str, MemberView]
    dependents: list[MemberView]
    created_on: date | None

    @property
    def settings(self) -> RuleSettings:
        return self.group.settings

    @cached_property
    def exception(self) -> bool:
        effective = self.group.effective_date
        if effective is None or self.created_on is None:
            return False
        return open_enrollment_exception_applies(
            created_on=self.created_on, effective_date=effective, settings=self.settings
        )

    @cached_property
    def participation(self) -> dict[str, LineParticipation]:
        subs = list(self.subscribers.values())
        return {
            line: _line_participation(self.group, subs, line, self.settings) for line in self.group.offered
        }

    def enrolled_in(self, line: str) -> list[MemberView]:
        return [sub for sub in self.subscribers.values() if line in sub.elections()]


@rule("GRP-007", when="F")
def _effective(check: FinalizeCheck) -> Iterator[Finding]:
    yield from effective_date_findings(check.group)


@rule("GRP-008", when="F")
def _subscribers_within_eligible(check: FinalizeCheck) -> Iterator[Finding]:
    eligible = check.group.eligible_employees
    count = len(check.subscribers)
    if eligible is not None and count > eligible:
        yield Finding(
            check.group.root["workforce"].child("eligibleEmployees"),
            f"{count} employees are validated but the group has {eligible} eligible employees.",
        )


@rule("GRP-013", when="F")
def _bona_fide(check: FinalizeCheck) -> Iterator[Finding]:
    if check.group.employer["entityType"].text() == EntityType.PARTNERSHIP:
        if not any(sub.elections() for sub in check.subscribers.values()):
            yield Finding("", "A partnership needs at least one enrolling employee.")
        return
    if _MEDICAL in check.group.offered:
        enrolling = check.enrolled_in(_MEDICAL)
    else:
        enrolling = [sub for sub in check.subscribers.values() if sub.elections()]
    if not any(
        sub.root["isOwner"].boolean() is not True and sub.root["isOwnerSpouse"].boolean() is not True
        for sub in enrolling
    ):
        yield Finding("")


@rule("GRP-015", when="F")
def _signed_application(check: FinalizeCheck) -> Iterator[Finding]:
    """Present, not stale, each signature recent: an error from the cutover's effective date, a warning
    before it."""
    effective = check.group.effective_date
    required_from = check.settings.application_required_from
    severity = "error" if effective is not None and effective >= required_from else "warning"
    application = check.group.root["employerGroupApplication"]
    if not application.is_dict:
        yield Finding(
            application.pointer, "The signed Employer Group Application is missing.", severity=severity
        )
        return
    if application["stale"].boolean() is True:
        yield Finding(
            application.pointer,
            "The application data changed after it was signed: it must be signed again and sent.",
            severity=severity,
        )
    limit = check.settings.application_max_age_days
    for who in ("employerSignature", "agentSignature"):
        signed = application[who]["signedAt"]
        signed_on = Node((signed.text() or "")[:10]).date()
        today = as_date(check.ctx.today)
        if signed_on is None or today is None or (today - signed_on).days > limit:
            yield Finding(
                signed.pointer,
                f"Signed more than {limit} days before finalize: sign again.",
                severity=severity,
            )


@rule("GRP-014", when="F")
def _attestation(check: FinalizeCheck) -> Iterator[Finding]:
    if _MEDICAL not in check.group.offered:
        return
    if len(check.enrolled_in(_MEDICAL)) > check.settings.attestation_max_enrolled:
        return
    attestation = check.group.root["smallEmployerAttestation"]
    signed_by = attestation["signedBy"].text()
    signed_at = attestation["signedAt"].text()
    if not (signed_by and signed_by.strip() and signed_at and signed_at.strip()):
        yield Finding("/smallEmployerAttestation")


def _participation_findings(check: FinalizeCheck, lines: Sequence[str]) -> Iterator[Finding]:
    if check.exception:
        return
    for line, result in check.participation.items():
        if line not in lines or result.ok:
            continue
        offering = check.group.offered[line]
        if result.ratio < result.required:
            message = (
                f"{line.capitalize()} participation is {result.percent}%, below the minimum of "
                f"{(result.required * _HUNDRED).normalize():f}%."
            )
        else:
            message = (
                f"{line.capitalize()} needs at least {result.min_enrolled} enrolled employees "
                f"({result.enrolled} enrolled)."
            )
        yield Finding(offering.node.pointer, message)


@rule("GRP-020", when="F")
def _medical_participation(check: FinalizeCheck) -> Iterator[Finding]:
    yield from _participation_findings(check, [_MEDICAL])


@rule("GRP-021", when="F")
def _other_participation(check: FinalizeCheck) -> Iterator[Finding]:
    yield from _participation_findings(check, [Line.DENTAL.value, Line.VISION.value])


@rule("GRP-022", when="F")
def _medical_contribution(check: FinalizeCheck) -> Iterator[Finding]:
    if check.exception:
        return
    for line, share in check.settings.min_contribution.items():
        offering = check.group.offered.get(line)
        if offering is None or not share:
            continue
        contribution = offering.node["contribution"]
        basis = contribution["basis"].code(ContributionBasis)
        employee = contribution["employee"].money()
        area, effective = check.group.rating_area, check.group.effective_date
        if basis is None or employee is None or employee < 0 or area is None or effective is None:
            continue  # GRP-004 / GRP-011 report unusable inputs
        option = offering.node["ratingOption"].code(RatingOption) or RatingOption.AGE.value
        plans = offering.plan_ids
        for sub in check.enrolled_in(line):
            born = sub.date_of_birth
            if born is None:
                continue
            plan_id = sub.elections()[line].plan_id
            if plan_id is None:  # never: an election always has its plan (Coverage.is_election)
                continue
            own = check.ctx.own_premium(
                plan_id,
                rating_area_id=area,
                date_of_birth=born,
                tobacco=sub.root["tobaccoUse"].boolean() is True,
                effective_date=effective,
                rating_option=option,
            )
            cheapest = [
                premium
                for plan in plans
                if (
                    premium := check.ctx.own_premium(
                        plan,
                        rating_area_id=area,
                        date_of_birth=born,
                        tobacco=False,
                        effective_date=effective,
                        rating_option=option,
                    )
                )
                is not None
            ]
            if own is None or not cheapest:
                continue
            if basis == ContributionBasis.PERCENT:
                paid = round_money(own * employee / _HUNDRED)
            else:
                paid = min(employee, own)
            needed = share * min(cheapest)
            if paid < needed:
                yield Finding(
                    contribution.child("employee"),
                    f"The employer pays {paid:.2f} toward {sub.member_ref}'s own {line.lower()} premium; "
                    f"at least {round_money(needed):.2f} ({(share * _HUNDRED).normalize():f}% of the "
                    f"employee-only premium {min(cheapest):.2f}) is required.",
                    member_ref=sub.member_ref,
                )


@rule("GRP-023", when="F")
def _line_used(check: FinalizeCheck) -> Iterator[Finding]:
    for line, offering in check.group.offered.items():
        if not check.enrolled_in(line):
            yield Finding(
                offering.node.pointer, f"Nobody enrolls in {line.lower()}; remove the line or enroll."
            )


@rule("GRP-030", when="F")
def _subscribers_validated(check: FinalizeCheck) -> Iterator[Finding]:
    if not any(sub.elections() for sub in check.subscribers.values()):
        yield Finding("", "No validated employee elects coverage.")
    for dependent in check.dependents:
        if dependent.subscriber_ref not in check.subscribers:
            yield Finding(
                "",
                f"Dependent {dependent.member_ref}'s employee {dependent.subscriber_ref} is not validated.",
                member_ref=dependent.member_ref,
            )


_TIERS_BY_FAMILY = {(False, False): "EMP", (True, False): "ESP", (False, True): "ECH", (True, True): "FAM"}


def implied_tier(relationships: Iterable[str]) -> str:
    """The tier that the dependents covered on a line call for: none EMP, spouse or partner only ESP,
    children only ECH, both FAM (GRP-031)."""
    kinds = set(relationships)
    return _TIERS_BY_FAMILY[(bool(kinds & SPOUSES), bool(kinds & CHILDREN))]


@rule("GRP-031", when="F")
def _tiers_match(check: FinalizeCheck) -> Iterator[Finding]:
    for ref, sub in check.subscribers.items():
        family = [dep for dep in check.dependents if dep.subscriber_ref == ref]
        for line, election in sub.elections().items():
            covered = [dep for dep in family if line in dep.covered_lines()]
            implied = implied_tier(dep.relationship for dep in covered if dep.relationship)
            if election.tier != implied:
                offering = check.group.offered.get(line)
                yield Finding(
                    offering.node.pointer if offering is not None else "",
                    f"{ref}'s {line.lower()} tier is {election.tier or 'missing'} but the validated "
                    f"dependents covered make it {implied}.",
                    member_ref=ref,
                )


def check_finalize(
    group: dict[str, Any], members: Sequence[dict[str, Any]], *, ctx: RuleContext, created_on: date | None
) -> list[Violation]:
    """Rules marked F over the group and its current valid validation bodies; never raises. ``created_on``
    None: the open-enrollment exception is not assumed."""
    subscribers, dependents = members_by_role(members)
    check = FinalizeCheck(
        group=GroupView(group, ctx),
        ctx=ctx,
        subscribers=subscribers,
        dependents=dependents,
        created_on=as_date(created_on),
    )
    return run("F", check)
