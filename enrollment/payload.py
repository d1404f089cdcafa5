"""api.md's create-group body built from a draft: what the carrier receives, and what the group and
member rules read (the member pages, finalize, the forecast). Reads the group and its census only."""

from __future__ import annotations

from .application import application_body, application_fields, iso_date
from .models import CensusMember, EmployerGroup


def group_build_create_payload(*, group: EmployerGroup, census: bool = True) -> dict:
    """api.md's ``POST /groups`` body from the draft (missing values stay empty/null for the rules);
    ``census=False``: without the census (what a created group's changes are made of)."""
    body = application_fields(group)
    body["employerGroupApplication"] = application_body(group=group, body=body)  # null until both signed
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
                "dateOfBirth": iso_date(sub.date_of_birth),
                "gender": sub.gender or None,
                "zip5": sub.zip5 or group.zip5,
                "tobaccoUse": sub.tobacco_use,
                "isOwner": sub.is_owner,
                "isOwnerSpouse": sub.is_owner_spouse,
                "coverageTier": sub.coverage_tier or None,
                "dependents": [
                    {
                        "relationship": d.relationship,
                        "dateOfBirth": iso_date(d.date_of_birth),
                        "tobaccoUse": d.tobacco_use,
                    }
                    for d in dependents.get(sub.member_ref, [])
                ],
            }
        )
    return census
