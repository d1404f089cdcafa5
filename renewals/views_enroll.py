"""The employee's renewal page (no login: the link's token), phone-first, in the reader's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.models import Election

from . import elections, self_service
from .forms_enroll import RenewalDependentForm


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
    if request.method == "POST" and context["open"] and request.POST.get("action") == "add_dependent":
        form = RenewalDependentForm(request.POST)
        context["dependent_form"] = form
        if form.is_valid():
            try:
                added = elections.renewal_dependent_add(
                    renewal=renewal, subscriber=subscriber, data=form.cleaned_data
                )
            except elections.RenewalElectionRefused:
                outcome = {"kind": "closed"}
            else:
                refused = added.state == added.State.REFUSED
                outcome = (
                    {"kind": "refused", "errors": added.carrier_errors} if refused else {"kind": "saved"}
                )
                context["dependent_form"] = RenewalDependentForm()
    elif request.method == "POST" and context["open"]:
        lines = self_service.renewal_page_lines(renewal=renewal, subscriber=subscriber)
        plans: dict[str, str | None] = {}
        reasons: dict[str, str] = {}
        for row in lines:
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
            outcome = {"kind": "closed"}
        else:
            if election is None:
                outcome = {"kind": "kept"}
            elif election.state == election.State.REFUSED:
                outcome = {"kind": "refused", "errors": election.carrier_errors}
            else:
                outcome = {"kind": "saved"}
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
