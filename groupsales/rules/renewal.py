"""The renewal rules of ``business-rules.md`` (1.1): REN-001 to REN-009 and REN-900.

Phases: **D** the employer's decision (``check_decision``, over the ``POST /renewal-decisions`` body),
**O** the offer the carrier computes (``check_offer``, over api.md's ``offer`` object), **V** and **P**
(REN-007, REN-008) belong to member validation and file processing. Every failure is reported, never
the first only; thresholds come from :class:`RuleSettings`; what the body does not carry (the offer, the
plans sold on the renewal date, the renewal rates) from :class:`RenewalFacts`. Plain Python.

Decisions where the documents are silent:

* REN-001 is a rule like the others here; the carrier answers it ``409 INVALID_STATE`` with ``rule``
  (api.md), the portal shows it beside the decision like any other rule.
* REN-002: the e-mail is checked as GRP-012 checks the contact's; ``signedAt`` is compared by its
  business day (America/New_York) with the carrier's (not in the future, at most
  ``renewal_signature_max_age_days`` before).
* REN-003: a decision line's ``ratingOption`` is only for medical (as at create); a plan listed twice
  is REN-003 at that plan.
* REN-005 compares as GRP-022 does (PERCENT rounded half up, FLAT capped at the premium, against the
  exact share of the cheapest own premium among the decided plans); a subscriber whose renewal
  premium the facts cannot give is skipped. "Changes a line's contribution": basis, employee or
  dependents differ from the offer's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..codes import ContributionBasis, Line, RatingOption
from ..rating import round_money
from ._base import Finding, Node, Violation, _define, rule, run
from .catalog import gettext_noop
from .settings import RuleSettings

__all__ = ["OfferLine", "RenewalFacts", "check_decision", "check_offer", "renewal_dates"]

_HUNDRED = Decimal(100)
_SHA = re.compile(r"[0-9a-f]{64}").fullmatch
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+").fullmatch
_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?").fullmatch
_DECISIONS = ("RENEW_AS_OFFERED", "RENEW_WITH_CHANGES", "DO_NOT_RENEW")
_MEDICAL = Line.MEDICAL.value
_NEW_YORK = ZoneInfo("America/New_York")

# ---- the rule table (business-rules.md, "Renewal (REN)")
_define(
    "REN-001",
    "D",
    gettext_noop(
        "A decision names the current renewal and is made from the offer to the end of the deadline day; "
        "it may be replaced until then while no renewal election has been validated or sent."
    ),
    gettext_noop(
        "Send the decision for the renewal on offer before its deadline; after it the group renews "
        "passively as offered."
    ),
)
_define(
    "REN-002",
    "D",
    gettext_noop(
        "The employer's signature needs the signer's name, title and a valid e-mail, signed electronically "
        "at most 30 days ago and not in the future, on a document with a 64-hex-digit SHA-256."
    ),
    gettext_noop("Have the employer sign the renewal decision again in the portal; it is sent with it."),
)
_define(
    "REN-003",
    "DO",
    gettext_noop(
        "Each renewed line is a line of the offer, once, with 1 to the line's maximum of plans sold in the "
        "group's area on the renewal date; composite only when every plan allows it; contributions as at "
        "create; at least one line."
    ),
    gettext_noop(
        "Keep only the offered lines, choose plans sold on the renewal date (no more than the line allows) "
        "and enter the employer's contribution."
    ),
)
_define(
    "REN-004",
    "D",
    gettext_noop(
        "Every current plan with members on a renewed line needs a destination: its renewal plan, when "
        "the line keeps it, else a plan mapping to one of the line's plans."
    ),
    gettext_noop("Map the members of each dropped or discontinued plan to one of the plans the line keeps."),
)
_define(
    "REN-005",
    "DO",
    gettext_noop(
        "A changed medical contribution must meet the minimum share of each continuing subscriber's "
        "employee-only premium on the renewal rates."
    ),
    gettext_noop("Raise the employer's medical contribution, or keep the contribution as offered."),
)
_define(
    "REN-006",
    "OT",
    gettext_noop(
        "A current plan with members has no renewal plan: unless the decision maps it, its members lose "
        "that line the day before the renewal date."
    ),
    gettext_noop("Renew with changes and map the plan's members to a plan the line keeps."),
)
_define(
    "REN-007",
    "V",
    gettext_noop(
        "Renewal open enrollment: the renewal is accepted, the request is at most the day before the "
        "renewal date, and elections name plans of the renewal offerings."
    ),
    gettext_noop("Choose a plan of the renewed offerings before the renewal date."),
)
_define(
    "REN-008",
    "P",
    gettext_noop(
        "A renewal file names the group's current, accepted renewal and is received at most the day "
        "before its renewal date."
    ),
    gettext_noop(
        "Send the renewal elections before the renewal date; after it report changes as mid-year changes."
    ),
)
_define(
    "REN-009",
    "O",
    gettext_noop("The renewal premium is at least the large-increase threshold above the current premium."),
    gettext_noop("Review the renewal with the employer: change plans or contributions, or compare options."),
)
_define(
    "REN-900",
    "O",
    gettext_noop("The carrier does not renew the group."),
    gettext_noop("Coverage ends the day before the renewal date; help the employer find other coverage."),
)


def renewal_dates(renewal_date: date, settings: RuleSettings) -> dict[str, date]:
    """api.md's dates of a renewal R: offer R − 90, deadline R − 30, cutoff R − 1 (from the settings)."""
    from datetime import timedelta

    return {
        "offerDate": renewal_date - timedelta(days=settings.renewal_offer_days),
        "decisionDeadline": renewal_date - timedelta(days=settings.renewal_decision_days),
        "enrollmentCutoff": renewal_date - timedelta(days=1),
    }


@dataclass(frozen=True)
class OfferLine:
    """One line of the offer as made: its rating option and contribution, each current plan's renewal
    plan (None: REN-006) and the current plans that have members."""

    line: str
    rating_option: str
    contribution: dict[str, Any]
    renewal_plans: dict[str, str | None]  # current plan -> renewal plan
    plans_with_members: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RenewalFacts:
    """The carrier's facts about the renewal a decision names."""

    today: date
    settings: RuleSettings
    renewal_date: date
    status: str  # the renewal's status (api.md)
    lines: dict[str, OfferLine]
    locked: bool = False  # a renewal election validated or a renewal file received (REN-001)
    employer_decided: bool = False
    plan_sold: Callable[[str, str], bool] = lambda plan_id, line: True
    composite_allowed: Callable[[str], bool] = lambda plan_id: False
    # medical subscribers continuing on R: member_ref -> current plan
    subscribers: dict[str, str] = field(default_factory=dict)
    # a subscriber's own non-tobacco premium on a plan's renewal rates at its age on R (REN-005)
    renewal_own_premium: Callable[[str, str], Decimal | None] = lambda member_ref, plan_id: None


@dataclass(frozen=True)
class DecisionCheck:
    body: Node
    facts: RenewalFacts

    @property
    def decision(self) -> str | None:
        return self.body["decision"].code(_DECISIONS)

    def offerings(self) -> list[Node]:
        return self.body["offerings"].items() if self.decision == "RENEW_WITH_CHANGES" else []


def check_decision(body: Any, *, facts: RenewalFacts) -> list[Violation]:
    """Every REN rule of phase D broken by the decision body (errors; REN-005 warnings too)."""
    return run("D", DecisionCheck(Node(body), facts))


# ---- REN-001


@rule("REN-001", when="D")
def _window(check: DecisionCheck) -> Iterator[Finding]:
    facts = check.facts
    named = check.body["renewalDate"]
    if named.date() is not None and named.date() != facts.renewal_date:
        yield Finding(named.pointer, f"The current renewal is the one of {facts.renewal_date.isoformat()}.")
        return
    deadline = renewal_dates(facts.renewal_date, facts.settings)["decisionDeadline"]
    if facts.status not in ("OFFERED", "ACCEPTED", "NOT_RENEWED") or facts.today > deadline:
        yield Finding("", f"Decisions are taken from the offer to {deadline.isoformat()}.")
    elif facts.status != "OFFERED" and not facts.employer_decided:
        yield Finding("", "The renewal was not decided by the employer: it cannot be decided again.")
    elif facts.status != "OFFERED" and facts.locked:
        yield Finding("", "Renewal elections were already validated or sent: the decision stays.")


# ---- REN-002


@rule("REN-002", when="D")
def _signature(check: DecisionCheck) -> Iterator[Finding]:
    sha = check.body["documentSha256"]
    if not ((entered := sha.text()) and _SHA(entered)):
        yield Finding(sha.pointer, "The signed document's SHA-256 must be 64 lower-case hex digits.")
    signature = check.body["employerSignature"]
    if not signature.is_dict:
        yield Finding(signature.pointer, "The employer's signature is required.")
        return
    for key, what in (("signedBy", "The signer's name"), ("title", "The signer's title")):
        if not (signature[key].text() or "").strip():
            yield Finding(signature[key].pointer, f"{what} is required.")
    email = signature["email"]
    if not ((entered := email.text()) and _EMAIL(entered)):
        yield Finding(email.pointer, "Enter the signer's valid e-mail address.")
    if signature["method"].text() != "ELECTRONIC":
        yield Finding(signature["method"].pointer, "The signature's method must be ELECTRONIC.")
    signed = signature["signedAt"]
    signed_on = _business_day(signed.text())
    limit = check.facts.settings.renewal_signature_max_age_days
    if signed_on is None or signed_on > check.facts.today:
        yield Finding(signed.pointer, "The signature's date must be a timestamp, not in the future.")
    elif (check.facts.today - signed_on).days > limit:
        yield Finding(signed.pointer, f"Signed more than {limit} days ago: sign again.")


def _business_day(text: str | None) -> date | None:
    """The carrier's business day (America/New_York) of an RFC 3339 timestamp; None if it is not one."""
    if not text or len(text) < 20:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(_NEW_YORK).date()


# ---- REN-003


@rule("REN-003", when="D")
def _lines(check: DecisionCheck) -> Iterator[Finding]:
    decision, offerings = check.decision, check.body["offerings"]
    if decision != "RENEW_WITH_CHANGES":
        return
    if not offerings.items():
        yield Finding(offerings.pointer, "Renewing with changes needs at least one line.")
    seen: set[str] = set()
    for offering in offerings.items():
        line = offering["line"].text()
        if line not in check.facts.lines:
            yield Finding(offering["line"].pointer, "No line is added at renewal: keep the offer's lines.")
            continue
        if line in seen:
            yield Finding(offering["line"].pointer, f"{line} appears twice.")
        seen.add(line)
        yield from _plans(check, offering, line)
        yield from _contribution(offering["contribution"])


def _plans(check: DecisionCheck, offering: Node, line: str) -> Iterator[Finding]:
    plans = offering["planIds"]
    limit = check.facts.settings.max_plans.get(line, 1)
    ids = [p.text() for p in plans.items()]
    if not 1 <= len(ids) <= limit:
        yield Finding(plans.pointer, f"Choose 1 to {limit} {line.lower()} plans.")
    for index, plan in enumerate(plans.items()):
        plan_id = plan.text()
        if plan_id is None or not check.facts.plan_sold(plan_id, line):
            yield Finding(plan.pointer, f"Plan {plan_id} is not sold for {line} on the renewal date.")
        elif plan_id in ids[:index]:
            yield Finding(plan.pointer, f"Plan {plan_id} is listed twice.")
    option = offering["ratingOption"]
    if option.code(RatingOption) == RatingOption.COMPOSITE:
        refused = [p for p in ids if p and not check.facts.composite_allowed(p)]
        if line != _MEDICAL or refused:
            yield Finding(option.pointer, "Composite rating is not allowed for every plan of the line.")


def _contribution(contribution: Node) -> Iterator[Finding]:
    if not contribution.is_dict:
        yield Finding(contribution.pointer, "The employer's contribution is required.")
        return
    basis = contribution["basis"].code(ContributionBasis)
    if basis is None:
        yield Finding(contribution["basis"].pointer, "The contribution basis must be PERCENT or FLAT.")
    for key in ("employee", "dependents"):
        text = contribution[key].text()
        if text is None or not _AMOUNT(text):
            yield Finding(contribution[key].pointer, "Enter an amount of 0.00 or more with two decimals.")
        elif basis == ContributionBasis.PERCENT and Decimal(text) > _HUNDRED:
            yield Finding(contribution[key].pointer, "A percent contribution must be 0.00 to 100.00.")


# ---- REN-004


@rule("REN-004", when="D")
def _destinations(check: DecisionCheck) -> Iterator[Finding]:
    facts = check.facts
    if check.decision == "RENEW_AS_OFFERED":
        for line in facts.lines.values():
            for plan in sorted(line.plans_with_members):
                if line.renewal_plans.get(plan) is None:
                    yield Finding(
                        check.body["decision"].pointer,
                        f"Plan {plan} has members and no renewal plan: renew with changes and map it.",
                    )
        return
    for offering in check.offerings():
        offer_line = facts.lines.get(offering["line"].text() or "")
        if offer_line is None:
            continue
        kept = {p.text() for p in offering["planIds"].items()}
        mapped: dict[str, str | None] = {}
        for mapping in offering["planMappings"].items():
            source, target = mapping["fromPlanId"], mapping["toPlanId"]
            if source.text() not in offer_line.renewal_plans:
                yield Finding(source.pointer, f"{source.text()} is not a current plan of this line.")
            if target.text() not in kept:
                yield Finding(target.pointer, f"{target.text()} is not one of the line's plans.")
            mapped[source.text() or ""] = target.text()
        for plan in sorted(offer_line.plans_with_members):
            if plan in mapped or offer_line.renewal_plans.get(plan) in kept:
                continue
            yield Finding(
                offering["planMappings"].pointer
                if offering["planMappings"].is_list
                else offering.child("planMappings"),
                f"Plan {plan} has members: keep its renewal plan or map it to one of the line's plans.",
            )


# ---- REN-005


@rule("REN-005", when="D")
def _minimum_contribution(check: DecisionCheck) -> Iterator[Finding]:
    facts = check.facts
    share = facts.settings.min_contribution.get(_MEDICAL)
    offer_line = facts.lines.get(_MEDICAL)
    for offering in check.offerings():
        if offering["line"].text() != _MEDICAL or not share or offer_line is None:
            continue
        contribution = offering["contribution"]
        basis = contribution["basis"].code(ContributionBasis)
        employee = contribution["employee"].money()
        if basis is None or employee is None or contribution.value == offer_line.contribution:
            continue
        kept = [text for p in offering["planIds"].items() if (text := p.text())]
        mapped = {m["fromPlanId"].text(): m["toPlanId"].text() for m in offering["planMappings"].items()}
        for ref, current in sorted(facts.subscribers.items()):
            plan = mapped.get(current) or offer_line.renewal_plans.get(current)
            own = facts.renewal_own_premium(ref, plan) if plan is not None and plan in kept else None
            cheapest = [c for p in kept if (c := facts.renewal_own_premium(ref, p)) is not None]
            if own is None or not cheapest:
                continue
            paid = round_money(own * employee / _HUNDRED) if basis == "PERCENT" else min(employee, own)
            needed = share * min(cheapest)
            if paid < needed:
                yield Finding(
                    contribution.child("employee"),
                    f"The employer pays {paid:.2f} toward {ref}'s own renewal premium; at least "
                    f"{round_money(needed):.2f} is required.",
                    member_ref=ref,
                )


# ---- the offer (O): warnings


@dataclass(frozen=True)
class OfferCheck:
    offer: Node
    settings: RuleSettings


def check_offer(offer: Any, *, settings: RuleSettings) -> list[Violation]:
    """The offer's warnings (REN-006, REN-009) over api.md's ``offer`` object."""
    return run("O", OfferCheck(Node(offer, "/offer"), settings))


@rule("REN-006", when="O")
def _no_renewal_plan(check: OfferCheck) -> Iterator[Finding]:
    for line in check.offer["lines"].items():
        for plan in line["plans"].items():
            if plan["renewalPlanId"].is_null and plan["members"].items():
                yield Finding(
                    plan.pointer,
                    f"Plan {plan['currentPlanId'].text()} has no renewal plan: unless a decision maps it, "
                    "its members lose the line the day before the renewal date.",
                    severity="warning",
                )


@rule("REN-009", when="O")
def _large_increase(check: OfferCheck) -> Iterator[Finding]:
    totals = check.offer["totals"]
    current, renewal = totals["currentMonthlyPremium"].money(), totals["renewalMonthlyPremium"].money()
    if current is None or renewal is None or current <= 0:
        return
    threshold = check.settings.renewal_large_increase
    if renewal - current >= current * threshold:
        yield Finding(
            totals.pointer,
            f"The renewal premium is {totals['changePercent'].text()}% above the current one "
            f"(the threshold is {(threshold * _HUNDRED).normalize():f}%).",
            severity="warning",
        )
