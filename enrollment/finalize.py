"""Finalize: the readiness checklist, the request, and the carrier call in a Celery task.

The checklist runs the carrier's finalize rules (``check_finalize``: participation, contribution,
attestation, bona fide group, tiers, with the open-enrollment exception) over the members the carrier has
validated, plus what only the portal knows (members still waiting, refused or not started). A broker may
finalize when nothing blocks and open enrollment is over, or when they confirm it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from carrier.errors import CarrierRuleError, CarrierTransientError
from carrier.operations import carrier_call
from carrier.outbox import outbox_enqueue
from carrier.rules import carrier_today
from carrier.services import operation_for
from groupsales.rules import check_finalize
from portal.display import code_label

from . import documents
from . import rules as group_rules
from .models import EmployerGroup
from .payload import group_build_create_payload
from .roster import roster
from .rules import Problem
from .states import TransitionNotAllowed, group_transition
from .window import oe_window

S = EmployerGroup.Status


class FinalizeRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Readiness:
    """What the group page shows before finalize: each item is (done, words)."""

    items: list[tuple[bool, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    open_enrollment_over: bool = False

    @property
    def ready(self) -> bool:
        """Warnings (GRP-015 before its cutover date) are shown but do not hold finalize back."""
        return all(done for done, _ in self.items) and not any(p.is_error for p in self.problems)


def _subject(group_id: int) -> str:
    return f"group:{group_id}"


def open_enrollment_ends_on(*, group: EmployerGroup) -> date | None:
    """The last day employees can answer: the end of the open-enrollment window (``enrollment.window``)."""
    return oe_window(group=group).ends_on


def group_readiness(*, group: EmployerGroup) -> Readiness:
    readiness = Readiness()
    readiness.items.append(
        (
            group.change_state == EmployerGroup.ChangeState.NONE,
            _("Every change to the group's details is sent to and accepted by the carrier."),
        )
    )
    progress = roster().progress(group=group)
    readiness.items.append(
        (
            progress.subscribers > 0 and not progress.waiting and not progress.invalid,
            _("Every member validated by the carrier (%(validated)s of %(members)s).")
            % {"validated": progress.validated, "members": progress.members},
        )
    )
    readiness.items.append(
        (
            not progress.not_started,
            _("Every employee elected or waived (%(n)s not started).") % {"n": progress.not_started},
        )
    )
    ends = open_enrollment_ends_on(group=group)
    readiness.open_enrollment_over = ends is not None and carrier_today() > ends
    payload = group_build_create_payload(group=group)
    bodies = roster().validated_bodies(group=group)
    created_on = (group.carrier_created_at or group.created_at).date()
    violations = check_finalize(payload, bodies, ctx=group_rules.group_rule_context(), created_on=created_on)
    readiness.problems = []
    for v in violations:
        message, fix = group_rules.rule_words(v.code, v.message, v.fix)
        step, field = group_rules.locate(v.pointer, v.code, payload.get("offerings") or [])
        readiness.problems.append(
            Problem(
                code=v.code, message=message, fix=fix, step=step, field=field, pointer=v.pointer,
                severity=v.severity,
            )
        )  # fmt: skip
    readiness.problems += documents.document_problems(group=group)
    lines = {p.line: p for p in progress.participation}
    for line, part in lines.items():
        readiness.items.append(
            (
                part.ok,
                _("%(line)s participation %(percent)s%% (%(enrolled)s enrolled, %(waivers)s valid waivers of "
                  "%(eligible)s eligible).")
                % {"line": code_label(line, "line"), "percent": part.percent, "enrolled": part.enrolled,
                   "waivers": part.valid_waivers, "eligible": part.eligible},
            )
        )  # fmt: skip
    return readiness


def group_request_finalize(
    *, group: EmployerGroup, by: User | None, confirm_open_enrollment_over: bool
) -> EmployerGroup:
    """OPEN_ENROLLMENT → FINALIZING when nothing blocks; the carrier call is queued after the commit."""
    from . import tasks

    if group.status != S.OPEN_ENROLLMENT:
        raise FinalizeRefused(
            _("A group can be finalized only in open enrollment (it is %(status)s).")
            % {"status": group.get_status_display()}
        )
    readiness = group_readiness(group=group)
    if not readiness.ready:
        raise FinalizeRefused(_("The group is not ready: see the checklist."))
    if not readiness.open_enrollment_over and not confirm_open_enrollment_over:
        raise FinalizeRefused(_("Open enrollment has not ended: confirm that every employee has answered."))
    with transaction.atomic():
        group = group_transition(group=group, to=S.FINALIZING, by=by, reason="Finalize requested")
        outbox_enqueue(task_name=tasks.finalize_group.name, args=[group.pk])
    return group


def _rates(final: Any) -> list[dict[str, Any]]:
    return [rate.model_dump(mode="json", by_alias=True) for rate in final.final_rates]


def group_finalize_with_carrier(*, group_id: int) -> str:
    """Call finalize for a FINALIZING group once (stored idempotency key). Returns ``finalized``,
    ``refused`` (422: back to open enrollment with the carrier's reasons), ``failed`` (NEEDS_ATTENTION)
    or ``skipped``. ``CarrierTransientError`` propagates for the task to retry."""
    group = EmployerGroup.objects.filter(pk=group_id, status=S.FINALIZING).first()
    if group is None:
        return "skipped"
    EmployerGroup.objects.filter(pk=group_id).update(finalize_attempts=F("finalize_attempts") + 1)
    subject = _subject(group_id)
    operation = operation_for(kind="finalize_group", subject=subject)

    def unavailable(exc: CarrierTransientError) -> None:
        EmployerGroup.objects.filter(pk=group_id).update(
            status_reason="The carrier is unavailable; retrying."
        )

    def refused(exc: Exception) -> str:
        if isinstance(exc, CarrierRuleError):
            group_transition(
                group=group, to=S.OPEN_ENROLLMENT, frm=S.FINALIZING, carrier_errors=exc.error_dicts(),
                reason=f"The carrier refused to finalize: {exc.codes_text()}",
            )  # fmt: skip
            return "refused"
        group_transition(
            group=group, to=S.NEEDS_ATTENTION, reason=f"Finalize failed: {exc}", frm=S.FINALIZING
        )
        return "failed"

    key = operation.idempotency_key
    return carrier_call(
        lambda client: client.finalize_group(group.humana_group_id, idempotency_key=key, subject=subject),
        operation=operation,
        unavailable=unavailable,
        refused=refused,
        succeeded=lambda final: _finalized(group, final),
    )


def _finalized(group: EmployerGroup, final: Any) -> str:
    group_transition(
        group=group,
        to=S.FINALIZED,
        reason="Finalized by the carrier: rates fixed",
        frm=S.FINALIZING,
        final_rates=_rates(final),
        participation=[p.model_dump(mode="json", by_alias=True) for p in final.participation],
        final_monthly_premium=Decimal(str(final.total_monthly_premium)),
        finalized_at=final.finalized_at,
        carrier_status="FINALIZED",
        carrier_errors=[],
    )
    return "finalized"


def group_finalize_gave_up(*, group_id: int, reason: str) -> bool:
    group = EmployerGroup.objects.get(pk=group_id)
    try:
        group_transition(group=group, to=S.NEEDS_ATTENTION, reason=reason, frm=S.FINALIZING)
    except TransitionNotAllowed:
        return False
    return True


def rate_comparison(*, group: EmployerGroup) -> list[dict[str, Any]]:
    """Each plan's estimated (at create) and final monthly premium, and the difference."""
    estimated = {r["planId"]: Decimal(r["estimatedMonthlyPremium"]) for r in group.estimated_rates or []}
    rows = []
    for rate in group.final_rates or []:
        final = Decimal(rate["totalMonthlyPremium"])
        before = estimated.get(rate["planId"])
        rows.append(
            {
                "plan_id": rate["planId"],
                "line": rate["line"],
                "method": rate["ratingMethod"],
                "estimated": before,
                "final": final,
                "employer": Decimal(rate["employerMonthlyContribution"]),
                "difference": None if before is None else final - before,
            }
        )
    return rows
