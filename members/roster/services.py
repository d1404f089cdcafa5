"""Roster import: read a file into a preview, then save its families at once (or only the good ones).

``roster_preview_create`` reads and checks the file and stores what its values became (encrypted) with
every error; nothing of the group changes. ``roster_import`` checks the stored families again (the
group may have changed since the preview), then, in one transaction that also claims the preview
(PREVIEW -> IMPORTED, so a second click imports nothing), saves every family with ``family_save`` —
all of them, or with ``good_only`` those without an error, listing the lines skipped. Invitations go
after the commit, to each imported employee with an e-mail address, and their refusals are reported
(the families stay imported).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.census_import import Readable
from enrollment.models import EmployerGroup

from ..models import Member, RosterImport
from ..services import family_save
from .check import dependents_data, family_elections, roster_check
from .parse import Roster, RosterError, RosterFamily, RosterPerson, parse_roster

logger = logging.getLogger(__name__)

_DATE_FIELDS = ("date_of_birth", "hire_date")


def _person_json(person: RosterPerson) -> dict[str, Any]:
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in person.data.items()}
    return {"line": person.line, "data": data, "ref": person.ref, "employee_ref": person.employee_ref}


def _person(stored: dict[str, Any]) -> RosterPerson:
    data = dict(stored["data"])
    for name in _DATE_FIELDS:
        if data.get(name):
            data[name] = date.fromisoformat(data[name])
    return RosterPerson(stored["line"], data, ref=stored["ref"], employee_ref=stored["employee_ref"])


def _family_json(family: RosterFamily) -> dict[str, Any]:
    return {
        "employee": _person_json(family.employee),
        "dependents": [_person_json(d) for d in family.dependents],
        "tiers": family.tiers,
        "plans": family.plans,
        "waiver_reason": family.waiver_reason,
    }


def roster_families(*, roster_import: RosterImport) -> list[RosterFamily]:
    return [
        RosterFamily(
            _person(f["employee"]),
            [_person(d) for d in f["dependents"]],
            dict(f["tiers"]),
            dict(f["plans"]),
            f["waiver_reason"],
        )
        for f in roster_import.families
    ]


def roster_preview_create(
    *, group: EmployerGroup, name: str, content: bytes | Readable, by: User | None
) -> RosterImport:
    """Read and check a roster; store the preview (nothing of the group changes)."""
    roster = parse_roster(name=name, content=content, today=timezone.localdate())
    errors = roster_check(group=group, roster=roster)
    return RosterImport.objects.create(
        group=group,
        uploaded_by=by if by is not None and by.is_authenticated else None,
        file_name=(name or "roster")[:255],
        families_json=json.dumps([_family_json(f) for f in roster.families]),
        errors=[e.as_dict() for e in errors],
        columns=roster.columns,
        family_count=len(roster.families),
        member_count=sum(1 + len(f.dependents) for f in roster.families),
    )


@dataclass
class RosterOutcome:
    imported: list[Member] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)  # set when nothing was imported
    already: bool = False  # the preview was imported or discarded before
    not_invited: list[str] = field(default_factory=list)  # "E-003: reason"
    invited: int = 0


def roster_import(
    *, roster_import_id: int, by: User | None, good_only: bool = False, invite: bool = False
) -> RosterOutcome:
    """Save the preview's families (see the module's docstring); nothing is saved when any has an error
    unless ``good_only``."""
    outcome = RosterOutcome()
    preview = RosterImport.objects.select_related("group").get(pk=roster_import_id)
    if preview.status != RosterImport.Status.PREVIEW:
        outcome.already = True
        return outcome
    group = preview.group
    families = roster_families(roster_import=preview)
    # The preview's errors stand (what could not be read is not in the stored values), and the rules run
    # again over the group as it is now.
    read = [RosterError(e["line"], e["column"], e["rule"], e["message"], e["fix"]) for e in preview.errors]
    errors = roster_check(group=group, roster=Roster(families, read, dict(preview.columns)))
    bad_lines = {e.line for e in errors}
    good = [f for f in families if not bad_lines.intersection(f.lines)]
    if errors and (not good_only or not good):
        RosterImport.objects.filter(pk=preview.pk).update(errors=[e.as_dict() for e in errors])
        outcome.errors = errors
        return outcome
    outcome.skipped_lines = sorted(line for f in families if f not in good for line in f.lines)
    try:
        with transaction.atomic():
            claimed = RosterImport.objects.filter(pk=preview.pk, status=RosterImport.Status.PREVIEW).update(
                status=RosterImport.Status.IMPORTED,
                imported_at=timezone.now(),
                families_json=None,
                imported_count=sum(1 + len(f.dependents) for f in good),
                skipped_lines=outcome.skipped_lines,
            )
            if not claimed:
                outcome.already = True
                return outcome
            for family in good:
                outcome.imported.append(
                    family_save(
                        group=group,
                        subscriber_data=family.employee.data,
                        dependents_data=dependents_data(family),
                        elections=family_elections(family),
                        by=by,
                    )
                )
    except ValidationError as exc:  # what the checks did not foresee: nothing is kept
        outcome.imported = []
        outcome.errors = [
            RosterError(0, "", "PTL-004", " ".join(exc.messages), _("Correct the file and upload it again."))
        ]
        return outcome
    if invite:
        _invite(outcome, by)
    return outcome


def _invite(outcome: RosterOutcome, by: User | None) -> None:
    from ..invitations import invitation_email_send

    for subscriber in outcome.imported:
        if not subscriber.email:
            continue
        try:
            invitation_email_send(subscriber=subscriber, by=by)
        except (ValidationError, BadHeaderError) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else "INV-001"
            outcome.not_invited.append(f"{subscriber.member_ref}: {reason}")
        else:
            outcome.invited += 1


def roster_discard(*, roster_import: RosterImport) -> bool:
    """Throw a preview away (its stored values with it)."""
    return bool(
        RosterImport.objects.filter(pk=roster_import.pk, status=RosterImport.Status.PREVIEW).update(
            status=RosterImport.Status.DISCARDED, families_json=None
        )
    )
