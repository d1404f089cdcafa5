"""The renewal pages: a group's renewal (figures, sync, open enrollment), the decision, renewals due."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BoundField
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment.selectors import group_get_visible

from . import selectors, services, states
from .forms import RenewalDecisionForm
from .models import Renewal, RenewalElection


def _renewal(group) -> Renewal:
    renewal = selectors.renewal_current(group=group)
    if renewal is None:
        raise Http404(_("This group has no renewal yet."))
    return renewal


@login_required
@require_GET
def renewal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk)
    renewal = selectors.renewal_current(group=group)
    enrolled = set(group.members.values_list("member_ref", flat=True))
    return render(
        request,
        "renewals/renewal_detail.html",
        {
            "group": group,
            "renewal": renewal,
            "headline": selectors.renewal_headline(renewal=renewal),
            "figures": selectors.renewal_figures(renewal=renewal, enrolled_refs=enrolled)
            if renewal
            else None,
            "events": renewal.events.all() if renewal else [],
            "elections": renewal.elections.select_related("member") if renewal else [],
            "files": renewal.files.all() if renewal else [],
            "can_send_file": renewal is not None
            and renewal.elections.filter(state=RenewalElection.State.VALIDATED).exists()
            and renewal.status in (Renewal.Status.RENEWAL_OE, Renewal.Status.FILES),
            "can_open_enrollment": renewal is not None
            and states.can_transition(renewal.status, Renewal.Status.RENEWAL_OE),
        },
    )


@login_required
@require_POST
def renewal_sync_now(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=True)
    from . import tasks

    tasks.sync_renewals.delay(group.pk)
    messages.info(request, _("The renewal is being read from the carrier. Reload in a minute."))
    return redirect("renewals:detail", pk=group.pk)


@login_required
@require_POST
def renewal_open_enrollment(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=True)
    renewal = _renewal(group)
    try:
        services.renewal_open_enrollment_start(renewal=renewal)
        messages.success(request, _("Renewal open enrollment is open for the employees."))
    except states.TransitionNotAllowed:
        messages.error(request, _("Renewal open enrollment opens once the renewal is accepted."))
    return redirect("renewals:detail", pk=group.pk)


@login_required
@require_POST
def renewal_file_send(request: HttpRequest, pk: int) -> HttpResponse:
    """The employees' validated renewal elections to the carrier in a renewal file (a task)."""
    group = group_get_visible(user=request.user, pk=pk, write=True)
    renewal = _renewal(group)
    from . import tasks

    tasks.send_renewal_file.delay(renewal.pk)
    messages.info(request, _("The renewal elections are being sent to the carrier. Reload in a minute."))
    return redirect("renewals:detail", pk=group.pk)


@login_required
@require_http_methods(["GET", "POST"])
def renewal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    renewal = selectors.renewal_current(group=group)
    if renewal is None:  # nothing to decide yet: the renewal page says so
        return redirect("renewals:detail", pk=group.pk)
    form = RenewalDecisionForm(request.POST or None, renewal=renewal)
    if request.method == "POST" and form.is_valid() and form.body is not None:  # a valid form has its body
        services.renewal_decision_record(renewal=renewal, body=form.body)
        messages.success(request, _("The employer's decision is being sent to the carrier."))
        return redirect("renewals:detail", pk=group.pk)
    fields: list[tuple[BoundField, list[str]]] = [(bound, []) for bound in form]
    return render(
        request,
        "renewals/renewal_decide.html",
        {"group": group, "renewal": renewal, "form": form, "fields": fields},
    )


@login_required
@require_POST
def renewal_decide_check(request: HttpRequest, pk: int) -> JsonResponse:
    """The REN rules for what is typed, without recording it (the page's script calls this as the broker
    types, like the group forms): {"fields": {field: [problem]}, "general": [problem]}."""
    group = group_get_visible(user=request.user, pk=pk, write=True)
    renewal = _renewal(group)
    form = RenewalDecisionForm(request.POST, renewal=renewal)
    form.is_valid()
    fields = {name: list(form.problems.get(name, [])) for name in form.fields}
    for name, errors in form.errors.items():
        if name in fields and not form.problems.get(name):
            fields[name] += [{"code": "", "message": str(e), "fix": "", "severity": "error"} for e in errors]
    return JsonResponse({"fields": fields, "general": form.problems.get(None, [])})


@login_required
@require_GET
def renewals_due(request: HttpRequest) -> HttpResponse:
    try:
        within = int(request.GET.get("within", "90"))
    except ValueError:
        within = 90
    within = max(0, min(within, 400))
    status = request.GET.get("status", "")
    if status not in Renewal.Status.values:
        status = ""
    rows = selectors.renewals_due(user=request.user, within_days=within, status=status)
    return render(
        request,
        "renewals/renewals_due.html",
        {
            "rows": [(r, selectors.renewal_headline(renewal=r)) for r in rows[:500]],
            "within": within,
            "status": status,
            "statuses": Renewal.Status.choices,
        },
    )
