"""The broker's quote screens: new quote (census by formset or CSV/XLSX upload), saved quotes, detail."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from groupsales.codes import ContributionBasis
from groupsales.rating import Contribution

from . import selectors, services
from .census import CensusProblem, parse_census, template_csv, template_xlsx
from .forms import CensusFormSet, QuoteForm
from .quoting import CensusRow, QuoteError, QuoteResult, quote_census


def _broker(request: HttpRequest):
    broker = getattr(request.user, "broker", None)
    if broker is None:
        raise PermissionDenied("Only brokers quote.")
    return broker


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    quotes = selectors.quote_list_visible_to(user=request.user)[:200]
    return render(request, "catalogue/quote_list.html", {"quotes": quotes})


@login_required
def quote_new(request: HttpRequest) -> HttpResponse:
    broker = _broker(request)
    form = QuoteForm(request.POST or None, request.FILES or None)
    formset = CensusFormSet(request.POST or None, prefix="census")
    census_problems: list = []
    quote_problems: list = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("census_file")
        rows: list[CensusRow] = []
        if upload:
            rows, census_problems = parse_census(upload, filename=upload.name)  # at most the size limit
        elif formset.is_valid():
            rows = [f.row() for f in formset.forms if f.has_changed() and f.cleaned_data]
            if not rows:
                census_problems = [
                    CensusProblem(0, "", "MBR-001", "the census is empty", "Add people or upload a file.")
                ]
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
                    created_by=request.user,
                )
                return redirect("quote_detail", pk=quote.pk)
    return render(
        request,
        "catalogue/quote_form.html",
        {
            "form": form,
            "formset": formset,
            "census_problems": census_problems,
            "quote_problems": quote_problems,
            "contribution_lines": [
                (line, form[f"{line}_basis"], form[f"{line}_employee"], form[f"{line}_dependents"])
                for line in ("medical", "dental", "vision")
            ],
        },
    )


def _saved_contributions(raw: dict) -> dict[str, Contribution]:
    return {
        line: Contribution(ContributionBasis(v["basis"]), Decimal(v["employee"]), Decimal(v["dependents"]))
        for line, v in raw.items()
    }


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


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get_visible(user=request.user, pk=pk)
    rows = [
        CensusRow(
            r.member_ref, r.subscriber_ref, r.relationship, r.date_of_birth, r.tobacco_use, r.coverage_tier
        )
        for r in quote.census_rows.all()
    ]
    problems: list = []
    result = None
    try:
        result = quote_census(
            zip5=quote.zip5, county_fips=quote.county_fips, effective_date=quote.effective_date, census=rows,
            composite=quote.composite, contributions=_saved_contributions(quote.contributions),
        )  # fmt: skip
    except QuoteError as error:
        problems = error.problems
    chart = _chart(result) if result else []
    return render(
        request,
        "catalogue/quote_detail.html",
        {
            "quote": quote,
            "result": result,
            "problems": problems,
            "chart": chart,
            "chart_height": 20 + 28 * len(chart),
            "people": len(rows),
        },
    )


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
