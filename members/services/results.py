"""The 834's per-member outcome, stored on the members (called by ``edi``)."""

from __future__ import annotations

from django.utils import timezone

from enrollment.models import EmployerGroup

from ..models import Member


def member_record_enrollment_results(*, group: EmployerGroup, results: list[dict]) -> int:
    """Store the 834 outcome per member (called by edi): ``memberRef``, ``status`` (ACCEPTED/REJECTED/
    NOT_SENT), ``humanaMemberId``, ``errors``. Returns how many members were updated."""
    statuses = set(Member.EnrollmentStatus.values)
    updated = 0
    for result in results:
        ref = result.get("memberRef") or result.get("member_ref")
        status = result.get("status")
        if not ref or status not in statuses:
            continue
        updated += Member.objects.filter(group=group, member_ref=ref).update(
            enrollment_status=status,
            humana_member_id=result.get("humanaMemberId") or result.get("humana_member_id") or "",
            enrollment_errors=list(result.get("errors") or []),
            updated_at=timezone.now(),
        )
    return updated
