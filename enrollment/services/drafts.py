"""A draft employer group: created, edited step by step (its offerings and census included), and the
created group's changeable details, saved while the carrier still lets them change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Broker
from catalogue import selectors as catalogue_selectors

from ..application import application_void_if_changed
from ..models import CensusMember, EmployerGroup
from ..rules import locate
from ..states import TransitionNotAllowed

S = EmployerGroup.Status
LINES = ("MEDICAL", "DENTAL", "VISION")
EDITABLE = (S.DRAFT,)


def group_create_draft(*, broker: Broker, legal_name: str = "") -> EmployerGroup:
    """A new DRAFT for ``broker``, the writing agent prefilled from the broker's profile."""
    user = broker.user
    return EmployerGroup.objects.create(
        agency=broker.agency,
        broker=broker,
        legal_name=legal_name,
        agent_npn=broker.npn,
        agent_first_name=user.first_name,
        agent_last_name=user.last_name,
        agent_email=user.email,
    )


def group_is_editable(*, group: EmployerGroup) -> bool:
    """A draft: every step, the census included, and submit."""
    return group.status in EDITABLE


def group_accepts_edits(*, group: EmployerGroup) -> bool:
    """A draft, or a created group whose details the carrier still lets a partner change (PATCH)."""
    from ..changes import group_is_changeable

    return group_is_editable(group=group) or group_is_changeable(group=group)


def _before_edit(group: EmployerGroup, fields: dict[str, Any]) -> None:
    """Refuse a group that cannot change; before a created group's first change, keep the carrier's values.
    Compared with the stored row: a model form has already put the typed values on ``group``."""
    if not group_accepts_edits(group=group):
        raise TransitionNotAllowed("This group cannot be changed now.")
    if group_is_editable(group=group):
        return
    stored = EmployerGroup.objects.get(pk=group.pk)
    changed = {name for name, value in fields.items() if getattr(stored, name) != value}
    if changed:
        from ..changes import group_note_change

        group_note_change(group=stored, changed=changed)
        group.change_state, group.carrier_copy = stored.change_state, stored.carrier_copy


def group_update(*, group: EmployerGroup, fields: dict[str, Any]) -> EmployerGroup:
    """Save a draft's (or a created group's changeable) fields whatever their rule errors: they are shown,
    never lost. A created group's first change keeps the carrier's values (``changes``)."""
    _before_edit(group, fields)
    for name, value in fields.items():
        setattr(group, name, value)
    # Carrier errors were about the last submission; once the broker edits, our own checks take over.
    group.carrier_errors = [e for e in group.carrier_errors if not _touched(e, fields, group)]
    # Only what the step changed: a created group's carrier fields are written by tasks meanwhile.
    group.save(update_fields=[*fields, "carrier_errors", "change_state", "carrier_copy", "updated_at"])
    application_void_if_changed(group=group)  # a signed field changed: both signatures go
    return group


class GroupChangedMeanwhile(Exception):
    """Someone saved the group after the page was opened (two tabs, two people): ``current`` is theirs."""

    def __init__(self, current: EmployerGroup) -> None:
        super().__init__(f"group {current.pk} changed meanwhile")
        self.current = current


@contextmanager
def group_saved_from(*, group: EmployerGroup, seen: str) -> Iterator[EmployerGroup]:
    """A save from a page opened at version ``seen`` (the group's ``updated_at`` then), the group locked:
    ``GroupChangedMeanwhile`` when a newer version was saved since, so the page shows the typed values
    again beside the newer ones instead of overwriting them (nothing is lost either way)."""
    with transaction.atomic():
        current = EmployerGroup.objects.select_for_update().get(pk=group.pk)
        if seen and seen != current.updated_at.isoformat():
            raise GroupChangedMeanwhile(current)
        yield current


def group_counties(*, group: EmployerGroup, zip5: str) -> list:
    """The counties of ``zip5`` in the carrier's rate file on the group's effective date (the picker's)."""
    if not zip5 or len(zip5) != 5 or not zip5.isdigit():
        return []
    return list(catalogue_selectors.counties_for_zip(zip5=zip5, on=group.requested_effective_date))


def group_update_address(
    *, group: EmployerGroup, fields: dict[str, Any], typed_county: str | None
) -> EmployerGroup:
    """The address step's save. ``typed_county``: what was typed when the form refused it (not among the
    ZIP's counties): kept to show the rule beside it, but only when it looks like a county code (anything
    else cannot even be stored). A ZIP that lies in one county gives that county."""
    fields = dict(fields)
    if "county_fips" not in fields and typed_county is not None:
        county = str(typed_county)
        fields["county_fips"] = county if len(county) == 5 and county.isascii() and county.isdigit() else ""
    counties = group_counties(group=group, zip5=fields.get("zip5", ""))
    if len(counties) == 1 and not fields.get("county_fips"):
        fields["county_fips"] = counties[0].county_fips
    return group_update(group=group, fields=fields)


def _touched(error: dict, fields: dict, group: EmployerGroup) -> bool:
    step, field = locate(error.get("pointer", ""), error.get("code", ""), group.offerings)
    if field == "writing_agent":
        return "agent_npn" in fields
    return field in fields if field else False


def _untouched_offering_errors(group: EmployerGroup, line: str) -> list[dict]:
    """The carrier's errors that a change of ``line``'s offering does not answer."""
    key = line.lower()
    kept = []
    for error in group.carrier_errors:
        step, field = locate(error.get("pointer", ""), error.get("code", ""), group.offerings)
        if step in ("plans", "contributions") and (field is None or field.startswith(key)):
            continue
        kept.append(error)
    return kept


def group_set_offering(
    *, group: EmployerGroup, line: str, plan_ids: list[str] | None = None, **parts: Any
) -> EmployerGroup:
    """Set a line's plans (an empty list removes the line) and/or rating option / contribution."""
    offerings = _offerings_with(group, line, plan_ids, parts)
    if offerings == group.offerings:
        return group
    _before_edit(group, {"offerings": offerings})
    group.carrier_errors = _untouched_offering_errors(group, line)
    group.offerings = offerings
    group.save(update_fields=["offerings", "carrier_errors", "change_state", "carrier_copy", "updated_at"])
    application_void_if_changed(group=group)
    return group


def _offerings_with(group: EmployerGroup, line: str, plan_ids: list[str] | None, parts: dict) -> list[dict]:
    offerings = [dict(o) for o in group.offerings if isinstance(o, dict)]
    current = next((o for o in offerings if o.get("line") == line), None)
    if plan_ids is not None and not plan_ids:
        offerings = [o for o in offerings if o.get("line") != line]
    else:
        if current is None:
            current = {"line": line, "planIds": [], "contribution": _default_contribution(line)}
            offerings.append(current)
        if plan_ids is not None:
            current["planIds"] = list(plan_ids)
        if "rating_option" in parts and line == "MEDICAL":
            current["ratingOption"] = parts["rating_option"] or "AGE"
        if "contribution" in parts:
            current["contribution"] = parts["contribution"]
    offerings.sort(key=lambda o: LINES.index(o["line"]) if o.get("line") in LINES else 9)
    return offerings


def _default_contribution(line: str) -> dict:
    return {"basis": "PERCENT", "employee": "50.00" if line == "MEDICAL" else "0.00", "dependents": "0.00"}


def census_update(*, group: EmployerGroup, rows: list[dict[str, Any]]) -> int:
    """The census step's rows, stored: a row typed without its date of birth keeps the one on file (the
    page never shows a stored date of birth, so it is never typed again)."""
    on_file = {m.member_ref: m.date_of_birth for m in group.census.all()}
    rows = [
        dict(row, date_of_birth=row.get("date_of_birth") or on_file.get(row["member_ref"])) for row in rows
    ]
    return census_replace(group=group, rows=rows)


def census_replace(*, group: EmployerGroup, rows: list[dict[str, Any]]) -> int:
    """Replace the census with ``rows`` (CensusMember field names); returns how many were stored."""
    if not group_is_editable(group=group):
        raise TransitionNotAllowed("Only a draft's census can be changed.")
    with transaction.atomic():
        group.census.all().delete()
        members = []
        for position, row in enumerate(rows, start=1):
            row = dict(row)
            row["member_ref"] = str(row.get("member_ref") or "").upper()
            row["subscriber_ref"] = str(row.get("subscriber_ref") or row["member_ref"]).upper()
            members.append(CensusMember(group=group, position=position, **row))
        CensusMember.objects.bulk_create(members)
        EmployerGroup.objects.filter(pk=group.pk).update(updated_at=timezone.now())
    return len(members)
