"""The two seams of the 834 work, where tests, demos and benchmarks plug in their own: whose validation
bodies a file carries, and which client talks to the carrier. Everything else ``edi`` needs of groups,
members and the carrier is a direct call into those apps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from carrier.client import GroupSalesClient, get_client
from enrollment.models import EmployerGroup
from members.selectors import group_validated_member_bodies

MemberSource = Callable[[EmployerGroup], list[dict]]
_member_source: MemberSource | None = None


class MembersUnavailable(RuntimeError):
    """A member source could not say who is in the group: no file is built (GRP-030 says so)."""


@contextlib.contextmanager
def use_member_source(source: MemberSource) -> Iterator[None]:
    """Use ``source(group) -> [validation body, ...]`` instead of the members app (tests, demos)."""
    global _member_source
    previous, _member_source = _member_source, source
    try:
        yield
    finally:
        _member_source = previous


def member_bodies(*, group: EmployerGroup) -> list[dict]:
    """api.md validation bodies of the group's currently valid members (subscribers and dependents)."""
    if _member_source is not None:
        return list(_member_source(group))
    return group_validated_member_bodies(group=group)


def carrier_client() -> GroupSalesClient:
    """The client of the 834 work (a test puts its fake carrier here)."""
    return get_client()
