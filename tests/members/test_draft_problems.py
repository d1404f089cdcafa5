"""``family_draft_problems`` (the employee's pages check their answers in memory) says what the carrier's
rules would say of the family once ``family_save`` stored it. The oracle here is the slow way it replaced:
save the family inside a savepoint, run the rules on the stored members, roll back."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from members import services
from members.models import Member
from members.views import _problems, _rule_inputs

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def key(problems):
    return sorted((p.code, p.pointer, p.step, p.field or "", p.source) for p in problems)


def stored_way(group, subscriber, arguments):
    """(subscriber problems, problems per dependents_data position, general messages) by saving."""
    payload, ctx = _rule_inputs(group)
    stored_ids = {d.pk for d in subscriber.dependents.all()}
    try:
        with transaction.atomic():
            saved = services.family_save(group=group, subscriber=subscriber, by=None, **arguments)
            saved = Member.objects.prefetch_related("elections", "dependents").get(pk=saved.pk)
            mine = key(_problems(saved, payload=payload, ctx=ctx))
            current = {d.pk: d for d in saved.dependents.all() if d.withdrawn_at is None}
            new = sorted((d for pk, d in current.items() if pk not in stored_ids), key=lambda d: d.pk)
            per_position = []
            for entry in arguments["dependents_data"]:
                if entry.get("DELETE"):
                    per_position.append(None)
                    continue
                member = current[int(entry["id"])] if entry.get("id") else new.pop(0)
                member.subscriber = saved
                per_position.append(key(_problems(member, payload=payload, ctx=ctx)))
            raise Rollback
    except Rollback:
        return mine, per_position, []
    except Exception as exc:
        return None, None, list(getattr(exc, "messages", [str(exc)]))


def memory_way(group, subscriber, arguments):
    subscriber = Member.objects.prefetch_related("elections", "dependents").get(pk=subscriber.pk)
    payload, ctx = _rule_inputs(group)
    found = services.family_draft_problems(
        group=group,
        subscriber=subscriber,
        dependents=[d for d in subscriber.dependents.all() if d.withdrawn_at is None],
        stored_elections=list(subscriber.elections.all()),
        group_payload=payload,
        ctx=ctx,
        **arguments,
    )
    return (
        key(found.subscriber),
        [key(p) if p is not None else None for p in found.dependents],
        found.general,
    )


def family_arguments(ann, *, subscriber=None, dependents=None, elections=None):
    stored = sorted(ann.dependents.all(), key=lambda d: d.member_ref)
    return {
        "subscriber_data": subscriber or {},
        "dependents_data": dependents if dependents is not None else [{"id": d.pk} for d in stored],
        "elections": elections or {},
    }


def deps(ann):
    return {d.member_ref: d for d in ann.dependents.all()}


CASES = {
    "as stored": lambda ann: family_arguments(ann),
    "a 30-year-old child (MBR-005)": lambda ann: family_arguments(
        ann, dependents=[{"id": deps(ann)["E-001-C1"].pk, "date_of_birth": date(1996, 6, 5)}]
    ),
    "a second spouse, new (MBR-006)": lambda ann: family_arguments(
        ann,
        dependents=[{"id": d.pk} for d in deps(ann).values()]
        + [
            {
                "relationship": "SPOUSE",
                "first_name": "Eve",
                "last_name": "Lee",
                "date_of_birth": date(1982, 1, 1),
                "gender": "FEMALE",
                "tobacco_use": False,
            }
        ],
    ),
    "a child's SSN that Luis has (MBR-014)": lambda ann: family_arguments(
        ann, dependents=[{"id": deps(ann)["E-001-C2"].pk, "ssn": "123456782"}]
    ),
    "the subscriber's own SSN on the spouse": lambda ann: family_arguments(
        ann, dependents=[{"id": deps(ann)["E-001-S"].pk, "ssn": "123456789"}]
    ),
    "a name with digits and no birth date": lambda ann: family_arguments(
        ann, subscriber={"first_name": "Ann2", "date_of_birth": None}
    ),
    "dental waived, a child deleted": lambda ann: family_arguments(
        ann,
        dependents=[
            {"id": deps(ann)["E-001-S"].pk},
            {"id": deps(ann)["E-001-C1"].pk, "DELETE": True},
        ],
        elections={"DENTAL": {"waived": True, "waiver_reason": "SPOUSE_GROUP_COVERAGE"}},
    ),
    "a plan the group does not offer (MBR-009)": lambda ann: family_arguments(
        ann, elections={"VISION": {"plan_id": "99999KY0030009"}}
    ),
    "a waiver without its reason": lambda ann: family_arguments(
        ann, elections={"MEDICAL": {"waived": True, "waiver_reason": ""}}
    ),
    "an unknown line": lambda ann: family_arguments(ann, elections={"LIFE": {"plan_id": "X"}}),
}


@pytest.mark.parametrize("case", CASES)
def test_it_says_what_saving_the_family_would_say(case, ann, luis, rule_facts):
    arguments = CASES[case](ann)
    expected = stored_way(ann.group, ann, arguments)
    found = memory_way(ann.group, ann, arguments)
    if expected[2]:  # family_save refused the answers: the draft check says so too
        assert found[2], (case, expected[2])
        assert set(expected[2]) <= set(found[2])
    else:
        assert found == expected, case
    assert found[0] is not None


def test_it_keeps_the_carriers_refusal_of_a_member_the_answers_leave_alone(ann, rule_facts):
    spouse = deps(ann)["E-001-S"]
    refusal = [{"code": "MBR-099", "message": "Refused by the carrier.", "pointer": "/lastName"}]
    Member.objects.filter(pk=spouse.pk).update(carrier_errors=refusal)
    unchanged = family_arguments(ann)
    _mine, per_position, _general = memory_way(ann.group, ann, unchanged)
    position = [d["id"] for d in unchanged["dependents_data"]].index(spouse.pk)
    assert ("MBR-099", "/lastName", "member", "last_name", "carrier") in per_position[position]
    assert memory_way(ann.group, ann, unchanged) == stored_way(ann.group, ann, unchanged)

    corrected = family_arguments(ann, dependents=[{"id": spouse.pk, "last_name": "Leigh"}])
    _mine, per_position, _general = memory_way(ann.group, ann, corrected)
    assert per_position == [[]]  # the edit clears it, as family_save does
    assert memory_way(ann.group, ann, corrected) == stored_way(ann.group, ann, corrected)


def test_it_reads_two_queries_at_most(ann, luis, rule_facts, django_assert_max_num_queries):
    subscriber = Member.objects.prefetch_related("elections", "dependents").get(pk=ann.pk)
    payload, ctx = _rule_inputs(ann.group)
    arguments = CASES["a second spouse, new (MBR-006)"](ann)
    members_before = Member.objects.count()
    with django_assert_max_num_queries(2):
        found = services.family_draft_problems(
            group=ann.group,
            subscriber=subscriber,
            dependents=[d for d in subscriber.dependents.all() if d.withdrawn_at is None],
            stored_elections=list(subscriber.elections.all()),
            group_payload=payload,
            ctx=ctx,
            **arguments,
        )
    assert "MBR-006" in {p.code for p in found.dependents[-1]}
    assert Member.objects.count() == members_before  # nothing stored


def test_the_plan_the_pages_check_is_the_family_that_is_stored(ann, luis, rule_facts):
    """Issue 19 item 3: one in-memory plan (``family_plan``) for the draft check and ``family_save``."""
    arguments = family_arguments(
        ann,
        dependents=[
            {"id": deps(ann)["E-001-S"].pk},
            {"id": deps(ann)["E-001-C1"].pk, "DELETE": True},
            {"relationship": "CHILD", "first_name": "Max", "last_name": "Lee",
             "date_of_birth": date(2020, 2, 2), "gender": "MALE", "tobacco_use": False},
        ],
        elections={"DENTAL": {"waived": True, "waiver_reason": "SPOUSE_GROUP_COVERAGE"}},
    )  # fmt: skip
    subscriber = Member.objects.prefetch_related("elections", "dependents").get(pk=ann.pk)
    stored = [d for d in subscriber.dependents.all() if d.withdrawn_at is None]
    before = [(d.member_ref, list(d.covered_lines)) for d in stored]
    plan = services.family_plan(
        group=ann.group, subscriber=subscriber, dependents=stored,
        stored_elections=list(subscriber.elections.all()), check=lambda member: None,
        refuse=lambda message: None, **arguments,
    )  # fmt: skip
    assert [(d.member_ref, list(d.covered_lines)) for d in stored] == before  # copies took the answers
    assert [step[0] if step else None for step in plan.steps] == ["save", "withdraw", "save"]

    saved = services.family_save(group=ann.group, subscriber=ann, by=None, **arguments)
    current = saved.dependents.filter(withdrawn_at__isnull=True)
    family = {d.member_ref: sorted(d.covered_lines) for d in current}
    assert family == {d.member_ref: sorted(d.covered_lines) for d in plan.dependents}
    elections = {e.line: (e.waived, e.plan_id) for e in saved.elections.all()}
    assert elections == {line: (e.waived, e.plan_id) for line, e in plan.elections.items()}
