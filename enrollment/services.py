"""Services of employer groups: drafts, the carrier's rules, create group, book sync, quotes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Broker
from carrier.errors import CarrierRuleError, CarrierTransientError
from carrier.operations import carrier_call, carrier_session, claim_kept
from carrier.outbox import outbox_enqueue
from carrier.services import operation_for
from catalogue import selectors as catalogue_selectors
from portal.display import code_label

from .application import application_void_if_changed
from .models import CensusMember, EmployerGroup
from .payload import group_build_create_payload
from .rules import Problem, census_label, group_rule_context, locate, rule_words
from .states import LOCAL_FOR_CARRIER, TransitionNotAllowed, group_transition

logger = logging.getLogger(__name__)
S = EmployerGroup.Status
LINES = ("MEDICAL", "DENTAL", "VISION")
# A worker's claim on a group's create call; after this a crashed worker's claim may be taken over.


def claim_seconds() -> float:
    """How long a worker's claim on a create call holds: after it, a redelivered task may take over
    (the worker that held it is presumed dead; the stored idempotency key keeps the call single)."""
    return float(getattr(settings, "GROUP_CREATE_CLAIM_SECONDS", 60))


EDITABLE = (S.DRAFT,)
C = EmployerGroup.ChangeState


def _subject(group_id: int) -> str:
    return f"group:{group_id}"


# ---------------------------------------------------------------------------------------------- drafts


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
    from .changes import group_is_changeable

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
        from .changes import group_note_change

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


# ------------------------------------------------------------------------------------------- the rules


def _census_problems(payload: dict) -> list[Problem]:
    """What the portal checks itself before the carrier: a census is needed, a line is offered."""
    out = []
    census = payload.get("census") or []
    if not census:
        out.append(
            Problem(
                code="CENSUS",
                message=_("The census has no employees."),
                fix=_("Add at least one employee, by the form or by importing a CSV or XLSX file."),
                step="census",
                field=None,
                pointer="/census",
            )
        )
    if not payload.get("offerings"):
        out.append(
            Problem(
                code="GRP-010",
                message=_("No line is offered."),
                fix=_("Choose at least one plan on the plans step."),
                step="plans",
                field=None,
                pointer="/offerings",
            )
        )
    return out


def _agent_problems(group: EmployerGroup) -> list[Problem]:
    """Issue 16 item 7: the writing agent is a broker of the group's agency, with an e-mail on file."""
    if not group.agent_npn:
        return []
    agent = (
        Broker.objects.filter(agency_id=group.agency_id, npn=group.agent_npn).select_related("user").first()
    )
    if agent is None:
        return [
            Problem(
                code="AGENT",
                message=_("The writing agent (NPN %(npn)s) is not a broker of your agency.")
                % {"npn": group.agent_npn},
                fix=_("Choose the writing agent from your agency's brokers."),
                step="agent",
                field="writing_agent",
                pointer="/writingAgent/npn",
            )
        ]
    if not agent.user.email:
        return [
            Problem(
                code="AGENT",
                message=_("%(name)s has no e-mail address on file; the carrier needs the agent's.")
                % {"name": agent.full_name},
                fix=_("Ask your administrator to add an e-mail address to this broker's profile."),
                step="agent",
                field="writing_agent",
                pointer="/writingAgent/email",
            )
        ]
    return []


def group_check(
    *, group: EmployerGroup, payload: dict | None = None, step: str | None = None
) -> list[Problem]:
    """Every problem of the draft (or of a created group's changes): the carrier's create-group rules
    (groupsales.rules.check_group), its finalize rules over the census or the validated members
    (``forecast``), the portal's own checks, and the errors of the carrier's last answer, each placed on
    its step and field. ``step``: only that step's problems are wanted (the finalize forecast, the
    costliest part, runs only for the steps it lands on)."""
    from groupsales.rules import check_group

    from .changes import change_guard_problems
    from .forecast import FORECAST_STEPS, finalize_forecast

    payload = payload if payload is not None else group_build_create_payload(group=group)
    ctx = group_rule_context()
    problems: list[Problem] = []
    for v in check_group(payload, ctx=ctx):
        step, field = locate(v.pointer, v.code, payload.get("offerings") or [])
        message, fix = rule_words(v.code, v.message, v.fix)
        label = census_label(v.pointer, payload.get("census") or [])
        if label:
            message = f"{label}: {message}"
        problems.append(
            Problem(
                code=v.code,
                message=message,
                fix=fix,
                step=step,
                field=field,
                pointer=v.pointer,
                severity=v.severity,
            )
        )
    if group_is_editable(group=group):
        problems.extend(_census_problems(payload))
    problems.extend(_agent_problems(group))
    ruled = {p.pointer for p in problems}
    problems.extend(p for p in _schema_problems(payload) if not any(_covers(r, p.pointer) for r in ruled))
    if step is None or step in FORECAST_STEPS:
        problems.extend(finalize_forecast(group=group, payload=payload, ctx=ctx))
    problems.extend(change_guard_problems(group=group))
    problems.extend(group_carrier_problems(group=group, payload=payload))
    return problems


def _covers(ruled: str, pointer: str) -> bool:
    return bool(ruled) and (
        pointer == ruled or pointer.startswith(ruled + "/") or ruled.startswith(pointer + "/")
    )


# api.md census keys -> the words of the census step's columns
_CENSUS_WORDS = {
    "memberRef": gettext_lazy("Member ID"),
    "dateOfBirth": gettext_lazy("Date of birth"),
    "gender": gettext_lazy("Gender"),
    "zip5": gettext_lazy("ZIP code"),
    "tobaccoUse": gettext_lazy("Uses tobacco"),
    "isOwner": gettext_lazy("Owner"),
    "isOwnerSpouse": gettext_lazy("Owner's spouse"),
    "coverageTier": gettext_lazy("Tier"),
    "relationship": gettext_lazy("Relationship"),
}


def field_words(step: str, field: str | None, pointer: str) -> str:
    """The label a person reads for what ``pointer`` names: the form field's, or the census column's."""
    from . import forms

    if step == "census" or pointer.startswith("/census"):
        return str(_CENSUS_WORDS.get(pointer.rsplit("/", 1)[-1], _("This value")))
    form_class = {
        "employer": forms.EmployerForm,
        "address": forms.AddressForm,
        "contact": forms.ContactForm,
        "coverage": forms.CoverageForm,
        "attestation": forms.AttestationForm,
    }.get(step)
    if form_class is not None and field in form_class.base_fields:
        return str(form_class.base_fields[field].label)
    if step == "agent":
        return _("Writing agent")
    if field and field.split("_", 1)[0].upper() in LINES:
        line = code_label(field.split("_", 1)[0].upper(), "line")
        part = field.split("_", 1)[1]
        return {
            "plans": _("%(line)s plans"),
            "employee": _("%(line)s: toward each employee"),
            "dependents": _("%(line)s: toward dependents"),
            "basis": _("%(line)s: basis"),
        }.get(part, "%(line)s") % {"line": line}
    return _("This value")


# pydantic's error type -> what to do, for a value that is there but has the wrong form
_SCHEMA_FIXES = {
    "datetime": gettext_lazy("Enter a date and time, e.g. 2026-11-23 10:00."),
    "date": gettext_lazy("Enter a date, e.g. 2026-11-23."),
    "int": gettext_lazy("Enter a whole number."),
    "decimal": gettext_lazy("Enter an amount, e.g. 60.00."),
    "bool": gettext_lazy("Tick the box, or leave it clear."),
    "enum": gettext_lazy("Choose one of the listed values."),
    "literal": gettext_lazy("Choose one of the listed values."),
}


def _schema_words(error: dict, step: str, field: str | None, pointer: str) -> tuple[str, str]:
    """A message that names the field in words and a fix that says what to do, in the reader's language,
    for what the carrier would answer ``SCHEMA`` (never pydantic's own words)."""
    what = field_words(step, field, pointer)
    kind = next((k for k in _SCHEMA_FIXES if k in error.get("type", "")), "")
    missing = error.get("type") == "missing" or error.get("input") in (None, "")
    if pointer.endswith("/gender"):
        fix = _("Choose Female, Male or Unknown for this person on the census step.")
    elif kind:
        fix = str(_SCHEMA_FIXES[kind])
    else:
        fix = _("Enter this value.")
    if missing:
        return _("%(field)s is required.") % {"field": what}, fix
    return _("%(field)s is not in a form the carrier accepts.") % {"field": what}, fix


def _schema_problems(payload: dict) -> list[Problem]:
    """What the carrier would refuse as 422 SCHEMA (a required value missing or of the wrong type),
    found by validating the body with the client's own request model."""
    from pydantic import ValidationError

    from carrier.schemas import CreateGroupRequest

    try:
        CreateGroupRequest.model_validate(payload)
    except ValidationError as exc:
        out = []
        seen = set()
        census = payload.get("census") or []
        for error in exc.errors():
            loc = [str(p) for p in error["loc"] if not str(p).startswith("function-")]
            # A union (tier or WAIVE) reports once per member of the union: keep the path only.
            loc = [p for p in loc if "[" not in p]
            pointer = "/" + "/".join(loc) if loc else ""
            if pointer in seen:
                continue
            seen.add(pointer)
            step, field = locate(pointer, "SCHEMA", payload.get("offerings") or [])
            message, fix = _schema_words(error, step, field, pointer)
            label = census_label(pointer, census)
            out.append(
                Problem(
                    code="SCHEMA",
                    message=f"{label}: {message}" if label else message,
                    fix=fix,
                    step=step,
                    field=field,
                    pointer=pointer,
                )
            )
        return out
    return []


#: What to do after the carrier's own technical codes (not rule IDs).
_CARRIER_FIXES = {
    "INVALID_STATE": gettext_lazy(
        "While members are validated the carrier keeps the effective date and every plan a member elected: "
        "put them back, or discard the changes."
    ),
    "SCHEMA": gettext_lazy("Correct this value and send again."),
}


def group_carrier_problems(*, group: EmployerGroup, payload: dict | None = None) -> list[Problem]:
    """The stored errors of the carrier's last refusal (create, change or finalize), placed on fields."""
    offerings = group.offerings
    census = (payload or {}).get("census") or []
    out = []
    for e in group.carrier_errors:
        code = e.get("code", "")
        step, field = locate(e.get("pointer", ""), code, offerings)
        label = census_label(e.get("pointer", ""), census)
        message, fix = rule_words(code, e.get("message", ""))
        fix = fix or str(_CARRIER_FIXES.get(code, "")) or _("Correct this and send it again.")
        out.append(
            Problem(
                code=code,
                message=f"{label}: {message}" if label else message,
                fix=fix,
                step=step,
                field=field,
                pointer=e.get("pointer", ""),
                severity=e.get("severity", "error"),
                source="carrier",
            )
        )
    return out


# ------------------------------------------------------------------------------------- create group


def group_submit(*, group: EmployerGroup, by: AbstractBaseUser | None) -> EmployerGroup:
    """DRAFT → CREATING, open the create operation (its idempotency key) and queue the task on commit.

    Submitting twice (a double click, two tabs) moves the group once: the second call finds it no
    longer DRAFT and raises ``TransitionNotAllowed``.
    """
    from . import tasks

    with transaction.atomic():
        operation = operation_for(kind="create_group", subject=_subject(group.pk))
        group = group_transition(
            group=group,
            to=S.CREATING,
            by=by,
            reason="Submitted to the carrier",
            frm=S.DRAFT,
            idempotency_key=operation.idempotency_key,
            create_attempts=0,
            carrier_errors=[],
            create_claimed_at=None,
        )
        group_id = group.pk
        outbox_enqueue(task_name=tasks.create_group.name, args=[group_id])
    return group


def group_retry_create(*, group: EmployerGroup, by: AbstractBaseUser | None) -> EmployerGroup:
    """NEEDS_ATTENTION → CREATING (admin action): the same open operation and key, queued again."""
    from . import tasks

    with transaction.atomic():
        operation = operation_for(kind="create_group", subject=_subject(group.pk))
        group = group_transition(
            group=group,
            to=S.CREATING,
            by=by,
            reason="Creation retried",
            frm=S.NEEDS_ATTENTION,
            idempotency_key=operation.idempotency_key,
            create_attempts=0,
            create_claimed_at=None,
        )
        group_id = group.pk
        outbox_enqueue(task_name=tasks.create_group.name, args=[group_id])
    return group


def _claim(group_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=claim_seconds())
    return (
        EmployerGroup.objects.filter(pk=group_id, status=S.CREATING)
        .filter(Q(create_claimed_at__isnull=True) | Q(create_claimed_at__lt=stale))
        .update(create_claimed_at=now)
        == 1
    )


def _release(group_id: int, **fields: Any) -> None:
    EmployerGroup.objects.filter(pk=group_id).update(create_claimed_at=None, **fields)


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        return None


def group_create_with_carrier(*, group_id: int) -> str:
    """Call the carrier's create group for a CREATING group, once. Returns what happened:

    ``created``, ``refused`` (422: back to DRAFT with the carrier's errors on the fields), ``failed``
    (another permanent error: NEEDS_ATTENTION), ``busy`` (CREATING, claimed by another worker),
    ``skipped`` (not CREATING any more).
    ``CarrierTransientError`` propagates (the task retries later with the same idempotency key).
    """
    if not _claim(group_id):
        # Still CREATING under another claim: a worker is on it, or died on it (its task is redelivered
        # here); "busy" makes the task come back once the claim has expired.
        creating = EmployerGroup.objects.filter(pk=group_id, status=S.CREATING).exists()
        return "busy" if creating else "skipped"
    EmployerGroup.objects.filter(pk=group_id).update(create_attempts=F("create_attempts") + 1)
    group = EmployerGroup.objects.get(pk=group_id)
    subject = _subject(group_id)
    operation = operation_for(kind="create_group", subject=subject)
    if group.idempotency_key != operation.idempotency_key:
        EmployerGroup.objects.filter(pk=group_id).update(idempotency_key=operation.idempotency_key)
    payload = group_build_create_payload(group=group)

    def unavailable(exc: CarrierTransientError) -> None:
        _release(group_id, status_reason=f"The carrier is unavailable ({exc.code}); retrying.")

    def refused(exc: Exception) -> str:
        if isinstance(exc, CarrierRuleError):
            group_transition(
                group=group, to=S.DRAFT, by=None, reason=f"The carrier refused the group: {exc.codes_text()}",
                frm=S.CREATING, carrier_errors=exc.error_dicts(), create_claimed_at=None,
            )  # fmt: skip
            return "refused"
        group_transition(
            group=group, to=S.NEEDS_ATTENTION, by=None, reason=f"The carrier refused the call: {exc}",
            frm=S.CREATING, create_claimed_at=None,
        )  # fmt: skip
        return "failed"

    key = operation.idempotency_key

    def renew() -> None:
        EmployerGroup.objects.filter(pk=group_id, status=S.CREATING, create_claimed_at__isnull=False).update(
            create_claimed_at=timezone.now()
        )

    with claim_kept(renew, every=claim_seconds() / 3):  # the claim a lease: a killed worker's lapses
        return carrier_call(
            lambda client: client.create_group(payload, idempotency_key=key, subject=subject),
            operation=operation,
            unavailable=unavailable,
            refused=refused,
            succeeded=lambda created: _created(group, created),
        )


def _created(group: EmployerGroup, created: Any) -> str:
    rates = [
        {
            "planId": r.plan_id,
            "line": str(getattr(r.line, "value", r.line)),
            "estimatedMonthlyPremium": str(r.estimated_monthly_premium),
        }
        for r in created.estimated_rates
    ]
    # One plan per line will be chosen by each employee: the estimate is the lowest plan of each line.
    lowest: dict[str, Decimal] = {}
    for r in rates:
        amount = _money(r["estimatedMonthlyPremium"]) or Decimal(0)
        lowest[r["line"]] = min(lowest.get(r["line"], amount), amount)
    total = sum(lowest.values(), Decimal(0))
    group_transition(
        group=group,
        to=S.OPEN_ENROLLMENT,
        by=None,
        reason=f"Created by the carrier as group {created.group_id}",
        frm=S.CREATING,
        humana_group_id=created.group_id,
        rating_area_id=created.rating_area_id or "",
        estimated_rates=rates,
        estimated_monthly_premium=total if rates else None,
        carrier_created_at=created.created_at,
        carrier_status=str(getattr(created.status, "value", created.status)),
        carrier_updated_at=created.created_at,
        carrier_errors=[],
        create_claimed_at=None,
    )
    return "created"


def group_mark_needs_attention(*, group_id: int, reason: str) -> bool:
    """A CREATING group whose retries ran out: NEEDS_ATTENTION with the reason (never lost)."""
    group = EmployerGroup.objects.get(pk=group_id)
    try:
        group_transition(
            group=group, to=S.NEEDS_ATTENTION, by=None, reason=reason, frm=S.CREATING, create_claimed_at=None
        )
    except TransitionNotAllowed:
        return False
    return True


# ---------------------------------------------------------------------------------------- book sync


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
    from . import tasks

    broker_id = broker.pk
    transaction.on_commit(lambda: tasks.sync_book.delay(broker_id))


# ------------------------------------------------------------------------------------ from a quote


def group_start_from_quote(
    *, quote: Any, broker: Broker, scenario_offerings: list[dict] | None = None
) -> EmployerGroup:
    """A DRAFT carrying the quote's employer name, ZIP/county, effective date, contributions and census.

    ``scenario_offerings`` (a quote's contribution scenario, ``catalogue.scenarios``) become the offerings,
    plans included; otherwise each line gets the quote's contribution and no plan yet. The census tier of
    an employee is their medical tier (api.md's census carries one tier)."""
    with transaction.atomic():
        group = group_create_draft(broker=broker, legal_name=getattr(quote, "employer_name", "") or "")
        group.zip5 = getattr(quote, "zip5", "") or ""
        group.county_fips = getattr(quote, "county_fips", "") or ""
        group.requested_effective_date = getattr(quote, "effective_date", None)
        group.quote_id = quote.pk
        offerings = []
        for line in LINES:
            contribution = _quote_contribution(quote, line)
            if contribution is None:
                continue
            offering = {"line": line, "planIds": [], "contribution": contribution}
            if line == "MEDICAL":
                offering["ratingOption"] = "COMPOSITE" if getattr(quote, "composite", False) else "AGE"
            offerings.append(offering)
        group.offerings = scenario_offerings if scenario_offerings is not None else offerings
        group.save()
        rows = []
        for row in _quote_census_rows(quote):
            relationship = str(getattr(row, "relationship", "SUBSCRIBER") or "SUBSCRIBER")
            rows.append(
                {
                    "member_ref": row.member_ref,
                    "subscriber_ref": getattr(row, "subscriber_ref", "") or row.member_ref,
                    "relationship": relationship,
                    "date_of_birth": row.date_of_birth,
                    "tobacco_use": bool(getattr(row, "tobacco_use", False)),
                    "coverage_tier": (
                        getattr(row, "medical_tier", "") or getattr(row, "coverage_tier", "") or ""
                    )
                    if relationship == "SUBSCRIBER"
                    else "",
                    "zip5": group.zip5 if relationship == "SUBSCRIBER" else "",
                }
            )
        census_replace(group=group, rows=rows)
    return group


def _quote_census_rows(quote: Any) -> list:
    rows = getattr(quote, "census_rows", None)
    if rows is None:
        return []
    return list(rows.all()) if hasattr(rows, "all") else list(rows)


def _quote_contribution(quote: Any, line: str) -> dict | None:
    """The quote's contribution for a line, whatever shape the catalogue gives it."""
    key = line.lower()
    data = getattr(quote, "contributions", None)
    if isinstance(data, dict):
        value = data.get(line) or data.get(key)
        if isinstance(value, dict):
            return {
                "basis": value.get("basis", "PERCENT"),
                "employee": str(value.get("employee", "0.00")),
                "dependents": str(value.get("dependents", "0.00")),
            }
    employee = getattr(quote, f"{key}_employee_contribution", None)
    if employee is None:
        employee = getattr(quote, f"{key}_employee", None)
    if employee is None:
        return None
    dependents = getattr(quote, f"{key}_dependents_contribution", None)
    if dependents is None:
        dependents = getattr(quote, f"{key}_dependents", 0)
    basis = (
        getattr(quote, f"{key}_basis", None) or getattr(quote, f"{key}_contribution_basis", None) or "PERCENT"
    )
    return {
        "basis": str(basis),
        "employee": f"{Decimal(str(employee)):.2f}",
        "dependents": f"{Decimal(str(dependents or 0)):.2f}",
    }
