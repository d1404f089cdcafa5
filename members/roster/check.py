"""What the carrier's member rules say of a roster's values, before anything is saved.

A roster may leave things out (an address, a hire date, the plans): those people are saved and kept
back as incomplete, as the census import does, and the broker or the employee completes them. What
the roster *gives* must be right: each value is checked by the rule that governs it (``MBR-…`` of the
carrier, ``PTL-…`` of the portal), with the member rules run over unsaved members, and a violation
kept only where it points at a value the row holds. The family's own shape is checked here too: one
Employee ID and one SSN per person (MBR-014, against the group as well), a tier that names a spouse
or children the family lists (MBR-010).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from enrollment import rules as enrollment_rules
from enrollment.models import EmployerGroup
from enrollment.payload import group_build_create_payload
from groupsales.codes import CHILD_RELATIONSHIPS, SPOUSE_RELATIONSHIPS, TIER_COVERS, tier_covers
from groupsales.rules import RULES, Violation, check_member, check_member_entry

from ..models import LINES, Election, Member, member_ref_validator
from ..services.bodies import _digits, member_build_validation_body
from .parse import Roster, RosterError, RosterFamily, RosterPerson

_COVERS = {str(tier): kinds for tier, kinds in TIER_COVERS.items()}  # by the roster's tier text

logger = logging.getLogger(__name__)

# The member-body pointer (no index) -> the roster field whose value it is about.
POINTER_COLUMNS = {
    "/firstName": "first_name",
    "/middleName": "middle_name",
    "/lastName": "last_name",
    "/suffix": "suffix",
    "/ssn": "ssn",
    "/dateOfBirth": "date_of_birth",
    "/gender": "gender",
    "/tobaccoUse": "tobacco_use",
    "/phone": "phone",
    "/email": "email",
    "/address/line1": "address_line1",
    "/address/line2": "address_line2",
    "/address/city": "city",
    "/address/state": "state",
    "/address/zip5": "zip",
    "/address/zip4": "zip",
    "/address/countyFips": "county_fips",
    "/employment/hireDate": "hire_date",
    "/employment/hoursPerWeek": "hours_per_week",
    "/employment/status": "employment_status",
}
# Field -> the Member fields holding its value (a ZIP is two).
_HELD_IN = {"zip": ("zip5", "zip4")}
_SKIPPED_RULES = frozenset({"MBR-020"})  # the order the carrier validates in, not the roster's values


def _refs(group: EmployerGroup, roster: Roster, errors: list[RosterError]) -> None:
    """Give every employee an Employee ID (the file's, or the next free E-###) and check they are unique."""
    taken = set(Member.objects.filter(group=group).values_list("member_ref", flat=True))
    seen: set[str] = set()
    column = roster.column("member_ref")
    for family in roster.families:
        ref = family.employee.ref
        if not ref:
            continue
        if not re.match(member_ref_validator.regex, ref):
            errors.append(
                RosterError(
                    family.employee.line,
                    column,
                    "PTL-004",
                    _("Employee ID %(ref)s is not valid.") % {"ref": repr(ref)},
                    _("Use 1 to 30 capital letters, digits or hyphens, e.g. E-001."),
                )
            )
        elif ref in taken or ref in seen:
            errors.append(
                RosterError(
                    family.employee.line,
                    column,
                    "PTL-004",
                    _("Employee ID %(ref)s is already used.") % {"ref": ref},
                    _(
                        "Give each employee their own ID; an employee already in the group is "
                        "changed on their family page, not imported again."
                    ),
                )
            )
        seen.add(ref)
        family.employee.data["member_ref"] = ref
    n = 1
    for family in roster.families:
        if family.employee.ref:
            continue
        while f"E-{n:03d}" in taken or f"E-{n:03d}" in seen:
            n += 1
        family.employee.data["member_ref"] = f"E-{n:03d}"
        seen.add(f"E-{n:03d}")


def _covered_lines(family: RosterFamily, person: RosterPerson) -> list[str]:
    """The lines a dependent is covered on: those elected (a plan given) whose tier includes them."""
    return [
        line
        for line, plan in family.plans.items()
        if plan
        and family.tiers.get(line, "FAM") != "WAIVE"
        and tier_covers(family.tiers.get(line, "FAM"), person.data["relationship"])
    ]


def family_elections(family: RosterFamily) -> dict[str, dict[str, Any]]:
    """{line: {plan_id, waived, waiver_reason}} for ``family_save``: a plan given, or WAIVE."""
    out: dict[str, dict[str, Any]] = {}
    for line in LINES:
        if family.tiers.get(line) == "WAIVE":
            out[line] = {"waived": True, "waiver_reason": family.waiver_reason or "OTHER"}
        elif family.plans.get(line):
            out[line] = {"plan_id": family.plans[line], "waived": False}
    return out


def dependents_data(family: RosterFamily) -> list[dict[str, Any]]:
    out = []
    for person in family.dependents:
        data = dict(person.data)
        if any(line in family.tiers for line in family.plans):
            data["covered_lines"] = _covered_lines(family, person)
        out.append(data)
    return out


def _tier_errors(family: RosterFamily, roster: Roster, errors: list[RosterError]) -> None:
    listed = {d.data["relationship"] for d in family.dependents}
    for line, tier in family.tiers.items():
        covers = _COVERS.get(tier, frozenset())  # WAIVE: no one
        wanted = [kind for kind in (SPOUSE_RELATIONSHIPS, CHILD_RELATIONSHIPS) if kind <= covers]
        if any(not (kind & listed) for kind in wanted):
            errors.append(
                RosterError(
                    family.employee.line,
                    roster.column(f"{line.lower()}_tier")
                    if f"{line.lower()}_tier" in roster.columns
                    else roster.column("coverage_tier"),
                    "MBR-010",
                    _(
                        "The tier %(tier)s covers a spouse or children this roster does not list for the "
                        "employee."
                    )
                    % {"tier": tier},
                    _(
                        "Add the spouse's or children's rows under the employee, or choose the tier of who "
                        "is listed."
                    ),
                )
            )


def _infer_place(group: EmployerGroup, family: RosterFamily, on: date | None) -> None:
    """A ZIP with one county in the rate file gives the county (and the group's state when it is there)."""
    from catalogue.selectors import counties_for_zip

    data = family.employee.data
    if not data.get("zip5") or data.get("county_fips"):
        return
    counties = counties_for_zip(zip5=data["zip5"], on=on)
    if len(counties) == 1:
        data["county_fips"] = counties[0].county_fips
        if not data.get("state") and group.county_fips[:2] == counties[0].county_fips[:2]:
            data["state"] = group.state


def _member(group: EmployerGroup, data: dict[str, Any], subscriber: Member | None, pk: int) -> Member:
    """An unsaved member holding the row's values; ``pk`` (negative: never a stored row) lets the
    body builder see a dependent's employee without a query."""
    member = Member(pk=pk, group=group, subscriber=subscriber)
    for name, value in data.items():
        if name != "covered_lines" and value is not None:
            setattr(member, name, value)
    if subscriber is not None:
        member.member_ref = f"{subscriber.member_ref}-D"
        member.covered_lines = data.get("covered_lines") or []
    return member


def _held(person: RosterPerson, field: str) -> bool:
    return any(person.data.get(name) not in (None, "") for name in _HELD_IN.get(field, (field,)))


def _kept(
    violation: Violation, person: RosterPerson, body: dict[str, Any], family: RosterFamily
) -> str | None:
    """The roster field a violation is about, when the row holds a value for it (else None: left out)."""
    if violation.code in _SKIPPED_RULES:
        return None
    parts = violation.pointer.split("/")
    if len(parts) >= 3 and parts[1] == "coverage" and parts[2].isdigit():
        coverage = body.get("coverage") or []
        index = int(parts[2])
        line = coverage[index].get("line") if index < len(coverage) else None
        if line and (family.plans.get(line) or family.tiers.get(line)) and person is family.employee:
            return f"{line.lower()}_plan" if family.plans.get(line) else f"{line.lower()}_tier"
        return None
    field = POINTER_COLUMNS.get(violation.pointer)
    return field if field and _held(person, field) else None


def roster_check(*, group: EmployerGroup, roster: Roster) -> list[RosterError]:
    """Every error of the roster (its reading's and the rules'), by line; assigns Employee IDs."""
    errors = list(roster.errors)
    _refs(group, roster, errors)
    try:
        payload = group_build_create_payload(group=group)
        ctx = enrollment_rules.group_rule_context()
    except Exception:  # noqa: BLE001 - the catalogue may lack the group's facts: the format checks stand
        logger.exception("rule context of group %s", group.pk)
        payload, ctx = None, None
    on = group.requested_effective_date
    ssns = {
        _digits(m.ssn): m.member_ref
        for m in Member.objects.filter(group=group, withdrawn_at__isnull=True)
        if m.ssn
    }
    seen_ssn: dict[str, int] = {}
    for family in roster.families:
        _infer_place(group, family, on)
        _tier_errors(family, roster, errors)
        for person in [family.employee, *family.dependents]:
            ssn = person.data.get("ssn")
            if ssn and (ssn in ssns or ssn in seen_ssn):
                where = (_("line %(n)s") % {"n": seen_ssn[ssn]}) if ssn in seen_ssn else ssns[ssn]
                errors.append(
                    RosterError(
                        person.line,
                        roster.column("ssn"),
                        "MBR-014",
                        _("This SSN is also given for %(where)s.") % {"where": where},
                        str(_(RULES["MBR-014"].fix)),
                    )
                )
            elif ssn:
                seen_ssn[ssn] = person.line
        if payload is not None:
            errors += _rule_errors(group, family, roster, payload, ctx)
    unique: dict[tuple[int, str, str], RosterError] = {}
    for error in errors:
        unique.setdefault((error.line, error.column, error.rule), error)
    return sorted(unique.values(), key=lambda e: e.line)


def _rule_errors(
    group: EmployerGroup, family: RosterFamily, roster: Roster, payload: dict, ctx: Any
) -> Iterable[RosterError]:
    build = member_build_validation_body
    employee = _member(group, family.employee.data, None, -1)
    elections = [
        Election(
            member=employee,
            line=line,
            plan_id=e.get("plan_id", ""),
            waived=e["waived"],
            waiver_reason=e.get("waiver_reason", ""),
        )
        for line, e in family_elections(family).items()
    ]
    dependents = [_member(group, data, employee, -2 - i) for i, data in enumerate(dependents_data(family))]
    employee_body = build(member=employee, dependents=dependents, elections=elections)
    bodies = [(family.employee, employee_body)]
    for person, dependent in zip(family.dependents, dependents, strict=True):
        bodies.append((person, build(member=dependent)))
    for person, body in bodies:
        others = [b for p, b in bodies[1:] if p is not person]
        found = check_member(
            body,
            group=payload,
            ctx=ctx,
            subscriber=None if person is family.employee else employee_body,
            other_dependents=others,
        ) + check_member_entry(body)
        for violation in found:
            field = _kept(violation, person, body, family)
            if field is not None:
                yield RosterError(
                    person.line,
                    roster.column(field),
                    violation.code,
                    str(violation.message),
                    str(violation.fix or _(RULES[violation.code].fix)),
                )
