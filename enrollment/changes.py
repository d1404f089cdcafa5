"""Changing a created group's details: api.md ``PATCH /groups/{groupId}`` while the carrier has it CREATED.

The broker changes a created group on the same step pages as a draft (employer, address, contact, writing
agent, effective date and eligibility, plans, contributions, attestation). The first change keeps the
values the carrier has in ``carrier_copy``; "Send the changes" queues a task that sends the difference
as a JSON merge patch; the carrier's 422 errors land beside the fields, a 409 names what it keeps. The
census is not changed after creation: it only fed the first estimate, and the people of a created group
are its members (the Members page), which the carrier's finalize counts.

api.md 1.1: while the group has member validations a patch may not change ``requestedEffectiveDate`` nor
remove a plan a current validation elects (checked here where typed, as the carrier would answer 409);
adding a line leaves every subscriber's validation without a choice for it (MBR-015: they are validated
again); removing a line nobody elects removes its waivers (done here too). A patch that changes
application data makes a stored signed application stale (``applicationChangedAt``, kept from the answer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Field, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carrier.errors import (
    CarrierConflictError,
    CarrierPermanentError,
    CarrierRuleError,
    CarrierTransientError,
)
from carrier.operations import carrier_call, claim_kept
from carrier.outbox import outbox_enqueue
from portal.display import NONE, code_label, contribution_words, plan_label

from . import forms, notices
from .models import EmployerGroup
from .payload import group_build_create_payload
from .roster import roster
from .rules import Problem
from .states import TransitionNotAllowed, group_change_move

logger = logging.getLogger(__name__)
S = EmployerGroup.Status
C = EmployerGroup.ChangeState

#: The model fields a broker may change after creation (every step but the census), then the offerings.
CHANGEABLE: tuple[str, ...] = (
    *forms.EmployerForm.Meta.fields,
    *forms.AddressForm.Meta.fields,
    *forms.ContactForm.Meta.fields,
    *forms.AgentForm.Meta.fields,
    *forms.CoverageForm.Meta.fields,
    *forms.AttestationForm.Meta.fields,
    "offerings",
)
#: The steps a created group can be changed on (and the order of the review page).
CHANGE_STEPS = (
    "employer",
    "address",
    "contact",
    "agent",
    "coverage",
    "plans",
    "contributions",
    "attestation",
)


def group_is_changeable(*, group: EmployerGroup) -> bool:
    """Created at the carrier and still CREATED there (open enrollment), with no patch on its way."""
    return (
        group.status == S.OPEN_ENROLLMENT
        and bool(group.humana_group_id)
        and group.carrier_status in ("", "CREATED")
        and group.change_state != C.SENDING
    )


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _snapshot(group: EmployerGroup) -> dict[str, Any]:
    return {name: _json(getattr(group, name)) for name in CHANGEABLE}


def carrier_version(group: EmployerGroup) -> EmployerGroup:
    """The group as the carrier has it (an unsaved copy): the group itself when nothing is pending."""
    if group.change_state == C.NONE or not group.carrier_copy:
        return group
    copy = EmployerGroup(pk=group.pk, agency_id=group.agency_id, broker_id=group.broker_id)
    for name in CHANGEABLE:
        value = group.carrier_copy.get(name, _json(getattr(group, name)))
        field = EmployerGroup._meta.get_field(name)
        assert isinstance(field, Field)  # CHANGEABLE names the group's own columns, never a relation
        setattr(copy, name, value if value is None or name == "offerings" else field.to_python(value))
    return copy


def group_note_change(*, group: EmployerGroup, changed: set[str]) -> None:
    """Called before a created group's values change: keep the carrier's values the first time."""
    if not changed & set(CHANGEABLE):
        return
    if group.change_state == C.NONE:
        group_change_move(group=group, to=C.EDITING, carrier_copy=_snapshot(group), change_reason="")
    elif group.change_state == C.REFUSED:
        group_change_move(group=group, to=C.EDITING)


def _body(group: EmployerGroup) -> dict[str, Any]:
    return group_build_create_payload(group=group, census=False)


def merge_patch_between(old: Any, new: Any) -> Any:
    """The RFC 7386 merge patch that turns ``old`` into ``new`` (lists replace whole; a key gone or set to
    None is sent as null, which removes it)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: dict[str, Any] = {}
    for name in old.keys() | new.keys():
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            inner = merge_patch_between(before, after)
            if inner:
                patch[name] = inner
        else:
            patch[name] = after
    return patch


def group_change_patch(*, group: EmployerGroup) -> dict[str, Any]:
    """The merge patch from what the carrier has to what the broker typed ({} when they agree)."""
    if group.change_state == C.NONE:
        return {}
    return merge_patch_between(_body(carrier_version(group)), _body(group))


_FIELD_STEPS = {
    name: step
    for step, form in (
        ("employer", forms.EmployerForm),
        ("address", forms.AddressForm),
        ("contact", forms.ContactForm),
        ("coverage", forms.CoverageForm),
        ("attestation", forms.AttestationForm),
    )
    for name in form.Meta.fields
}
_CODED = {"entity_type": "entity_type", "waiting_period": "waiting_period"}


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return NONE
    if name in _CODED:
        return code_label(value, _CODED[name])
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, date) else str(value)


def _offering_lines(before: list, after: list) -> list[tuple[str, str, str]]:
    old = {o.get("line"): o for o in before if isinstance(o, dict)}
    new = {o.get("line"): o for o in after if isinstance(o, dict)}

    def plans(o: dict | None) -> str:
        return "; ".join(plan_label(p) for p in (o or {}).get("planIds") or []) or NONE

    out = []
    for line in ("MEDICAL", "DENTAL", "VISION"):
        b, a = old.get(line), new.get(line)
        if b == a:
            continue
        words = {"line": code_label(line, "line")}
        if b is None or a is None:
            out.append(
                (str(words["line"]), plans(b) if b else _("not offered"), plans(a) if a else _("not offered"))
            )
            continue
        if (b.get("planIds") or []) != (a.get("planIds") or []):
            out.append((_("%(line)s plans") % words, plans(b), plans(a)))
        if b.get("ratingOption") != a.get("ratingOption"):
            out.append(
                (_("%(line)s rating option") % words, code_label(b.get("ratingOption"), "rating"),
                 code_label(a.get("ratingOption"), "rating"))
            )  # fmt: skip
        if b.get("contribution") != a.get("contribution"):
            out.append(
                (_("%(line)s contribution") % words, contribution_words(b.get("contribution")),
                 contribution_words(a.get("contribution")))
            )  # fmt: skip
    return out


def group_change_lines(*, group: EmployerGroup) -> list[tuple[str, str, str]]:
    """What changes at the carrier, for the review page: (what, the carrier has, it will have), in words."""
    from .services import field_words

    carrier = carrier_version(group)
    out: list[tuple[str, str, str]] = []
    for name, step in _FIELD_STEPS.items():
        before, after = getattr(carrier, name), getattr(group, name)
        if before != after:
            out.append((field_words(step, name, ""), _shown(name, before), _shown(name, after)))
    agent_before = [getattr(carrier, name) for name in forms.AGENT_FIELDS]
    agent_after = [getattr(group, name) for name in forms.AGENT_FIELDS]
    if agent_before != agent_after:
        out.append((_("Writing agent"), " ".join(str(v) for v in agent_before[1:3]) + f" ({agent_before[0]})",
                    " ".join(str(v) for v in agent_after[1:3]) + f" ({agent_after[0]})"))  # fmt: skip
    return out + _offering_lines(carrier.offerings, group.offerings)


def change_guard_problems(*, group: EmployerGroup) -> list[Problem]:
    """api.md: while members are validated the carrier keeps the effective date and every plan a current
    validation elects (409 INVALID_STATE). The same, beside the field, before anything is sent."""
    if group.change_state == C.NONE or group.status != S.OPEN_ENROLLMENT:
        return []
    elected = roster().validated_elections(group=group)
    if elected is None:
        return []
    carrier = carrier_version(group)
    out = []
    if carrier.requested_effective_date != group.requested_effective_date:
        kept = carrier.requested_effective_date.isoformat() if carrier.requested_effective_date else "—"
        out.append(
            Problem(
                code="INVALID_STATE",
                message=_("The carrier keeps the effective date (%(date)s) once members are validated.")
                % {"date": kept},
                fix=_("Put back %(date)s, or discard the changes.") % {"date": kept},
                step="coverage",
                field="requested_effective_date",
                pointer="/requestedEffectiveDate",
            )
        )
    offered = {o.get("line"): set(o.get("planIds") or []) for o in group.offerings if isinstance(o, dict)}
    seen = set()
    for line, plan_id, member_ref in elected:
        if plan_id in offered.get(line, set()) or (line, plan_id) in seen:
            continue
        seen.add((line, plan_id))
        out.append(
            Problem(
                code="INVALID_STATE",
                message=_("%(plan)s is the plan %(member)s elected, as validated by the carrier.")
                % {"plan": plan_label(plan_id), "member": member_ref},
                fix=_(
                    "Keep this plan offered: the carrier does not remove a plan a validated member elects."
                ),
                step="plans",
                field=f"{line.lower()}_plans",
                pointer="/offerings",
            )
        )
    return out


# ------------------------------------------------------------------------------------- send, discard


def group_send_changes(*, group: EmployerGroup, by: User | None) -> EmployerGroup:
    """EDITING/REFUSED → SENDING; the task that sends the patch is queued after the commit."""
    from . import tasks

    with transaction.atomic():
        group = group_change_move(
            group=group, to=C.SENDING, change_attempts=0, change_claimed_at=None, change_reason=""
        )
        group_id = group.pk
        outbox_enqueue(task_name=tasks.patch_group.name, args=[group_id])
    logger.info("group %s: changes queued for the carrier by %s", group.pk, getattr(by, "pk", None))
    return group


def group_discard_changes(*, group: EmployerGroup) -> EmployerGroup:
    """Put back the carrier's values and forget the changes (and the carrier's errors about them)."""
    carrier = carrier_version(group)
    with transaction.atomic():
        fields = {name: getattr(carrier, name) for name in CHANGEABLE}
        group = group_change_move(
            group=group, to=C.NONE, carrier_copy={}, carrier_errors=[], change_reason="", **fields
        )
    return group


def _claim(group_id: int) -> bool:
    """Claim a SENDING group's patch: free, or its claim lapsed (its worker stopped renewing it: dead)."""
    from .services import claim_seconds

    now = timezone.now()
    stale = now - timedelta(seconds=claim_seconds())
    return (
        EmployerGroup.objects.filter(pk=group_id, change_state=C.SENDING)
        .filter(Q(change_claimed_at__isnull=True) | Q(change_claimed_at__lt=stale))
        .update(change_claimed_at=now, change_attempts=F("change_attempts") + 1)
        == 1
    )


def _renew(group_id: int) -> None:
    """The claim a lease (as the create's and the validations'): a live run moves its time to now."""
    EmployerGroup.objects.filter(pk=group_id, change_state=C.SENDING, change_claimed_at__isnull=False).update(
        change_claimed_at=timezone.now()
    )


def _release(group_id: int) -> None:
    """The carrier did not answer: let go of the claim, so the task's retry (or any run) may send it."""
    EmployerGroup.objects.filter(pk=group_id, change_state=C.SENDING).update(change_claimed_at=None)


def _refused(group: EmployerGroup, errors: list[dict], reason: str) -> str:
    group = group_change_move(
        group=group, to=C.REFUSED, frm=C.SENDING, carrier_errors=errors, change_reason=reason[:500],
        change_claimed_at=None,
    )  # fmt: skip
    codes = ", ".join(sorted({str(e.get("code")) for e in errors if e.get("code")}))
    notices.notice_send_quietly(group=group, kind="CHANGE_REJECTED", context={"codes": codes})
    return "refused"


def _conflict_error(patch: dict, message: str) -> dict:
    """A 409 carries no pointer: point at what the patch changed that the carrier keeps."""
    pointer = "/requestedEffectiveDate" if "requestedEffectiveDate" in patch else ""
    if not pointer and "offerings" in patch:
        pointer = "/offerings"
    return {"code": "INVALID_STATE", "pointer": pointer, "message": message, "severity": "error"}


def group_patch_with_carrier(*, group_id: int) -> str:
    """Send a SENDING group's patch once. Returns ``patched``, ``refused`` (422, 409, another permanent
    answer: REFUSED with the carrier's words), ``busy`` (another worker's claim) or ``skipped``.
    ``CarrierTransientError`` propagates for the task to retry (a merge patch sent twice is sent once)."""
    if not _claim(group_id):
        sending = EmployerGroup.objects.filter(pk=group_id, change_state=C.SENDING).exists()
        return "busy" if sending else "skipped"
    group = EmployerGroup.objects.get(pk=group_id)
    patch = group_change_patch(group=group)
    if not patch:
        group_change_move(group=group, to=C.NONE, frm=C.SENDING, carrier_copy={}, change_claimed_at=None)
        return "patched"

    def refused(exc: Exception) -> str:
        if isinstance(exc, CarrierRuleError):
            return _refused(group, exc.error_dicts(), exc.codes_text())
        if isinstance(exc, CarrierConflictError):
            return _refused(group, [_conflict_error(patch, exc.message)], exc.message)
        assert isinstance(exc, CarrierPermanentError)
        return _refused(group, [{"code": exc.code, "pointer": "", "message": exc.message}], str(exc))

    def unavailable(exc: CarrierTransientError) -> None:
        _release(group_id)

    from .services import claim_seconds

    # The claim a lease: renewed while the call runs however slow the carrier is; a killed worker's
    # lapses a claim's length after its last renewal and the redelivered task or the sweep sends it.
    with claim_kept(lambda: _renew(group_id), every=claim_seconds() / 3):
        return carrier_call(  # a merge patch sent twice is sent once: no idempotency key, no operation
            lambda client: client.patch_group(group.humana_group_id, patch, subject=f"group:{group.pk}"),
            refused=refused,
            unavailable=unavailable,
            succeeded=lambda detail: _patched(group, patch, detail),
        )


def _patched(group: EmployerGroup, patch: dict, detail: Any) -> str:
    before = set(carrier_version(group).lines)
    after = set(group.lines)
    with transaction.atomic():
        group = group_change_move(
            group=group,
            to=C.NONE,
            frm=C.SENDING,
            carrier_copy={},
            carrier_errors=[],
            change_claimed_at=None,
            rating_area_id=detail.rating_area_id or group.rating_area_id,
            carrier_status=str(getattr(detail.status, "value", detail.status)),
            carrier_updated_at=timezone.now(),
            application_changed_at=detail.application_changed_at,
        )
        if before != after:
            roster().lines_changed(group=group, removed=before - after, added=after - before)
    notices.notice_send_quietly(group=group, kind="CHANGE_APPLIED")
    return "patched"


def group_change_gave_up(*, group_id: int, reason: str) -> bool:
    group = EmployerGroup.objects.get(pk=group_id)
    try:
        _refused(group, [], reason)
    except TransitionNotAllowed:
        return False
    return True


# --------------------------------------------------------------------------- the group's history in words

#: The 834 header's group fields (N1*P5 the employer, N1*BO the writing agent): a change file or renewal file
#: sent after one of them changes tells the carrier.
FILE_HEADER_FIELDS = frozenset({"legal_name", "fein", *forms.AGENT_FIELDS})


@dataclass(frozen=True)
class GroupChange:
    """One saved change of the group's data: who, when, why (the recorded reason), and per field what it
    was and what it became, in words."""

    at: datetime
    who: str
    reason: str
    lines: list[tuple[str, str, str]]
    fields: frozenset[str]

    @property
    def in_file_header(self) -> bool:
        return bool(self.fields & FILE_HEADER_FIELDS)


def _record_lines(newer: Any, older: Any) -> tuple[list[tuple[str, str, str]], set[str]]:
    from .services import field_words

    delta = newer.diff_against(older)
    changed = {c.field for c in delta.changes}
    out: list[tuple[str, str, str]] = []
    pay = dict(EmployerGroup.PayFrequency.choices)
    for name, step in _FIELD_STEPS.items():
        if name not in changed:
            continue
        before, after = getattr(older, name), getattr(newer, name)
        if name == "pay_frequency":
            out.append((field_words(step, name, ""), str(pay.get(before, NONE)), str(pay.get(after, NONE))))
        else:
            out.append((field_words(step, name, ""), _shown(name, before), _shown(name, after)))
    if changed & set(forms.AGENT_FIELDS):

        def agent(record: Any) -> str:
            values = [getattr(record, name) for name in forms.AGENT_FIELDS]
            return " ".join(str(v) for v in values[1:3] if v) + f" ({values[0] or NONE})"

        out.append((_("Writing agent"), agent(older), agent(newer)))
    if "offerings" in changed:
        out += _offering_lines(older.offerings or [], newer.offerings or [])
    return out, changed & set(CHANGEABLE)


def group_history_changes(*, group: EmployerGroup, since: datetime | None = None) -> list[GroupChange]:
    """The group's data changes recorded by ``history`` (simple_history) while it was ENROLLED (a record
    whose group is ENROLLED, from ``since`` on), newest first: the fields people read, old → new. The
    portal's bookkeeping (attempts, claims, carrier status) never counts."""
    records = list(group.history.select_related("history_user").order_by("history_date", "history_id"))
    out = []
    for older, newer in zip(records, records[1:], strict=False):
        if newer.status != S.ENROLLED or (since is not None and newer.history_date < since):
            continue
        lines, fields = _record_lines(newer, older)
        if lines:
            who = newer.history_user.get_username() if newer.history_user_id else ""
            out.append(GroupChange(newer.history_date, who, newer.history_change_reason or "", lines,
                                   frozenset(fields)))  # fmt: skip
    return sorted(out, key=lambda c: c.at, reverse=True)
