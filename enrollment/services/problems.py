"""Every problem of a draft or of a created group's changes, each placed on its step and field: the
carrier's create-group and finalize rules, the portal's own checks, what the carrier would refuse as
SCHEMA, and the errors of the carrier's last answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Broker
from portal.display import code_label

from ..models import EmployerGroup
from ..payload import group_build_create_payload
from ..rules import Problem, census_label, group_rule_context, locate, rule_words
from .drafts import LINES, group_is_editable


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

    from ..changes import change_guard_problems
    from ..forecast import FORECAST_STEPS, finalize_forecast

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
    from .. import forms

    if step == "census" or pointer.startswith("/census"):
        return str(_CENSUS_WORDS.get(pointer.rsplit("/", 1)[-1], _("This value")))
    step_forms: dict[str, type[forms.StepForm]] = {
        "employer": forms.EmployerForm,
        "address": forms.AddressForm,
        "contact": forms.ContactForm,
        "coverage": forms.CoverageForm,
        "attestation": forms.AttestationForm,
    }
    form_class = step_forms.get(step)
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


def _schema_words(error: Mapping[str, Any], step: str, field: str | None, pointer: str) -> tuple[str, str]:
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
