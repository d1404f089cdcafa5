"""A finished 834's per-member results, kept once on its ``TransmissionMember`` rows (the carrier's
errors in plain words); a REJECTED file's members it did not judge go again as they are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from carrier.schemas import EnrollmentFileStatus

from .. import follow_up
from ..models import Transmission, TransmissionMember
from .files import plain

S = Transmission.Status


def error_dicts(items: Iterable[Any]) -> list[dict]:
    return [
        {"code": e.code, "message": plain(e.message or ""), "segment": e.segment, "line": e.line}
        for e in items
    ]


def store_member_results(
    transmission: Transmission, status: EnrollmentFileStatus, file_errors: list[dict]
) -> None:
    """Each member's result on its ``TransmissionMember``; a member-less error joins ``file_errors``. A
    REJECTED file's members it does not judge are rejected with the file (each goes again as it is)."""
    final = str(status.status)
    seen = set()
    for result in status.members:
        if not result.member_ref:
            file_errors += error_dicts(result.errors)
            continue
        seen.add(result.member_ref)
        TransmissionMember.objects.update_or_create(
            transmission=transmission,
            member_ref=result.member_ref,
            defaults={
                "status": str(result.status),
                "humana_member_id": result.humana_member_id or "",
                "errors": error_dicts(result.errors),
                **({"relationship": str(result.relationship)} if result.relationship else {}),
            },
        )
    if final == S.REJECTED:
        transmission.members.exclude(member_ref__in=seen).update(
            status=TransmissionMember.Status.REJECTED,
            errors=[
                {
                    "code": e["code"],
                    "message": follow_up.WHOLE_FILE,
                    "segment": None,
                    "line": None,
                    "whole_file": True,  # no member was judged: it goes again as it is
                }
                for e in file_errors
            ]
            or [
                {
                    "code": "REJECTED",
                    "message": follow_up.WHOLE_FILE,
                    "segment": None,
                    "line": None,
                    "whole_file": True,
                }
            ],
        )
