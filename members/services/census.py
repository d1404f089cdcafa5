"""Members made from a group's census rows, kept INCOMPLETE with what the census does not give."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from enrollment.models import CensusMember, EmployerGroup

from .. import completeness
from ..models import Member
from ..states import member_validation_move
from .bodies import member_build_validation_body
from .validation import NOT_SENT, _member_rules

logger = logging.getLogger(__name__)

V = Member.ValidationStatus


def census_import_members(*, group: EmployerGroup) -> int:
    """Create members from the group's census rows (what the census has: relationship, birth date,
    gender, ZIP, tobacco, owner flags). Existing member refs are left alone. Each is saved with what it
    has and marked INCOMPLETE with what it still lacks (names, SSN, address, employment: the family page
    and the member list say so). Returns members created."""
    rows = list(CensusMember.objects.filter(group=group).order_by("position", "id"))
    existing = {m.member_ref: m for m in Member.objects.filter(group=group)}
    imported: list[Member] = []
    with transaction.atomic():
        for row in sorted(rows, key=lambda r: not r.is_subscriber):
            if row.member_ref in existing:
                continue
            subscriber = None
            if not row.is_subscriber:
                subscriber = existing.get(row.subscriber_ref)
                if subscriber is None or subscriber.subscriber_id is not None:
                    logger.info("census row %s: no subscriber %s", row.member_ref, row.subscriber_ref)
                    continue
            member = Member(
                group=group,
                member_ref=row.member_ref,
                subscriber=subscriber,
                relationship=row.relationship,
                date_of_birth=row.date_of_birth,
                gender=row.gender,
                tobacco_use=row.tobacco_use,
                is_owner=row.is_owner if row.is_subscriber else False,
                is_owner_spouse=row.is_owner_spouse if row.is_subscriber else False,
                zip5=row.zip5 if row.is_subscriber else "",
                state=(group.state if row.is_subscriber and row.zip5 == group.zip5 else ""),
                county_fips=(group.county_fips if row.is_subscriber and row.zip5 == group.zip5 else ""),
            )
            try:
                member.full_clean(exclude=["group", "subscriber", "covered_lines"])
            except ValidationError as exc:
                logger.info("census row %s skipped: %s", row.member_ref, exc)
                continue
            member.save()
            existing[member.member_ref] = member
            imported.append(member)
        _mark_incomplete(group, imported)
    return len(imported)


def _mark_incomplete(group: EmployerGroup, members: list[Member]) -> int:
    """Store as INCOMPLETE, with what they lack, the members that could not be sent as they are (a census
    gives no names, SSNs or addresses), so the member list says what is missing before any validation."""
    plan = completeness.plan_sending(
        members, body=lambda m: member_build_validation_body(member=m), rules=_member_rules(group)
    )
    return sum(
        member_validation_move(
            member=m, to=V.INCOMPLETE, frm=V.NOT_VALIDATED, portal_errors=problems, reason=NOT_SENT
        )
        for m, problems in plan.incomplete
    )
