"""The employee's life-event pages (``maintenance.self_service``): their own family, phone-first, in
English and Spanish; what they report becomes a change request the broker sees and sends."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import forms, life_events
from .models import ChangeRequest
from .self_service import life_event_link_find
from .views import life_event_people, life_event_save, waived_lines

BASE = "maintenance/self_service/_base.html"


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: never cached, never sent on as a referrer, never indexed."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link(token: str):
    link = life_event_link_find(token=token)
    if link is None:
        raise Http404
    return link


@require_GET
def life_events_start(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    subscriber = link.subscriber
    family_refs = [subscriber.member_ref, *subscriber.dependents.values_list("member_ref", flat=True)]
    reported = ChangeRequest.objects.filter(group=subscriber.group, member_ref__in=family_refs)[:20]
    events = [life_events.BY_SLUG[s] for s in life_events.SELF_SERVICE]
    return _private(
        render(
            request,
            "maintenance/self_service/start.html",
            {
                "subscriber": subscriber,
                "group": subscriber.group,
                "events": events,
                "token": token,
                "reported": reported,
            },
        )  # fmt: skip
    )


def life_event_report(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    link = _link(token)
    if slug not in life_events.SELF_SERVICE:
        raise Http404
    life = life_events.BY_SLUG[slug]
    subscriber, group = link.subscriber, link.subscriber.group
    form = forms.LifeEventForm(
        request.POST or None, life=life, families=None,
        people=life_event_people(group, life, family=subscriber), waived=waived_lines(group, subscriber),
    )  # fmt: skip
    context = {"group": group, "life": life, "form": form, "title": life.self_title, "help": life.help,
               "base_template": BASE, "token": token}  # fmt: skip
    if request.method == "POST" and form.is_valid():
        changes = life_event_save(request, group, life, form, family=subscriber, by=None)
        ChangeRequest.objects.filter(pk__in=[c.pk for c in changes]).update(reported_by_employee=True)
        context |= {"changes": changes, "back_url": request.path.rsplit("/", 1)[0] + "/"}
        return _private(render(request, "maintenance/life_event_saved.html", context))
    return _private(render(request, "maintenance/change_form.html", context))
