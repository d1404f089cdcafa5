"""Change files (api.md 1.1 *Change files*): an 834 without header DTP*007, processed family by family.

Each loop is checked against its member's validation and pending change (FIL-010's identity checks as for
new business; FIL-011 on the lines the loop sends; FIL-013, FIL-014, MNT-012 and MNT-013 by
``groupsales.rules.check_change_loop``), then each family as a whole: when one loop is rejected, its
family's other loops are rejected with MNT-013. What passes is applied to the roster with the validation's
dates (:func:`apply_changes`, once the file's end is claimed). The file is received on the carrier's
business day of its processing (the sandbox processes it seconds after the upload).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from groupsales.change_events import ChangeAction, EventType, age_out_end
from groupsales.codes import CHILD_RELATIONSHIPS, LINE_TO_X12, X12_TO_RELATIONSHIP, Line, Relationship
from groupsales.rules import LoopCheck, check_change_loop
from groupsales.rules.change_file import FamilyMember
from groupsales.x12.parser import ParsedInterchange, ParsedMember

from . import clock, scenarios
from .file_members import file_error, member_identity_errors
from .maintenance import _d, _end_entry, _line_map, _member_data, _waivers, coverage_lines
from .models import EnrollmentFile, Group, MemberValidation
from .roster_models import MemberChange, RosterEntry

V = MemberValidation.Status
C = MemberChange.Status
_CHILDREN = {r.value for r in CHILD_RELATIONSHIPS}


@dataclass
class Loop:
    pm: ParsedMember
    validation: MemberValidation | None
    change: MemberChange | None
    errors: list[dict[str, Any]]
    replay: bool = False

    @property
    def family(self) -> str:
        return self.pm.subscriber_ref or self.pm.member_ref or f"?{self.pm.line}"


def _matched(loops: list[Loop]) -> list[tuple[MemberValidation, MemberChange]]:
    """(validation, change) of the loops that have both: a loop has a change only with a validation."""
    return [(lp.validation, lp.change) for lp in loops if lp.validation is not None and lp.change is not None]


def file_level_errors(*, group: Group) -> list[dict[str, Any]]:
    """MNT-001 at P: a change file is processed only for a group that was ENROLLED when it was uploaded."""
    if group.validations.filter(status=V.ACCEPTED).exists():
        return []
    message = "A change file is taken only for an ENROLLED group."
    return [{"code": "MNT-001", "message": message, "segment": None, "line": None}]


def _violation_error(v: Any, pm: ParsedMember) -> dict[str, Any]:
    segment, _, line = v.pointer.partition("@")
    return file_error(v.code, v.message, segment or "INS", int(line) if line.isdigit() else pm.line)


def _plan_errors(pm: ParsedMember, expected: dict[str, tuple[str, str]]) -> list[dict]:
    """FIL-011 on the lines a change loop sends (HD*021 and HD*001 name the validated plan and tier)."""
    out = []
    for cover in pm.coverages:
        if cover.maintenance_type == "024":
            continue
        want = expected.get(cover.insurance_line)
        if want is None:
            out.append(file_error("FIL-011", f"Not validated for {cover.insurance_line}.", "HD", cover.line))
        elif (cover.plan_id, cover.tier) != want:
            out.append(file_error("FIL-011", f"HD04/HD05 should be {want[0]}/{want[1]}.", "HD", cover.line))
    return out


def _expected(validation: MemberValidation, validations: dict) -> dict[str, tuple[str, str]]:
    return {
        LINE_TO_X12[c["line"]]: (c["planId"], c["coverageTier"])
        for c in coverage_lines(validation, validations)
    }


def _family_after(
    family: str, loops: list[Loop], roster: dict[str, RosterEntry], validations: dict, on: date
):
    """The dependents covered after the file (roster members not ended here, and those added here)."""
    in_file = {validation.member_ref: (validation, change) for validation, change in _matched(loops)}
    after = []
    for entry in roster.values():
        if entry.subscriber_ref != family or entry.relationship == Relationship.SUBSCRIBER:
            continue
        loop = in_file.get(entry.member_ref)
        if loop is not None and loop[1].event.get("action") == ChangeAction.TERMINATE:
            continue
        if loop is None and not (entry.coverage_end is None or entry.coverage_end >= on):
            continue
        if loop is None and _aged_out_by(entry, on):  # MNT-007: the carrier ends it before ``on`` itself
            continue
        lines = set(_line_map(entry, on)) if loop is None else {c["line"] for c in coverage_lines(
            loop[0], validations)}  # fmt: skip
        after.append(FamilyMember(entry.member_ref, entry.relationship, frozenset(lines)))
    for ref, (validation, change) in in_file.items():
        if ref in roster or validation.relationship == Relationship.SUBSCRIBER:
            continue
        if change.event.get("action") in (ChangeAction.ADD, ChangeAction.REINSTATE):
            lines = {c["line"] for c in coverage_lines(validation, validations)}
            after.append(FamilyMember(ref, validation.relationship, frozenset(lines)))
    return after


def _aged_out_by(entry: RosterEntry, on: date) -> bool:
    """A (not disabled) child whose coverage the carrier ends (MNT-007, the end of the month of its 26th
    birthday) before ``on``, though the day has not come yet (a renewal file processed before R)."""
    born = _d(entry.body.get("dateOfBirth"))
    if entry.relationship not in _CHILDREN or born is None or entry.body.get("disabled"):
        return False
    return age_out_end(born) < on


def _subscriber_tiers(family: str, loops: list[Loop], roster: dict, validations: dict, on: date) -> dict:
    subscriber = validations.get(family)
    in_file = any(lp.validation is not None and lp.validation.member_ref == family for lp in loops)
    if subscriber is not None and (in_file or family not in roster):
        return {c["line"]: c["coverageTier"] for c in coverage_lines(subscriber, validations)}
    entry = roster.get(family)
    return {line: tier for line, (_plan, tier) in _line_map(entry, on).items()} if entry else {}


def _loop_check(
    loop: Loop, validation: MemberValidation, pending: MemberChange, loops: list[Loop], roster: dict,
    validations: dict, today: date, renewal: bool = False,
) -> LoopCheck:  # fmt: skip
    change = pending.change
    effective = _d(change.get("effectiveDate"))
    held = roster.get(validation.member_ref)
    ends_family = any(  # a subscriber's termination ends the family, its reinstatement restores it as it was
        v.relationship == Relationship.SUBSCRIBER
        and c.event.get("action") in (ChangeAction.TERMINATE, ChangeAction.REINSTATE)
        for v, c in _matched(loops)
    )  # fmt: skip
    return LoopCheck(
        loop=loop.pm,
        relationship=validation.relationship,
        event_type=change.get("type"),
        action=change.get("action"),
        event_date=_d(change.get("eventDate")),
        effective_date=effective,
        coverage_end=_d(change.get("coverageEnd")),
        send_by=_d(change.get("sendBy")),
        reason_code=change.get("maintenanceReasonCode"),
        received_on=today,
        expected=_expected(validation, validations),
        before={LINE_TO_X12[Line(k)]: v for k, v in _line_map(held, effective).items()}
        if held and effective
        else {},
        family_events=[
            (lp.change.event.get("type"), lp.change.event.get("date")) for lp in loops if lp.change
        ],
        subscriber_tiers={}
        if ends_family or effective is None
        else _subscriber_tiers(loop.family, loops, roster, validations, effective),
        family_after=[]
        if ends_family or effective is None
        else _family_after(loop.family, loops, roster, validations, effective),
        renewal_file=renewal,
    )


def _loop_errors(
    loop: Loop, loops: list[Loop], roster: dict, validations: dict, today: date, renewal: bool = False
) -> list[dict]:
    pm, validation, change = loop.pm, loop.validation, loop.change
    if validation is None or not validation.valid:
        why = "The 2000 loop has no REF*ZZ member reference." if not pm.member_ref else (
            f"No valid validation for member {pm.member_ref} in this group.")  # fmt: skip
        return [file_error("FIL-010", why, "REF" if pm.member_ref else "INS", pm.line_of("REF", "ZZ"))]
    if change is None:
        return [file_error("FIL-013", "The member is not validated with a mid-year event.", "INS", pm.line)]
    if change.status != C.PENDING:
        why = (
            "The change was rejected: validate the member again, then send it."
            if change.status == C.REJECTED
            else "The change was already applied by another file: validate the member again."
        )
        return [file_error("FIL-013", why, "INS", pm.line)]
    errors = member_identity_errors(pm, validation) + _plan_errors(pm, _expected(validation, validations))
    errors += [
        _violation_error(v, pm)
        for v in check_change_loop(
            _loop_check(loop, validation, change, loops, roster, validations, today, renewal)
        )
    ]
    subscriber = validations.get(validation.subscriber_ref)
    if scenarios.member_rejected(subscriber_last_name=(subscriber or validation).body.get("lastName")):
        errors.append(
            file_error("FIL-901", "Enrollment processing rejected the member (sandbox).", "INS", pm.line)
        )
    return errors


def change_results(
    *,
    file: EnrollmentFile,
    parsed: ParsedInterchange,
    validations: dict[str, MemberValidation],
    renewal: bool = False,
) -> tuple[list[dict[str, Any]], list[str], list[str], list[Loop]]:
    """(member entries, accepted refs, rejected refs, the loops to apply) of a change file; ``renewal``: of
    a renewal file (FIL-013 then wants ``RENEWAL_OPEN_ENROLLMENT`` validations)."""
    group = file.group
    today = clock.carrier_today()
    changes = {c.member_ref: c for c in group.changes.all()}
    roster = {e.member_ref: e for e in group.roster.all()}
    loops: list[Loop] = []
    for pm in parsed.members:
        validation = validations.get(pm.member_ref or "")
        change = changes.get(pm.member_ref or "") if validation is not None else None
        replay = (
            validation is not None
            and change is not None
            and change.status == C.APPLIED
            and change.validation_id == validation.validation_id
        )
        loops.append(Loop(pm, validation, change, [], replay))
    families: dict[str, list[Loop]] = {}
    for loop in loops:
        families.setdefault(loop.family, []).append(loop)
    for members in families.values():
        for loop in members:
            if not loop.replay:
                loop.errors = _loop_errors(loop, members, roster, validations, today, renewal)
        if any(lp.errors for lp in members):
            for loop in members:
                if not loop.errors:
                    loop.errors = [file_error("MNT-013", "Rejected with its family.", "INS", loop.pm.line)]
    return _entries(loops)


def _entries(loops: list[Loop]) -> tuple[list[dict[str, Any]], list[str], list[str], list[Loop]]:
    results: list[dict[str, Any]] = []
    accepted: list[str] = []
    rejected: list[str] = []
    plan: list[Loop] = []
    for loop in loops:
        v, change = loop.validation, (loop.change.change if loop.change else {})
        relationship = X12_TO_RELATIONSHIP.get(loop.pm.relationship_code)
        ok = not loop.errors
        results.append(
            {
                "memberRef": loop.pm.member_ref or None,
                "relationship": v.relationship if v else (relationship and relationship.value),
                "status": V.ACCEPTED if ok else V.REJECTED,
                "humanaMemberId": v.humana_member_id or None if v else None,
                "action": change.get("action"),
                "effectiveDate": change.get("effectiveDate") if ok else None,
                "coverageEnd": change.get("coverageEnd") if ok else None,
                "errors": loop.errors,
            }
        )
        if v is None:
            continue
        (accepted if ok else rejected).append(v.member_ref)
        if ok and not loop.replay:
            plan.append(loop)
    return results, accepted, rejected, plan


# --------------------------------------------------------------------------- applying


def apply_changes(*, group: Group, loops: list[Loop], rejected: list[str], file_id: str) -> None:
    """The accepted loops onto the roster, subscribers first; the rejected changes marked REJECTED."""
    validations = {v.member_ref: v for v in group.validations.all()}
    group.changes.filter(member_ref__in=rejected, status=C.PENDING).update(status=C.REJECTED, file_id=file_id)
    order = sorted(_matched(loops), key=lambda vc: vc[0].relationship != Relationship.SUBSCRIBER)
    for validation, change in order:
        action = change.change["action"]
        entry = group.roster.filter(member_ref=validation.member_ref).first()
        effective = date.fromisoformat(change.change["effectiveDate"])  # an accepted loop's dates are set
        if action == ChangeAction.ADD:
            entry = _add(group, entry, validation, validations, effective)
        elif entry is None:
            continue
        elif action == ChangeAction.CHANGE:
            entry.body = _member_data(validation.body)
            entry.waivers = _waivers(validation.body)
            _set_lines(entry, coverage_lines(validation, validations), effective, change.change)
        elif action == ChangeAction.TERMINATE:
            _terminate(group, entry, date.fromisoformat(change.change["coverageEnd"]), change.change["type"])
        else:
            _reinstate(group, entry)
        entry.last_change = {"fileId": file_id, "action": action, "eventType": change.change["type"],
                             "effectiveDate": change.change["effectiveDate"]}  # fmt: skip
        entry.updated_at = clock.now()
        entry.save()
        if validation.relationship == Relationship.SUBSCRIBER and action == ChangeAction.CHANGE:
            own = frozenset(
                v.member_ref for v, _change in order
            )  # a dependent with its own loop: applied by it
            _dependents_follow(group, validation, validations, effective, skip=own)
        MemberChange.objects.filter(pk=change.pk).update(status=C.APPLIED, file_id=file_id)


def _add(
    group: Group, entry, validation: MemberValidation, validations: dict, effective: date
) -> RosterEntry:
    lines = [{**c, "start": effective.isoformat(), "end": None, "endReason": None}
             for c in coverage_lines(validation, validations)]  # fmt: skip
    if entry is None:
        return RosterEntry(
            group=group,
            member_ref=validation.member_ref,
            subscriber_ref=validation.subscriber_ref,
            relationship=validation.relationship,
            humana_member_id=validation.humana_member_id or f"H{40000000 + validation.pk}",
            body=_member_data(validation.body),
            coverage_start=effective,
            lines=lines,
            waivers=_waivers(validation.body),
            updated_at=clock.now(),
        )
    entry.body, entry.coverage_start, entry.coverage_end = _member_data(validation.body), effective, None
    entry.end_reason, entry.ended_by_file, entry.lines = "", False, [*entry.lines, *lines]
    entry.waivers = _waivers(validation.body)
    return entry


def _set_lines(entry: RosterEntry, after: list[dict], effective: date, change: dict) -> None:
    """A CHANGE: a line whose tier changes is closed the day before and opened on the effective date; a
    line added opens; a line dropped ends on the change's coverage end (a dependent following its
    subscriber, without a change of its own: the day before the effective date, api.md's coverageEnd)."""
    before = _line_map(entry, effective)
    wanted = {c["line"]: (c["planId"], c["coverageTier"]) for c in after}
    day_before = date.fromordinal(effective.toordinal() - 1).isoformat()
    end = coverage_end.isoformat() if (coverage_end := _d(change.get("coverageEnd"))) else day_before
    for item in entry.lines:
        if item.get("end") is not None or date.fromisoformat(item["start"]) > effective:
            continue
        line = item["line"]
        if line not in wanted:
            item["end"], item["endReason"] = end, change.get("type")
        elif wanted[line] != before.get(line):
            item["end"] = day_before
    for line, (plan, tier) in wanted.items():
        if wanted[line] != before.get(line):
            entry.lines.append({"line": line, "planId": plan, "coverageTier": tier,
                                "start": effective.isoformat(), "end": None, "endReason": None})  # fmt: skip


def _dependents_follow(
    group: Group,
    subscriber: MemberValidation,
    validations: dict,
    effective: date,
    skip: frozenset[str] = frozenset(),
) -> None:
    """A subscriber's tier change reaches its covered dependents' lines (they carry its plan and tier);
    those in ``skip`` have a loop of their own in the file, which applies their change."""
    for entry in group.roster.filter(subscriber_ref=subscriber.member_ref).exclude(
        member_ref=subscriber.member_ref
    ):
        if entry.member_ref in skip or (entry.coverage_end is not None and entry.coverage_end < effective):
            continue
        dependent = validations.get(entry.member_ref)
        if dependent is None:
            continue
        lines = coverage_lines(dependent, validations)
        if {c["line"]: (c["planId"], c["coverageTier"]) for c in lines} != _line_map(entry, effective):
            _set_lines(entry, lines, effective, {"type": None})
            entry.save()


def _terminate(group: Group, entry: RosterEntry, end: date, reason: str) -> None:
    _end_entry(entry, end, reason, by_file=True)
    if entry.relationship == Relationship.SUBSCRIBER:
        for dependent in group.roster.filter(subscriber_ref=entry.member_ref).exclude(pk=entry.pk):
            if dependent.coverage_end is None or dependent.coverage_end > end:
                _end_entry(dependent, end, reason, by_file=True)
                dependent.save()


def _reinstate(group: Group, entry: RosterEntry) -> None:
    end, reason = entry.coverage_end, entry.end_reason
    rows = [entry]
    if entry.relationship == Relationship.SUBSCRIBER:
        rows += list(group.roster.filter(subscriber_ref=entry.member_ref, coverage_end=end, end_reason=reason)
                     .exclude(pk=entry.pk))  # fmt: skip
    for row in rows:
        row.coverage_end, row.end_reason, row.ended_by_file = None, "", False
        for item in row.lines:
            if _d(item.get("end")) == end and item.get("endReason") == reason:
                item["end"], item["endReason"] = None, None
        if row is not entry:
            row.updated_at = clock.now()
            row.save()


def is_age_out(reason: str) -> bool:
    return reason == EventType.AGE_OUT
