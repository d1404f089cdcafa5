"""Renewal open enrollment (issue 20 item 4, api.md *Passive renewal and renewal open enrollment*): an
employee's renewal election, validated with ``RENEWAL_OPEN_ENROLLMENT`` (REN-007), and the renewal file
that carries the elections (edi-834-companion.md *Renewal files*), pre-checked with pyx12 and the
companion checks, uploaded and polled; each member's result lands on its election and on the member.

Only what differs from the passive renewal is sent: an election equal to it (each elected line on its
plan's destination, the same lines waived) is no election (an earlier one not yet sent is withdrawn).
Doing nothing keeps the passive renewal. Dependents follow their subscriber's plan and tier and are sent
only when their own coverage from R changes (the companion guide's *Renewal files*): one added at renewal
(``ADD``), one the employee takes off a line (``CHANGE``: HD*024 with DTP*349 = R − 1 for that line) or off
every line (``TERMINATE``: DTP*357 = R − 1), with the subscriber's ``CHANGE`` when its tier from R differs.
A child whose coverage the carrier ends before R (MNT-007: the end of the month of its 26th birthday) is
not kept and needs nothing sent; the tiers from R leave it out.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carrier.client import get_client
from carrier.operations import carrier_call
from carrier.rules import carrier_today
from edi.services.control_numbers import control_number_allocate
from edi.services.files import group_facts
from groupsales.x12.changes import ChangeFamily
from groupsales.x12.model import Coverage, Envelope, Header, member_from_api
from groupsales.x12.renewal import render_renewal_834, renewal_loop
from groupsales.x12.validate import precheck, pyx12_issues
from members.models import Election, Member
from members.services.bodies import member_build_validation_body

from . import states
from .family import joining_member_ids, lines_from_r, renewal_family, renewal_family_chosen, stand_ins
from .models import Renewal, RenewalElection, RenewalFile
from .plan_years import _destinations

S = Renewal.Status
E = RenewalElection.State
F = RenewalFile.Status
OPEN = (S.DECIDED, S.PASSIVELY_ACCEPTED, S.RENEWAL_OE, S.FILES)


class RenewalElectionRefused(Exception):
    """Renewal open enrollment is not open for this renewal (not accepted, or after R − 1)."""


@dataclass(frozen=True)
class LineChoice:
    """One line of the employee's renewal page: what it has now, what it gets by itself, what it may pick."""

    line: str
    current_plan: str | None  # None: waived now
    renewal_plan: str | None  # the passive renewal's plan (None: waived, or lost with REN-006)
    options: tuple[str, ...]  # the renewal's plans for the line
    current_cost: str | None  # the family's monthly premium on the line now, as the offer prices it
    renewal_cost: str | None  # … on the renewal plan


def renewal_enrollment_open(*, renewal: Renewal | None) -> bool:
    return renewal is not None and renewal.status in OPEN and carrier_today() <= renewal.enrollment_cutoff


def _offerings(renewal: Renewal) -> dict[str, list[str]]:
    carrier = renewal.carrier_renewal or {}
    found = {o["line"]: list(o["planIds"]) for o in carrier.get("renewalOfferings") or []}
    if found:
        return found
    for line in (carrier.get("offer") or {"lines": []})["lines"]:  # accepted, never read since: the offer
        plans = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
        if plans:
            found[line["line"]] = plans
    return found


def _family_costs(renewal: Renewal, refs: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(line, current plan) → (current, renewal) monthly premium of the family's members, from the offer."""
    from decimal import Decimal

    costs: dict[tuple[str, str], tuple[str, str]] = {}
    for line in ((renewal.carrier_renewal or {}).get("offer") or {"lines": []})["lines"]:
        for plan in line["plans"]:
            mine = [m for m in plan["members"] if m["memberRef"] in refs]
            if mine:
                now = sum((Decimal(m["currentMonthlyPremium"]) for m in mine), Decimal("0.00"))
                after = sum((Decimal(m["renewalMonthlyPremium"]) for m in mine), Decimal("0.00"))
                costs[(line["line"], plan["currentPlanId"])] = (str(now), str(after))
    return costs


def renewal_choices(*, renewal: Renewal, subscriber: Member) -> list[LineChoice]:
    """The employee's lines: current plan, renewal plan (passive), the plans it may choose, the costs."""
    destinations = _destinations(renewal)
    offered = _offerings(renewal)
    refs = {subscriber.member_ref, *subscriber.dependents.values_list("member_ref", flat=True)}
    costs = _family_costs(renewal, refs)
    current = {e.line: e for e in subscriber.elections.all()}
    rows = []
    for line in sorted(set(current) | set(offered), key=("MEDICAL", "DENTAL", "VISION").index):
        election = current.get(line)
        plan = election.plan_id if election is not None and not election.waived else None
        passive = destinations.get((line, plan)) if plan else None
        if plan and (line, plan) not in destinations and plan in offered.get(line, []):
            passive = plan
        if line not in offered:
            passive = None
        cost = costs.get((line, plan or ""))
        rows.append(
            LineChoice(
                line,
                plan,
                passive,
                tuple(offered.get(line, [])),
                cost[0] if cost else None,
                cost[1] if cost else None,
            )  # fmt: skip
        )
    return rows


def _held(subscriber: Member, joining: set[int] | None = None) -> list[dict[str, Any]]:
    """The subscriber's lines on R − 1 with their tiers (dependents joining at renewal left out)."""
    dependents = [d for d in subscriber.dependents.filter(withdrawn_at__isnull=True)
                  if d.pk not in (joining or set())]  # fmt: skip
    body = member_build_validation_body(member=subscriber, dependents=dependents)
    return [c for c in body["coverage"] if not c.get("waived") and c.get("planId")]


def _event(renewal: Renewal, action: str) -> dict[str, str]:
    return {"type": "RENEWAL_OPEN_ENROLLMENT", "action": action, "date": renewal.renewal_date.isoformat()}


def _put(
    renewal: Renewal,
    member: Member,
    action: str,
    body: dict[str, Any],
    before: list[dict[str, Any]],
    existing: RenewalElection | None,
) -> RenewalElection:
    election = existing or RenewalElection(renewal=renewal, member=member)
    body["event"] = _event(renewal, action)
    election.action, election.body, election.before = action, body, before
    election.state, election.change, election.carrier_errors, election.renewal_file = (
        E.VALIDATED,
        None,
        [],
        None,
    )
    election.save()
    return election


def renewal_election_record(
    *,
    renewal: Renewal,
    subscriber: Member,
    plans: dict[str, str | None],
    waiver_reasons: dict[str, str] | None = None,
    leave: bool = False,
    family: Mapping[str, Iterable[str]] | None = None,
) -> RenewalElection | None:
    """Record and validate the employee's election: ``plans`` line → a renewal plan, or None to waive it
    (with ``waiver_reasons[line]``); ``family`` dependent's member ref → the lines it is covered on from R
    (none: it ends on R − 1; None: as last chosen); ``leave``: the employee leaves on R − 1 (the family
    with it). Returns the family's refused election if any, else the subscriber's, else a dependent's;
    None when everything equals the passive renewal (elections not yet sent are withdrawn)."""
    if not renewal_enrollment_open(renewal=renewal):
        raise RenewalElectionRefused("Renewal open enrollment is not open.")
    choices = renewal_choices(renewal=renewal, subscriber=subscriber)
    held = _held(subscriber, joining_member_ids(renewal, subscriber))
    passive = {c.line: c.renewal_plan for c in choices}
    wanted = {line: plans.get(line, passive.get(line)) for line in passive}
    stored = {e.member_id: e for e in RenewalElection.objects.filter(renewal=renewal).filter(
        member__in=[subscriber, *subscriber.dependents.all()])}  # fmt: skip
    if any(e.state == E.IN_FILE for e in stored.values()):
        raise RenewalElectionRefused("The election is in a renewal file being processed.")
    existing = stored.get(subscriber.pk)
    joining = [e for e in stored.values() if e.action == "ADD" and e.state != E.REFUSED]
    members = renewal_family(renewal=renewal, subscriber=subscriber)
    chosen = family if family is not None else renewal_family_chosen(renewal=renewal, subscriber=subscriber)
    after = lines_from_r(members, chosen, {line for line, plan in wanted.items() if plan})
    now = {f.member_ref: f.lines for f in members}
    passive_after = lines_from_r(members, now, {line for line, plan in passive.items() if plan})
    passive_body = _body(subscriber, passive_after, passive, waiver_reasons)
    body = _body(subscriber, after, wanted, waiver_reasons)
    ends = {f.member_ref for f in members if f.ends_on is not None}  # the carrier ends them itself
    changed = {} if leave else {
        ref: lines for ref, lines in after.items() if ref not in ends and set(lines) != set(now[ref])
    }  # fmt: skip
    by_ref = {f.member_ref: f.member for f in members}
    for f in members:  # a dependent back to what renews by itself: its election not yet sent is withdrawn
        old = stored.get(f.member.pk)
        if old is not None and f.member_ref not in changed and old.state in (E.VALIDATED, E.REFUSED):
            old.delete()
    election = _subscriber_election(
        renewal, subscriber, sent=leave or bool(joining) or body["coverage"] != passive_body["coverage"],
        leave=leave, held=held, body=body, existing=existing,
    )  # fmt: skip
    if election is None and not changed:
        return None
    found = [election] if election is not None else []
    plan_of = {c["line"]: c for c in held}
    for ref, lines in changed.items():
        before = [plan_of[line] for line in now[ref] if line in plan_of]
        found.append(_dependent_election(renewal, by_ref[ref], lines, before, stored, election))
    refused = [e for e in found if e.state == E.REFUSED]
    return (refused or found)[0]


def _body(
    subscriber: Member,
    from_r: Mapping[str, tuple[str, ...]],
    plans: Mapping[str, str | None],
    reasons: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The subscriber's validation body with ``plans`` and each dependent on its lines from R."""
    return member_build_validation_body(
        member=subscriber,
        dependents=stand_ins(subscriber, from_r),
        elections=_elections(subscriber, plans, reasons),
    )


def _elections(
    subscriber: Member, lines: Mapping[str, str | None], reasons: Mapping[str, str] | None
) -> list[Election]:
    """Unsaved elections of the subscriber (line → plan, or None: waived with its reason)."""
    return [
        Election(member=subscriber, line=line, plan_id=plan or "", waived=plan is None,
                 waiver_reason="" if plan else (reasons or {}).get(line, "OTHER_GROUP_COVERAGE"))
        for line, plan in lines.items()
    ]  # fmt: skip


def _subscriber_election(
    renewal: Renewal,
    subscriber: Member,
    *,
    sent: bool,
    leave: bool,
    held: list[dict[str, Any]],
    body: dict[str, Any],
    existing: RenewalElection | None,
) -> RenewalElection | None:
    """The employee's own election, validated; None (an unsent one withdrawn) when it equals the passive
    renewal."""
    if not sent:
        if existing is not None and existing.state in (E.VALIDATED, E.REFUSED):
            existing.delete()
        return None
    action = "TERMINATE" if leave else ("CHANGE" if held else "ADD")
    if leave:
        body = member_build_validation_body(member=subscriber)
    return renewal_election_validate(election=_put(renewal, subscriber, action, body, held, existing))


def _dependent_election(
    renewal: Renewal,
    dependent: Member,
    lines: Iterable[str],
    before: list[dict[str, Any]],
    stored: Mapping[int, RenewalElection],
    subscriber_election: RenewalElection | None,
) -> RenewalElection:
    """A dependent's CHANGE (its lines from R) or TERMINATE (no line: it ends on R − 1), validated, or
    refused with the employee's own refused election (the family goes together, MNT-013)."""
    lines = list(lines)
    if lines:
        stand_in = copy.copy(dependent)
        stand_in.covered_lines = lines
        action, body = "CHANGE", member_build_validation_body(member=stand_in)
    else:  # ends on R − 1: the body as enrolled (the coverage that ends)
        action, body = "TERMINATE", member_build_validation_body(member=dependent)
    mine = _put(renewal, dependent, action, body, before, stored.get(dependent.pk))
    if subscriber_election is not None and subscriber_election.state == E.REFUSED:
        mine.state, mine.carrier_errors = E.REFUSED, subscriber_election.carrier_errors
        mine.save(update_fields=["state", "carrier_errors", "updated_at"])
        return mine
    return renewal_election_validate(election=mine)


def renewal_election_validate(*, election: RenewalElection) -> RenewalElection:
    """Validate with the carrier: VALIDATED with its change block, or REFUSED with its rules."""
    group = election.renewal.group

    def succeeded(answer: Any) -> RenewalElection:
        election.change = answer.change.model_dump(mode="json", by_alias=True) if answer.change else None
        election.state, election.carrier_errors = E.VALIDATED, []
        election.save(update_fields=["change", "state", "carrier_errors", "updated_at"])
        return election

    def refused(exc: Exception) -> RenewalElection:
        errors = [e.model_dump(by_alias=True) for e in getattr(exc, "errors", [])] or [
            {"code": getattr(exc, "rule", None) or getattr(exc, "code", "CARRIER"), "message": str(exc)}
        ]
        election.state, election.carrier_errors = E.REFUSED, errors
        election.save(update_fields=["state", "carrier_errors", "updated_at"])
        return election

    return carrier_call(
        lambda client: client.validate_change(
            group.humana_group_id, election.body, idempotency_key=uuid.uuid4().hex,
            subject=f"renewal election {election.pk}",
        ),
        succeeded=succeeded,
        refused=refused,
        also_refused=(ValueError,),
    )  # fmt: skip


def _next_dependent_ref(subscriber: Member) -> str:
    taken = set(Member.objects.filter(group=subscriber.group).values_list("member_ref", flat=True))
    n = 1
    while f"{subscriber.member_ref}-R{n}" in taken:
        n += 1
    return f"{subscriber.member_ref}-R{n}"


def renewal_dependent_add(*, renewal: Renewal, subscriber: Member, data: dict[str, Any]) -> RenewalElection:
    """A family member joining from R (renewal open enrollment, ``ADD``): recorded as the subscriber's
    dependent, covered on the subscriber's lines from R; the subscriber's election (its tier from R) is
    validated first, then the dependent's."""
    if not renewal_enrollment_open(renewal=renewal):
        raise RenewalElectionRefused("Renewal open enrollment is not open.")
    current = RenewalElection.objects.filter(renewal=renewal, member=subscriber).first()
    if current is not None:
        lines = [c["line"] for c in current.body.get("coverage", []) if c.get("planId")]
        plans = {c["line"]: c.get("planId") for c in current.body.get("coverage", [])}
    else:
        lines = [c.line for c in renewal_choices(renewal=renewal, subscriber=subscriber) if c.renewal_plan]
        plans = {}
    dependent = Member.objects.create(
        group=subscriber.group, subscriber=subscriber, member_ref=_next_dependent_ref(subscriber),
        relationship=data["relationship"], first_name=data["first_name"], last_name=data["last_name"],
        ssn=data.get("ssn") or "", date_of_birth=data["date_of_birth"], gender=data["gender"],
        tobacco_use=bool(data.get("tobacco_use")), covered_lines=lines,
    )  # fmt: skip
    body = member_build_validation_body(member=dependent)
    body["event"] = {
        "type": "RENEWAL_OPEN_ENROLLMENT",
        "action": "ADD",
        "date": renewal.renewal_date.isoformat(),
    }
    election = RenewalElection(renewal=renewal, member=dependent, action="ADD", before=[])
    election.body = body
    election.save()
    family = renewal_election_record(renewal=renewal, subscriber=subscriber, plans=plans)
    if family is not None and family.state == E.REFUSED:
        election.state, election.carrier_errors = E.REFUSED, family.carrier_errors
        election.save(update_fields=["state", "carrier_errors", "updated_at"])
        return election
    return renewal_election_validate(election=election)


# --------------------------------------------------------------------------- the renewal file


def _families(elections: list[RenewalElection], renewal: Renewal) -> list[ChangeFamily]:
    """One family per subscriber: its loops (the writer orders them: subscriber, spouse, children)."""
    bodies = {e.member.member_ref: e.body for e in elections}
    loops: dict[str, list[Any]] = {}
    for election in elections:
        body = election.body
        before = [
            Coverage(line=c["line"], plan_id=c["planId"], tier=c["coverageTier"]) for c in election.before
        ]
        subscriber = None
        if body["relationship"] != "SUBSCRIBER":
            found = bodies.get(body["subscriberRef"])
            if found is None and election.member.subscriber is not None:
                found = member_build_validation_body(member=election.member.subscriber)
            subscriber = member_from_api(found) if found else None
        member = member_from_api(body, subscriber)
        loops.setdefault(body["subscriberRef"], []).append(
            renewal_loop(member, election.action, renewal.renewal_date, before=before)
        )
    return [ChangeFamily(subscriber_ref=ref, loops=tuple(found)) for ref, found in loops.items()]


def renewal_file_build(*, renewal: Renewal) -> tuple[RenewalFile | None, list[RenewalElection]]:
    """The VALIDATED elections in a renewal file, pre-checked (pyx12 and the companion guide with
    DTP*007 = R); None when there is nothing to send."""
    elections = list(renewal.elections.filter(state=E.VALIDATED).select_related("member"))
    if not elections:
        return None, []
    group = renewal.group
    number = control_number_allocate()
    facts = group_facts(group=group)
    usage: Literal["T", "P"] = "P" if settings.HUMANA_USAGE_INDICATOR == "P" else "T"
    envelope = Envelope(sender_id=settings.HUMANA_SENDER_ID, usage_indicator=usage,
                        interchange_control_number=number, group_control_number=number,
                        created_at=timezone.now())  # fmt: skip
    reference = f"R{facts.group_id}-{number:09d}"
    header = Header(reference=reference, group_id=facts.group_id, effective_date=renewal.renewal_date,
                    employer_legal_name=facts.employer_legal_name, fein=facts.fein,
                    agent_name=facts.agent_name, agent_npn=facts.agent_npn)  # fmt: skip
    text = render_renewal_834(
        envelope, header, _families(elections, renewal), renewal_date=renewal.renewal_date
    )
    problems = [
        {"code": i.code, "message": i.message, "line": i.line, "segment": i.segment_id}
        for i in pyx12_issues(text)
    ] + [
        {"code": i.code, "message": i.message, "line": i.line, "segment": i.segment}
        for i in precheck(text, sender_id=settings.HUMANA_SENDER_ID, group_id=facts.group_id, fein=facts.fein,
                          usage_indicator=usage, effective_date=renewal.renewal_date)
    ]  # fmt: skip
    file = RenewalFile.objects.create(
        renewal=renewal, control_number=number, reference=reference, content=text,
        status=F.PRECHECK_FAILED if problems else F.SENT, problems=problems,
    )  # fmt: skip
    return file, elections


def _to(renewal: Renewal, status: str, reason: str) -> Renewal:
    renewal.refresh_from_db()
    if renewal.status != status and states.can_transition(renewal.status, status):
        return states.renewal_transition(renewal=renewal, to=status, reason=reason)
    return renewal


def renewal_file_send(*, renewal_id: int) -> RenewalFile | None:
    """Gather, pre-check and upload the renewal's validated elections; they move IN_FILE, the renewal
    to FILES; the poll is queued."""
    from . import tasks

    renewal = Renewal.objects.select_related("group").get(pk=renewal_id)
    file, elections = renewal_file_build(renewal=renewal)
    if file is None or file.status == F.PRECHECK_FAILED:
        return file

    def succeeded(receipt: Any) -> RenewalFile:
        file.file_id = receipt.file_id
        file.save(update_fields=["file_id"])
        RenewalElection.objects.filter(pk__in=[e.pk for e in elections]).update(
            state=E.IN_FILE, renewal_file=file
        )
        _to(renewal, S.RENEWAL_OE, "Renewal open enrollment opened.")
        _to(renewal, S.FILES, f"Renewal file {file.reference} sent.")
        transaction.on_commit(lambda: tasks.poll_renewal_file.delay(file.pk))
        return file

    def refused(exc: Exception) -> RenewalFile:
        file.status = F.UPLOAD_FAILED
        file.problems = [
            {"code": getattr(exc, "rule", None) or getattr(exc, "code", "CARRIER"), "message": str(exc)}
        ]
        file.save(update_fields=["status", "problems"])
        return file

    return carrier_call(
        lambda client: client.upload_enrollment_file(
            renewal.group.humana_group_id, file.content.encode("ascii"), idempotency_key=uuid.uuid4().hex,
            subject=file.reference,
        ),
        succeeded=succeeded,
        refused=refused,
        also_refused=(ValueError,),
    )  # fmt: skip


def renewal_file_poll(*, file_id: int) -> RenewalFile:
    """Read the file's status; once it has ended, each member's result lands on its election and member
    (``enrollment_errors``); a file rejected whole puts its elections back to VALIDATED."""
    file = RenewalFile.objects.select_related("renewal__group").get(pk=file_id)
    if file.status != F.SENT or not file.file_id:
        return file
    group_id = file.renewal.group.humana_group_id or ""
    with get_client() as client:
        status = client.get_change_file(group_id, file.file_id, subject=file.reference)
    if not status.is_final:
        return file
    results = [m.model_dump(mode="json", by_alias=True) for m in status.members]
    with transaction.atomic():
        file.status, file.results, file.completed_at = status.status.value, results, timezone.now()
        file.problems = [e.model_dump(mode="json", by_alias=True) for e in status.errors]
        file.save()
        by_ref = {r["memberRef"]: r for r in results}
        for election in file.renewalelection_set.filter(state=E.IN_FILE).select_related("member"):
            result = by_ref.get(election.member.member_ref)
            if result is None:
                election.state, election.renewal_file = E.VALIDATED, None
            elif result["status"] == "ACCEPTED":
                election.state = E.APPLIED
                Member.objects.filter(pk=election.member_id).update(enrollment_errors=[])
            else:
                election.state, election.carrier_errors = E.REJECTED, result["errors"]
                Member.objects.filter(pk=election.member_id).update(enrollment_errors=result["errors"])
            election.save()
        states.renewal_note(
            renewal=file.renewal, reason=f"Renewal file {file.reference} ended {file.status}."
        )
        if file.status == F.REJECTED:
            _to(file.renewal, S.RENEWAL_OE, f"Renewal file {file.reference} ended {file.status}.")
    return file


def renewal_elections_applied(*, renewal: Renewal) -> dict[int, list[dict[str, Any]]]:
    """Subscriber id → its coverage from R, for the elections the carrier applied (the new plan year)."""
    return {
        e.member_id: ([] if e.action == "TERMINATE" else e.body.get("coverage") or [])
        for e in renewal.elections.filter(state=E.APPLIED)
    }
