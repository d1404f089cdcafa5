"""Writes of employer groups (the Styleguide's services), by sub-domain:

* ``drafts``: a draft created and edited step by step (offerings and census), and a created group's
  changeable details;
* ``problems``: every problem of a draft, each on its step and field (the carrier's rules, the portal's
  own checks, SCHEMA, the carrier's last answer);
* ``creation``: create group with the carrier (submit, the claimed call, its answer stored);
* ``book``: the broker's book of business synced from the carrier;
* ``quotes``: a draft started from a quote.

The names other apps and pages call are imported here, so ``enrollment.services.group_submit`` reads as
before (and ``group_build_create_payload``, which is ``enrollment.payload``'s).
"""

from ..payload import group_build_create_payload
from .book import book_brokers_to_sync, book_request_sync, book_sync_for_broker
from .creation import (
    claim_seconds,
    group_create_with_carrier,
    group_mark_needs_attention,
    group_retry_create,
    group_submit,
)
from .drafts import (
    LINES,
    GroupChangedMeanwhile,
    census_replace,
    census_update,
    group_accepts_edits,
    group_counties,
    group_create_draft,
    group_is_editable,
    group_saved_from,
    group_set_offering,
    group_update,
    group_update_address,
)
from .problems import field_words, group_carrier_problems, group_check
from .quotes import group_start_from_quote

__all__ = [
    "LINES",
    "GroupChangedMeanwhile",
    "book_brokers_to_sync",
    "book_request_sync",
    "book_sync_for_broker",
    "census_replace",
    "census_update",
    "claim_seconds",
    "field_words",
    "group_accepts_edits",
    "group_build_create_payload",
    "group_carrier_problems",
    "group_check",
    "group_counties",
    "group_create_draft",
    "group_create_with_carrier",
    "group_is_editable",
    "group_mark_needs_attention",
    "group_retry_create",
    "group_saved_from",
    "group_set_offering",
    "group_start_from_quote",
    "group_submit",
    "group_update",
    "group_update_address",
]
