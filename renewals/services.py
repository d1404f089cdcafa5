"""Renewal services: sync from the carrier, open renewal enrollment, record and send the decision.

Every change of a renewal's status goes through ``states.renewal_transition``; every carrier call through
``carrier.operations.carrier_call``. The decision is sent by a Celery task with the idempotency key
stored before the first call (``carrier.services.operation_for``), so a retry replays, never repeats.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from carrier.errors import CarrierError
from carrier.operations import carrier_call
from carrier.rules import carrier_today
from carrier.services import operation_for
from enrollment.models import EmployerGroup

from . import states
from .models import Renewal
from .notices import renewal_notices_send
from .plan_years import plan_year_open

log = logging.getLogger(__name__)
S = Renewal.Status
DECISION_KIND = "renewal_decision"


def _dates(summary: Any) -> dict[str, date]:
    return {
        "offer_date": summary.offer_date,
        "decision_deadline": summary.decision_deadline,
        "enrollment_cutoff": summary.renewal_date - timedelta(days=1),
    }


def _follow(*, renewal: Renewal, carrier_status: str, source: str | None, reason: str | None) -> Renewal:
    """Move the renewal to the portal's status for the carrier's, when the lifecycle allows it."""
    target = states.target_of(
        current=renewal.status, carrier_status=carrier_status, source=source, reason=reason
    )
    fields = {
        "carrier_status": carrier_status,
        "non_renewal_reason": reason or "",
        "synced_at": timezone.now(),
    }
    if target != renewal.status and states.can_transition(renewal.status, target):
        renewal = states.renewal_transition(
            renewal=renewal, to=target, reason=f"The carrier's renewal is {carrier_status}.", **fields
        )
        if target == S.RENEWED:
            year = plan_year_open(renewal=renewal)
            states.renewal_note(renewal=renewal, reason=f"The plan year {year.start.isoformat()} began.")
        return renewal
    Renewal.objects.filter(pk=renewal.pk).update(**fields)
    renewal.refresh_from_db()
    return renewal


@dataclass(frozen=True)
class _Read:
    """The list and the current renewal, read in one carrier call."""

    page: Any
    current: Any

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        current = self.current.model_dump(**kwargs) if self.current is not None else None
        return {"page": self.page.model_dump(**kwargs), "current": current}


def _store(group: EmployerGroup, answer: _Read) -> int:
    page, current = answer.page, answer.current
    for summary in page.items:
        renewal, _ = Renewal.objects.get_or_create(
            group=group, renewal_date=summary.renewal_date, defaults=_dates(summary)
        )
        decision = summary.decision
        _follow(
            renewal=renewal,
            carrier_status=str(summary.status),
            source=decision.source if decision else None,
            reason=str(summary.non_renewal.reason) if summary.non_renewal else None,
        )
    if current is not None:
        Renewal.objects.filter(group=group, renewal_date=current.renewal_date).update(
            carrier_renewal=current.model_dump(mode="json", by_alias=True)
        )
        renewal = Renewal.objects.select_related("group").get(group=group, renewal_date=current.renewal_date)
        renewal_notices_send(renewal=renewal, today=carrier_today())
    return len(page.items)


def renewal_sync(*, group_id: int) -> int:
    """Read the group's renewals from the carrier (the list and the current one); the number read.

    A group not ENROLLED at the carrier has none (409, nothing stored)."""
    group = EmployerGroup.objects.get(pk=group_id)
    if not group.humana_group_id or group.status != EmployerGroup.Status.ENROLLED:
        return 0
    subject = f"group:{group.pk}"

    def call(client: Any) -> _Read:
        page = client.list_renewals(group.humana_group_id, subject=subject)
        return _Read(page, client.get_renewal(group.humana_group_id, subject=subject))

    return carrier_call(call, succeeded=lambda answer: _store(group, answer), refused=lambda exc: 0)


def renewals_sync_all() -> int:
    """The beat's work: a sync task per enrolled group with the carrier."""
    from . import tasks

    ids = list(
        EmployerGroup.objects.filter(
            status=EmployerGroup.Status.ENROLLED, humana_group_id__isnull=False
        ).values_list("pk", flat=True)
    )
    for group_id in ids:
        tasks.sync_renewals.delay(group_id)
    return len(ids)


def renewal_open_enrollment_start(*, renewal: Renewal) -> Renewal:
    """The broker opens renewal open enrollment for the employees (an accepted renewal, until R − 1): each
    employee with an e-mail address gets its renewal link (``self_service``)."""
    from .self_service import renewal_links_send

    renewal = states.renewal_transition(
        renewal=renewal, to=S.RENEWAL_OE, reason="Renewal open enrollment opened."
    )
    renewal_links_send(renewal=renewal)
    return renewal


# --------------------------------------------------------------------------- the decision


def renewal_decision_record(*, renewal: Renewal, body: dict[str, Any]) -> Renewal:
    """Store the signed decision with its idempotency key and send it in a task (``signing``'s
    ``renewal_decision_submit`` builds ``body`` from the document both signed)."""
    from . import tasks

    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    operation = operation_for(kind=DECISION_KIND, subject=f"renewal:{renewal.pk}:{digest}")
    with transaction.atomic():
        Renewal.objects.filter(pk=renewal.pk).update(
            decision_body=body,
            decision_key=operation.idempotency_key,
            sending=Renewal.Sending.QUEUED,
            decision_problems=[],
        )
        states.renewal_note(
            renewal=renewal, reason=f"The signed decision {body.get('decision')} was sent to the carrier."
        )
        transaction.on_commit(lambda: tasks.send_renewal_decision.delay(renewal.pk))
    renewal.refresh_from_db()
    return renewal


def _refused(renewal: Renewal, exc: Exception) -> str:
    problems: list[dict[str, Any]] = []
    if isinstance(exc, CarrierError):
        problems = exc.error_dicts()
        if exc.status == 409:  # api.md: a decision outside REN-001 is 409 INVALID_STATE with rule REN-001
            problems = [{"code": "REN-001", "pointer": "", "message": exc.message, "severity": "error"}]
    else:
        problems = [{"code": "SCHEMA", "pointer": "", "message": str(exc)[:300], "severity": "error"}]
    Renewal.objects.filter(pk=renewal.pk).update(sending=Renewal.Sending.REFUSED, decision_problems=problems)
    codes = ", ".join(sorted({str(p.get("code")) for p in problems}))
    states.renewal_note(renewal=renewal, reason=f"The carrier refused the decision: {codes}")
    return "refused"


def renewal_decision_send(*, renewal_id: int) -> str:
    """Send the stored decision (the task's one service); then read the renewal back."""
    renewal = Renewal.objects.select_related("group").get(pk=renewal_id)
    if renewal.sending != Renewal.Sending.QUEUED or not renewal.decision_body:
        return "nothing"
    body = renewal.decision_body
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    operation = operation_for(kind=DECISION_KIND, subject=f"renewal:{renewal.pk}:{digest}")

    def succeeded(answer: Any) -> str:
        Renewal.objects.filter(pk=renewal.pk).update(sending=Renewal.Sending.SENT, decision_problems=[])
        states.renewal_note(renewal=renewal, reason="The carrier accepted the decision.")
        return "sent"

    outcome = carrier_call(
        lambda client: client.decide_renewal(
            renewal.group.humana_group_id,
            body,
            idempotency_key=operation.idempotency_key,
            subject=f"group:{renewal.group_id}",
        ),
        succeeded=succeeded,
        refused=lambda exc: _refused(renewal, exc),
        operation=operation,
        also_refused=(ValueError,),
    )
    if outcome == "sent":
        renewal_sync(group_id=renewal.group_id)
    return outcome
