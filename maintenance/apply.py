"""What an APPLIED change does to the portal's own rows: a new hire or a newborn becomes a Member (with
the Humana member ID of the file's result), a termination ends the member's coverage (a subscriber's the
whole family's), a reinstatement undoes it, a change updates the member's details and elections. The
coverage dates are the carrier's (the change block); ``MemberCoverage`` keeps them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from groupsales.change_events import ChangeAction
from members.models import Election, Member

from .models import ChangeRequest, MemberCoverage

#: api.md body key → Member field, for the details a change may carry.
FIELDS = {
    "firstName": "first_name", "middleName": "middle_name", "lastName": "last_name", "suffix": "suffix",
    "gender": "gender", "maritalStatus": "marital_status", "tobaccoUse": "tobacco_use",
    "disabled": "disabled", "phone": "phone", "email": "email", "ssn": "ssn",
}  # fmt: skip
ADDRESS = {"line1": "address_line1", "line2": "address_line2", "city": "city", "state": "state",
           "zip5": "zip5", "zip4": "zip4", "countyFips": "county_fips"}  # fmt: skip


def _details(body: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, field in FIELDS.items():
        if key in body:
            value = body[key]
            values[field] = value if value is not None or field == "tobacco_use" else ""
    if body.get("dateOfBirth"):
        values["date_of_birth"] = date.fromisoformat(body["dateOfBirth"])
    for key, field in ADDRESS.items():
        if body.get("address") is not None:
            values[field] = body["address"].get(key) or ""
    employment = body.get("employment") or {}
    if employment.get("hireDate"):
        values["hire_date"] = date.fromisoformat(employment["hireDate"])
    if employment.get("hoursPerWeek"):
        values["hours_per_week"] = employment["hoursPerWeek"]
    if employment.get("status"):
        values["employment_status"] = employment["status"]
    return values


def _elections(member: Member, coverage: list[dict[str, Any]]) -> None:
    for item in coverage:
        Election.objects.update_or_create(
            member=member,
            line=item["line"],
            defaults={
                "plan_id": item.get("planId") or "",
                "waived": bool(item.get("waived")),
                "waiver_reason": item.get("waiverReason") or "",
            },
        )


def _span(member: Member, request: ChangeRequest, **values: Any) -> None:
    MemberCoverage.objects.update_or_create(member=member, defaults={"last_change": request, **values})


def _added(request: ChangeRequest, humana_member_id: str) -> Member:
    body, group = request.body, request.group
    subscriber = None
    if body["relationship"] != "SUBSCRIBER":
        subscriber = Member.objects.filter(group=group, member_ref=request.subscriber_ref).first()
    member, _ = Member.objects.update_or_create(
        group=group,
        member_ref=request.member_ref,
        defaults={
            **_details(body),
            "relationship": body["relationship"],
            "subscriber": subscriber,
            "covered_lines": [c["line"] for c in body.get("coverage") or []] if subscriber else [],
            "validation_status": Member.ValidationStatus.VALID,
            "enrollment_status": Member.EnrollmentStatus.ACCEPTED,
            "humana_member_id": humana_member_id,
            "withdrawn_at": None,
        },
    )
    if subscriber is None:
        _elections(member, body.get("coverage") or [])
    return member


def member_apply_change(*, request: ChangeRequest, result: dict[str, Any] | None = None) -> Member | None:
    """Make the portal's rows follow an APPLIED change (``result``: the file's entry for the member)."""
    change = request.change or {}
    effective = date.fromisoformat(change["effectiveDate"]) if change.get("effectiveDate") else None
    end = date.fromisoformat(change["coverageEnd"]) if change.get("coverageEnd") else None
    humana_id = (result or {}).get("humanaMemberId") or ""
    with transaction.atomic():
        if request.action == ChangeAction.ADD:
            added = _added(request, humana_id)
            _span(added, request, start=effective, end=None, end_reason="")
            request.member = added
            request.save(update_fields=["member"])
            return added
        member = (
            request.member
            or Member.objects.filter(group=request.group, member_ref=request.member_ref).first()
        )
        if member is None:
            return None
        family = [member, *member.dependents.all()] if member.subscriber_id is None else [member]
        if request.action == ChangeAction.TERMINATE:
            for person in family if request.relationship == "SUBSCRIBER" else [member]:
                _span(person, request, end=end, end_reason=request.event_type)
        elif request.action == ChangeAction.REINSTATE:
            for person in family if request.relationship == "SUBSCRIBER" else [member]:
                _span(person, request, end=None, end_reason="")
        else:
            Member.objects.filter(pk=member.pk).update(**_details(request.body))
            if member.subscriber_id is None:
                _elections(member, request.body.get("coverage") or [])
            if end is not None:  # a line dropped by the change
                _span(member, request, end=end, end_reason=request.event_type)
        if humana_id and not member.humana_member_id:
            Member.objects.filter(pk=member.pk).update(humana_member_id=humana_id)
        return member
