"""The sandbox's renewal endpoints (api.md 1.1 *Renewal*): thin handlers over ``renewals``."""

from __future__ import annotations

from django.http import HttpRequest

from . import renewals
from .http import Answer, endpoint, json_body, page_of, paging
from .models import Partner
from .views import _group


@endpoint("GET")
def renewal(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    return Answer(200, renewals.renewal_current(group=_group(partner, group_id)))


@endpoint("GET")
def renewal_list(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    page, size = paging(request)
    return Answer(200, page_of(renewals.renewal_list(group=_group(partner, group_id)), page, size))


@endpoint("POST")
def renewal_decisions(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    _group(partner, group_id)
    body = json_body(request)
    return Answer(201, renewals.renewal_decide(partner=partner, group_id=group_id, body=body))
