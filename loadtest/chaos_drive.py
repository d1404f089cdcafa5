"""The Django side of ``python -m loadtest.chaos`` (run as a child process with the portal's or the
sandbox's environment; never imported by the portal).

* ``drive``: the portal's production settings; creates the chaos broker and N draft groups, then moves
  each group on, one step at a time, as a broker would: submit (over HTTP, through gunicorn), the two
  families, finalize, the 834; prints a JSON line of counts every tick and ends when every group is
  ENROLLED or flagged (NEEDS_ATTENTION, refused, a member refused), or at its time limit.
* ``inspect-portal`` / ``inspect-sandbox``: one JSON document of what the checks read, from the portal's
  database or the sandbox's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


# ------------------------------------------------------------------------------------------ the people


def _ssn(group: int, n: int) -> str:
    """A valid, distinct SSN for each group and member (area 100-599, never 000/666/9xx)."""
    return f"{100 + group:03d}{10 + n:02d}{4000 + group * 10 + n:04d}"


# The issue's runs: 24 groups, 136 families, 357 members (≈ 5.7 families and 15 members a group).
ISSUE_GROUPS, ISSUE_FAMILIES, ISSUE_MEMBERS = 24, 136, 357
LARGEST_FAMILY = 7  # the employee, a spouse and up to five children


def census_shape(*, groups: int, families: int, members: int, seed: int) -> list[list[int]]:
    """The size of each family (the employee included) of each group: ``families`` families and
    ``members`` members over ``groups`` groups, spread as evenly as the counts allow, each group's families
    of mixed sizes (single employees, couples, families with children; drawn with ``seed``, a dependent
    going more often to a family that already has some, as real censuses run)."""
    import random

    if not groups or families < groups or not families <= members <= families * LARGEST_FAMILY:
        raise ValueError(f"{members} members cannot make {families} families over {groups} groups")
    rng = random.Random(seed)
    shape: list[list[int]] = []
    for g in range(groups):
        count = families // groups + (g < families % groups)
        shape.append([1] * count)
    # Members: as evenly, the remainder to the groups with the most families first, then one by one to
    # whichever group still has room (each family at least its employee, at most LARGEST_FAMILY).
    order = sorted(range(groups), key=lambda g: (-len(shape[g]), g))
    totals = {g: len(shape[g]) for g in range(groups)}
    left = members - families
    while left:
        for g in order:
            if left and totals[g] < len(shape[g]) * LARGEST_FAMILY:
                totals[g] += 1
                left -= 1
    for g, sizes in enumerate(shape):
        for _ in range(totals[g] - len(sizes)):
            room = [i for i, size in enumerate(sizes) if size < LARGEST_FAMILY]
            sizes[rng.choices(room, weights=[sizes[i] for i in room])[0]] += 1
        rng.shuffle(sizes)
    return shape


def issue_share(total: int, groups: int) -> int:
    """The issue's count (families or members) for ``groups`` groups: 136 families and 357 members for 24."""
    return max(round(total * groups / ISSUE_GROUPS), groups)


FIRST = ["Ann", "Luis", "Grace", "Omar", "Keisha", "Tom", "Priya", "Jorge", "Mei", "Sam", "Rosa", "Eli"]
LAST = ["Lee", "Ortiz", "Baker", "Haddad", "Brown", "Nguyen", "Patel", "Garcia", "Chen", "Okafor"]
CHILDREN = ["Maya", "Noah", "Ava", "Leo", "Zoe", "Ian", "Lia"]


def _families(group: int, sizes: list[int]) -> list[tuple[dict, list[dict], dict]]:
    """The group's families, of the sizes given: api.md's Ann Lee and Luis Ortiz as the pattern (the
    owner first), each person with an SSN of their own; a family with dependents elects every line, a
    single employee medical only (dental and vision waived, a valid reason)."""
    from datetime import date

    from members.examples import ANN, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS

    out = []
    n = 0
    for j, size in enumerate(sizes):
        ref = f"E-{j + 1:03d}"
        last = LAST[(group + j) % len(LAST)]
        pattern = ANN if j == 0 else LUIS
        n += 1
        subscriber = {
            **pattern,
            "member_ref": ref,
            "first_name": FIRST[(group + j) % len(FIRST)],
            "last_name": last,
            "ssn": _ssn(group, n),
            "date_of_birth": date(1960 + (group * 7 + j * 5) % 36, 1 + j % 12, 1 + (group + j) % 28),
            "gender": "FEMALE" if j % 2 == 0 else "MALE",
            "marital_status": "MARRIED" if size > 1 else "SINGLE",
            "email": f"{ref.lower()}@chaos{group}.example",
            "hire_date": date(2015 + j % 10, 1 + j % 12, 1),
        }
        dependents = []
        for d in range(size - 1):
            n += 1
            spouse = d == 0
            born = date(1968 + (group + j) % 30, 3, 9) if spouse else date(2008 + (j + d * 3) % 17, 1 + d, 14)
            dependents.append(
                {
                    "relationship": "SPOUSE" if spouse else "CHILD",
                    "first_name": "Dana" if spouse else CHILDREN[d % len(CHILDREN)],
                    "last_name": last,
                    "ssn": _ssn(group, n),
                    "date_of_birth": born,
                    "gender": "MALE" if (j + d) % 2 == 0 else "FEMALE",
                    "tobacco_use": False,
                }
            )
        out.append((subscriber, dependents, ANN_ELECTIONS if dependents else LUIS_ELECTIONS))
    return out


def _census(families: list[tuple[dict, list[dict], dict]]) -> list[dict]:
    """The draft's census rows for these families (what the quote and the create call carry)."""
    rows = []
    for subscriber, dependents, _elections in families:
        children = sum(1 for d in dependents if d["relationship"] == "CHILD")
        spouse = len(dependents) > children
        tier = {(False, False): "EMP", (True, False): "ESP", (False, True): "ECH"}.get(
            (spouse, bool(children)), "FAM"
        )
        ref = subscriber["member_ref"]
        rows.append(
            {"member_ref": ref, "subscriber_ref": ref, "relationship": "SUBSCRIBER",
             "date_of_birth": subscriber["date_of_birth"], "gender": subscriber["gender"],
             "zip5": subscriber["zip5"], "tobacco_use": False, "is_owner": subscriber.get("is_owner", False),
             "coverage_tier": tier}
        )  # fmt: skip
        for d, dependent in enumerate(dependents):
            rows.append(
                {"member_ref": f"{ref}-D{d + 1}", "subscriber_ref": ref,
                 "relationship": dependent["relationship"], "date_of_birth": dependent["date_of_birth"],
                 "tobacco_use": False}
            )  # fmt: skip
    return rows


def _broker():
    from django.contrib.auth import get_user_model

    from agencies.models import Agency, Broker

    agency, _ = Agency.objects.get_or_create(name="Chaos Insurance Agency")
    user, _ = get_user_model().objects.get_or_create(
        username="chaos-broker",
        defaults={"first_name": "Sam", "last_name": "Ortiz", "email": "sam@chaos.example"},
    )
    broker, _ = Broker.objects.get_or_create(user=user, defaults={"agency": agency, "npn": "17012345"})
    return broker


def _groups(broker, shape: list[list[int]], offset: int) -> list[int]:
    """The chaos broker's draft groups, one per entry of ``shape``: complete, their workforce and census
    those of the families they will enroll."""
    from enrollment import services
    from enrollment.demo import blue_heron_fields
    from enrollment.models import EmployerGroup

    existing = list(EmployerGroup.objects.filter(broker=broker).order_by("pk").values_list("pk", flat=True))
    for i in range(len(existing) + 1, len(shape) + 1):
        group = services.group_create_draft(broker=broker, legal_name=f"Chaos Bakery {i} LLC")
        families = len(shape[i - 1])
        fields = blue_heron_fields() | {
            "legal_name": f"Chaos Bakery {i} LLC",
            "fein": f"{310000000 + i * 7:09d}",
            "dba_name": f"Chaos {i}",
            "total_employees": families + 1,  # one who is not eligible, as api.md's example
            "eligible_employees": families,
        }
        services.group_update(group=group, fields=fields)
        services.census_replace(group=group, rows=_census(_families(offset + group.pk, shape[i - 1])))
        existing.append(group.pk)
    return existing


class Browser:
    """The broker's browser: a session of the chaos broker, the CSRF cookie and token, HTTPS as the
    proxy in front of gunicorn reports it (``X-Forwarded-Proto``)."""

    def __init__(self, base: str, user) -> None:
        import secrets

        import requests
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = next(  # the backend that reads users (not axes' lockout backend)
            b for b in settings.AUTHENTICATION_BACKENDS if not b.startswith("axes.")
        )
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        self.base = base
        self.csrf = secrets.token_hex(16)
        self.http = requests.Session()
        host = base.split("://", 1)[1]
        self.http.headers.update(
            {"X-Forwarded-Proto": "https", "Origin": f"https://{host}", "Referer": f"https://{host}/",
             "X-CSRFToken": self.csrf}
        )  # fmt: skip
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, str(session.session_key))  # set by create()
        self.http.cookies.set(settings.CSRF_COOKIE_NAME, self.csrf)

    def post(self, path: str) -> int:
        try:
            answer = self.http.post(
                self.base + path, data={"csrfmiddlewaretoken": self.csrf}, allow_redirects=False, timeout=60
            )
        except Exception:  # noqa: BLE001 - gunicorn unreachable: counted as an error the broker saw
            return 599
        return answer.status_code


# ------------------------------------------------------------------------------------------ the drive


def drive(args: argparse.Namespace) -> int:
    _setup()
    from django.db import close_old_connections

    from edi import services as edi_services
    from edi.models import Transmission
    from enrollment import finalize
    from enrollment.models import EmployerGroup
    from members import services as member_services
    from members.models import Member

    S, T = EmployerGroup.Status, Transmission.Status
    broker = _broker()
    shape = census_shape(groups=args.groups, families=args.families, members=args.members, seed=args.seed)
    group_ids = _groups(broker, shape, args.offset)
    sizes = dict(zip(group_ids, shape, strict=False))
    print("SHAPE " + json.dumps({str(pk): s for pk, s in sizes.items()}), flush=True)
    browser = Browser(args.portal, broker.user)
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    flagged: dict[int, str] = {}
    enrolled_at: dict[int, float] = {}
    submitted_at: dict[int, float] = {}
    started = time.monotonic()
    deadline = started + args.limit
    final_files = {T.ACCEPTED, T.ACCEPTED_WITH_ERRORS, T.REJECTED}
    while time.monotonic() < deadline:
        close_old_connections()
        for group in EmployerGroup.objects.filter(pk__in=group_ids):
            pk = group.pk
            if pk in flagged or pk in enrolled_at:
                continue
            try:
                if group.status == S.DRAFT:
                    if group.carrier_errors:
                        flagged[pk] = f"refused by the carrier: {group.carrier_errors}"[:300]
                        continue
                    code = browser.post(f"/groups/{pk}/review")
                    statuses[code] += 1
                    submitted_at.setdefault(pk, time.monotonic() - started)
                elif group.status == S.OPEN_ENROLLMENT:
                    members = Member.objects.filter(group=group, withdrawn_at__isnull=True)
                    if not members.exists():
                        for subscriber, dependents, elections in _families(args.offset + pk, sizes[pk]):
                            member_services.family_save(
                                group=group, subscriber_data=subscriber, dependents_data=dependents,
                                elections=elections, by=broker.user,
                            )  # fmt: skip
                        continue
                    states = set(members.values_list("validation_status", flat=True))
                    if states & {"INVALID", "INCOMPLETE"}:
                        flagged[pk] = f"a member was refused: {sorted(states)}"
                    elif states == {"VALID"} and finalize.group_readiness(group=group).ready:
                        finalize.group_request_finalize(
                            group=group, by=broker.user, confirm_open_enrollment_over=True
                        )
                elif group.status == S.FINALIZED:
                    last = Transmission.objects.filter(group=group).order_by("-pk").first()
                    if last is None:
                        edi_services.transmission_start(group=group, by=broker.user)
                    elif last.status == T.PRECHECK_FAILED:
                        flagged[pk] = f"the 834 failed its precheck: {last.precheck_errors}"[:300]
                    elif last.status in final_files:
                        flagged[pk] = f"the 834 ended {last.status}: {last.file_errors}"[:300]
                elif group.status == S.ENROLLED:
                    enrolled_at[pk] = time.monotonic() - started
                elif group.status == S.NEEDS_ATTENTION:
                    flagged[pk] = f"NEEDS_ATTENTION: {group.status_reason}"[:300]
            except Exception as exc:  # noqa: BLE001 - what a broker's click would have met: counted
                errors.append(f"group {pk} {group.status}: {type(exc).__name__}: {exc}"[:300])
                print("ERROR " + errors[-1], flush=True)
        by_status = Counter(EmployerGroup.objects.filter(pk__in=group_ids).values_list("status", flat=True))
        line = {
            "t": round(time.monotonic() - started, 1),
            "groups": dict(by_status),
            "enrolled": len(enrolled_at),
            "flagged": len(flagged),
            "http": {str(k): v for k, v in statuses.items()},
            "errors": len(errors),
        }
        print(json.dumps(line), flush=True)
        if len(enrolled_at) + len(flagged) == len(group_ids):
            break
        time.sleep(args.tick)
    summary = {
        "done": len(enrolled_at) + len(flagged) == len(group_ids),
        "enrolled_at": enrolled_at,
        "submitted_at": submitted_at,
        "flagged": flagged,
        "http": {str(k): v for k, v in statuses.items()},
        "errors": errors,
    }
    print("SUMMARY " + json.dumps(summary), flush=True)
    return 0


# ------------------------------------------------------------------------------------------ inspection


def inspect_portal() -> dict[str, Any]:
    _setup()
    from django_celery_results.models import TaskResult

    from carrier.models import CarrierOperation, OutboxTask
    from edi.models import Transmission
    from enrollment.models import EmployerGroup
    from members.models import Member

    keys: dict[str, set[str]] = defaultdict(set)
    for op in CarrierOperation.objects.filter(kind__in=["validate_member", "validate_members"]).exclude(
        status="FAILED", calls__isnull=True
    ):
        for subject in op.covers if op.kind == "validate_members" else [op.subject]:
            keys[str(subject)].add(op.idempotency_key)
    members = []
    for m in Member.objects.select_related("group"):
        subject = f"member:{m.pk}:v{m.edit_version}"
        members.append(
            {"group": m.group.humana_group_id, "ref": m.member_ref, "status": m.validation_status,
             "validation_id": m.validation_id, "keys": len(keys.get(subject, ())),
             "enrollment": m.enrollment_status, "humana_member_id": m.humana_member_id}
        )  # fmt: skip
    return {
        "groups": [
            {
                "pk": g.pk,
                "status": g.status,
                "reason": g.status_reason,
                "humana_group_id": g.humana_group_id,
                "fein": g.fein,
            }
            for g in EmployerGroup.objects.order_by("pk")
        ],  # fmt: skip
        "members": members,
        "open_operations": list(
            CarrierOperation.objects.filter(status="OPEN").values_list("kind", "subject", "idempotency_key")
        ),
        "operations": dict(Counter(CarrierOperation.objects.values_list("status", flat=True))),
        "outbox_waiting": OutboxTask.objects.filter(queued_at__isnull=True).count(),
        "results": dict(Counter(TaskResult.objects.values_list("status", flat=True))),
        "unfinished_results": unfinished_results(),
        "files": dict(Counter(Transmission.objects.values_list("status", flat=True))),
    }


def restore_orphans() -> int:
    """What beat's ``portal.restore_orphaned_messages`` does (every ``ORPHAN_SWEEP_SECONDS``), done by the
    run itself once it has stopped beat: a killed worker's messages go back on their queue."""
    _setup()
    from portal.celery import app
    from portal.tasks import unacked_orphans_restore

    return unacked_orphans_restore(app=app)


def unfinished_results() -> list[dict[str, Any]]:
    """Every task result not final (RETRY, STARTED, ...): which task, its id and arguments, when, and
    whether the same work (task and arguments) succeeded under another id (a sweep's, a redelivered
    duplicate's), read before the run's databases are removed."""
    from django_celery_results.models import TaskResult

    final = ["SUCCESS", "FAILURE", "REVOKED", "REJECTED", "IGNORED"]
    out = []
    for r in TaskResult.objects.exclude(status__in=final).order_by("date_created"):
        later = TaskResult.objects.filter(
            task_name=r.task_name, task_args=r.task_args, status="SUCCESS"
        ).exclude(task_id=r.task_id)
        out.append(
            {"task_id": r.task_id, "task_name": r.task_name, "args": r.task_args, "status": r.status,
             "worker": getattr(r, "worker", ""), "created": str(getattr(r, "date_created", "")),
             "done": r.date_done.isoformat(),
             "result": str(r.result)[:300], "traceback": str(r.traceback or "")[-600:],
             "same work succeeded under another id": list(later.values_list("task_id", "result")[:5])}
        )  # fmt: skip
    return out


def inspect_sandbox() -> dict[str, Any]:
    _setup()
    from sandbox.models import Group, IdempotentAnswer, MemberValidation

    made: dict[str, set[str]] = defaultdict(set)  # memberRef → every validation ID the carrier answered
    for answer in IdempotentAnswer.objects.filter(status=200):
        try:
            body = json.loads(answer.content or "{}")
        except ValueError:
            continue
        if not isinstance(body, dict):
            continue
        for result in body.get("results", [body]) if isinstance(body.get("results", []), list) else []:
            if isinstance(result, dict) and result.get("validationId") and result.get("memberRef"):
                made[result["memberRef"]].add(result["validationId"])
    holders = Counter(MemberValidation.objects.values_list("member_ref", flat=True))
    return {
        "groups": [{"group_id": g.group_id, "fein": g.fein, "status": g.status} for g in Group.objects.all()],
        "validations_made": {ref: len(ids) for ref, ids in made.items()},
        "validations_held": dict(holders),
        "current": list(
            MemberValidation.objects.values_list("group__group_id", "member_ref", "validation_id")
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.chaos_drive")
    parser.add_argument("what", choices=["drive", "inspect-portal", "inspect-sandbox", "restore-orphans"])
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--portal", default="http://127.0.0.1:8000")
    parser.add_argument("--limit", type=float, default=600)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--families", type=int, help="families over all groups (the issue's share)")
    parser.add_argument("--members", type=int, help="members over all groups (the issue's share)")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    args.families = args.families or issue_share(ISSUE_FAMILIES, args.groups)
    args.members = args.members or issue_share(ISSUE_MEMBERS, args.groups)
    if args.what == "drive":
        return drive(args)
    if args.what == "restore-orphans":
        print(json.dumps({"restored": restore_orphans()}))
        return 0
    document = inspect_portal() if args.what == "inspect-portal" else inspect_sandbox()
    print(json.dumps(document, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
