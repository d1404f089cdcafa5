"""Which waiting members can be sent to the carrier, and what keeps the others back.

A member is *complete* when its validation body fits api.md (``carrier.schemas.MemberValidationRequest``:
the client refuses any other before a call) and has the values api.md requires that the schema lets
through empty (names, an employee's SSN: what a census import cannot give). An incomplete member is not
sent: it is stored INCOMPLETE with what it lacks (``Member.portal_errors``), named by the carrier's member
rules (``MBR-…``, with their fixes) where a rule covers the field, so the broker reads the rule IDs the
carrier would give. Nothing retries it as it is: an edit (a new ``edit_version``) puts it back in the queue.

A dependent is held (INCOMPLETE, MBR-020) while its employee is neither valid nor about to be sent: the
carrier would refuse it (MBR-020) and it would stay refused after the employee is corrected. It is
released (``dependents_release``) when its employee's validation is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from carrier.errors import ProblemError
from carrier.schemas import InvalidCarrierRequest, MemberValidationRequest, request_model
from enrollment.rules import Problem

from .models import Member
from .services.problems import _rule_fix, locate_member_pointer
from .states import members_validation_move

logger = logging.getLogger(__name__)

V = Member.ValidationStatus
HOLD_CODE = "MBR-020"
HOLD_MESSAGE = (
    "The employee's own details are not validated yet: this dependent is sent once the employee is valid."
)
# api.md pointer -> the member rule that governs it (for a schema problem no rule reported itself).
_SCHEMA_RULES = (
    ("/firstName", "MBR-001"),
    ("/lastName", "MBR-001"),
    ("/middleName", "MBR-001"),
    ("/suffix", "MBR-001"),
    ("/ssn", "MBR-002"),
    ("/dateOfBirth", "MBR-003"),
    ("/gender", "MBR-004"),
    ("/address", "MBR-007"),
    ("/employment", "MBR-008"),
    ("/coverage", "MBR-015"),
)


# Values api.md requires that the schema lets through empty (a string may be ""): without them the
# carrier refuses the member (MBR-001, MBR-002), so it is incomplete rather than sent to be refused.
_REQUIRED_TEXT = ("firstName", "lastName")


def body_schema_errors(body: dict) -> list[ProblemError]:
    """What keeps ``body`` from being sent (empty: it can go): the SCHEMA problems of api.md's request,
    and the required values it leaves empty (the names; an employee's SSN)."""
    try:
        request_model(MemberValidationRequest, body)
        errors: list[ProblemError] = []
    except InvalidCarrierRequest as exc:
        errors = list(exc.errors)
    wanted = list(_REQUIRED_TEXT) + (["ssn"] if body.get("relationship") == "SUBSCRIBER" else [])
    for key in wanted:
        value = body.get(key)
        if (value is None or (isinstance(value, str) and not value.strip())) and not any(
            e.pointer == f"/{key}" for e in errors
        ):
            errors.append(ProblemError(code="SCHEMA", pointer=f"/{key}", message="missing"))
    return errors


def _rule_for(pointer: str) -> str:
    return next(
        (code for prefix, code in _SCHEMA_RULES if pointer == prefix or pointer.startswith(prefix + "/")),
        "SCHEMA",
    )


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def problem_dict(p: Problem, **extra: Any) -> dict[str, Any]:
    return {
        "code": p.code,
        "pointer": p.pointer,
        "step": p.step,
        "field": p.field,
        "message": p.message,
        "fix": p.fix,
        **extra,
    }


def missing_problems(
    *, member: Member, body: dict, schema_errors: Iterable[ProblemError], rules: Callable[[Member], list]
) -> list[dict]:
    """What an incomplete member lacks: the member rules' errors (``rules(member)``), then each schema
    problem no rule error covers, named by the rule of its field."""
    try:
        found = [p for p in rules(member) if p.is_error]
    except Exception:  # the catalogue may lack the group's facts: the schema problems still say it
        logger.exception("member rules of %s", member.pk)
        found = []
    for e in schema_errors:
        if any(_related(e.pointer, p.pointer) for p in found if p.pointer):
            continue
        step, form_field = locate_member_pointer(e.pointer, body)
        code = _rule_for(e.pointer)
        where = e.pointer.lstrip("/") or "The request"
        found.append(
            Problem(
                code=code,
                message=f"{where}: missing or not in the form the carrier takes.",
                fix=_rule_fix(code) or "Complete this field, then save: the member is sent again.",
                step=step,
                field=form_field,
                pointer=e.pointer,
            )
        )
    return [problem_dict(p) for p in found]


def hold_problem() -> dict[str, Any]:
    return {
        "code": HOLD_CODE,
        "pointer": "/subscriberRef",
        "step": "member",
        "field": None,
        "message": HOLD_MESSAGE,
        "fix": _rule_fix(HOLD_CODE),
        "hold": True,
    }


def is_held(member: Member) -> bool:
    """Waiting only because its employee was not valid: held here (INCOMPLETE, nothing of its own
    missing) or refused by the carrier for that alone (INVALID, MBR-020 only)."""
    if member.validation_status == V.INCOMPLETE:
        errors = member.portal_errors or []
        return bool(errors) and all(e.get("hold") for e in errors)
    if member.validation_status == V.INVALID:
        errors = member.carrier_errors or []
        return bool(errors) and all(e.get("code") == HOLD_CODE for e in errors)
    return False


@dataclass
class SendPlan:
    """The claimed members split: what goes to the carrier, and what is stored INCOMPLETE (with why)."""

    send: list[Member] = field(default_factory=list)
    incomplete: list[tuple[Member, list[dict]]] = field(default_factory=list)


def plan_sending(
    members: list[Member], *, body: Callable[[Member], dict], rules: Callable[[Member], list]
) -> SendPlan:
    """Split claimed members (subscribers first): a member whose body does not fit is incomplete; a
    dependent whose employee is incomplete, or neither valid nor sent in this run, is held."""
    plan = SendPlan()
    sending: set[int] = set()
    for member in members:
        built = body(member)
        errors = body_schema_errors(built)
        if errors:
            plan.incomplete.append(
                (member, missing_problems(member=member, body=built, schema_errors=errors, rules=rules))
            )
            continue
        subscriber = member.subscriber
        if subscriber is not None:
            if subscriber.pk not in sending and subscriber.validation_status != V.VALID:
                plan.incomplete.append((member, [hold_problem()]))
                continue
        plan.send.append(member)
        sending.add(member.pk)
    return plan


def dependents_release(*, subscriber_ids: Iterable[int]) -> int:
    """Put the dependents that waited for these (now valid) employees back in the queue; how many.

    Each gets a new ``edit_version``: one the carrier refused (MBR-020) is a new logical attempt, whose
    idempotency key must not replay that refusal."""
    ids = list(subscriber_ids)
    if not ids:
        return 0
    waiting = Member.objects.filter(
        subscriber_id__in=ids, withdrawn_at__isnull=True, validation_status__in=[V.INCOMPLETE, V.INVALID]
    )
    held = [m.pk for m in waiting if is_held(m)]
    if not held:
        return 0
    released = members_validation_move(
        members=Member.objects.filter(pk__in=held, validation_status__in=[V.INCOMPLETE, V.INVALID]),
        to=V.NOT_VALIDATED, reason="Its employee is valid now: sent again.", new_edit=True,
        portal_errors=[], carrier_errors=[], validation_claimed_at=None,
    )  # fmt: skip
    return len(released)
