"""Celery tasks of the 834 work: each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task

from carrier.errors import CarrierTransientError
from carrier.operations import retry_policy

from . import services


@shared_task(bind=True, name="edi.upload_transmission", acks_late=True, max_retries=None, soft_time_limit=120)
def upload_transmission(self, transmission_id: int) -> str:
    """Upload a READY file; transient errors are retried with backoff under the SAME idempotency key."""

    def gave_up(attempts: int, exc: CarrierTransientError) -> str:
        error = f"Humana could not be reached after {attempts} attempts ({exc.code})."
        services.transmission_mark_upload_failed(transmission_id=transmission_id, error=error)
        return "UPLOAD_FAILED"

    try:
        transmission = services.transmission_upload(transmission_id=transmission_id)
    except CarrierTransientError as exc:
        return retry_policy("upload_834").retry(self, exc, gave_up=gave_up)
    return transmission.status


@shared_task(bind=True, name="edi.poll_transmission", acks_late=True, soft_time_limit=120)
def poll_transmission(self, transmission_id: int, token: int | None = None) -> float | None:
    """Poll the file's status once; schedule the next poll with backoff until it ends or is STUCK."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    delay = services.transmission_poll(transmission_id=transmission_id, token=token, redelivered=redelivered)
    if delay is not None:
        next_token = (token + 1) if token is not None else None
        poll_transmission.apply_async((transmission_id,), {"token": next_token}, countdown=delay)
    return delay


@shared_task(name="edi.sweep_transmissions", acks_late=True, soft_time_limit=300)
def sweep_transmissions() -> dict[str, int]:
    """Beat: re-queue uploads and polls whose task was lost."""
    return services.transmissions_sweep()
