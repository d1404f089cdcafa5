"""What the carrier does about renewals (api.md 1.1 *Renewal*): the dates, the offer, the decision.

``renewals_advance(group=…)`` applies what the carrier's business days have brought, in order, whenever a
request reads or changes the group (api.md *The sandbox*, "Dates"): the first renewal ``UPCOMING`` once a
member is accepted (R = effective date + 1 year), the offer on R − 90 (FEIN 92: ``NOT_RENEWED``,
REN-900), the passive acceptance from R − 29, and on R the new plan year (``RENEWED``, the next renewal
``UPCOMING``) or, for a ``NOT_RENEWED`` renewal, the group ``TERMINATED``. ``renewal_current``,
``renewal_list`` and ``renewal_decide`` answer the three endpoints.

Decisions where the contract is silent:

* A plan without a renewal plan counts 0.00 on the renewal side of the offer (its members lose the line).
* The sandbox keeps its members in its validation rows; at R their coverage moves to the destinations and
  a line not renewed is removed from them; ``previous_offerings`` keeps the plan year that ended.
* Without loaded renewal data a later plan year's rates are the one before's × the trend (compounded).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from groupsales.contract.renewal import RenewalDecisionRequest
from groupsales.contract.wire import wire_problems
from groupsales.rules import OfferLine, RenewalFacts, check_decision, check_offer, renewal_dates

from . import clock
from .http import ApiProblem, error
from .models import Group, MemberValidation, Partner, Renewal
from .rates import rule_settings
from .renewal_pricing import (
    Enrolled,
    RenewalRates,
    continuing,
    decided_totals,
    families_on,
    money,
    offer_answer,
    offer_plans,
)
from .roster_models import MemberChange

S = Renewal.Status
G = Group.Status


def _effective(group: Group) -> date:
    return date.fromisoformat(group.body["requestedEffectiveDate"])


def _anniversary(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


def _plan_year_start(renewal: Renewal) -> date:
    return renewal.renewal_date.replace(year=renewal.renewal_date.year - 1)


def _trend(group: Group) -> tuple[Decimal, bool]:
    """(trend, whether loaded renewal data counts): FEIN 93 ignores it with a trend of 1.2500."""
    if group.fein.startswith("93"):
        return Decimal("1.2500"), False
    return Decimal(str(getattr(settings, "SANDBOX_RENEWAL_TREND", "1.0800"))), True


def rates_for(group: Group, renewal: Renewal | None = None) -> RenewalRates:
    trend, use_loaded = _trend(group)
    if renewal is not None and renewal.offer:
        trend, use_loaded = Decimal(renewal.offer["trend"]), renewal.offer["useLoaded"]
    first_end = _anniversary(_effective(group), 1) - timedelta(days=1)
    return RenewalRates(first_year_end=first_end, trend=trend, use_loaded=use_loaded, rules=rule_settings())


def _offer_lines(renewal: Renewal) -> list[dict[str, Any]]:
    """The lines of the offer of a renewal past UPCOMING (the offer is fixed when it is made)."""
    if renewal.offer is None:
        raise ValueError(f"renewal {renewal.pk} has no offer yet")
    return renewal.offer["lines"]


def roster(group: Group) -> list[Enrolled]:
    rows = group.validations.filter(status=MemberValidation.Status.ACCEPTED, valid=True)
    return [
        Enrolled(
            v.member_ref,
            v.subscriber_ref,
            v.relationship,
            date.fromisoformat(str(v.body["dateOfBirth"])),
            v.body.get("tobaccoUse"),
            list(v.body.get("coverage") or []),
        )
        for v in rows
    ]


def _touch(renewal: Renewal, status: str | None = None) -> None:
    if status is not None:
        renewal.status = status
    renewal.updated_at = clock.now()
    renewal.save()


# --------------------------------------------------------------------------- the dates


def renewals_advance(*, group: Group) -> None:
    """Apply every renewal step whose day has come (idempotent; called on each read of the group)."""
    if group.status not in (G.ENROLLED, G.ENROLLING, G.TERMINATED):
        return
    if not group.renewals.exists():
        if not group.validations.filter(status=MemberValidation.Status.ACCEPTED).exists():
            return
        Renewal.objects.create(
            group=group, renewal_date=_anniversary(_effective(group), 1), updated_at=clock.now()
        )
    today = clock.carrier_today()
    for _step in range(50):  # each pass applies at most one step
        renewal = group.renewals.order_by("-renewal_date").first()
        if renewal is None or not _step_once(group, renewal, today):
            return


def _step_once(group: Group, renewal: Renewal, today: date) -> bool:
    dates = renewal_dates(renewal.renewal_date, rule_settings())
    if renewal.status == S.UPCOMING and today >= dates["offerDate"]:
        _make_offer(group, renewal)
        return True
    if renewal.status == S.OFFERED and today > dates["decisionDeadline"]:
        _passive(group, renewal)
        return True
    if today >= renewal.renewal_date and renewal.status == S.ACCEPTED:
        _take_effect(group, renewal)
        return True
    if today >= renewal.renewal_date and renewal.status == S.NOT_RENEWED and group.status == G.ENROLLED:
        group.status = G.TERMINATED
        group.status_history = [
            *group.status_history,
            {"status": G.TERMINATED, "at": clock.rfc3339(clock.now())},
        ]
        group.updated_at = clock.now()
        group.save()
    return False


def _make_offer(group: Group, renewal: Renewal) -> None:
    renewal.offered_at = clock.now()
    if group.fein.startswith("92"):  # REN-900: the carrier does not renew
        renewal.non_renewal = {
            "reason": "PARTICIPATION_OR_CONTRIBUTION",
            "coverageEnds": (renewal.renewal_date - timedelta(days=1)).isoformat(),
        }
        _touch(renewal, S.NOT_RENEWED)
        return
    rates = rates_for(group)
    offerings = group.body.get("offerings") or []
    discontinue = None
    if group.fein.startswith("94"):  # the lowest medical plan ID offered has no successor
        medical = [p for o in offerings if o["line"] == "MEDICAL" for p in o["planIds"]]
        discontinue = min(medical) if medical else None
    renewal.offer = {
        "trend": f"{rates.trend:.4f}",
        "useLoaded": rates.use_loaded,
        "lines": offer_plans(
            offerings=offerings,
            rates=rates,
            area=group.rating_area_id,
            plan_year_start=_plan_year_start(renewal),
            renewal_date=renewal.renewal_date,
            discontinue=discontinue,
        ),
    }
    _touch(renewal, S.OFFERED)


def _offered_offerings(renewal: Renewal) -> list[dict[str, Any]]:
    """RENEW_AS_OFFERED: each line keeps its renewal plans, rating option and contribution."""
    out = []
    for line in _offer_lines(renewal):
        plans = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
        if plans:
            out.append(
                {
                    "line": line["line"],
                    "planIds": plans,
                    **({"ratingOption": line["ratingOption"]} if line.get("ratingOption") else {}),
                    "contribution": line["contribution"],
                    "planMappings": [],
                }
            )
    return out


def _passive(group: Group, renewal: Renewal) -> None:
    renewal.decision = {
        "decisionId": None,
        "decision": "RENEW_AS_OFFERED",
        "source": "PASSIVE",
        "decidedAt": clock.rfc3339(clock.now()),
    }
    renewal.renewal_offerings = _offered_offerings(renewal)
    if not renewal.renewal_offerings:
        renewal.non_renewal = {
            "reason": "NO_RENEWABLE_PLAN",
            "coverageEnds": (renewal.renewal_date - timedelta(days=1)).isoformat(),
        }
        _touch(renewal, S.NOT_RENEWED)
        return
    _touch(renewal, S.ACCEPTED)


def _destination(renewal: Renewal, line: str, plan_id: str) -> str | None:
    offering = next((o for o in renewal.renewal_offerings or [] if o["line"] == line), None)
    if offering is None:
        return None  # LINE_NOT_RENEWED
    mapped = {p["fromPlanId"]: p["toPlanId"] for p in offering.get("planMappings") or []}
    offer_line: dict[str, Any] = next(
        (ln for ln in _offer_lines(renewal) if ln["line"] == line), {"plans": []}
    )
    renewal_plan = next(
        (p["renewalPlanId"] for p in offer_line["plans"] if p["currentPlanId"] == plan_id), None
    )
    target = mapped.get(plan_id) or renewal_plan
    return target if target in offering["planIds"] else None


def _roster_on_renewal(group: Group, renewal: Renewal, elected: set[str]) -> None:
    """R on the roster: each line in force on R − 1 goes on to its destination from R (a new period when
    the plan changes), or ends on R − 1 (``PLAN_DISCONTINUED``, ``LINE_NOT_RENEWED``). The families of an
    applied renewal election are left as their renewal file set them."""
    eve = renewal.renewal_date - timedelta(days=1)
    renewed = {o["line"] for o in renewal.renewal_offerings or []}
    for entry in group.roster.filter(coverage_start__lte=eve):
        if entry.coverage_end is not None and entry.coverage_end < renewal.renewal_date:
            continue
        if entry.member_ref in elected or entry.subscriber_ref in elected:
            continue
        added, changed = [], False
        for item in entry.lines:
            start, end = date.fromisoformat(item["start"]), item.get("end")
            if start > eve or (end is not None and date.fromisoformat(end) < renewal.renewal_date):
                continue
            target = _destination(renewal, item["line"], item["planId"])
            if target == item["planId"]:
                continue
            item["end"] = eve.isoformat()
            item["endReason"] = "PLAN_DISCONTINUED" if item["line"] in renewed else "LINE_NOT_RENEWED"
            changed = True
            if target is not None:
                item["endReason"] = None
                added.append(
                    {**item, "planId": target, "start": renewal.renewal_date.isoformat(), "end": None}
                )
        if changed:
            entry.lines = [*entry.lines, *added]
            entry.updated_at = clock.now()
            entry.save(update_fields=["lines", "updated_at"])


def _take_effect(group: Group, renewal: Renewal) -> None:
    """R: the members move to their destinations (a line without one ends, PLAN_DISCONTINUED or
    LINE_NOT_RENEWED), the group's offerings become the renewal's; the next renewal is UPCOMING."""
    elected = set(  # renewal elections a renewal file carried: their bodies are the coverage from R already
        MemberChange.objects.filter(
            group=group,
            status=MemberChange.Status.APPLIED,
            event__type="RENEWAL_OPEN_ENROLLMENT",
            change__effectiveDate=renewal.renewal_date.isoformat(),
        ).values_list("member_ref", flat=True)
    )
    for validation in group.validations.filter(status=MemberValidation.Status.ACCEPTED):
        if validation.member_ref in elected:
            continue
        coverage = []
        for cover in validation.body.get("coverage") or []:
            if cover.get("waived") or "planId" not in cover:
                kept = any(o["line"] == cover.get("line") for o in renewal.renewal_offerings or [])
                if kept:
                    coverage.append(cover)
                continue
            target = _destination(renewal, cover["line"], cover["planId"])
            if target is not None:
                coverage.append({**cover, "planId": target})
        validation.body = {**validation.body, "coverage": coverage}
        validation.save(update_fields=["body"])
    _roster_on_renewal(group, renewal, elected)
    renewal.previous_offerings = group.body.get("offerings")
    group.body = {**group.body, "offerings": renewal.renewal_offerings}
    group.updated_at = clock.now()
    group.save()
    _touch(renewal, S.RENEWED)
    Renewal.objects.create(
        group=group, renewal_date=_anniversary(renewal.renewal_date, 1), updated_at=clock.now()
    )


# --------------------------------------------------------------------------- renewal files


def renewal_file_errors(
    *, group: Group, header_date: date | None
) -> tuple[date | None, list[dict[str, Any]]]:
    """A file whose header DTP*007 is one of the group's renewal dates is a renewal file: (that date, its
    REN-008 errors). REN-008: it names the current renewal, which is ACCEPTED, and is received by R − 1
    (judged on the carrier's day of processing; the sandbox processes within seconds of the upload).
    Receiving one ends the employer's right to replace the decision (REN-001)."""
    if header_date is None or header_date == _effective(group):
        return None, []
    renewal = group.renewals.filter(renewal_date=header_date).first()
    if renewal is None:
        return None, []  # no renewal date: the companion checks report DTP*007
    today = clock.carrier_today()
    current = group.renewals.filter(renewal_date__gt=today).order_by("renewal_date").first()
    Renewal.objects.filter(pk=renewal.pk).update(locked=True)
    if current is not None and current.pk == renewal.pk and renewal.status == S.ACCEPTED:
        return header_date, []
    message = (
        f"The renewal file names the renewal of {header_date.isoformat()}, which is {renewal.status}; a "
        "renewal file names the current, accepted renewal and is received by the day before its date."
    )
    return header_date, [{"code": "REN-008", "message": message, "segment": "DTP", "line": None}]


# --------------------------------------------------------------------------- the answers


def group_fields(*, group: Group) -> dict[str, Any]:
    """1.1 fields of ``GET /groups/{id}`` from ENROLLED on: planYear, currentOfferings, renewalDate,
    renewalStatus, coverageEndDate."""
    if group.status not in (G.ENROLLED, G.ENROLLING, G.TERMINATED) or not group.renewals.exists():
        return {}
    today = clock.carrier_today()
    current = _current(group)
    renewed = (
        group.renewals.filter(status=S.RENEWED, renewal_date__lte=today).order_by("-renewal_date").first()
    )
    start = renewed.renewal_date if renewed else _effective(group)
    ends = (current.non_renewal or {}).get("coverageEnds") if current.status == S.NOT_RENEWED else None
    return {
        "planYear": {
            "start": start.isoformat(),
            "end": (_anniversary(start, 1) - timedelta(days=1)).isoformat(),
        },
        "currentOfferings": group.body.get("offerings"),
        "renewalDate": current.renewal_date.isoformat(),
        "renewalStatus": current.status,
        "coverageEndDate": ends,
    }


def _current(group: Group) -> Renewal:
    """The renewal with the earliest renewal date after today (a TERMINATED group: its last one)."""
    if group.status == G.TERMINATED:
        renewal = group.renewals.order_by("-renewal_date").first()
    else:
        renewal = (
            group.renewals.filter(renewal_date__gt=clock.carrier_today()).order_by("renewal_date").first()
        )
    if renewal is None:
        raise ApiProblem.of(409, "INVALID_STATE", "The group has no renewal: it was never ENROLLED.")
    return renewal


def book_filter(filters: dict[str, str]) -> Callable[[dict[str, Any]], bool]:
    """api.md 1.1's book filters ``renewalStatus``, ``renewalFrom`` and ``renewalTo`` (a range of
    ``renewalDate``) as a test of a book item; 400 MALFORMED_REQUEST for a value the contract does not know.
    With any of them, a group without a current renewal (before ENROLLED) is left out."""
    status = filters.get("renewalStatus") or ""
    if status and status not in S.values:
        raise ApiProblem.of(400, "MALFORMED_REQUEST", f"renewalStatus is one of {', '.join(S.values)}.")
    bounds: dict[str, date] = {}
    for name in ("renewalFrom", "renewalTo"):
        if filters.get(name):
            try:
                bounds[name] = date.fromisoformat(filters[name])
            except ValueError:
                raise ApiProblem.of(400, "MALFORMED_REQUEST", f"{name} is a date YYYY-MM-DD.") from None
    if not status and not bounds:
        return lambda item: True

    def keep(item: dict[str, Any]) -> bool:
        if not item.get("renewalDate"):
            return False
        renews = date.fromisoformat(item["renewalDate"])
        return (
            (not status or item.get("renewalStatus") == status)
            and ("renewalFrom" not in bounds or renews >= bounds["renewalFrom"])
            and ("renewalTo" not in bounds or renews <= bounds["renewalTo"])
        )

    return keep


def book_fields(*, group: Group) -> dict[str, Any]:
    """1.1 fields of a book-of-business item: the current renewal's date and status, coverageEndDate."""
    renewals_advance(group=group)
    fields = group_fields(group=group)
    return {k: fields.get(k) for k in ("renewalDate", "renewalStatus", "coverageEndDate")}


def _dates(renewal: Renewal) -> dict[str, str]:
    return {k: v.isoformat() for k, v in renewal_dates(renewal.renewal_date, rule_settings()).items()}


def _decision_ref(renewal: Renewal) -> dict[str, Any] | None:
    if not renewal.decision:
        return None
    return {k: renewal.decision.get(k) for k in ("decisionId", "decision", "source", "decidedAt")}


def renewal_current(*, group: Group) -> dict[str, Any]:
    renewal = _current(group)
    start = renewal.renewal_date
    answer: dict[str, Any] = {
        "groupId": group.group_id,
        "renewalDate": start.isoformat(),
        "status": renewal.status,
        "planYear": {
            "start": start.isoformat(),
            "end": (_anniversary(start, 1) - timedelta(days=1)).isoformat(),
        },
        **_dates(renewal),
        "ratingAreaId": group.rating_area_id,
        "asOf": clock.carrier_today().isoformat(),
        "offer": None,
        "decision": _decision_ref(renewal),
        "renewalOfferings": renewal.renewal_offerings,
        "nonRenewal": renewal.non_renewal,
        "warnings": [],
    }
    if renewal.offer:
        lines, totals = _priced(group, renewal)
        answer["offer"] = {"offeredAt": clock.rfc3339(renewal.offered_at), "lines": lines, "totals": totals}
        answer["warnings"] = [v.as_problem() for v in check_offer(answer["offer"], settings=rule_settings())]
    return answer


def _priced(group: Group, renewal: Renewal) -> tuple[list, dict]:
    rows = continuing(roster(group), renewal.renewal_date, rule_settings().child_age_limit)
    return offer_answer(
        lines=_offer_lines(renewal),
        rows=rows,
        rates=rates_for(group, renewal),
        area=group.rating_area_id,
        start=_plan_year_start(renewal),
        renewal_date=renewal.renewal_date,
    )


def renewal_list(*, group: Group) -> list[dict[str, Any]]:
    if not group.renewals.exists():
        raise ApiProblem.of(409, "INVALID_STATE", "The group has no renewal: it was never ENROLLED.")
    return [
        {
            "renewalDate": r.renewal_date.isoformat(),
            "status": r.status,
            "offerDate": _dates(r)["offerDate"],
            "decisionDeadline": _dates(r)["decisionDeadline"],
            "decision": _decision_ref(r),
            "nonRenewal": r.non_renewal,
            "updatedAt": clock.rfc3339(r.updated_at),
        }
        for r in group.renewals.order_by("-renewal_date")
    ]


# --------------------------------------------------------------------------- the decision


def _facts(group: Group, renewal: Renewal) -> RenewalFacts:
    rates = rates_for(group, renewal)
    rows = continuing(roster(group), renewal.renewal_date, rates.settings.child_age_limit)
    lines: dict[str, OfferLine] = {}
    for line in (renewal.offer or {}).get("lines", []):
        with_members = frozenset(
            p["currentPlanId"] for p in line["plans"] if families_on(rows, line["line"], p["currentPlanId"])
        )
        lines[line["line"]] = OfferLine(
            line["line"],
            line.get("ratingOption") or "AGE",
            line["contribution"],
            {p["currentPlanId"]: p["renewalPlanId"] for p in line["plans"]},
            with_members,
        )
    subscribers = {
        r.member_ref: c["planId"]
        for r in rows
        if r.relationship == "SUBSCRIBER"
        for c in r.coverage
        if c.get("line") == "MEDICAL" and c.get("planId") and not c.get("waived")
    }
    born = {r.member_ref: r.date_of_birth for r in rows}
    area, on = group.rating_area_id, renewal.renewal_date

    def own(ref: str, plan_id: str) -> Decimal | None:
        return rates.own_premium(
            plan_id, rating_area_id=area, date_of_birth=born[ref], tobacco=False, effective_date=on
        )

    return RenewalFacts(
        today=clock.carrier_today(),
        settings=rates.settings,
        renewal_date=renewal.renewal_date,
        status=renewal.status,
        lines=lines,
        locked=renewal.locked,
        employer_decided=bool(renewal.decision and renewal.decision.get("source") == "EMPLOYER"),
        plan_sold=lambda plan_id, line: rates.plan_sold(plan_id, line, area, on),
        composite_allowed=lambda plan_id: rates.composite_allowed(plan_id, on),
        subscribers=subscribers,
        renewal_own_premium=own,
    )


def _schema(body: Any) -> list[dict[str, Any]]:
    problems = [error("SCHEMA", p.message, p.pointer) for p in wire_problems(RenewalDecisionRequest, body)]
    if isinstance(body, dict) and "offerings" in body and body.get("decision") != "RENEW_WITH_CHANGES":
        if body.get("offerings") is not None:
            problems.append(error("SCHEMA", "offerings are sent only with RENEW_WITH_CHANGES.", "/offerings"))
    if (
        isinstance(body, dict)
        and body.get("decision") == "RENEW_WITH_CHANGES"
        and body.get("offerings") is None
    ):
        problems.append(error("SCHEMA", "offerings is required with RENEW_WITH_CHANGES.", "/offerings"))
    return problems


def renewal_decide(*, partner: Partner, group_id: str, body: Any) -> dict[str, Any]:
    from .groups import group_get

    with transaction.atomic():
        group = group_get(partner=partner, group_id=group_id, lock=True)
        renewals_advance(group=group)
        if group.status not in (G.ENROLLED, G.ENROLLING):
            raise ApiProblem.of(409, "INVALID_STATE", f"The group is {group.status}: no renewal decision.")
        renewal = _current(group)
        schema = _schema(body)
        if schema:
            raise ApiProblem(422, schema)
        found = check_decision(body, facts=_facts(group, renewal))
        window = [v for v in found if v.code == "REN-001"]
        if window:
            raise ApiProblem.of(409, "INVALID_STATE", window[0].message, window[0].pointer, rule="REN-001")
        errors = [v.as_problem() for v in found if v.severity == "error"]
        if errors:
            raise ApiProblem(422, [v.as_problem() for v in found])
        return _apply(group, renewal, body, [v.as_problem() for v in found if v.severity == "warning"])


def _apply(group: Group, renewal: Renewal, body: dict, warnings: list) -> dict[str, Any]:
    decided_at = clock.now()
    kind = body["decision"]
    renewal.decision = {
        "decisionId": f"RD-{uuid.uuid4().int % 10**6:06d}",
        "decision": kind,
        "source": "EMPLOYER",
        "decidedAt": clock.rfc3339(decided_at),
        "documentSha256": body["documentSha256"],
        "employerSignature": body["employerSignature"],
    }
    premium = employer = None
    if kind == "DO_NOT_RENEW":
        renewal.renewal_offerings = None
        renewal.non_renewal = {
            "reason": "EMPLOYER_DECLINED",
            "coverageEnds": (renewal.renewal_date - timedelta(days=1)).isoformat(),
        }
        _touch(renewal, S.NOT_RENEWED)
    else:
        renewal.renewal_offerings = (
            _offered_offerings(renewal) if kind == "RENEW_AS_OFFERED" else body["offerings"]
        )
        renewal.non_renewal = None
        _touch(renewal, S.ACCEPTED)
        rows = continuing(roster(group), renewal.renewal_date, rule_settings().child_age_limit)
        premium, employer = decided_totals(
            offerings=renewal.renewal_offerings,
            lines=_offer_lines(renewal),
            rows=rows,
            rates=rates_for(group, renewal),
            area=group.rating_area_id,
            renewal_date=renewal.renewal_date,
        )
    return {
        "decisionId": renewal.decision["decisionId"],
        "renewalDate": renewal.renewal_date.isoformat(),
        "decision": kind,
        "source": "EMPLOYER",
        "decidedAt": renewal.decision["decidedAt"],
        "renewalStatus": renewal.status,
        "renewalMonthlyPremium": money(premium),
        "employerMonthlyContribution": money(employer),
        "warnings": warnings,
    }
