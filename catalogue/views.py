"""The broker's quote screens: new quote (census by formset or CSV/XLSX upload, or a copy of a quote),
saved quotes, detail with its contribution scenarios, the proposal PDF. (A group started from a scenario
is enrollment's: ``enrollment.views.quote_scenario_start_group``.)"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Broker

from . import selectors, services
from .census import CensusProblem, parse_census, template_csv, template_xlsx
from .forms import CensusFormSet, QuoteForm, ScenarioForm
from .models import Quote
from .proposal import (
    ProposalUnavailable,
    QuoteSheet,
    employee_costs,
    proposal_pdf,
    quote_sheet,
    scenario_comparison,
)
from .quoting import (
    LINES,
    TIERS,
    CensusRow,
    QuoteError,
    QuoteResult,
    census_of_quote,
    quote_census,
)
from .scenarios import MAX_SCENARIOS, Scenario, quote_scenarios_copy, quote_scenarios_save


def _broker(request: HttpRequest) -> Broker:
    broker = getattr(request.user, "broker", None)
    if broker is None:
        raise PermissionDenied("Only brokers quote.")
    return broker


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    quotes = selectors.quote_list_visible_to(user=request.user)[:200]
    return render(request, "catalogue/quote_list.html", {"quotes": quotes})


def _copy_source(request: HttpRequest) -> Quote | None:
    """The quote being copied (``?copy=`` or the form's ``copy_of``), if the user may see it."""
    raw = request.POST.get("copy_of") if request.method == "POST" else request.GET.get("copy")
    if not raw or not str(raw).isdigit():
        return None
    return selectors.quote_get_visible(user=request.user, pk=int(raw))


def _initial_from(quote: Quote) -> dict:
    initial = {
        "employer_name": quote.employer_name, "zip5": quote.zip5, "county_fips": quote.county_fips,
        "effective_date": quote.effective_date, "composite": quote.composite, "copy_of": quote.pk,
    }  # fmt: skip
    for line, value in (quote.contributions or {}).items():
        for part in ("basis", "employee", "dependents"):
            initial[f"{line.lower()}_{part}"] = value.get(part)
    return initial


def _census_rows(
    form: QuoteForm, formset: BaseFormSet, source: Quote | None
) -> tuple[list[CensusRow], list[CensusProblem]]:
    """The census from the uploaded file, else the formset, else the copied quote's; or its problems."""
    upload = form.cleaned_data.get("census_file")
    if upload:
        return parse_census(upload, filename=upload.name)  # at most the size limit
    if not formset.is_valid():
        return [], []
    rows = [f.row() for f in formset.forms if f.has_changed() and f.cleaned_data]
    if not rows and source is not None:
        rows = census_of_quote(source)  # a copy keeps its census unless another is given
    if not rows:
        return [], [
            CensusProblem(0, "", "MBR-001", _("the census is empty"), _("Add people or upload a file."))
        ]
    return rows, []


def _quote_form_context(
    form: QuoteForm, formset: BaseFormSet, source: Quote | None, census_problems: list, quote_problems: list
) -> dict:
    return {
        "form": form,
        "formset": formset,
        "source": source,
        "source_people": source.census_rows.count() if source is not None else 0,
        "census_problems": census_problems,
        "quote_problems": quote_problems,
        "contribution_lines": [
            (line, form[f"{line}_basis"], form[f"{line}_employee"], form[f"{line}_dependents"])
            for line in ("medical", "dental", "vision")
        ],
    }


@login_required
def quote_new(request: HttpRequest) -> HttpResponse:
    broker = _broker(request)
    source = _copy_source(request)
    initial = _initial_from(source) if source is not None else None
    form = QuoteForm(request.POST or None, request.FILES or None, initial=initial)
    formset = CensusFormSet(request.POST or None, prefix="census")
    census_problems: list = []
    quote_problems: list = []
    if request.method == "POST" and form.is_valid():
        rows, census_problems = _census_rows(form, formset, source)
        if rows and not census_problems:
            data = form.cleaned_data
            try:
                quote_census(
                    zip5=data["zip5"], county_fips=data["county_fips"], effective_date=data["effective_date"],
                    census=rows, composite=data["composite"], contributions=form.contributions(),
                )  # fmt: skip
            except QuoteError as error:
                quote_problems = error.problems
            else:
                quote = services.quote_create(
                    broker=broker,
                    employer_name=data["employer_name"],
                    zip5=data["zip5"],
                    county_fips=data["county_fips"],
                    effective_date=data["effective_date"],
                    composite=data["composite"],
                    contributions=form.contributions_json(),
                    census=rows,
                    created_by=broker.user,  # request.user, as the broker's own (never anonymous)
                )
                if source is not None:
                    quote_scenarios_copy(source=source, target=quote)
                return redirect("quote_detail", pk=quote.pk)
    context = _quote_form_context(form, formset, source, census_problems, quote_problems)
    return render(request, "catalogue/quote_form.html", context)


def _chart(result: QuoteResult) -> list[dict]:
    """Bars of the monthly total per plan, as widths in percent of the largest (drawn as inline SVG)."""
    totals = [p.price.total_monthly_premium for p in result.plans]
    top = max(totals, default=Decimal(1)) or Decimal(1)
    return [
        {
            "label": p.offer.marketing_name,
            "total": p.price.total_monthly_premium,
            "width": float(p.price.total_monthly_premium / top * 60),
            "y": 10 + 28 * i,
        }
        for i, p in enumerate(result.plans)
    ]


def _scenario_forms(sheet: QuoteSheet, data=None) -> list[ScenarioForm]:
    """The three scenario forms: bound to ``data``, or filled from the saved scenarios."""
    assert sheet.basis is not None and sheet.rule_settings is not None
    offers, max_plans = sheet.basis.offers, sheet.rule_settings.max_plans
    saved = {s.scenario.position: s.scenario for s in sheet.scenarios}
    forms = []
    for position in range(1, MAX_SCENARIOS + 1):
        scenario = saved.get(position) or (saved[1] if 1 in saved else None)
        initial: dict = {"include": position in saved}
        if scenario is not None:
            initial["name"] = scenario.name if position in saved else _("Scenario %d") % position
            for line in LINES:
                contribution = scenario.contribution(line)
                key = line.lower()
                initial[f"{key}_basis"] = str(contribution.basis)
                initial[f"{key}_employee"] = contribution.employee
                initial[f"{key}_dependents"] = contribution.dependents
                initial[f"{key}_plans"] = scenario.offered(line)
        forms.append(
            ScenarioForm(data, position=position, offers=offers, max_plans=max_plans, initial=initial)
        )
    return forms


def _detail(request: HttpRequest, quote: Quote, *, scenario_forms: list[ScenarioForm] | None = None):
    sheet = quote_sheet(quote=quote)
    result = sheet.result
    chart = _chart(result) if result else []
    first = sheet.scenario(1)
    return render(
        request,
        "catalogue/quote_detail.html",
        {
            "quote": quote,
            "sheet": sheet,
            "result": result,
            "problems": sheet.problems,
            "chart": chart,
            "chart_height": 20 + 28 * len(chart),
            "people": len(sheet.census),
            "scenario_forms": scenario_forms or (_scenario_forms(sheet) if sheet.basis else []),
            "employee_tables": employee_costs(first) if first else [],
            "tiers": TIERS,
            "comparison": scenario_comparison(sheet),
        },
    )


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get_visible(user=request.user, pk=pk)
    return _detail(request, quote)


@login_required
@require_POST
def quote_scenarios_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the quote's scenarios (1 to 3); the page again with every problem beside its field."""
    quote = selectors.quote_get_visible(user=request.user, pk=pk, write=True)
    _broker(request)
    sheet = quote_sheet(quote=quote)
    if sheet.basis is None:
        messages.error(request, _("This quote cannot be priced any more, so its scenarios cannot change."))
        return redirect("quote_detail", pk=quote.pk)
    forms = _scenario_forms(sheet, request.POST)
    if not all(form.is_valid() for form in forms):
        return _detail(request, quote, scenario_forms=forms)
    scenarios: list[Scenario] = []
    for form in (f for f in forms if not f.skipped):
        name, contributions, plans = form.scenario_parts()
        position = len(scenarios) + 1
        scenarios.append(Scenario(position, name or _("Scenario %d") % position, contributions, plans))
    quote_scenarios_save(quote=quote, scenarios=scenarios)
    messages.success(request, _("The scenarios were saved."))
    return redirect(reverse("quote_detail", args=[quote.pk]) + "#scenarios")


@login_required
@require_GET
def quote_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """``/quotes/<id>/proposal.pdf`` (``?scenario=2`` for another scenario than the first)."""
    quote = selectors.quote_get_visible(user=request.user, pk=pk)
    sheet = quote_sheet(quote=quote)
    if sheet.basis is None:  # the quote cannot be priced (see its page): say why, with the rule IDs
        lines = [_("This quote cannot be priced, so it has no proposal:")]
        lines += [f"{code} {ref} {message}".replace("  ", " ") for ref, code, message in sheet.problems]
        return HttpResponse("\n".join(lines), status=409, content_type="text/plain; charset=utf-8")
    raw = request.GET.get("scenario", "1")
    scenario = sheet.scenario(int(raw)) if raw.isdigit() else None
    if scenario is None:
        raise Http404("no such scenario")
    try:
        pdf = proposal_pdf(sheet=sheet, scenario=scenario)
    except ProposalUnavailable:
        message = _("The proposal cannot be made on this server just now (its PDF renderer is missing).")
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(quote.employer_name) or "employer"
    response["Content-Disposition"] = (
        f'attachment; filename="proposal-{name}-{quote.effective_date:%Y-%m-%d}.pdf"'
    )
    return response


@login_required
@require_GET
def census_template(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404("no such template")
    if fmt == "xlsx":
        response = HttpResponse(
            template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = HttpResponse(template_csv(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="census-template.{fmt}"'
    return response


@login_required
@require_GET
def counties(request: HttpRequest) -> JsonResponse:
    """The counties of a ZIP, for the quote form's county picker."""
    zip5 = request.GET.get("zip", "")
    if not (len(zip5) == 5 and zip5.isdigit()):
        return JsonResponse({"counties": []})
    return JsonResponse(
        {
            "counties": [
                {"countyFips": c.county_fips, "ratingArea": c.rating_area_id}
                for c in selectors.counties_for_zip(zip5=zip5)
            ]
        }  # fmt: skip
    )
