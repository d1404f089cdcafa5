"""A new-business 834's members against their validations: one result per 2000 loop.

FIL-010 (the loop names a valid validation, and its identity matches it: ``subscriberRef``,
relationship, date of birth, SSN, names), FIL-011 (the coverage lines, plans and tiers validated),
FIL-012 (coverage and eligibility start on the group's effective date), FIL-901 (the sandbox's
Rejectsmith). A change file's loops (:mod:`sandbox.change_files`) share the identity checks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from groupsales.codes import LINE_TO_X12, RELATIONSHIP_TO_X12, X12_TO_RELATIONSHIP, Relationship
from groupsales.x12.parser import ParsedInterchange, ParsedMember
from groupsales.x12.sanitize import clean_digits, names_match

from . import scenarios
from .models import MemberValidation

V = MemberValidation.Status
_NAMES = (("NM103", "last_name", "lastName"), ("NM104", "first_name", "firstName"),
          ("NM105", "middle_name", "middleName"))  # fmt: skip


def file_error(code: str, message: str, segment: str | None, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "segment": segment, "line": line}


def member_results(
    parsed: ParsedInterchange, validations: dict[str, MemberValidation], effective: date
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Each loop's result, and the member refs accepted and rejected."""
    results, accepted, rejected = [], [], []
    for pm in parsed.members:
        validation = validations.get(pm.member_ref or "")
        entry = _entry(pm, validation)
        results.append(entry)
        if validation is None or not validation.valid:
            why = (
                "The 2000 loop has no REF*ZZ member reference."
                if not pm.member_ref
                else (f"No valid validation for member {pm.member_ref} in this group.")
            )
            entry["errors"] = [
                file_error("FIL-010", why, "REF" if pm.member_ref else "INS", pm.line_of("REF", "ZZ"))
            ]
            continue
        if validation.status == V.ACCEPTED:  # reported accepted again, never enrolled twice
            entry.update(
                status=V.ACCEPTED,
                humanaMemberId=validation.humana_member_id,
                effectiveDate=effective.isoformat(),
            )
            accepted.append(validation.member_ref)
            continue
        errors = member_errors(pm, validation, validations, effective) + _scenario_errors(
            pm, validation, validations
        )
        if errors:
            entry["errors"] = errors
            rejected.append(validation.member_ref)
        else:
            entry.update(status=V.ACCEPTED, effectiveDate=effective.isoformat())
            accepted.append(validation.member_ref)
    return results, accepted, rejected


def _entry(pm: ParsedMember, validation: MemberValidation | None) -> dict[str, Any]:
    """A loop's result before its checks: REJECTED, no errors yet."""
    relationship = X12_TO_RELATIONSHIP.get(pm.relationship_code)
    return {
        "memberRef": pm.member_ref if validation is not None else (pm.member_ref or None),
        "relationship": (validation.relationship if validation else relationship and relationship.value),
        "status": V.REJECTED,
        "humanaMemberId": None,
        "action": "ADD",
        "effectiveDate": None,
        "coverageEnd": None,
        "errors": [],
    }


def _scenario_errors(
    pm: ParsedMember, validation: MemberValidation, validations: dict[str, MemberValidation]
) -> list[dict[str, Any]]:
    subscriber = validations.get(validation.subscriber_ref)
    last_name = (subscriber or validation).body.get("lastName")
    if not scenarios.member_rejected(subscriber_last_name=last_name):
        return []
    message = "Enrollment processing rejected the member (sandbox: Rejectsmith)."
    return [file_error("FIL-901", message, "INS", pm.line)]


def member_errors(
    pm: ParsedMember, validation: MemberValidation, validations: dict[str, MemberValidation], effective: date
) -> list[dict[str, Any]]:
    """FIL-010, then FIL-011 and FIL-012, of one loop against its validation."""
    return member_identity_errors(pm, validation) + _coverage_errors(pm, validation, validations, effective)


def member_identity_errors(pm: ParsedMember, validation: MemberValidation) -> list[dict[str, Any]]:
    """FIL-010: the loop's subscriberRef, relationship, date of birth, SSN and names are the validation's."""
    body = validation.body
    errors = []
    if (pm.subscriber_ref or "") != validation.subscriber_ref:
        message = "REF*0F differs from the validation's subscriberRef."
        errors.append(file_error("FIL-010", message, "REF", pm.line_of("REF", "0F")))
    if pm.relationship_code != RELATIONSHIP_TO_X12.get(Relationship(validation.relationship)):
        errors.append(
            file_error("FIL-010", "The relationship (INS02) differs from the validation.", "INS", pm.line)
        )
    if pm.birth_date is None or pm.birth_date.isoformat() != body.get("dateOfBirth"):
        message = "The file's date of birth differs from the validation."
        errors.append(file_error("FIL-010", message, "DMG", pm.line_of("DMG")))
    if pm.ssn and pm.ssn != clean_digits(body.get("ssn")):
        errors.append(
            file_error("FIL-010", "The file's SSN differs from the validation.", "NM1", pm.line_of("NM1"))
        )
    for element, attribute, key in _NAMES:
        if not names_match(getattr(pm, attribute), body.get(key), element):
            message = f"The file's name ({element}) differs from the validation."
            errors.append(file_error("FIL-010", message, "NM1", pm.line_of("NM1")))
    return errors


def _coverage_errors(
    pm: ParsedMember, validation: MemberValidation, validations: dict[str, MemberValidation], effective: date
) -> list[dict[str, Any]]:
    """FIL-011: the loop's HD lines, plans and tiers are those validated; FIL-012: its dates."""
    errors = []
    expected = _expected_coverage(validation, validations)
    for cover in pm.coverages:
        want = expected.get(cover.insurance_line)
        if want is None:
            message = f"The member is not validated for {cover.insurance_line} coverage."
            errors.append(file_error("FIL-011", message, "HD", cover.line))
        elif (cover.plan_id, cover.tier) != want:
            message = f"HD04/HD05 should be {want[0]}/{want[1]} as validated."
            errors.append(file_error("FIL-011", message, "HD", cover.line))
        if cover.start_date != effective:
            message = "Coverage start (DTP*348) is not the group's effective date."
            errors.append(file_error("FIL-012", message, "DTP", cover.start_line or cover.line))
    for line in sorted(set(expected) - {cover.insurance_line for cover in pm.coverages}):
        message = f"The validation elects {line} coverage but the file has no HD for it."
        errors.append(file_error("FIL-011", message, "INS", pm.line))
    if pm.eligibility_begin != effective:
        message = "Eligibility begin (DTP*356) is not the group's effective date."
        errors.append(file_error("FIL-012", message, "DTP", pm.eligibility_begin_line or pm.line))
    return errors


def _expected_coverage(
    validation: MemberValidation, validations: dict[str, MemberValidation]
) -> dict[str, tuple]:
    """{line: (plan, tier)} the validation elects, a dependent's on its subscriber's plan and tier."""
    source: MemberValidation | None = validation
    lines: set[str] | None = None
    if validation.relationship != Relationship.SUBSCRIBER:
        source = validations.get(validation.subscriber_ref)
        lines = {c.get("line") for c in validation.body.get("coverage") or []}
    if source is None:
        return {}
    expected = {}
    for cover in source.body.get("coverage") or []:
        if cover.get("waived") or not cover.get("planId"):
            continue
        if lines is not None and cover.get("line") not in lines:
            continue
        expected[LINE_TO_X12[cover["line"]]] = (cover["planId"], cover.get("coverageTier"))
    return expected
