"""The employee's renewal page (no login: the link's token), phone-first, in the reader's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.models import Election

from . import elections, self_service
from .forms_enroll import RenewalDependentForm


def _outcome(election) -> dict:
    if election is None:
        return {"kind": "kept"}
    if election.state == election.State.REFUSED:
        return {"kind": "refused", "errors": election.carrier_errors}
    return {"kind": "saved"}


def _add_dependent(request: HttpRequest, renewal, subscriber, context: dict) -> dict | None:
    form = RenewalDependentForm(request.POST)
    context["dependent_form"] = form
    if not form.is_valid():
        return None
    try:
        added = elections.renewal_dependent_add(
            renewal=renewal, subscriber=subscriber, data=form.cleaned_data
        )
    except elections.RenewalElectionRefused:
        return {"kind": "closed"}
    context["dependent_form"] = RenewalDependentForm()
    return _outcome(added)


def _choose(request: HttpRequest, renewal, subscriber) -> dict:
    plans: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    for row in self_service.renewal_page_lines(renewal=renewal, subscriber=subscriber):
        value = request.POST.get(f"plan_{row.line}", row.chosen)
        if value == "WAIVE":
            plans[row.line] = None
            reasons[row.line] = request.POST.get(f"reason_{row.line}") or "OTHER_GROUP_COVERAGE"
        elif value in {p for p, _name, _cost in row.options}:
            plans[row.line] = value
    try:
        election = elections.renewal_election_record(
            renewal=renewal, subscriber=subscriber, plans=plans, waiver_reasons=reasons
        )
    except elections.RenewalElectionRefused:
        return {"kind": "closed"}
    return _outcome(election)


def _leave(request: HttpRequest, renewal, subscriber) -> dict:
    """The employee ends their coverage (and their family's) on R − 1: REN-007's TERMINATE, confirmed."""
    if request.POST.get("confirm_leave") != "yes":
        return {"kind": "confirm"}
    try:
        election = elections.renewal_election_record(
            renewal=renewal, subscriber=subscriber, plans={}, leave=True
        )
    except elections.RenewalElectionRefused:
        return {"kind": "closed"}
    outcome = _outcome(election)
    return {"kind": "leaving"} if outcome["kind"] == "saved" else outcome


@require_http_methods(["GET", "POST"])
def renewal_enroll(request: HttpRequest, token: str) -> HttpResponse:
    link = self_service.renewal_link_find(token=token)
    renewal, subscriber = link.renewal, link.subscriber
    if request.LANGUAGE_CODE and link.language != request.LANGUAGE_CODE[:2]:
        type(link).objects.filter(pk=link.pk).update(language=request.LANGUAGE_CODE[:2])
    context: dict = {"group": renewal.group, "renewal": renewal, "subscriber": subscriber, "token": token,
                     "open": self_service.renewal_page_open(link=link),
                     "reasons": Election.WaiverReason.choices}  # fmt: skip
    outcome = None
    if request.method == "POST" and context["open"]:
        if request.POST.get("action") == "add_dependent":
            outcome = _add_dependent(request, renewal, subscriber, context)
        elif request.POST.get("action") == "leave":
            outcome = _leave(request, renewal, subscriber)
        else:
            outcome = _choose(request, renewal, subscriber)
    context.setdefault("dependent_form", RenewalDependentForm())
    context["joining"] = subscriber.dependents.filter(renewal_elections__renewal=renewal).exclude(
        renewal_elections__state="REFUSED"
    )
    context["lines"] = self_service.renewal_page_lines(renewal=renewal, subscriber=subscriber)
    context["outcome"] = outcome
    context["title"] = _("Your benefits for the new plan year")
    response = render(request, "renewals/enroll.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
