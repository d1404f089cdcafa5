"""The ONE place where ``edi`` reads or writes other apps (enrollment, members, carrier).

Everything the 834 work needs from groups, members and the carrier client goes through here, so that
wiring to another app's final interface is a change to this file only.

Members: ``member_bodies(group=...)`` gives the api.md member-validation bodies of the group's
currently valid members. It asks the members app (``members.selectors.group_validated_member_bodies``
or ``members.services.member_build_validation_body`` over ``members.models.Member`` when they exist);
tests (and demos) may plug a source of their own with ``use_member_source``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

logger = logging.getLogger(__name__)

GROUP_MODEL = "enrollment.EmployerGroup"


# --------------------------------------------------------------------------- groups


class GroupStatus:
    """The enrollment app's group statuses that the 834 work reads or sets."""

    FINALIZED = "FINALIZED"
    ENROLLING = "ENROLLING"
    ENROLLED = "ENROLLED"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"


@dataclass(frozen=True)
class GroupFacts:
    """What the 834 header needs from a group."""

    group_id: str
    effective_date: date | None
    employer_legal_name: str
    fein: str
    agent_name: str
    agent_npn: str


def group_model() -> Any:
    from enrollment.models import EmployerGroup

    return EmployerGroup


# What the enrollment-file pages show of a group: a staff user needs the files' permissions too.
FILE_PAGES = ("edi.transmission",)


def groups_visible_to(*, user: Any, write: bool = False) -> Any:
    from enrollment.selectors import group_list_visible_to

    return group_list_visible_to(user=user, write=write, records=FILE_PAGES)


def group_by_carrier_id(*, group_id: str) -> Any:
    """The group whose Humana Group ID is ``group_id`` (DoesNotExist otherwise)."""
    return group_model().objects.get(humana_group_id=group_id)


def group_facts(*, group: Any) -> GroupFacts:
    agent_name = " ".join(p for p in (group.agent_first_name, group.agent_last_name) if p).strip()
    broker = getattr(group, "broker", None)
    if not agent_name and broker is not None:
        agent_name = broker.full_name
    return GroupFacts(
        group_id=group.humana_group_id or "",
        effective_date=group.requested_effective_date,
        employer_legal_name=group.legal_name or "",
        fein=group.fein or "",
        agent_name=agent_name,
        agent_npn=group.agent_npn or (broker.npn if broker is not None else ""),
    )


def group_label(*, group: Any) -> str:
    return str(group)


def group_status(*, group: Any) -> str:
    group.refresh_from_db(fields=["status"])
    return group.status


def group_move(*, group: Any, to: str, by: Any = None, reason: str = "") -> bool:
    """Move the group through enrollment's lifecycle; ``False`` (logged) when the move is not allowed."""
    try:
        from enrollment.services import group_transition  # type: ignore[attr-defined]
    except ImportError:
        from enrollment.states import group_transition
    from enrollment.states import TransitionNotAllowed

    group.refresh_from_db()
    if group.status == to:
        return True
    try:
        group_transition(group=group, to=to, by=by, reason=reason)
    except (TransitionNotAllowed, ValueError) as exc:
        logger.warning("group %s: %s", group.pk, exc)
        return False
    return True


def broker_email(*, group: Any) -> str:
    broker = getattr(group, "broker", None)
    user = getattr(broker, "user", None)
    return getattr(user, "email", "") or ""


# --------------------------------------------------------------------------- members

MemberSource = Callable[[Any], list[dict]]
_member_source: MemberSource | None = None


@contextlib.contextmanager
def use_member_source(source: MemberSource) -> Iterator[None]:
    """Use ``source(group) -> [validation body, ...]`` instead of the members app (tests, demos)."""
    global _member_source
    previous, _member_source = _member_source, source
    try:
        yield
    finally:
        _member_source = previous


def set_member_source(source: MemberSource | None) -> None:
    global _member_source
    _member_source = source


class MembersUnavailable(RuntimeError):
    """The members app offers no way (yet) to read a group's validated members."""


def member_bodies(*, group: Any) -> list[dict]:
    """api.md member-validation bodies of the group's currently valid members (subscribers and dependents)."""
    if _member_source is not None:
        return list(_member_source(group))
    try:
        from members import selectors as member_selectors  # type: ignore[import-not-found]
    except ImportError:
        member_selectors = None
    if member_selectors is not None and hasattr(member_selectors, "group_validated_member_bodies"):
        return list(member_selectors.group_validated_member_bodies(group=group))
    try:
        from members.models import Member  # type: ignore[import-not-found]
        from members.services import member_build_validation_body  # type: ignore[import-not-found]
    except ImportError as exc:
        raise MembersUnavailable("the members app cannot list validated members yet") from exc
    queryset = Member.objects.filter(group=group)
    for name in ("validation_status", "status"):
        if hasattr(Member, name) or name in {f.name for f in Member._meta.get_fields()}:
            queryset = queryset.filter(**{name: "VALID"})
            break
    return [member_build_validation_body(member=m) for m in queryset]


def member_family_urls(*, group: Any, member_refs: Any) -> dict[str, str]:
    """memberRef -> the broker's family page of that member (where it is corrected), for those found."""
    try:
        from members.models import Member  # type: ignore[import-not-found]
    except ImportError:
        return {}
    from django.urls import reverse

    rows = Member.objects.filter(group=group, member_ref__in=list(member_refs), withdrawn_at__isnull=True)
    return {
        ref: reverse("members:family_edit", args=[group.pk, subscriber_id or pk])
        for ref, pk, subscriber_id in rows.values_list("member_ref", "pk", "subscriber_id")
    }


def member_record_results(*, group: Any, results: list[dict]) -> None:
    """Hand per-member results (memberRef, status, humanaMemberId, errors) to the members app, if it can.

    The results are kept in ``edi.TransmissionMember`` anyway (``edi.selectors.member_enrollment_results``).
    """
    try:
        from members.services import member_record_enrollment_results  # type: ignore[import-not-found]
    except ImportError:
        return
    member_record_enrollment_results(group=group, results=results)


# --------------------------------------------------------------------------- carrier


def carrier_client() -> Any:
    from carrier.client import get_client

    return get_client()


def carrier_call(method: str, *args: Any, **kwargs: Any) -> Any:
    """Call one client method on a fresh client and close it (the client keeps an HTTP session)."""
    client = carrier_client()
    try:
        return getattr(client, method)(*args, **kwargs)
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def carrier_errors() -> Any:
    from carrier import errors

    return errors


def mask_999(text: str) -> str:
    """The 999 as it may be stored: its IK404 values (copies of bad values) masked, any delimiters."""
    from groupsales.masking import mask_999 as _mask

    return _mask(text)


def operation_for(*, kind: str, subject: str) -> Any:
    from carrier.services import operation_for as _operation_for

    return _operation_for(kind=kind, subject=subject)


def operation_mark_succeeded(*, operation: Any, response: dict) -> None:
    from carrier.services import operation_mark_succeeded as _mark

    _mark(operation=operation, response=response)


def operation_mark_failed(*, operation: Any, error: str) -> None:
    from carrier.services import operation_mark_failed as _mark

    _mark(operation=operation, error=error)
