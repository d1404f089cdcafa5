"""The sandbox's 1.1 maintenance endpoint: the carrier's roster ``GET /groups/{groupId}/members``."""

from __future__ import annotations

from django.http import HttpRequest

from . import maintenance
from .http import Answer, endpoint, page_of, paging
from .models import Partner
from .views import _group


@endpoint("GET")
def group_members(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    page, size = paging(request)
    group = _group(partner, group_id)
    as_of, items = maintenance.roster_read(group=group, query=request.GET.dict())
    return Answer(200, {**page_of(items, page, size), "asOf": as_of.isoformat()})
