"""What the carrier does for the group calls of api.md: create, read, patch, and an agent's book.

Every function raises :class:`~sandbox.http.ApiProblem` for an error answer and returns the JSON body of
the success answer. The rules are the shared ``groupsales.rules`` over the sandbox's own rate data
(:class:`~sandbox.rates.CarrierFacts`); the scenario table of api.md is in ``scenarios.py``. Member
validations are in ``member_validations.py``, finalize in ``finalize.py``.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from groupsales.codes import Relationship, Tier
from groupsales.contract.operations import request_of
from groupsales.contract.wire import SchemaProblem, wire_problems
from groupsales.rating import CoveredPerson, Family
from groupsales.rules import check_group

from . import clock, renewals, scenarios
from .application import APPLICATION, application_bare, application_errors, application_stored
from .http import ApiProblem, error
from .models import Group, MemberValidation, Partner
from .rates import CarrierFacts

S = Group.Status
VALIDATING_STATES = (S.CREATED, S.FINALIZED, S.ENROLLED)
#: The parts of the create body a PATCH may set (api.md: "any part of the create body"); other keys of a
#: patch are ignored like any unknown field, so a patch never writes answer fields into the body.
BODY_KEYS = frozenset(str(field.alias) for field in request_of("createGroup").model_fields.values())
#: api.md 1.1: "application data" is every create field except these; changing it sets applicationChangedAt
#: and makes a stored signed application stale unless the same request sends a new one (GRP-015).
NOT_APPLICATION_DATA = frozenset({"census", "smallEmployerAttestation", APPLICATION})


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _invalid_state(message: str) -> ApiProblem:
    return ApiProblem.of(409, "INVALID_STATE", message)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def group_get(*, partner: Partner, group_id: str, lock: bool = False) -> Group:
    """The partner's group; another partner's or no group: 404 (never reveal it exists)."""
    rows = Group.objects.filter(partner=partner, group_id=group_id)
    if lock:
        rows = rows.select_for_update()
    group = rows.first()
    if group is None:
        raise ApiProblem.of(404, "NOT_FOUND", f"No group {group_id} for this partner.")
    return group


def _with_schema(rule_errors: list[dict[str, Any]], schema: list[SchemaProblem]) -> list[dict[str, Any]]:
    """Every rule error, then every SCHEMA problem except a missing value that a rule already names.

    A wrong type or a value outside its list is always reported as SCHEMA (api.md), beside any rule
    that the same value breaks; a missing required field is reported once, by its rule when it has one.
    """
    taken = {e["pointer"] for e in rule_errors}
    kept = [error("SCHEMA", p.message, p.pointer) for p in schema if not (p.missing and p.pointer in taken)]
    return rule_errors + kept


def _group_violations(body: Any, facts: CarrierFacts) -> list[dict[str, Any]]:
    schema = wire_problems(request_of("createGroup"), body)
    rules = [v.as_problem() for v in check_group(body, ctx=facts)] if isinstance(body, dict) else []
    return _with_schema(rules, schema)


def _rating_area(body: dict[str, Any], facts: CarrierFacts) -> str | None:
    address = body["employer"]["address"]
    return facts.rating_area_for(
        address["zip5"], address["countyFips"], date.fromisoformat(body["requestedEffectiveDate"])
    )  # the body passed its schema: its dates are YYYY-MM-DD


def _census_families(census: list[dict[str, Any]]) -> list[Family]:
    families = []
    for row in census:
        if row.get("coverageTier") not in {t.value for t in Tier}:
            continue
        ref = row["memberRef"]
        subscriber = CoveredPerson(
            ref, Relationship.SUBSCRIBER, date.fromisoformat(row["dateOfBirth"]), row.get("tobaccoUse")
        )
        dependents = tuple(
            CoveredPerson(
                f"{ref}-D{i}",
                Relationship(d["relationship"]),
                date.fromisoformat(d["dateOfBirth"]),
                d.get("tobaccoUse"),
            )
            for i, d in enumerate(row.get("dependents") or [], start=1)
        )
        families.append(Family(subscriber, dependents, Tier(row["coverageTier"])))
    return families


def _estimated_rates(body: dict[str, Any], area: str, facts: CarrierFacts) -> list[dict[str, Any]]:
    on = date.fromisoformat(body["requestedEffectiveDate"])
    families = _census_families(body.get("census") or [])
    rates = []
    for offering in body["offerings"]:
        for plan_id in offering["planIds"]:
            priced = facts.price(
                plan_id,
                area=area,
                on=on,
                families=families,
                rating_option=offering.get("ratingOption") or "AGE",
            )
            if priced is not None:
                rates.append(
                    {
                        "planId": plan_id,
                        "line": offering["line"],
                        "estimatedMonthlyPremium": _money(priced.total_monthly_premium),
                    }
                )
    return rates


def _next_group_id() -> str:
    first = int(getattr(settings, "SANDBOX_FIRST_GROUP_ID", 104233))
    taken = [int(g) for g in Group.objects.values_list("group_id", flat=True) if g.isdigit()]
    return f"{max([first - 1, *taken]) + 1:06d}"


def group_create(*, partner: Partner, body: Any, idempotency_key: str) -> dict[str, Any]:
    scenarios.before_create(partner=partner, body=body, idempotency_key=idempotency_key)
    facts = CarrierFacts()
    errors = _group_violations(body, facts)
    if errors:
        raise ApiProblem(422, errors)
    application = body.get(APPLICATION) if isinstance(body, dict) else None
    if isinstance(application, dict):
        errors = application_errors(application, body, changed_before=None)
        if errors:
            raise ApiProblem(422, errors)
    area = _rating_area(body, facts)
    if area is None:  # check_group reports GRP-004 when the place has no rating area; belt and braces
        raise ApiProblem.of(422, "GRP-004", "The address has no rating area.", "/employer/address/zip5")
    now = clock.now()
    body = {key: value for key, value in body.items() if key != APPLICATION}
    estimated = _estimated_rates(body, area, facts)
    for _ in range(20):
        try:
            with transaction.atomic():
                group = Group.objects.create(
                    partner=partner,
                    group_id=_next_group_id(),
                    body=body,
                    rating_area_id=area,
                    created_at=now,
                    created_on=facts.today,
                    updated_at=now,
                    estimated_rates=estimated,
                    status=S.CREATED,
                    status_history=[{"status": S.CREATED, "at": clock.rfc3339(now)}],
                    application_changed_at=now,
                    application=application_stored(application, now),
                )
            break
        except IntegrityError:  # two creates took the same number: take the next
            continue
    else:  # pragma: no cover - twenty collisions in a row
        raise ApiProblem.of(503, "UNAVAILABLE", "Could not number the group; retry.")
    return {
        "groupId": group.group_id,
        "status": group.status,
        "ratingAreaId": area,
        "createdAt": clock.rfc3339(now),
        "estimatedRates": estimated,
    }


def group_detail(*, group: Group) -> dict[str, Any]:
    detail = copy.deepcopy(group.body)
    detail.update(
        {
            "groupId": group.group_id,
            "status": group.status,
            "statusHistory": group.status_history,
            "ratingAreaId": group.rating_area_id,
            "createdAt": clock.rfc3339(group.created_at),
            "estimatedRates": group.estimated_rates,
            "applicationChangedAt": clock.rfc3339(group.application_changed_at or group.created_at),
            APPLICATION: group.application,
        }
    )
    if group.finalized:
        detail.update(group.finalized)
        detail["finalizedAt"] = clock.rfc3339(group.finalized_at)
    detail.update(renewals.group_fields(group=group))  # 1.1
    return detail


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _offered(body: dict[str, Any]) -> dict[str, set[str]]:
    return {
        str(o.get("line")): set(o.get("planIds") or [])
        for o in body.get("offerings") or []
        if isinstance(o, dict)
    }


_ABSENT = object()


def group_patch(*, partner: Partner, group_id: str, patch: Any) -> dict[str, Any]:
    """api.md ``PATCH /groups/{groupId}`` (1.1): a JSON merge patch of the create body while CREATED."""
    if not isinstance(patch, dict):
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "A merge patch is a JSON object.")
    application = patch.get(APPLICATION, _ABSENT)
    parts = {k: v for k, v in patch.items() if k in BODY_KEYS and k != APPLICATION}
    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        if group.status != S.CREATED:
            raise _invalid_state(f"The group is {group.status}; it can be patched only while CREATED.")
        body = merge_patch(group.body, parts)
        same_application = application is _ABSENT or application == application_bare(group.application)
        if body == group.body and same_application:
            return group_detail(group=group)  # values equal to the stored ones change nothing
        if group.validations.exists():
            _guard_patch_with_validations(group.body, body, list(group.validations.all()))
        facts = CarrierFacts()
        errors = _group_violations(body, facts)
        if isinstance(application, dict):
            errors += application_errors(application, body, changed_before=group.application_changed_at)
        if errors:
            raise ApiProblem(422, errors)
        before, after = _offered(group.body), _offered(body)
        removed_lines = set(before) - set(after)
        added_lines = set(after) - set(before)
        for validation in group.validations.all():
            _follow_offering_change(validation, removed_lines, added_lines)
        now = clock.now()
        changed = {k for k in BODY_KEYS - NOT_APPLICATION_DATA if group.body.get(k) != body.get(k)}
        if changed:
            group.application_changed_at = now
        if isinstance(application, dict):
            group.application = application_stored(application, now)
        elif application is None:
            group.application = None  # null removes it (merge patch)
        elif changed and group.application:
            group.application = {**group.application, "stale": True}
        group.body = body
        group.rating_area_id = _rating_area(body, facts) or group.rating_area_id
        group.estimated_rates = _estimated_rates(body, group.rating_area_id, facts)
        group.updated_at = now
        group.save()
    return group_detail(group=group)


def _guard_patch_with_validations(old: dict, new: dict, current: list[MemberValidation]) -> None:
    """While the group has member validations (valid or not: each is a member's current one), the
    effective date stays and no plan a validation elects may go (409 INVALID_STATE)."""
    if old.get("requestedEffectiveDate") != new.get("requestedEffectiveDate"):
        raise _invalid_state("The effective date cannot change while the group has member validations.")
    offered = _offered(new)
    for validation in current:
        for cover in validation.body.get("coverage") or []:
            plan = cover.get("planId")
            if plan and not cover.get("waived") and plan not in offered.get(cover.get("line"), set()):
                raise _invalid_state(
                    f"Plan {plan} is elected by {validation.member_ref}; it cannot be removed from the group."
                )


def _follow_offering_change(validation: MemberValidation, removed: set[str], added: set[str]) -> None:
    body = validation.body
    if removed:
        body["coverage"] = [c for c in body.get("coverage") or [] if c.get("line") not in removed]
    if added and validation.relationship == Relationship.SUBSCRIBER and validation.valid:
        validation.valid = False
        validation.errors = [
            error("MBR-015", f"The group now offers {line.lower()}: elect it or waive it.", "/coverage")
            for line in sorted(added)
        ]
    validation.body = body
    validation.save()


# --------------------------------------------------------------------------- book of business


def agent_groups(*, partner: Partner, npn: str, filters: dict[str, str]) -> list[dict[str, Any]]:
    rows = Group.objects.filter(partner=partner, body__writingAgent__npn=npn).order_by("group_id")
    renewal_kept = renewals.book_filter(filters)  # 1.1: renewalStatus, renewalFrom, renewalTo
    status = filters.get("status")
    if status:
        if status not in S.values:
            raise ApiProblem.of(400, "MALFORMED_REQUEST", f"status is one of {', '.join(S.values)}.")
        rows = rows.filter(status=status)
    bounds: dict[str, date] = {}
    for name in ("effectiveFrom", "effectiveTo"):
        if filters.get(name):
            bound = _date(filters[name])
            if bound is None:
                raise ApiProblem.of(400, "MALFORMED_REQUEST", f"{name} is a date YYYY-MM-DD.")
            bounds[name] = bound
    items = []
    for group in rows.prefetch_related("validations"):
        effective = _date(group.body.get("requestedEffectiveDate"))
        if "effectiveFrom" in bounds and (effective is None or effective < bounds["effectiveFrom"]):
            continue
        if "effectiveTo" in bounds and (effective is None or effective > bounds["effectiveTo"]):
            continue
        accepted = sum(
            1
            for v in group.validations.all()
            if v.relationship == Relationship.SUBSCRIBER and v.status == MemberValidation.Status.ACCEPTED
        )
        items.append(
            {
                "groupId": group.group_id,
                "employerName": group.body["employer"]["legalName"],
                "status": group.status,
                "requestedEffectiveDate": group.body.get("requestedEffectiveDate"),
                "situsState": group.body["employer"]["address"]["state"],
                "lines": [o["line"] for o in group.body.get("offerings") or []],
                "subscribersEnrolled": accepted,
                "totalMonthlyPremium": (group.finalized or {}).get("totalMonthlyPremium"),
                "updatedAt": clock.rfc3339(group.updated_at),
                **renewals.book_fields(group=group),  # 1.1
            }
        )
    return [item for item in items if renewal_kept(item)]
