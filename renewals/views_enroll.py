"""The employee's renewal page (no login: the link's token), phone-first, in the reader's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.models import Election

from . import elections, self_service
from .family import renewal_family, renewal_family_problems
from .forms_enroll import RenewalDependentForm


def _outcome(election) -> dict:
    if election is None:
        return {"kind": "kept"}
    if election.state == election.State.REFUSED:
        return {"kind": "refused", "errors": election.carrier_errors, "who": election.member}
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


def _posted_family(
    request: HttpRequest, renewal, subscriber, lines: list[str]
) -> dict[str, list[str]] | None:
    """Dependent's member ref → the lines ticked for it (``cover_<LINE>_<ref>``); None for a form without
    the family's boxes."""
    if request.POST.get("family_shown") != "yes":
        return None
    ticked = {key for key, value in request.POST.items() if value == "yes"}
    return {
        f.member_ref: [line for line in lines if f"cover_{line}_{f.member_ref}" in ticked]
        for f in renewal_family(renewal=renewal, subscriber=subscriber)
    }


def _choose(request: HttpRequest, renewal, subscriber, context: dict) -> dict:
    plans: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    posted: dict[str, str] = {}
    rows = self_service.renewal_page_lines(renewal=renewal, subscriber=subscriber)
    for row in rows:
        value = request.POST.get(f"plan_{row.line}", row.chosen)
        if value == "WAIVE":
            plans[row.line] = None
            reasons[row.line] = request.POST.get(f"reason_{row.line}") or "OTHER_GROUP_COVERAGE"
            posted[row.line] = value
        elif value in {p for p, _name, _cost in row.options}:
            plans[row.line] = value
            posted[row.line] = value
    family = _posted_family(request, renewal, subscriber, [row.line for row in rows])
    if family is not None:
        problems = renewal_family_problems(renewal=renewal, subscriber=subscriber, family=family)
        if problems:  # refused before the carrier: the page again with what was ticked
            context["posted"] = {"plans": posted, "family": family, "problems": problems, "reasons": reasons}
            return {"kind": "invalid"}
    try:
        election = elections.renewal_election_record(
            renewal=renewal, subscriber=subscriber, plans=plans, waiver_reasons=reasons, family=family
        )
    except elections.RenewalElectionRefused:
        return {"kind": "closed"}
    outcome = _outcome(election)
    if outcome["kind"] == "refused":
        context["posted"] = {"plans": posted, "family": family, "problems": {}, "reasons": reasons}
    return outcome


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
            outcome = _choose(request, renewal, subscriber, context)
    context.setdefault("dependent_form", RenewalDependentForm())
    context["joining"] = subscriber.dependents.filter(renewal_elections__renewal=renewal).exclude(
        renewal_elections__state="REFUSED"
    )
    posted = context.get("posted") or {}
    context["lines"] = self_service.renewal_page_lines(
        renewal=renewal, subscriber=subscriber, plans=posted.get("plans"), family=posted.get("family"),
        problems=posted.get("problems"), reasons=posted.get("reasons"),
    )  # fmt: skip
    context["outcome"] = outcome
    context["title"] = _("Your benefits for the new plan year")
    response = render(request, "renewals/enroll.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
