"""Pages of employer groups: book of business, the employer forms in steps, review (the group page and its
actions are in ``views_group``).

A draft is filled in on the steps and submitted; a created group (open enrollment, CREATED at the carrier)
is changed on the same steps but the census, and its changes are sent with PATCH (``changes``). Every step
link and button saves what is on the page first (a draft save): nothing typed is lost by leaving.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agencies.access import AuthenticatedRequest
from agencies.models import Broker
from catalogue import selectors as catalogue_selectors
from catalogue.proposal import quote_sheet
from catalogue.scenarios import scenario_offerings
from portal.forms import fields_with_problems

from . import changes, forms, selectors, services
from .census_import import RowError, parse_census
from .models import EmployerGroup
from .rules import Problem
from .states import TransitionNotAllowed

S = EmployerGroup.Status

STEPS: list[tuple[str, Any]] = [
    ("employer", gettext_lazy("Employer")),
    ("address", gettext_lazy("Principal address")),
    ("contact", gettext_lazy("Contact")),
    ("agent", gettext_lazy("Writing agent")),
    ("coverage", gettext_lazy("Effective date and eligibility")),
    ("plans", gettext_lazy("Plans")),
    ("contributions", gettext_lazy("Contributions")),
    ("census", gettext_lazy("Census")),
    ("attestation", gettext_lazy("Small employer attestation")),
]
STEP_TITLES: dict[str, Any] = dict(STEPS) | {"review": gettext_lazy("Review and submit")}
CHANGE_REVIEW_TITLE = gettext_lazy("Review and send the changes")
MODEL_FORMS = {
    "employer": forms.EmployerForm,
    "address": forms.AddressForm,
    "contact": forms.ContactForm,
    "agent": forms.AgentForm,
    "coverage": forms.CoverageForm,
    "attestation": forms.AttestationForm,
}


def _broker(request: HttpRequest):
    broker = getattr(request.user, "broker", None)
    if broker is None:
        raise Http404("Only brokers have groups.")
    return broker


def steps_for(group: EmployerGroup) -> list[tuple[str, Any]]:
    """A draft's steps; a created group's changeable ones (no census: its people are its members)."""
    if services.group_is_editable(group=group):
        return STEPS
    return [(key, title) for key, title in STEPS if key in changes.CHANGE_STEPS]


def _next_step(step: str, group: EmployerGroup | None = None) -> str:
    keys = [k for k, _t in (steps_for(group) if group is not None else STEPS)]
    i = keys.index(step) if step in keys else len(keys)
    return keys[i + 1] if i + 1 < len(keys) else "review"


def _step_target(value: object, default: str) -> str:
    """A step named by a request parameter (``goto``, ``leave``), or ``default`` for anything else: a
    parameter is the browser's, so a bad one is ignored, never a 500 (NoReverseMatch)."""
    return value if isinstance(value, str) and (value in STEP_TITLES or value == "group") else default


def _step_url(group: EmployerGroup, step: str) -> str:
    if step == "review":
        return reverse("enrollment:group_review", args=[group.pk])
    if step == "group":
        return reverse("enrollment:group_detail", args=[group.pk])
    return reverse("enrollment:group_step", args=[group.pk, step])


# ------------------------------------------------------------------------------------ book of business


@login_required
@require_GET
def book_of_business(request: AuthenticatedRequest) -> HttpResponse:
    broker = getattr(request.user, "broker", None)
    if broker is None and not request.user.is_staff and request.user.employer_contacts.exists():
        return redirect("employers:home")  # an employer's login lands on their group, not a broker's book
    is_principal = bool(request.user.is_staff or (broker and broker.is_principal))
    filters = book_filters(request)
    groups = selectors.book_list(user=request.user, filters=filters)
    pager: Paginator[Any] = Paginator(groups.values_list("pk", flat=True), 25)  # ids, then their rows
    page = pager.get_page(request.GET.get("page"))
    page.object_list = selectors.book_rows(ids=list(page.object_list))
    brokers = []
    if is_principal and broker is not None:
        brokers = list(broker.agency.brokers.select_related("user").all())
    return render(
        request,
        "enrollment/book.html",
        {
            "page": page,
            "filters": filters,
            "statuses": S.choices,
            "brokers": brokers,
            "sorts": [
                ("-updated", _("Recently changed")),
                ("employer", _("Employer A–Z")),
                ("effective", _("Effective date")),
                ("-effective", _("Effective date, latest first")),
                ("status", _("Status")),
            ],
        },
    )


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def book_filters(request: HttpRequest) -> selectors.BookFilters:
    """The book's filters from the query string (the page and its exports read the same ones)."""
    broker = getattr(request.user, "broker", None)
    is_principal = bool(request.user.is_staff or (broker and broker.is_principal))
    broker_id = _id_param(request.GET.get("broker"))
    return selectors.BookFilters(
        q=request.GET.get("q", "")[:100],
        status=request.GET.get("status", ""),
        effective_month=_month_param(request.GET.get("month")),
        broker_id=broker_id if is_principal else None,
        sort=request.GET.get("sort", "-updated"),
        differs=request.GET.get("differs") == "1",
    )


def _month_param(value: str | None) -> str:
    """``YYYY-MM`` with a month 01–12, else "" (the filter is ignored): a month the database cannot
    hold (``99999999999999999999-1``) used to reach the query and answer 500."""
    m = _MONTH.match(value or "")
    return value if m and int(m[1]) >= 1 and 1 <= int(m[2]) <= 12 else ""  # type: ignore[return-value]


def _id_param(value: str | None) -> int | None:
    """A row id given in the query string, or None for anything that is not one (too big included)."""
    return int(value) if value and value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


@login_required
@require_POST
def book_sync(request: HttpRequest) -> HttpResponse:
    broker = _broker(request)
    brokers = broker.agency.brokers.all() if broker.is_principal else [broker]
    for each in brokers:
        services.book_request_sync(broker=each)
    messages.info(request, _("Your book of business is being synced with the carrier. Reload in a minute."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("book")


# ------------------------------------------------------------------------------------------ the steps


@login_required
@require_POST
def group_new(request: HttpRequest) -> HttpResponse:
    group = services.group_create_draft(broker=_broker(request))
    return redirect(_step_url(group, "employer"))


@login_required
@require_POST
def group_start_from_quote(request: HttpRequest, quote_pk: int) -> HttpResponse:
    quote = catalogue_selectors.quote_get_visible(user=request.user, pk=quote_pk, write=True)
    group = services.group_start_from_quote(quote=quote, broker=_broker(request))
    messages.success(request, _("A draft group was started from the quote. Complete each step, then submit."))
    if group.census.filter(relationship="SUBSCRIBER", gender="").exists():
        # The quote's census has no gender; the carrier needs it for each employee (SCHEMA at create).
        messages.info(
            request, _("The quote's census has no gender: choose each employee's on the census step.")
        )
    return redirect(_step_url(group, "employer"))


@login_required
@require_POST
def quote_scenario_start_group(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """A draft group from the quote with the scenario's plans and contributions as its offerings (the
    quote page's button: the catalogue's scenario, enrollment's draft)."""
    quote = catalogue_selectors.quote_get_visible(user=request.user, pk=pk, write=True)
    broker = getattr(request.user, "broker", None)
    if broker is None:
        raise PermissionDenied("Only brokers quote.")
    sheet = quote_sheet(quote=quote)
    if sheet.basis is None:
        messages.error(request, _("This quote cannot be priced any more, so its scenarios cannot change."))
        return redirect("quote_detail", pk=quote.pk)
    scenario = sheet.scenario(position)
    if scenario is None:
        raise Http404("no such scenario")
    offerings = scenario_offerings(scenario.scenario, composite=quote.composite)
    group = services.group_start_from_quote(quote=quote, broker=broker, scenario_offerings=offerings)
    messages.success(
        request,
        _("A draft group was started from the quote with %(name)s. Complete each step, then submit.")
        % {"name": scenario.scenario.name},
    )
    return redirect("enrollment:group_step", group.pk, "employer")


def _problems_by_step(problems: list[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for p in problems:
        out.setdefault(p.step, []).append(p)
    return out


def _counties(group: EmployerGroup, zip5: str) -> list:
    return services.group_counties(group=group, zip5=zip5)


def _offers(group: EmployerGroup) -> dict[str, list]:
    if not (group.zip5 and group.county_fips and group.requested_effective_date):
        return {}
    plans = catalogue_selectors.plans_sold(
        zip5=group.zip5, county_fips=group.county_fips, on=group.requested_effective_date
    )
    offers: dict[str, list] = {line: [] for line in services.LINES}
    for plan in plans:
        offers.setdefault(str(getattr(plan.line, "value", plan.line)), []).append(plan)
    return {line: plans for line, plans in offers.items() if plans or group.offering(line)}


def agent_choices(*, user: Any, group: EmployerGroup) -> list:
    """Issue 16 item 7: whom the user may name as the writing agent. A principal (or staff): any broker of
    the group's agency; a broker: themself, or keep the agent already on the group if it is one of the
    agency's brokers (a principal may have chosen a colleague)."""
    brokers = list(
        Broker.objects.filter(agency_id=group.agency_id)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    me = getattr(user, "broker", None)
    if me is None or me.is_principal:
        return brokers
    return [b for b in brokers if b.pk == me.pk or b.npn == group.agent_npn]


def _build_form(step: str, group: EmployerGroup, data=None, user=None):
    if step in MODEL_FORMS:
        kwargs: dict[str, Any] = {}
        if step == "address":
            zip5 = (data.get("zip5", "") if data is not None else group.zip5).strip()
            kwargs["counties"] = _counties(group, zip5)
        if step == "agent":
            kwargs["brokers"] = agent_choices(user=user, group=group)
        return MODEL_FORMS[step](data, instance=group, **kwargs)
    if step == "plans":
        return forms.PlansForm(data, offers=_offers(group), group=group)
    if step == "contributions":
        return forms.ContributionsForm(data, group=group)
    raise Http404("No such step.")


def _save_step(step: str, group: EmployerGroup, form) -> None:
    form.is_valid()
    if step in MODEL_FORMS:
        if step == "address":
            typed = form.data.get("county_fips") if "county_fips" in form.data else None
            services.group_update_address(group=group, fields=form.saved_fields(), typed_county=typed)
        else:
            services.group_update(group=group, fields=form.saved_fields())
    elif step == "plans":
        for line in form.lines:
            plans = form.cleaned_data.get(f"{line.lower()}_plans")
            if plans is None:
                plans = form.data.getlist(f"{line.lower()}_plans")
            extra = {}
            if line == "MEDICAL":
                extra["rating_option"] = form.cleaned_data.get("medical_rating_option") or "AGE"
            services.group_set_offering(group=group, line=line, plan_ids=list(plans), **extra)
    elif step == "contributions":
        for line, contribution in form.contributions().items():
            services.group_set_offering(group=group, line=line, contribution=contribution)


def _why_not_here(group: EmployerGroup, step: str | None) -> str:
    if step == "census" and changes.group_is_changeable(group=group):
        return _(
            "After the carrier creates the group, its people are its members: add and change them on the "
            "Members page."
        )
    if group.change_state == EmployerGroup.ChangeState.SENDING:
        return _("Your changes are on their way to the carrier: the steps open again when it answers.")
    return _(
        "This group cannot be changed in the portal now (%(status)s): the group page says what comes next."
    ) % {"status": group.get_status_display()}


def _group_to_edit(request: HttpRequest, pk: int, step: str | None = None):
    """(group, None) when the user may change the group on ``step`` now; else (None, the group page with a
    message that says why and what next): a step of a group that cannot change never just vanishes."""
    group = selectors.group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    allowed = services.group_accepts_edits(group=group)
    if allowed and (step is None or step in dict(steps_for(group))):
        return group, None
    messages.info(request, _why_not_here(group, step))
    return None, redirect("enrollment:group_detail", pk=pk)


@login_required
def group_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step == "census":
        return group_census(request, pk)
    if step not in STEP_TITLES or step == "review":
        raise Http404("No such step.")
    group, away = _group_to_edit(request, pk, step)
    if away is not None:
        return away
    check = request.method == "POST" or request.GET.get("check") == "1"
    if request.method == "POST":
        form = _build_form(step, group, request.POST, request.user)
        try:
            with services.group_saved_from(group=group, seen=request.POST.get("seen", "")):
                _save_step(step, group, form)
        except services.GroupChangedMeanwhile as meanwhile:
            form.is_valid()
            current = meanwhile.current
            return _render_step(request, current, step, form, [], check=False, conflict=current)
        group.refresh_from_db()
        if "leave" in request.POST:
            # A step link: the page was saved as a draft (its problems wait on it); go where it led.
            return redirect(_step_url(group, _step_target(request.POST.get("leave"), step)))
        problems = [p for p in services.group_check(group=group, step=step) if p.step == step]
        if "find_counties" in request.POST:
            form = _build_form(step, group, user=request.user)
            return _render_step(request, group, step, form, problems, check=False)
        if not any(p.is_error for p in problems) and form.is_valid():
            default = _next_step(step, group)
            return redirect(_step_url(group, _step_target(request.POST.get("goto"), default)))
        # The data are saved; show this step again, bound, with every problem beside its field.
        return _render_step(request, group, step, form, problems, check=True)
    form = _build_form(step, group, user=request.user)
    problems = (
        services.group_check(group=group, step=step)
        if check
        else services.group_carrier_problems(group=group)
    )
    return _render_step(request, group, step, form, [p for p in problems if p.step == step], check=check)


def _page(group: EmployerGroup, step: str, title: Any) -> dict[str, Any]:
    """What every step page and the review page share: the steps, and whether it is a change."""
    return {
        "group": group,
        "step": step,
        "title": title,
        "steps": steps_for(group),
        "changing": not services.group_is_editable(group=group),
        "form_id": "step-form",
    }


def _render_step(
    request, group, step, form, problems, *, check: bool, conflict: EmployerGroup | None = None
) -> HttpResponse:
    fields, general = fields_with_problems(form, problems)
    return render(
        request,
        "enrollment/group_step.html",
        _page(group, step, STEP_TITLES[step])
        | {
            "form": form,
            "fields": fields,
            "general": general,
            "next_step": _next_step(step, group),
            "checked": check,
            "conflict": conflict,
            "seen": group.updated_at.isoformat(),
        },
        status=409 if conflict else 200,
    )


@login_required
@require_POST
def group_step_check(request: HttpRequest, pk: int, step: str) -> JsonResponse:
    """The rules for what is typed on a step, without saving it (the page's script calls this as the
    broker types): {"fields": {field: [problem]}, "general": [problem]}."""
    if step not in MODEL_FORMS and step not in ("plans", "contributions"):
        raise Http404("No such step.")
    group = selectors.group_get_visible(user=request.user, pk=pk, write=True)
    if not services.group_accepts_edits(group=group):
        raise Http404("Not a group that can change now.")
    with transaction.atomic():
        form = _build_form(step, group, request.POST, request.user)
        _save_step(step, group, form)
        group.refresh_from_db()
        problems = [p for p in services.group_check(group=group, step=step) if p.step == step]
        transaction.set_rollback(True)
    fields, general = fields_with_problems(form, problems)

    def as_json(p: Problem) -> dict:
        return {"code": p.code, "message": p.message, "fix": p.fix, "severity": p.severity}

    return JsonResponse(
        {
            "fields": {bf.name: [as_json(p) for p in found] for bf, found in fields},
            "general": [as_json(p) for p in general],
        }
    )


# ------------------------------------------------------------------------------------------- census

# api.md census keys -> the census row form's fields
_CENSUS_FIELDS = {
    "memberRef": "member_ref",
    "relationship": "relationship",
    "dateOfBirth": "date_of_birth",
    "gender": "gender",
    "zip5": "zip5",
    "tobaccoUse": "tobacco_use",
    "isOwner": "is_owner",
    "isOwnerSpouse": "is_owner_spouse",
    "coverageTier": "coverage_tier",
}
_CENSUS_POINTER = re.compile(r"^/census/(\d+)(?:/dependents/(\d+))?/(\w+)$")


def _census_rows(census: list, problems: list[Problem]) -> tuple[dict[int, list[Problem]], list[Problem]]:
    """The census step's problems by row (position in ``census``), the rest for the whole step: a problem
    of one person is shown beside that person's field (the quote's missing gender, issue 15 item 8)."""
    subscribers = [m for m in census if m.is_subscriber]
    position = {m.pk: i for i, m in enumerate(census)}
    by_row: dict[int, list[Problem]] = {}
    general = []
    for p in problems:
        m = _CENSUS_POINTER.match(p.pointer or "")
        person = None
        if m and int(m[1]) < len(subscribers):
            person = subscribers[int(m[1])]
            if m[2] is not None:
                family = [d for d in census if not d.is_subscriber and d.subscriber_ref == person.member_ref]
                person = family[int(m[2])] if int(m[2]) < len(family) else None
        if person is None or m is None or m[3] not in _CENSUS_FIELDS:
            general.append(p)
            continue
        by_row.setdefault(position[person.pk], []).append(replace(p, field=_CENSUS_FIELDS[m[3]]))
    return by_row, general


def _census_save(request: HttpRequest, group: EmployerGroup, formset) -> HttpResponse | None:
    rows = [
        f.row()
        for f in formset.forms
        if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    services.census_update(group=group, rows=rows)
    if "leave" in request.POST:
        return redirect(_step_url(group, _step_target(request.POST.get("leave"), "census")))
    problems = [p for p in services.group_check(group=group) if p.step == "census"]
    if not any(p.is_error for p in problems):
        return redirect(_step_url(group, _step_target(request.POST.get("goto"), "attestation")))
    return None


@login_required
def group_census(request: HttpRequest, pk: int) -> HttpResponse:
    group, away = _group_to_edit(request, pk, "census")
    if away is not None:
        return away
    upload = forms.CensusUploadForm()
    import_errors: list[RowError] = []
    formset = None
    if request.method == "POST" and request.POST.get("action") == "upload":
        upload = forms.CensusUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            f = upload.cleaned_data["file"]
            rows, import_errors = parse_census(name=f.name, content=f)  # reads at most the size limit
            if not import_errors:
                count = services.census_replace(group=group, rows=rows)
                messages.success(request, _("%(n)s people imported.") % {"n": count})
                return redirect(f"{_step_url(group, 'census')}?check=1")
    elif request.method == "POST":
        formset = forms.CensusFormSet(request.POST, prefix="census")
        if formset.is_valid():
            done = _census_save(request, group, formset)
            if done is not None:
                return done
            formset = None
        elif "leave" in request.POST:
            messages.error(request, _("Nothing was saved: fix the marked rows first, then leave."))
    census = list(group.census.all())
    if formset is None:
        initial = [
            {name: getattr(m, name) for name in forms.CensusRowForm.Meta.fields if name != "date_of_birth"}
            for m in census
        ]
        formset = forms.CensusFormSet(prefix="census", initial=initial)
    check = request.method == "POST" or request.GET.get("check") == "1"
    problems = services.group_check(group=group) if check else services.group_carrier_problems(group=group)
    by_row, general = _census_rows(census, [p for p in problems if p.step == "census"])
    form_rows = [
        (form, fields_with_problems(form, by_row.get(i, []))[0]) for i, form in enumerate(formset.forms)
    ]
    return render(
        request,
        "enrollment/group_census.html",
        _page(group, "census", STEP_TITLES["census"])
        | {
            "formset": formset,
            "rows": form_rows,
            "upload": upload,
            "import_errors": import_errors,
            "general": general,
        },
    )


# ------------------------------------------------------------------------------------------- review


@login_required
def group_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group, away = _group_to_edit(request, pk)
    if away is not None:
        return away
    payload = services.group_build_create_payload(group=group)
    problems = services.group_check(group=group, payload=payload)
    changing = not services.group_is_editable(group=group)
    steps = dict(steps_for(group))
    if changing:  # what belongs to no step of a created group is the group page's (members, readiness)
        problems = [p for p in problems if p.step in steps or p.step == "review"]
    errors = [p for p in problems if p.is_error]
    if request.method == "POST" and not changing:
        if errors:
            messages.error(request, _("Fix the problems below before submitting."))
        else:
            try:
                services.group_submit(group=group, by=request.user)
                # Recorded with the submission (carrier.outbox): queued now, or by the outbox sweep
                # within seconds of the broker coming back; never lost.
                messages.success(
                    request,
                    _("Submitted: the group goes to the carrier shortly; this page shows its answer."),
                )
            except TransitionNotAllowed:
                messages.info(request, _("This group was already submitted."))
            return redirect("enrollment:group_detail", pk=pk)
    by_step = _problems_by_step(problems)
    return render(
        request,
        "enrollment/group_review.html",
        _page(group, "review", CHANGE_REVIEW_TITLE if changing else STEP_TITLES["review"])
        | {
            "sections": [(key, title, by_step.get(key, [])) for key, title in steps.items()],
            "other_problems": by_step.get("review", []),
            "errors": errors,
            "warnings": [p for p in problems if not p.is_error],
            "problems": problems,
            "census": list(group.census.all()),
            "changes": changes.group_change_lines(group=group) if changing else [],
        },
    )
