"""Pages of employer groups: book of business, the employer forms in steps, review, the group page."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.forms import fields_with_problems

from . import finalize, forms, selectors, services
from .census_import import parse_census
from .models import EmployerGroup
from .rules import Problem
from .states import TransitionNotAllowed

S = EmployerGroup.Status

STEPS: list[tuple[str, str]] = [
    ("employer", "Employer"),
    ("address", "Principal address"),
    ("contact", "Contact"),
    ("agent", "Writing agent"),
    ("coverage", "Effective date and eligibility"),
    ("plans", "Plans"),
    ("contributions", "Contributions"),
    ("census", "Census"),
    ("attestation", "Small employer attestation"),
]
STEP_TITLES = dict(STEPS) | {"review": "Review and submit"}
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


def _next_step(step: str) -> str:
    keys = [k for k, _ in STEPS]
    i = keys.index(step)
    return keys[i + 1] if i + 1 < len(keys) else "review"


def _step_url(group: EmployerGroup, step: str) -> str:
    if step == "review":
        return reverse("enrollment:group_review", args=[group.pk])
    return reverse("enrollment:group_step", args=[group.pk, step])


# ------------------------------------------------------------------------------------ book of business


@login_required
@require_GET
def book_of_business(request: HttpRequest) -> HttpResponse:
    broker = getattr(request.user, "broker", None)
    is_principal = bool(request.user.is_staff or (broker and broker.is_principal))
    try:
        broker_id = int(request.GET.get("broker") or 0) or None
    except ValueError:
        broker_id = None
    filters = selectors.BookFilters(
        q=request.GET.get("q", "")[:100],
        status=request.GET.get("status", ""),
        effective_month=request.GET.get("month", ""),
        broker_id=broker_id if is_principal else None,
        sort=request.GET.get("sort", "-updated"),
        differs=request.GET.get("differs") == "1",
    )
    groups = selectors.book_list(user=request.user, filters=filters)
    page = Paginator(groups.values_list("pk", flat=True), 25).get_page(request.GET.get("page"))
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
                ("-updated", "Recently changed"),
                ("employer", "Employer A–Z"),
                ("effective", "Effective date"),
                ("-effective", "Effective date, latest first"),
                ("status", "Status"),
            ],
        },
    )


@login_required
@require_POST
def book_sync(request: HttpRequest) -> HttpResponse:
    broker = _broker(request)
    brokers = broker.agency.brokers.all() if broker.is_principal else [broker]
    for each in brokers:
        services.book_request_sync(broker=each)
    messages.info(request, "Your book of business is being synced with the carrier. Reload in a minute.")
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
    from catalogue import selectors as catalogue_selectors

    quote = catalogue_selectors.quote_get_visible(user=request.user, pk=quote_pk, write=True)
    group = services.group_start_from_quote(quote=quote, broker=_broker(request))
    messages.success(request, "A draft group was started from the quote. Complete each step, then submit.")
    return redirect(_step_url(group, "employer"))


def _problems_by_step(problems: list[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for p in problems:
        out.setdefault(p.step, []).append(p)
    return out


def _counties(group: EmployerGroup, zip5: str) -> list:
    if not zip5 or len(zip5) != 5 or not zip5.isdigit():
        return []
    from catalogue import selectors as catalogue_selectors

    return list(catalogue_selectors.counties_for_zip(zip5=zip5, on=group.requested_effective_date))


def _offers(group: EmployerGroup) -> dict[str, list]:
    if not (group.zip5 and group.county_fips and group.requested_effective_date):
        return {}
    from catalogue import selectors as catalogue_selectors

    plans = catalogue_selectors.plans_sold(
        zip5=group.zip5, county_fips=group.county_fips, on=group.requested_effective_date
    )
    offers: dict[str, list] = {line: [] for line in services.LINES}
    for plan in plans:
        offers.setdefault(str(getattr(plan.line, "value", plan.line)), []).append(plan)
    return {line: plans for line, plans in offers.items() if plans or group.offering(line)}


def _build_form(step: str, group: EmployerGroup, data=None):
    if step in MODEL_FORMS:
        kwargs = {}
        if step == "address":
            zip5 = (data.get("zip5", "") if data is not None else group.zip5).strip()
            kwargs["counties"] = _counties(group, zip5)
        return MODEL_FORMS[step](data, instance=group, **kwargs)
    if step == "plans":
        return forms.PlansForm(data, offers=_offers(group), group=group)
    if step == "contributions":
        return forms.ContributionsForm(data, group=group)
    raise Http404("No such step.")


def _save_step(step: str, group: EmployerGroup, form) -> None:
    form.is_valid()
    if step in MODEL_FORMS:
        fields = form.saved_fields()
        if step == "address" and "county_fips" not in fields and "county_fips" in form.data:
            # A county the form refused (not among the ZIP's) is kept to show the rule beside it, but
            # only when it looks like a county code: anything else cannot even be stored.
            county = str(form.data.get("county_fips", ""))
            fields["county_fips"] = (
                county if len(county) == 5 and county.isascii() and county.isdigit() else ""
            )
        if step == "address":
            counties = _counties(group, fields.get("zip5", ""))
            if len(counties) == 1 and not fields.get("county_fips"):
                fields["county_fips"] = counties[0].county_fips  # the ZIP lies in one county
        services.group_update(group=group, fields=fields)
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


def _editable_group(request: HttpRequest, pk: int) -> EmployerGroup | None:
    group = selectors.group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    return group if services.group_is_editable(group=group) else None


@login_required
def group_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step == "census":
        return group_census(request, pk)
    if step not in STEP_TITLES or step == "review":
        raise Http404("No such step.")
    group = _editable_group(request, pk)
    if group is None:
        return redirect("enrollment:group_detail", pk=pk)
    check = request.method == "POST" or request.GET.get("check") == "1"
    if request.method == "POST":
        form = _build_form(step, group, request.POST)
        with transaction.atomic():
            # Two tabs or two people on one draft: the page carries the version it was opened at, and a
            # save over a newer version is refused (the typed values are shown again, not lost).
            current = EmployerGroup.objects.select_for_update().get(pk=group.pk)
            seen = request.POST.get("seen", "")
            if seen and seen != current.updated_at.isoformat():
                form.is_valid()
                return _render_step(request, current, step, form, [], check=False, conflict=current)
            _save_step(step, group, form)
        group.refresh_from_db()
        problems = [p for p in services.group_check(group=group) if p.step == step]
        if "find_counties" in request.POST:
            form = _build_form(step, group)
            return _render_step(request, group, step, form, problems, check=False)
        if not any(p.is_error for p in problems) and form.is_valid():
            target = request.POST.get("goto") or _next_step(step)
            if target not in STEP_TITLES:
                target = _next_step(step)
            return redirect(_step_url(group, target))
        # The data are saved; show this step again, bound, with every problem beside its field.
        return _render_step(request, group, step, form, problems, check=True)
    form = _build_form(step, group)
    problems = services.group_check(group=group) if check else services.group_carrier_problems(group=group)
    return _render_step(request, group, step, form, [p for p in problems if p.step == step], check=check)


def _render_step(
    request, group, step, form, problems, *, check: bool, conflict: EmployerGroup | None = None
) -> HttpResponse:
    fields, general = fields_with_problems(form, problems)
    return render(
        request,
        "enrollment/group_step.html",
        {
            "group": group,
            "step": step,
            "title": STEP_TITLES[step],
            "steps": STEPS,
            "form": form,
            "fields": fields,
            "general": general,
            "next_step": _next_step(step),
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
    group = _editable_group(request, pk)
    if group is None:
        raise Http404("Not a draft.")
    with transaction.atomic():
        form = _build_form(step, group, request.POST)
        _save_step(step, group, form)
        group.refresh_from_db()
        problems = [p for p in services.group_check(group=group) if p.step == step]
        transaction.set_rollback(True)
    fields, general = fields_with_problems(form, problems)

    def as_json(p: Problem) -> dict:
        return {"code": p.code, "message": p.message, "fix": p.fix}

    return JsonResponse(
        {
            "fields": {bf.name: [as_json(p) for p in found] for bf, found in fields},
            "general": [as_json(p) for p in general],
        }
    )


@login_required
def group_census(request: HttpRequest, pk: int) -> HttpResponse:
    group = _editable_group(request, pk)
    if group is None:
        return redirect("enrollment:group_detail", pk=pk)
    upload = forms.CensusUploadForm()
    import_errors = []
    formset = None
    if request.method == "POST" and request.POST.get("action") == "upload":
        upload = forms.CensusUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            f = upload.cleaned_data["file"]
            rows, import_errors = parse_census(name=f.name, content=f)  # reads at most the size limit
            if not import_errors:
                count = services.census_replace(group=group, rows=rows)
                messages.success(request, f"{count} people imported.")
                return redirect(f"{_step_url(group, 'census')}?check=1")
    elif request.method == "POST":
        formset = forms.CensusFormSet(request.POST, prefix="census")
        if formset.is_valid():
            rows = [
                f.row()
                for f in formset.forms
                if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            on_file = {m.member_ref: m.date_of_birth for m in group.census.all()}
            for row in rows:
                if not row.get("date_of_birth"):
                    row["date_of_birth"] = on_file.get(row["member_ref"])
            services.census_replace(group=group, rows=rows)
            problems = [p for p in services.group_check(group=group) if p.step == "census"]
            if not any(p.is_error for p in problems):
                return redirect(_step_url(group, request.POST.get("goto") or "attestation"))
            formset = None
    if formset is None:
        initial = [
            {name: getattr(m, name) for name in forms.CensusRowForm.Meta.fields if name != "date_of_birth"}
            for m in group.census.all()
        ]
        formset = forms.CensusFormSet(prefix="census", initial=initial)
    check = request.method == "POST" or request.GET.get("check") == "1"
    problems = services.group_check(group=group) if check else services.group_carrier_problems(group=group)
    return render(
        request,
        "enrollment/group_census.html",
        {
            "group": group,
            "step": "census",
            "title": STEP_TITLES["census"],
            "steps": STEPS,
            "formset": formset,
            "upload": upload,
            "import_errors": import_errors,
            "general": [p for p in problems if p.step == "census"],
        },
    )


@login_required
def group_review(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_get_visible(user=request.user, pk=pk, write=request.method == "POST")
    if not services.group_is_editable(group=group):
        return redirect("enrollment:group_detail", pk=pk)
    payload = services.group_build_create_payload(group=group)
    problems = services.group_check(group=group, payload=payload)
    errors = [p for p in problems if p.is_error]
    if request.method == "POST":
        if errors:
            messages.error(request, "Fix the problems below before submitting.")
        else:
            try:
                services.group_submit(group=group, by=request.user)
            except TransitionNotAllowed:
                messages.info(request, "This group was already submitted.")
            return redirect("enrollment:group_detail", pk=pk)
    by_step = _problems_by_step(problems)
    sections = [(key, title, by_step.get(key, [])) for key, title in STEPS]
    return render(
        request,
        "enrollment/group_review.html",
        {
            "group": group,
            "step": "review",
            "title": STEP_TITLES["review"],
            "steps": STEPS,
            "sections": sections,
            "other_problems": by_step.get("review", []),
            "errors": errors,
            "problems": problems,
            "census": list(group.census.all()),
        },
    )


# ----------------------------------------------------------------------------------------- group page


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_get_visible(user=request.user, pk=pk)
    timeline = [
        {"at": t.at, "kind": "transition", "item": t} for t in group.transitions.select_related("by").all()
    ] + [{"at": c.created_at, "kind": "call", "item": c} for c in selectors.group_api_calls(group=group)]
    timeline.sort(key=lambda e: e["at"])
    census = list(group.census.all())
    readiness = (
        finalize.group_readiness(group=group)
        if group.status == EmployerGroup.Status.OPEN_ENROLLMENT
        else None
    )
    return render(
        request,
        "enrollment/group_detail.html",
        {
            "group": group,
            "readiness": readiness,
            "rate_comparison": finalize.rate_comparison(group=group),
            "timeline": timeline,
            "census": census,
            "subscribers": sum(1 for m in census if m.is_subscriber),
            "carrier_problems": services.group_carrier_problems(group=group),
            "editable": services.group_is_editable(group=group),
        },
    )


@login_required
@require_GET
def group_status(request: HttpRequest, pk: int) -> JsonResponse:
    group = selectors.group_get_visible(user=request.user, pk=pk)
    return JsonResponse(_status_body(group))


def _status_body(group: EmployerGroup) -> dict:
    if group.status == S.CREATING:
        message = (
            f"The carrier is being retried (attempt {group.create_attempts})."
            if group.create_attempts > 1 or group.status_reason
            else "Creating the group with the carrier…"
        )
    elif group.status == S.OPEN_ENROLLMENT:
        message = f"Created: Humana Group ID {group.humana_group_id}."
    elif group.status == S.DRAFT and group.carrier_errors:
        message = "The carrier refused the group; fix the marked fields and submit again."
    else:
        message = group.status_reason or group.get_status_display()
    return {
        "status": group.status,
        "statusDisplay": group.get_status_display(),
        "humanaGroupId": group.humana_group_id,
        "attempts": group.create_attempts,
        "message": message,
        "pending": group.status == S.CREATING,
    }


def status_message(group: EmployerGroup) -> str:
    return _status_body(group)["message"]


def today() -> date:
    from .rules import carrier_today

    return carrier_today()


@login_required
@require_POST
def group_finalize(request: HttpRequest, pk: int) -> HttpResponse:
    """The broker finalizes: the checklist must pass; the carrier call runs in a task."""
    group = selectors.group_get_visible(user=request.user, pk=pk, write=True)
    try:
        finalize.group_request_finalize(
            group=group, by=request.user, confirm_open_enrollment_over=request.POST.get("confirm") == "yes"
        )
    except (finalize.FinalizeRefused, TransitionNotAllowed) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.success(request, "Finalizing with the carrier: the final rates appear here when it answers.")
    return redirect("enrollment:group_detail", pk=group.pk)
