"""api.md's create-group body built from a draft: what the carrier receives, and what the group and
member rules read (the member pages, finalize, the forecast). Reads the group and its census only."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .models import CensusMember, EmployerGroup


def _d(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _or_none(value: str) -> str | None:
    return value or None


def group_build_create_payload(*, group: EmployerGroup, census: bool = True) -> dict:
    """api.md's ``POST /groups`` body from the draft (missing values stay empty/null for the rules);
    ``census=False``: without the census (what a created group's changes are made of)."""
    body = _application_body(group)
    body["census"] = _census_body(group) if census else []
    return body


def _census_body(group: EmployerGroup) -> list[dict]:
    census_rows = list(group.census.all())
    subscribers = [m for m in census_rows if m.is_subscriber]
    dependents: dict[str, list[CensusMember]] = {}
    for m in census_rows:
        if not m.is_subscriber:
            dependents.setdefault(m.subscriber_ref, []).append(m)
    census = []
    for sub in subscribers:
        census.append(
            {
                "memberRef": sub.member_ref,
                "dateOfBirth": _d(sub.date_of_birth),
                "gender": sub.gender or None,
                "zip5": sub.zip5 or group.zip5,
                "tobaccoUse": sub.tobacco_use,
                "isOwner": sub.is_owner,
                "isOwnerSpouse": sub.is_owner_spouse,
                "coverageTier": sub.coverage_tier or None,
                "dependents": [
                    {
                        "relationship": d.relationship,
                        "dateOfBirth": _d(d.date_of_birth),
                        "tobaccoUse": d.tobacco_use,
                    }
                    for d in dependents.get(sub.member_ref, [])
                ],
            }
        )
    return census


def _application_body(group: EmployerGroup) -> dict:
    offerings = []
    for o in group.offerings:
        if not isinstance(o, dict):
            continue
        offering = {"line": o.get("line"), "planIds": list(o.get("planIds") or [])}
        if o.get("line") == "MEDICAL":
            offering["ratingOption"] = o.get("ratingOption") or "AGE"
        offering["contribution"] = dict(o.get("contribution") or {})
        offerings.append(offering)
    attestation = None
    if group.attestation_signed_by or group.attestation_title:
        attestation = {
            "signedBy": group.attestation_signed_by,
            "title": group.attestation_title,
            "signedAt": _d(group.attestation_signed_at),
        }
    return {
        "employer": {
            "legalName": group.legal_name,
            "dbaName": _or_none(group.dba_name),
            "fein": group.fein,
            "sicCode": group.sic_code,
            "entityType": group.entity_type or None,
            "establishedDate": _d(group.established_date),
            "address": {
                "line1": group.address_line1,
                "line2": _or_none(group.address_line2),
                "city": group.city,
                "state": group.state,
                "zip5": group.zip5,
                "zip4": _or_none(group.zip4),
                "countyFips": group.county_fips,
            },
            "phone": group.phone,
        },
        "contact": {
            "firstName": group.contact_first_name,
            "lastName": group.contact_last_name,
            "email": group.contact_email,
            "phone": group.contact_phone,
        },
        "writingAgent": {
            "npn": group.agent_npn,
            "firstName": group.agent_first_name,
            "lastName": group.agent_last_name,
            "email": group.agent_email,
        },
        "requestedEffectiveDate": _d(group.requested_effective_date),
        "workforce": {"totalEmployees": group.total_employees, "eligibleEmployees": group.eligible_employees},
        "eligibility": {
            "minimumHoursPerWeek": group.minimum_hours_per_week,
            "waitingPeriod": group.waiting_period or None,
        },
        "offerings": offerings,
        "smallEmployerAttestation": attestation,
    }
