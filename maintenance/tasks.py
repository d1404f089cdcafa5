"""Celery tasks of changes after enrollment: each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task

from carrier.errors import CarrierTransientError
from carrier.operations import retry_policy

from . import services


@shared_task(bind=True, name="maintenance.validate_change", acks_late=True, max_retries=None)
def validate_change(self, request_id: int) -> str:
    try:
        return services.change_request_validate(request_id=request_id).state
    except CarrierTransientError as exc:
        return retry_policy("members").retry(self, exc, gave_up=lambda attempts, exc: "gave_up")


@shared_task(bind=True, name="maintenance.poll_change_file", acks_late=True, max_retries=30)
def poll_change_file(self, change_file_id: int) -> str:
    file = services.change_file_poll(change_file_id=change_file_id)
    if file.status == file.Status.SENT:
        raise self.retry(countdown=5)
    return file.status


@shared_task(name="maintenance.send_change_file", acks_late=True)
def send_change_file(group_id: int) -> str:
    file = services.change_file_send(group_id=group_id)
    if file is not None and file.file_id:
        poll_change_file.apply_async((file.pk,), countdown=5)
    return file.status if file is not None else "nothing"


@shared_task(name="maintenance.send_due_change_files")
def send_due_change_files() -> int:
    """Schedule: a change file for each group whose validated changes near their send-by date."""
    due = services.change_files_due()
    for group_id in due:
        send_change_file.delay(group_id)
    return len(due)


@shared_task(name="maintenance.release_held_changes", acks_late=True)
def release_held_changes(group_id: int | None = None) -> int:
    """Schedule (hourly): the changes held for a renewal (MNT-011) whose renewal is now accepted go back to
    the carrier for validation, and from there into the group's next change file."""
    group_ids = [group_id] if group_id is not None else services.groups_with_held_changes()
    released = 0
    for gid in group_ids:
        for request_id in services.change_requests_release(group_id=gid):
            validate_change.delay(request_id)
            released += 1
    return released


@shared_task(name="maintenance.reconcile_roster", acks_late=True)
def reconcile_roster(group_id: int) -> int:
    return len(services.roster_reconcile(group_id=group_id).differences)


@shared_task(name="maintenance.reconcile_rosters")
def reconcile_rosters() -> int:
    """Beat: every ENROLLED group's roster read from the carrier."""
    from enrollment.models import EmployerGroup

    ids = list(EmployerGroup.objects.filter(status="ENROLLED").values_list("pk", flat=True))
    for group_id in ids:
        reconcile_roster.delay(group_id)
    return len(ids)


@shared_task(name="maintenance.tell_children_aging_out")
def tell_children_aging_out() -> int:
    """Beat, daily: the broker and the employer told of each covered child turning 26 soon."""
    from carrier.rules import carrier_today

    from .life_events import aging_out_notify

    return aging_out_notify(today=carrier_today())
