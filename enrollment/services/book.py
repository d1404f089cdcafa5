"""The broker's book of business at the carrier, synced onto the local groups."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Broker
from carrier.operations import carrier_session

from ..models import EmployerGroup
from ..states import LOCAL_FOR_CARRIER, TransitionNotAllowed, group_transition
from .creation import _money

S = EmployerGroup.Status


def book_sync_for_broker(*, broker_id: int) -> int:
    """Read the carrier's book of business for the broker's NPN and store each group's carrier status.

    A group waiting in NEEDS_ATTENTION (or CREATING) that the carrier knows is moved to the carrier's
    status; any other disagreement is kept and shown ("differs from the carrier"). Returns how many
    local groups were updated.
    """
    broker = Broker.objects.get(pk=broker_id)
    now = timezone.now()
    updated = 0
    with carrier_session() as client:
        carrier_groups = {g.group_id: g for g in client.iter_agent_groups(broker.npn)}
    local = EmployerGroup.objects.filter(humana_group_id__in=list(carrier_groups), agency_id=broker.agency_id)
    for group in local:
        item = carrier_groups[group.humana_group_id]
        status = str(getattr(item.status, "value", item.status))
        fields: dict[str, Any] = {
            "carrier_status": status,
            "carrier_updated_at": getattr(item, "updated_at", None),
            "carrier_synced_at": now,
        }
        premium = getattr(item, "total_monthly_premium", None)
        if premium is not None:
            fields["final_monthly_premium"] = _money(premium)
        EmployerGroup.objects.filter(pk=group.pk).update(**fields)
        target = LOCAL_FOR_CARRIER.get(status)
        if group.status == S.NEEDS_ATTENTION and target:
            try:
                group_transition(group=group, to=target, by=None, reason=f"Synced: the carrier says {status}")
            except TransitionNotAllowed:
                pass
        updated += 1
    return updated


def book_brokers_to_sync() -> list[int]:
    return list(
        Broker.objects.filter(groups__humana_group_id__isnull=False).values_list("pk", flat=True).distinct()
    )


def book_request_sync(*, broker: Broker) -> None:
    """Queue a sync of the broker's book (a button) after the request's transaction commits."""
    from .. import tasks

    broker_id = broker.pk
    transaction.on_commit(lambda: tasks.sync_book.delay(broker_id))
