"""The renewal pages: a group's renewal (figures, sync, open enrollment), the decision, renewals due."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BoundField
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.access import AuthenticatedRequest
from enrollment.models import EmployerGroup
from enrollment.selectors import group_get_visible
from enrollment.views_signing import document_pdf_response, sign_posted

from . import selectors, services, signing, states
from .forms import RenewalDecisionForm
from .models import Renewal, RenewalElection


def _renewal(request: HttpRequest, pk: int, *, write: bool = True) -> tuple[EmployerGroup, Renewal]:
    """The group the user may see (``write``: change) and its current renewal (404 without one)."""
    group = group_get_visible(user=request.user, pk=pk, write=write)
    renewal = selectors.renewal_current(group=group)
    if renewal is None:
        raise Http404(_("This group has no renewal yet."))
    return group, renewal


def _detail_context(request: HttpRequest, group, problems: list[signing.Problem] | None = None) -> dict:
    renewal = selectors.renewal_current(group=group)
    enrolled = set(group.members.values_list("member_ref", flat=True))
    context = {
        "group": group,
        "renewal": renewal,
        "headline": selectors.renewal_headline(renewal=renewal),
        "figures": selectors.renewal_figures(renewal=renewal, enrolled_refs=enrolled) if renewal else None,
        "events": renewal.events.all() if renewal else [],
        "elections": renewal.elections.select_related("member") if renewal else [],
        "files": renewal.files.all() if renewal else [],
        "can_send_file": renewal is not None
        and renewal.elections.filter(state=RenewalElection.State.VALIDATED).exists()
        and renewal.status in (Renewal.Status.RENEWAL_OE, Renewal.Status.FILES),
        "can_open_enrollment": renewal is not None
        and states.can_transition(renewal.status, Renewal.Status.RENEWAL_OE),
    }
    if renewal is not None and renewal.decision_draft:
        signing.renewal_decision_void_if_changed(renewal=renewal)
        state = signing.decision_state(renewal=renewal)
        found = problems if problems is not None else signing.decision_problems(renewal=renewal)
        by_field: dict[str, list[signing.Problem]] = {}
        for problem in found:
            by_field.setdefault(problem.field or "decision", []).append(problem)
        context |= {
            "signing": state,
            "decision_view": signing.decision_view(renewal=renewal, decision=renewal.decision_draft),
            "problems": by_field,
            "can_submit": not found and renewal.sending != Renewal.Sending.QUEUED,
            "is_writing_agent": getattr(getattr(request.user, "broker", None), "npn", None)
            == group.agent_npn,
            "voided": renewal.decision_documents.filter(voided_at__isnull=False).prefetch_related(
                "signatures"
            )[:5],
        }
    return context


@login_required
@require_GET
def renewal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk)
    return render(request, "renewals/renewal_detail.html", _detail_context(request, group))


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
    group, renewal = _renewal(request, pk)
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
    group, renewal = _renewal(request, pk)
    from . import tasks

    tasks.send_renewal_file.delay(renewal.pk)
    messages.info(request, _("The renewal elections are being sent to the carrier. Reload in a minute."))
    return redirect("renewals:detail", pk=group.pk)


@login_required
@require_http_methods(["GET", "POST"])
def renewal_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    renewal = selectors.renewal_current(group=group)
    if renewal is None:  # nothing to decide yet: the renewal page says so
        return redirect("renewals:detail", pk=group.pk)
    form = RenewalDecisionForm(request.POST or None, renewal=renewal)
    if request.method == "POST" and form.is_valid() and form.body is not None:  # a valid form has its body
        signing.renewal_decision_prepare(renewal=renewal, decision=form.body, by=request.user)
        if group.employer_contacts.exists():
            messages.success(
                request, _("The decision is ready: the employer was e-mailed to read and sign it.")
            )
        else:
            messages.warning(
                request,
                _("The decision is ready. Invite the employer (Employer access) so that they can sign it."),
            )
        return redirect("renewals:detail", pk=group.pk)
    if request.method == "GET" and renewal.decision_draft:
        form = RenewalDecisionForm(initial=_initial(renewal.decision_draft), renewal=renewal)
    fields: list[tuple[BoundField, list[str]]] = [(bound, []) for bound in form]
    return render(
        request,
        "renewals/renewal_decide.html",
        {"group": group, "renewal": renewal, "form": form, "fields": fields},
    )


def _initial(draft: dict) -> dict:
    """The form's initial values from the prepared decision (to change it)."""
    initial: dict = {"decision": draft.get("decision")}
    for offering in draft.get("offerings") or []:
        code, contribution = str(offering["line"]).lower(), offering.get("contribution") or {}
        initial |= {
            f"{code}_renew": True,
            f"{code}_plans": offering.get("planIds") or [],
            f"{code}_basis": contribution.get("basis"),
            f"{code}_employee": contribution.get("employee"),
            f"{code}_dependents": contribution.get("dependents"),
        }
        for mapping in offering.get("planMappings") or []:
            initial[f"map_{mapping['fromPlanId']}"] = mapping["toPlanId"]
    return initial


@login_required
@require_POST
def renewal_decision_agent_sign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The writing agent signs the prepared decision (as on the group application)."""
    group, renewal = _renewal(request, pk)
    sign_posted(
        request,
        partial(signing.renewal_decision_sign, renewal=renewal),
        role=signing.Role.AGENT,
        email=group.agent_email or request.user.email,
        done=_("Signed as the writing agent."),
    )
    return redirect("renewals:detail", pk=group.pk)


@login_required
@require_POST
def renewal_decision_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Send the decision both signed; refused (REN-002 beside the employer's signature) otherwise."""
    group, renewal = _renewal(request, pk)
    try:
        signing.renewal_decision_submit(renewal=renewal, by=request.user)
    except signing.DecisionNotReady as exc:
        messages.error(request, _("The decision was not sent: see what is missing below."))
        return render(request, "renewals/renewal_detail.html", _detail_context(request, group, exc.problems))
    messages.success(request, _("The employer's signed decision is being sent to the carrier."))
    return redirect("renewals:detail", pk=group.pk)


@login_required
@require_GET
def renewal_decision_pdf(request: HttpRequest, pk: int, sha256: str) -> HttpResponse:
    _group, renewal = _renewal(request, pk, write=False)
    return decision_pdf_response(renewal=renewal, sha256=sha256)


def decision_pdf_response(*, renewal: Renewal, sha256: str) -> HttpResponse:
    """One of the renewal's decision documents (a voided one too: what was signed is kept)."""
    return document_pdf_response(
        renewal.decision_documents,
        sha256=sha256,
        filename=f"renewal-decision-{renewal.group_id}-{sha256[:12]}.pdf",
    )


@login_required
@require_POST
def renewal_decide_check(request: HttpRequest, pk: int) -> JsonResponse:
    """The REN rules for what is typed, without recording it (the page's script calls this as the broker
    types, like the group forms): {"fields": {field: [problem]}, "general": [problem]}."""
    _group, renewal = _renewal(request, pk)
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
