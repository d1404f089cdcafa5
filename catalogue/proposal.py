"""A saved quote as the broker shows it: the quote page's figures and the proposal PDF.

:func:`quote_sheet` reads a quote once (census, place, plans, rates: ``quote_prepare``) and prices it for
the quote's contributions and for each contribution scenario; the page and the PDF are two renderings
of the same sheet, so the proposal's figures are the page's by construction.

The PDF is WeasyPrint over ``templates/catalogue/proposal.html`` with ``static/css/proposal.css`` and
Debian's fonts (DejaVu, through fontconfig). Nothing is fetched from the network while rendering:
:class:`StaticOnlyFetcher` answers only files under ``static/`` and refuses every other URL.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string

from carrier.rules import carrier_today, rule_settings
from groupsales.rules import RuleSettings, open_enrollment_exception_applies

from .models import Quote
from .quoting import (
    LINES,
    CensusRow,
    QuoteBasis,
    QuoteError,
    QuoteResult,
    census_of_quote,
    contributions_from_json,
    quote_prepare,
)
from .scenarios import ScenarioResult, quote_scenarios, scenarios_evaluate


@dataclass
class EmployeeCosts:
    """One line's per-employee table: each enrolling employee's tier and monthly cost on each plan."""

    line: str
    plans: list[Any]  # PlanCosts, the columns
    rows: list[tuple[str, str, list[Decimal | None]]]  # (memberRef, tier, employee cost per plan)


@dataclass
class QuoteSheet:
    quote: Quote
    census: list[CensusRow]
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    basis: QuoteBasis | None = None
    result: QuoteResult | None = None  # every plan, priced with the quote's contributions
    scenarios: list[ScenarioResult] = field(default_factory=list)
    exception_applies: bool = False  # created today, the open-enrollment exception would waive 020-022
    rule_settings: RuleSettings | None = None

    def scenario(self, position: int) -> ScenarioResult | None:
        return next((s for s in self.scenarios if s.scenario.position == position), None)


def quote_sheet(*, quote: Quote) -> QuoteSheet:
    """Everything the quote page and the proposal show; ``problems`` when the quote cannot be priced
    (the rates it was made on replaced by a rate file that no longer sells there, say)."""
    census = census_of_quote(quote)
    sheet = QuoteSheet(quote=quote, census=census)
    try:
        basis = quote_prepare(
            zip5=quote.zip5, county_fips=quote.county_fips, effective_date=quote.effective_date,
            census=census, composite=quote.composite,
        )  # fmt: skip
    except QuoteError as error:
        sheet.problems = error.problems
        return sheet
    today, rules = carrier_today(), rule_settings()
    sheet.basis, sheet.rule_settings = basis, rules
    sheet.result = basis.price(contributions_from_json(quote.contributions))
    scenarios = quote_scenarios(quote=quote, offers=basis.offers, settings=rules)
    sheet.scenarios = scenarios_evaluate(
        basis=basis, scenarios=scenarios, census=census, today=today, settings=rules
    )
    sheet.exception_applies = open_enrollment_exception_applies(
        created_on=today, effective_date=quote.effective_date, settings=rules
    )
    return sheet


def scenario_comparison(sheet: QuoteSheet) -> list[tuple[Any, list[Any]]]:
    """Each plan of the quote with its costs under each scenario (None where the scenario does not offer
    it): the rows of the side-by-side table."""
    if sheet.result is None:
        return []
    by_scenario = [{cost.plan.offer.plan_id: cost for cost in s.plans} for s in sheet.scenarios]
    return [(plan, [costs.get(plan.offer.plan_id) for costs in by_scenario]) for plan in sheet.result.plans]


def employee_costs(scenario: ScenarioResult) -> list[EmployeeCosts]:
    """Per line of the scenario: every enrolling employee's monthly cost on each of its plans."""
    tables = []
    for line in LINES:
        plans = [p for p in scenario.plans if p.plan.offer.line == line]
        if not plans:
            continue
        refs = list(plans[0].plan.price.families)
        rows = []
        for ref in refs:
            tier = plans[0].plan.price.families[ref].tier
            costs = [p.plan.price.families[ref].employee for p in plans]
            rows.append((ref, str(tier), costs))
        tables.append(EmployeeCosts(line, plans, rows))
    return tables


# --------------------------------------------------------------------------------------------------
# The PDF


def static_root() -> Path:
    return Path(settings.BASE_DIR) / "static"


def _weasyprint():
    """WeasyPrint, imported when a PDF is made (it loads Debian's pango and fontconfig)."""
    import weasyprint

    return weasyprint


class ProposalUnavailable(Exception):
    """The PDF renderer cannot run here (WeasyPrint or the Debian libraries it loads are missing)."""


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves files under ``static/`` and refuses any other URL."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_root().resolve()

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"the proposal fetches nothing but static files, not {url}")
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise ValueError(f"the proposal fetches nothing but static files, not {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher()


def proposal_html(*, sheet: QuoteSheet, scenario: ScenarioResult) -> str:
    return render_to_string(
        "catalogue/proposal.html",
        {
            "sheet": sheet,
            "quote": sheet.quote,
            "result": sheet.result,
            "scenario": scenario,
            "employee_tables": employee_costs(scenario),
        },
    )


def proposal_pdf(*, sheet: QuoteSheet, scenario: ScenarioResult) -> bytes:
    """The proposal of one scenario as PDF bytes; ProposalUnavailable when WeasyPrint cannot run."""
    try:
        weasyprint = _weasyprint()
    except (ImportError, OSError) as error:
        raise ProposalUnavailable(str(error)) from error
    html = weasyprint.HTML(
        string=proposal_html(sheet=sheet, scenario=scenario),
        base_url=static_root().as_uri() + "/",
        url_fetcher=static_only_fetcher(),
    )
    return html.write_pdf()
