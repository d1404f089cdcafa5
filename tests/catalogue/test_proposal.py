"""Issue 23 item 2: the proposal PDF and the print stylesheet; money written one way ($1,234.56).

The PDF is rendered by WeasyPrint (Debian's pango and fonts) and read back with pdftotext (Debian's
poppler-utils): every plan total in it equals the quote's to the cent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from catalogue import display, services
from catalogue.census import parse_census
from catalogue.models import Quote
from catalogue.testing import sample_path
from tests.conftest import REQUIRE_SERVICES

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        if REQUIRE_SERVICES:
            pytest.fail("poppler-utils (pdftotext) is missing")
        pytest.skip("needs Debian's poppler-utils (pdftotext) to read the PDF back")
    path = tmp_path / "proposal.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def _quote(broker, *, ech: bool = False) -> Quote:
    text = BLUE_HERON.read_text()
    if ech:
        text = text.replace("1980-05-02,false,FAM", "1980-05-02,false,ECH")
    census, problems = parse_census(text.encode(), filename="census.csv")
    assert problems == []
    return services.quote_create(
        broker=broker, employer_name="Blue Heron Bakery LLC", zip5="40202", county_fips="21111",
        effective_date=date(2027, 1, 1), composite=False,
        contributions={"MEDICAL": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"},
                       "DENTAL": {"basis": "FLAT", "employee": "20.00", "dependents": "0.00"},
                       "VISION": {"basis": "PERCENT", "employee": "100.00", "dependents": "0.00"}},
        census=census,
    )  # fmt: skip


@pytest.mark.parametrize("ech", [False, True], ids=["as filed", "spouse left out by ECH"])
def test_every_plan_total_in_the_pdf_equals_the_quote_to_the_cent(
    loaded_sample, broker, broker_client, tmp_path, ech
):
    quote = _quote(broker, ech=ech)
    page = broker_client.get(reverse("quote_detail", args=[quote.pk]))
    plans = page.context["result"].plans

    response = broker_client.get(reverse("quote_proposal", args=[quote.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="proposal-blue-heron-bakery-llc')
    text = pdf_text(response.content, tmp_path)
    rows = {}
    for plan in plans:
        line = next(
            line for line in text.splitlines() if plan.offer.marketing_name.split()[1] in line and "$" in line
        )
        rows[plan.offer.plan_id] = re.findall(r"\$[\d,]+\.\d\d", line)
    for plan in plans:
        total = display.money(plan.price.total_monthly_premium)
        employer = display.money(plan.employer_cost)
        employee = display.money(plan.employee_cost)
        assert rows[plan.offer.plan_id][-3:] == [total, employer, employee], plan.offer.plan_id
    bronze = next(p for p in plans if p.offer.plan_id == "12345KY0010001")
    assert bronze.price.total_monthly_premium == (Decimal("2186.01") if ech else Decimal("3143.30"))


def test_the_pdf_says_who_made_it_for_whom_and_on_what_terms(loaded_sample, broker, broker_client, tmp_path):
    quote = _quote(broker)
    text = pdf_text(broker_client.get(reverse("quote_proposal", args=[quote.pk])).content, tmp_path)
    flat = " ".join(text.split())

    for expected in (
        "Bluegrass Benefits Group", "Sam Ortiz", "Blue Heron Bakery LLC", "2027-01-01", "KY-RA02",
        "Humana Bronze PPO 6000", "Bronze", "PPO", "$6,000.00 / $12,000.00", "$9,000.00 / $18,000.00",
        "Eligible", "Rates are estimates until the carrier finalizes the group.",
        "Medical: the employer pays 60.00% of each employee's own premium and 25.00% of the rest",
        "Dental: the employer pays $20.00 a month toward each employee's own premium",
        "What each employee pays a month", "GRP-022",
    ):  # fmt: skip
        assert expected in flat, expected
    assert re.search(r"—\s*/\s*—", flat)  # the vision plan has no deductible: a dash, not 0.00
    assert "0.00 / 0.00" not in flat
    assert "1980-05-02" not in flat  # no date of birth in a document that leaves the portal


def test_it_renders_the_proposal_of_another_scenario(loaded_sample, broker, broker_client, tmp_path):
    quote = _quote(broker)
    data = {"s1-name": "Sixty", "s2-include": "on", "s2-name": "Bronze only"}
    for n in (1, 2):
        for line in ("medical", "dental", "vision"):
            data.update({f"s{n}-{line}_basis": "PERCENT", f"s{n}-{line}_employee": "50.00",
                         f"s{n}-{line}_dependents": "0.00"})  # fmt: skip
    data.update(
        {"s1-medical_plans": ["12345KY0010001", "12345KY0010002"], "s2-medical_plans": ["12345KY0010001"]}
    )
    assert broker_client.post(reverse("quote_scenarios", args=[quote.pk]), data).status_code == 302

    text = pdf_text(
        broker_client.get(reverse("quote_proposal", args=[quote.pk]) + "?scenario=2").content, tmp_path
    )

    assert "Bronze only" in text and "Humana Bronze PPO 6000" in " ".join(text.split())
    assert "Silver" not in text and "Dental PPO" not in text  # only the scenario's plans
    assert broker_client.get(reverse("quote_proposal", args=[quote.pk]) + "?scenario=3").status_code == 404


def test_it_shows_a_proposal_only_to_the_quote_s_agency(loaded_sample, broker, other_broker, client):
    quote = _quote(broker)
    client.force_login(other_broker.user)
    assert client.get(reverse("quote_proposal", args=[quote.pk])).status_code == 404


def test_it_fetches_nothing_but_static_files_while_rendering(settings):
    from catalogue.proposal import static_only_fetcher, static_root

    fetcher = static_only_fetcher()
    css = static_root() / "css" / "proposal.css"
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    outside = (static_root() / ".." / "manage.py").as_uri()
    for url in ("https://fonts.example.com/font.css", "http://127.0.0.1:8000/static/css/portal.css",
                "file:///etc/passwd", outside, "data:text/css,body{}"):  # fmt: skip
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_it_answers_503_when_the_pdf_renderer_is_missing(loaded_sample, broker, broker_client, monkeypatch):
    from catalogue import proposal

    def missing():
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(proposal, "_weasyprint", missing)
    response = broker_client.get(reverse("quote_proposal", args=[_quote(broker).pk]))
    assert response.status_code == 503
    assert "PDF renderer" in response.content.decode()


def test_the_page_has_a_print_stylesheet_and_a_download_link(loaded_sample, broker, broker_client):
    from django.contrib.staticfiles import finders

    quote = _quote(broker)
    page = broker_client.get(reverse("quote_detail", args=[quote.pk])).content.decode()

    assert f'href="{reverse("quote_proposal", args=[quote.pk])}"' in page
    assert "@media print" in open(finders.find("css/catalogue.css")).read()
    assert "$3,143.30" in page and "3143.30<" not in page  # money one way on the page too


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("1234.56"), "$1,234.56"), (Decimal("0"), "$0.00"), (Decimal("1234567.5"), "$1,234,567.50"),
        (Decimal("-12"), "-$12.00"), (None, "—"), ("97.5", "$97.50"),
    ],
)  # fmt: skip
def test_it_writes_money_one_way(amount, written):
    assert display.money(amount) == written


def test_it_writes_a_plan_amount_the_plan_does_not_have_as_a_dash():
    assert display.plan_amount(Decimal("0.00")) == "—"
    assert display.plan_amount(Decimal("6000.00")) == "$6,000.00"


def test_it_says_why_a_quote_that_cannot_be_priced_has_no_proposal(loaded_sample, broker, broker_client):
    from catalogue.quoting import CensusRow

    waived = [CensusRow("E-1", "E-1", "SUBSCRIBER", date(1980, 1, 1), False, "WAIVE")]
    quote = services.quote_create(
        broker=broker, employer_name="Nobody Enrolls LLC", zip5="40202", county_fips="21111",
        effective_date=date(2027, 1, 1), composite=False, contributions={}, census=waived,
    )  # fmt: skip
    response = broker_client.get(reverse("quote_proposal", args=[quote.pk]))
    assert response.status_code == 409
    assert "GRP-030" in response.content.decode()
