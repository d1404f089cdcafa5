"""Life events as people describe them, one declarative table driving one form and one view.

What the carrier allows for an event (who may take which action, how its dates follow, INS04) is
``groupsales.change_events.CHANGE_EVENTS``, read here, never copied: this table only adds what the
portal asks people (the words, which person, which date) and which bodies an event makes. Each event
makes the bodies of one family's change (MNT-013: one event per family per file): the person's own
``ADD``/``TERMINATE``/``REINSTATE``/``CHANGE`` and, when who is covered changes, the subscriber's
``CHANGE`` with the tier fitting the family on every elected line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from groupsales.change_events import (
    CHANGE_EVENTS,
    ChangeAction,
    EventType,
    age_out_end,
    twenty_sixth_birthday,
)
from groupsales.codes import Relationship
from members.models import Member
from members.services.bodies import member_build_validation_body


class Person(StrEnum):
    """Whom the form asks about."""

    NEW = "new"  # a new dependent (name, date of birth, …)
    DEPENDENT = "dependent"  # an enrolled dependent of the chosen family
    ANYONE = "anyone"  # an enrolled member, subscriber or dependent
    ENDED = "ended"  # a member whose coverage has ended
    SUBSCRIBER = "subscriber"  # the employee


@dataclass(frozen=True)
class LifeEvent:
    slug: str
    event: EventType
    action: ChangeAction  # the person's action (the subscriber's tier follows with CHANGE)
    title: Promise  # as the broker would say it
    self_title: Promise  # as the employee would ("I had a baby")
    person: Person
    date_label: Promise
    help: Promise
    details: bool = False  # asks for new details (names, address, phone, e-mail)
    waived_lines: bool = False  # asks for a plan on each line the employee waived
    marital_status: str | None = None  # the subscriber's marital status after the event

    @property
    def spec(self):
        return CHANGE_EVENTS[self.event]

    def relationships(self) -> list[str]:
        """The relationships the carrier's table allows for the person's action (MNT-002)."""
        allowed = self.spec.actions[self.action]
        if self.person is Person.NEW:
            allowed = allowed - {Relationship.SUBSCRIBER}
        return [r.value for r in Relationship if r in allowed]


LIFE_EVENTS: tuple[LifeEvent, ...] = (
    LifeEvent(
        "birth", EventType.BIRTH, ChangeAction.ADD, _("A baby was born"), _("I had a baby"), Person.NEW,
        _("Date of birth"),
        _("Coverage starts on the day of birth; tell the carrier within 60 days."),
    ),
    LifeEvent(
        "adoption", EventType.ADOPTION, ChangeAction.ADD, _("A child was adopted or placed for adoption"),
        _("I adopted a child"), Person.NEW, _("Date of adoption or placement"),
        _("Coverage starts on the day of the adoption or placement; tell the carrier within 60 days."),
    ),
    LifeEvent(
        "marriage", EventType.MARRIAGE, ChangeAction.ADD, _("Got married or registered a partnership"),
        _("I got married"), Person.NEW, _("Date of the marriage"),
        _("Coverage starts on the first of the next month; tell the carrier within 30 days."),
        marital_status="MARRIED",
    ),
    LifeEvent(
        "loss-of-coverage", EventType.LOSS_OF_COVERAGE, ChangeAction.CHANGE, _("Lost other coverage"),
        _("I lost my other coverage"), Person.SUBSCRIBER, _("Last day of the other coverage"),
        _("The lines waived because of the other coverage start on the first of the next month; "
          "tell the carrier within 30 days."),
        waived_lines=True,
    ),
    LifeEvent(
        "divorce", EventType.DIVORCE, ChangeAction.TERMINATE, _("Divorced or separated"),
        _("I got divorced"), Person.DEPENDENT, _("Date of the divorce or separation"),
        _("The spouse's coverage ends on the last day of that month; the employee's tier changes on every "
          "line."),
        marital_status="DIVORCED",
    ),
    LifeEvent(
        "death", EventType.DEATH, ChangeAction.TERMINATE, _("Someone died"), _("Someone in my family died"),
        Person.ANYONE, _("Date of death"),
        _("Coverage ends on the last day of that month; an employee's family ends with them."),
    ),
    LifeEvent(
        "age-out", EventType.AGE_OUT, ChangeAction.TERMINATE, _("A child turns 26"),
        _("My child turns 26"), Person.DEPENDENT, _("The 26th birthday"),
        _("Coverage ends on the last day of the month of the 26th birthday."),
    ),
    LifeEvent(
        "details", EventType.DEMOGRAPHIC, ChangeAction.CHANGE, _("A new name, address, phone or e-mail"),
        _("My address or details changed"), Person.ANYONE, _("Changed on"),
        _("The carrier takes the new details from today."),
        details=True,
    ),
    LifeEvent(
        "drop-dependent", EventType.VOLUNTARY, ChangeAction.TERMINATE,
        _("Take a dependent off (tier change)"),
        _("Take someone off my coverage"), Person.DEPENDENT, _("A day in the last month of coverage"),
        _("Coverage ends on the last day of that month; the employee's tier changes on every line."),
    ),
    LifeEvent(
        "reinstatement", EventType.REINSTATEMENT, ChangeAction.REINSTATE, _("Undo an ended coverage"),
        _("Undo an ended coverage"), Person.ENDED, _("The coverage end being undone"),
        _("Coverage continues as if it had never ended."),
    ),
)  # fmt: skip
BY_SLUG = {e.slug: e for e in LIFE_EVENTS}
#: The events an employee reports on their own link (the rest are the broker's).
SELF_SERVICE = ("birth", "adoption", "marriage", "loss-of-coverage", "details", "divorce")


def covered(member: Member) -> bool:
    span = getattr(member, "coverage_span", None)
    return member.withdrawn_at is None and (span is None or span.end is None)


def family_of(member: Member) -> tuple[Member, list[Member]]:
    subscriber = member.subscriber if member.subscriber_id else member
    assert subscriber is not None
    return subscriber, [d for d in subscriber.dependents.all() if covered(d)]


def _event(life: LifeEvent, day: date) -> dict[str, str]:
    return {"type": life.event.value, "action": life.action.value, "date": day.isoformat()}


def _lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"line": c["line"], "planId": c["planId"], "coverageTier": c.get("coverageTier")}
        for c in body.get("coverage") or []
        if c.get("planId") and not c.get("waived")
    ]


@dataclass
class Planned:
    """One body of an event, with the member it concerns and the lines held before (for a CHANGE)."""

    body: dict[str, Any]
    member: Member | None = None
    before: list[dict[str, Any]] | None = None
    changes: bool = True  # False: a subscriber's CHANGE that changes nothing (not sent)


def _subscriber_change(
    life: LifeEvent, subscriber: Member, dependents: list[Member], day: date, **extra: Any
) -> Planned:
    before = member_build_validation_body(member=subscriber)
    body = member_build_validation_body(member=subscriber, dependents=dependents)
    body.update(extra)
    if life.marital_status:
        body["maritalStatus"] = life.marital_status
    body["event"] = {"type": life.event.value, "action": "CHANGE", "date": day.isoformat()}
    return Planned(body, subscriber, _lines(before), changes=body != {**before, "event": body["event"]})


def _new_member(subscriber: Member, data: dict[str, Any], lines: list[str]) -> Member:
    """An unsaved Member for the new dependent (saved when the carrier applies the change)."""
    return Member(
        group=subscriber.group, subscriber=subscriber, member_ref=data["member_ref"],
        relationship=data["relationship"], first_name=data["first_name"], last_name=data["last_name"],
        ssn=data.get("ssn") or "", date_of_birth=data["date_of_birth"], gender=data["gender"],
        tobacco_use=False, covered_lines=lines,
    )  # fmt: skip


def plan_event(life: LifeEvent, *, subscriber: Member, data: dict[str, Any]) -> list[Planned]:
    """The bodies of ``life`` for ``subscriber``'s family from the form's cleaned ``data``."""
    day: date = data["event_date"]
    _, dependents = family_of(subscriber)
    elected = [c["line"] for c in _lines(member_build_validation_body(member=subscriber))]
    if life.person is Person.NEW:
        newcomer = _new_member(subscriber, data, elected)
        body = member_build_validation_body(member=newcomer)
        body["event"] = _event(life, day)
        family = [*dependents, newcomer]
        # The subscriber's new tier first: the carrier checks the newcomer against it (MBR-010).
        return _sent([_subscriber_change(life, subscriber, family, day), Planned(body)])
    if life.waived_lines:
        chosen = {k.removeprefix("plan_"): v for k, v in data.items() if k.startswith("plan_") and v}
        planned = _subscriber_change(life, subscriber, dependents, day)
        for cover in planned.body["coverage"]:
            line = cover["line"]
            if cover.get("waived") and line in chosen:
                cover.clear()
                cover.update({"line": line, "planId": chosen[line], "coverageTier": "EMP"})
        return [planned]  # a line taken up covers the employee alone (EMP): no dependent changes with it
    member = data["member_obj"]
    body = member_build_validation_body(member=member)
    if life.details:
        body.update(detail_changes(data, body))
    body["event"] = _event(life, day)
    own = Planned(body, member, _lines(body) if life.action is ChangeAction.CHANGE else None)
    if life.details or member.relationship == Relationship.SUBSCRIBER:
        return [own]
    if life.action is ChangeAction.TERMINATE:  # the dependent ends first, then the tier follows
        family = [d for d in dependents if d.pk != member.pk]
        return _sent([own, _subscriber_change(life, subscriber, family, day)])
    family = [*dependents, member]  # REINSTATE: the dependent counts again, the tier first
    return _sent([_subscriber_change(life, subscriber, family, day), own])


def _sent(planned: list[Planned]) -> list[Planned]:
    return [p for p in planned if p.changes]


DETAIL_FIELDS = ("first_name", "last_name", "address_line1", "city", "state", "zip5", "county_fips",
                 "phone", "email")  # fmt: skip


def detail_changes(data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The body keys the details form changes (a blank field keeps the stored value)."""
    out: dict[str, Any] = {}
    for field, key in (("first_name", "firstName"), ("last_name", "lastName"), ("phone", "phone"),
                       ("email", "email")):  # fmt: skip
        if data.get(field):
            out[key] = data[field]
    address_keys = {"address_line1": "line1", "city": "city", "state": "state", "zip5": "zip5",
                    "county_fips": "countyFips"}  # fmt: skip
    if any(data.get(f) for f in address_keys):
        address = dict(body.get("address") or {})
        for field, key in address_keys.items():
            if data.get(field):
                address[key] = data[field].upper() if field == "state" else data[field]
        out["address"] = address
    return out


@dataclass(frozen=True)
class AgingOut:
    """A covered child who turns 26 within the look-ahead: the birthday and the carrier's end date."""

    member: Member
    birthday: date
    coverage_end: date


def children_aging_out(*, group, today: date, days: int = 90) -> list[AgingOut]:
    """Covered children (not disabled) whose 26th birthday falls from ``today`` to ``today + days``, with
    the last day of that month, when the carrier ends their coverage (MNT-007): found before the carrier
    ends them."""
    out = []
    children = Member.objects.filter(group=group, relationship__in=["CHILD", "STEPCHILD", "FOSTER_CHILD",
                                                                    "WARD"], disabled=False)  # fmt: skip
    for child in children.select_related("coverage_span").order_by("member_ref"):
        if not child.date_of_birth or not covered(child):
            continue
        birthday = twenty_sixth_birthday(child.date_of_birth)
        if (birthday - today).days <= days and age_out_end(child.date_of_birth) >= today:
            out.append(AgingOut(child, birthday, age_out_end(child.date_of_birth)))
    return out


def aging_out_notify(*, today: date, days: int = 60) -> int:
    """Tell the broker and the employer of each covered child turning 26 within ``days`` (once per child and
    birthday), with the child's name and the date coverage ends, so the change is reported before the
    carrier ends it. No birth date goes in the e-mail. The number of notices sent."""
    from enrollment import notices
    from enrollment.models import EmployerGroup

    sent = 0
    for group in EmployerGroup.objects.filter(status=EmployerGroup.Status.ENROLLED).select_related("broker"):
        for child in children_aging_out(group=group, today=today, days=days):
            sent += len(
                notices.notice_send_quietly(
                    group=group,
                    kind="CHILD_AGING_OUT",
                    context={
                        "child": f"{child.member.first_name} {child.member.last_name}".strip(),
                        "coverage_end": child.coverage_end.isoformat(),
                    },
                    key=f"age-out:{child.member.pk}:{child.birthday.isoformat()}",
                )  # fmt: skip
            )
    return sent
