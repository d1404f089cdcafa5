"""The downloads a broker takes to the employer and to payroll, each built from the same reads as the pages.

Every builder takes what the page's selector already returned (the visible groups, one visible group), so
an export never reaches further than its page. What a broker may see of a person is what the pages show:
an SSN as ``***-**-6789``, a date of birth as its year only (the full date is only in the family form's
edit field: ``docs/reliability.md``).

Costs are the employee's and the employer's monthly share under the group's contributions, worked out by
the rating arithmetic the quote, the estimate and the carrier use (``groupsales.rating.price_plan`` through
``catalogue.quoting.quote_census``), on the elections the portal holds. Per pay period is the monthly
figure × 12 ÷ the group's pay periods per year, rounded half up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from catalogue.plan_names import plan_names_for
from catalogue.quoting import CensusRow, QuoteError, QuoteResult, quote_census
from enrollment.models import EmployerGroup
from groupsales.codes import ContributionBasis
from groupsales.rating import Contribution, per_pay_period
from members.models import Election, Invitation, Member, mask_ssn, member_coverage_tier
from portal.display import code_label, plan_label

from .tabular import Column, Table

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

LINES = ("MEDICAL", "DENTAL", "VISION")


def _line(line: str) -> str:
    return code_label(line, "line")


# ------------------------------------------------------------------------------------ the book


class _BookFigures(TypedDict):
    """What ``enrollment.selectors.book_rows`` annotates on each group (its declared type omits them)."""

    members_validated: int
    subscribers_expected: int
    monthly_premium: Decimal | None


def book_table(*, groups: QuerySet[EmployerGroup]) -> Table:
    """The book of business as filtered on its page (``enrollment.selectors.book_list``)."""
    from enrollment.selectors import book_rows

    ids = list(groups.values_list("pk", flat=True)[:10_000])
    columns = [
        Column(_("Employer")),
        Column(_("Humana Group ID")),
        Column(_("Status")),
        Column(_("Effective date")),
        Column(_("Broker")),
        Column(_("Employees validated")),
        Column(_("Employees expected")),
        Column(_("Monthly premium"), money=True),
        Column(_("Updated")),
    ]
    rows = [
        [
            g.legal_name or _("Draft group %(id)s") % {"id": g.pk},
            g.humana_group_id or "",
            g.get_status_display(),
            g.requested_effective_date,
            g.broker.full_name if hasattr(g.broker, "full_name") else str(g.broker),
            g.members_validated,
            g.subscribers_expected,
            g.monthly_premium,
            g.updated_at,
        ]
        for g in cast("list[WithAnnotations[EmployerGroup, _BookFigures]]", book_rows(ids=ids))
    ]
    return Table(_("Book of business"), columns, rows)


# ------------------------------------------------------------------------------------ one group's people


@dataclass(frozen=True)
class Family:
    subscriber: Member
    dependents: tuple[Member, ...]
    elections: dict[str, Election]


def _families(group: EmployerGroup) -> list[Family]:
    members = (
        Member.objects.filter(group=group, withdrawn_at__isnull=True)
        .prefetch_related(Prefetch("elections", queryset=Election.objects.all()), "invitations")
        .order_by("member_ref", "id")
    )
    by_subscriber: dict[int, list[Member]] = {}
    subscribers: list[Member] = []
    for member in members:
        if member.subscriber_id is None:
            subscribers.append(member)
        else:
            by_subscriber.setdefault(member.subscriber_id, []).append(member)
    return [
        Family(s, tuple(by_subscriber.get(s.pk, ())), {e.line: e for e in s.elections.all()})
        for s in subscribers
    ]


def _elected(family: Family, line: str) -> Election | None:
    election = family.elections.get(line)
    return election if election is not None and not election.waived and election.plan_id else None


def _costs(
    group: EmployerGroup, families: Sequence[Family]
) -> dict[tuple[str, str], dict[str, Decimal | None]]:
    """{(subscriber memberRef, line): {"total", "employer", "employee"}} for each family's elected plan, from
    ONE quote of the whole group (each plan priced for the families on its line)."""
    lines = [line for line in LINES if group.offering(line).get("planIds")]
    if not (lines and group.requested_effective_date and group.zip5 and group.county_fips):
        return {}
    census = _census(families)
    contributions = _contributions(group, lines)
    if not census:
        return {}
    try:
        result = quote_census(
            zip5=group.zip5[:5],
            county_fips=group.county_fips,
            effective_date=group.requested_effective_date,
            census=census,
            composite=group.offering("MEDICAL").get("ratingOption") == "COMPOSITE",
            contributions=contributions,
        )
    except (QuoteError, ValueError, KeyError):
        return {}  # the catalogue cannot price this group: the export says "—" for its costs
    return _elected_costs(result, families)


def _census(families: Sequence[Family]) -> list[CensusRow]:
    """The quote's census: each subscriber with a tier per line (WAIVE where nothing is elected), then
    its dependents; a person without a date of birth is left out (a subscriber with their family)."""
    census: list[CensusRow] = []
    for family in families:
        s = family.subscriber
        if s.date_of_birth is None:
            continue
        tiers = {
            line.lower() + "_tier": (
                member_coverage_tier(s, line, family.dependents) if _elected(family, line) else "WAIVE"
            )
            for line in LINES
        }
        census.append(
            CensusRow(s.member_ref, s.member_ref, "SUBSCRIBER", s.date_of_birth, s.tobacco_use, **tiers)
        )
        for d in family.dependents:
            if d.date_of_birth is not None:
                census.append(
                    CensusRow(d.member_ref, s.member_ref, d.relationship, d.date_of_birth, d.tobacco_use)
                )
    return census


def _contributions(group: EmployerGroup, lines: list[str]) -> dict[str, Contribution]:
    contributions = {}
    for line in lines:
        raw = group.offering(line).get("contribution") or {}
        if raw:
            contributions[line] = Contribution(
                ContributionBasis(raw["basis"]),
                Decimal(str(raw["employee"])),
                Decimal(str(raw["dependents"])),
            )
    return contributions


def _elected_costs(
    result: QuoteResult, families: Sequence[Family]
) -> dict[tuple[str, str], dict[str, Decimal | None]]:
    """The quote's price of each family on the plan it elected on each line."""
    elected = {
        (f.subscriber.member_ref, line): e.plan_id
        for f in families
        for line in LINES
        if (e := _elected(f, line))
    }
    out: dict[tuple[str, str], dict[str, Decimal | None]] = {}
    for plan in result.plans:
        for ref, price in plan.price.families.items():
            if elected.get((ref, plan.offer.line)) == plan.offer.plan_id:
                out[(ref, plan.offer.line)] = {
                    "total": price.total,
                    "employer": price.employer,
                    "employee": price.employee,
                }
    return out


def _line_columns(money_titles: Iterable[str]) -> list[Column]:
    columns = []
    for line in LINES:
        columns += [
            Column(_("%(line)s: tier") % {"line": _line(line)}),
            Column(_("%(line)s: plan") % {"line": _line(line)}),
        ]
        columns += [Column(title % {"line": _line(line)}, money=True) for title in money_titles]
    return columns


def enrollment_table(*, group: EmployerGroup) -> Table:
    """The group's enrollment census: each person, the tier and plan of each line, the monthly cost, and
    where their validation and enrollment stand."""
    families = _families(group)
    costs = _costs(group, families)
    names = plan_names_for({e.plan_id for f in families for e in f.elections.values() if e.plan_id})
    columns = [
        Column(_("Member ID")),
        Column(_("Employee")),
        Column(_("Name")),
        Column(_("Relationship")),
        Column(_("Year of birth")),
        Column(_("SSN")),
        *_line_columns([_("%(line)s: employer monthly"), _("%(line)s: employee monthly")]),
        Column(_("Validation")),
        Column(_("Enrollment")),
        Column(_("Humana member ID")),
    ]
    rows = []
    for family in families:
        for person in (family.subscriber, *family.dependents):
            row: list[Any] = [
                person.member_ref,
                family.subscriber.full_name,
                person.full_name,
                code_label(person.relationship, "relationship"),
                person.date_of_birth.year if person.date_of_birth else "",
                mask_ssn(person.ssn),
            ]
            for line in LINES:
                row += _line_cells(family, person, line, costs, names)
            row += [
                person.get_validation_status_display(),
                person.get_enrollment_status_display(),
                person.humana_member_id,
            ]
            rows.append(row)
    return Table(_("Enrollment census"), columns, rows)


def _line_cells(family: Family, person: Member, line: str, costs, names) -> list[Any]:
    """Tier, plan, employer and employee monthly for ``person`` on ``line`` (the family's figures on the
    subscriber's row; a dependent shows whether it is covered)."""
    election = family.elections.get(line)
    if election is None:
        return ["", "", None, None]
    if election.waived:
        return [_("Waived"), code_label(election.waiver_reason, "waiver_reason"), None, None]
    if person.subscriber_id is not None:
        covered = line in (person.covered_lines or [])
        return [_("Covered") if covered else _("Not covered"), "", None, None]
    tier = member_coverage_tier(family.subscriber, line, family.dependents)
    cost = costs.get((family.subscriber.member_ref, line), {})
    return [
        code_label(tier, "tier"),
        plan_label(election.plan_id, names),
        cost.get("employer"),
        cost.get("employee"),
    ]


def premium_table(*, group: EmployerGroup) -> Table:
    """Premium by plan: the carrier's final rates once finalized (else the estimate), employer and
    employees' shares."""
    final = bool(group.final_rates)
    entries = group.final_rates if final else group.estimated_rates
    names = plan_names_for([e.get("planId") for e in entries or []])
    columns = [
        Column(_("Line")),
        Column(_("Plan")),
        Column(_("Rating method")),
        Column(_("Monthly premium"), money=True),
        Column(_("Employer monthly"), money=True),
        Column(_("Employees monthly"), money=True),
        Column(_("Source")),
    ]
    rows = []
    for entry in entries or []:
        total = _amount(entry.get("totalMonthlyPremium") or entry.get("estimatedMonthlyPremium"))
        employer = _amount(entry.get("employerMonthlyContribution"))
        rows.append(
            [
                _line(entry.get("line", "")),
                plan_label(entry.get("planId"), names),
                code_label(entry.get("ratingMethod"), "rating") if entry.get("ratingMethod") else "",
                total,
                employer,
                total - employer if total is not None and employer is not None else None,
                _("Final rates") if final else _("Estimate"),
            ]
        )
    return Table(_("Premium by plan"), columns, rows)


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


def signing_state(subscriber: Member) -> tuple[str, Invitation | None]:
    """SIGNED, STARTED (the live link opened), INVITED or NONE, and the live invitation (prefetched
    ``invitations``)."""
    invitations = sorted(subscriber.invitations.all(), key=lambda i: (i.created_at, i.pk))
    live = next((i for i in reversed(invitations) if i.revoked_at is None), None)
    if any(i.signed_at for i in invitations):
        return "SIGNED", live
    if live is None:
        return "NONE", None
    return ("STARTED" if live.opened_at else "INVITED"), live


def not_signed_table(*, group: EmployerGroup) -> Table:
    """Employees who have not signed their elections: whom to remind, and whether their link still works."""
    columns = [
        Column(_("Member ID")),
        Column(_("Name")),
        Column(_("E-mail")),
        Column(_("Invited")),
        Column(_("Opened")),
        Column(_("Link expires")),
        Column(_("Status")),
    ]
    rows = []
    subscribers = (
        Member.objects.filter(group=group, subscriber__isnull=True, withdrawn_at__isnull=True)
        .prefetch_related("invitations")
        .order_by("member_ref")
    )
    words = {
        "NONE": _("Not invited"),
        "STARTED": _("Started, not signed"),
        "INVITED": _("Invited, not opened"),
    }
    for s in subscribers:
        state, live = signing_state(s)
        if state == "SIGNED":
            continue
        status = words[state]
        rows.append(
            [
                s.member_ref,
                s.full_name,
                s.email,
                live.sent_at if live else None,
                live.opened_at if live else None,
                live.expires_at if live else None,
                status,
            ]
        )
    return Table(_("Not yet signed"), columns, rows)


def payroll_table(*, group: EmployerGroup) -> Table:
    """Payroll deductions: each employee's monthly cost per line and per pay period of the group."""
    families = _families(group)
    costs = _costs(group, families)
    periods = group.pay_periods_per_year
    columns = [Column(_("Member ID")), Column(_("Employee"))]
    for line in LINES:
        columns += [
            Column(_("%(line)s: employee monthly") % {"line": _line(line)}, money=True),
            Column(_("%(line)s: per pay period") % {"line": _line(line)}, money=True),
        ]
    columns += [
        Column(_("Total monthly"), money=True),
        Column(_("Total per pay period"), money=True),
        Column(_("Pay frequency")),
    ]
    rows = []
    for family in families:
        ref = family.subscriber.member_ref
        row: list[Any] = [ref, family.subscriber.full_name]
        monthly_total: Decimal | None = Decimal("0.00")
        for line in LINES:
            # Nothing to deduct for a waived or unelected line; an elected line the catalogue cannot
            # price stays empty, and so does the total (never a total that leaves a line out).
            monthly = (
                costs.get((ref, line), {}).get("employee") if _elected(family, line) else Decimal("0.00")
            )
            row += [monthly, per_pay_period(monthly, periods)]
            monthly_total = None if monthly is None or monthly_total is None else monthly_total + monthly
        row += [monthly_total, per_pay_period(monthly_total, periods), group.get_pay_frequency_display()]
        rows.append(row)
    return Table(_("Payroll deductions"), columns, rows)


GROUP_EXPORTS = {
    "enrollment": enrollment_table,
    "premium": premium_table,
    "not-signed": not_signed_table,
    "payroll": payroll_table,
}


@dataclass(frozen=True)
class EmployeeChoice:
    """What an employer may see of one employee: name, where they are, and per line the tier elected
    (or "waived") and the employee's monthly cost. No SSN, no date of birth, no dependents' names."""

    name: str
    state: str
    lines: dict[str, tuple[str, Decimal | None]]  # line -> (tier code or "WAIVE" or "", employee cost)


def employer_employee_choices(*, group: EmployerGroup) -> list[EmployeeChoice]:
    families = _families(group)
    costs = _costs(group, families)
    words = {
        "SIGNED": _("Signed"),
        "STARTED": _("Started"),
        "INVITED": _("Invited"),
        "NONE": _("Not invited"),
    }
    out = []
    for family in families:
        s = family.subscriber
        lines: dict[str, tuple[str, Decimal | None]] = {}
        for line in group.lines:
            election = family.elections.get(line)
            if _elected(family, line):
                tier = member_coverage_tier(s, line, family.dependents)
                lines[line] = (tier, costs.get((s.member_ref, line), {}).get("employee"))
            else:
                lines[line] = ("WAIVE" if election is not None and election.waived else "", None)
        out.append(EmployeeChoice(s.full_name or s.member_ref, words[signing_state(s)[0]], lines))
    return out
