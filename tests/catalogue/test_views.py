from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from catalogue import services
from catalogue.models import Quote
from catalogue.quoting import CensusRow
from catalogue.testing import sample_path

BLUE_HERON = sample_path().parent / "census-blue-heron.csv"


def _form(**overrides) -> dict:
    data = {
        "employer_name": "Blue Heron Cafe LLC",
        "zip5": "40202",
        "county_fips": "",
        "effective_date": "2027-01-01",
        "census-TOTAL_FORMS": "0",
        "census-INITIAL_FORMS": "0",
        "census-MIN_NUM_FORMS": "0",
        "census-MAX_NUM_FORMS": "1000",
    }
    for line in ("medical", "dental", "vision"):
        data.update({f"{line}_basis": "PERCENT", f"{line}_employee": "50.00", f"{line}_dependents": "0.00"})
    data.update(overrides)
    return data


def _saved_quote(broker) -> Quote:
    return services.quote_create(
        broker=broker, employer_name="Blue Heron Cafe LLC", zip5="40202", county_fips="21111",
        effective_date=date(2027, 1, 1), composite=False, contributions={},
        census=[CensusRow("E-1", "E-1", "SUBSCRIBER", date(1980, 5, 2), False, "EMP")],
    )  # fmt: skip


def test_it_quotes_the_sample_employer_from_a_csv_upload(loaded_sample, broker_client, broker):
    with open(BLUE_HERON, "rb") as upload:
        response = broker_client.post(reverse("quote_new"), {**_form(), "census_file": upload}, follow=True)
    assert response.status_code == 200
    quote = Quote.objects.get()
    assert quote.broker == broker
    assert quote.created_by == broker.user  # the signed-in broker's user
    assert quote.county_fips == "21111"  # the ZIP's only county
    assert quote.census_rows.count() == 5
    page = response.content.decode()
    assert "Humana Bronze PPO 6000" in page
    assert "$3,143.30" in page
    assert "Humana Vision 130" in page
    assert "1980-05-02" not in page  # dates of birth are never shown


def test_it_quotes_a_census_entered_in_the_formset(loaded_sample, broker_client):
    people = [
        ("E-001", "E-001", "SUBSCRIBER", "1980-05-02", "false", "ESP"),
        ("E-001-S", "E-001", "SPOUSE", "1979-11-30", "true", ""),
    ]
    names = ("member_ref", "subscriber_ref", "relationship", "date_of_birth", "tobacco_use", "coverage_tier")
    rows = {"census-TOTAL_FORMS": "2"}
    for i, person in enumerate(people):
        rows.update({f"census-{i}-{name}": value for name, value in zip(names, person, strict=True)})
    response = broker_client.post(reverse("quote_new"), _form(**rows))
    assert response.status_code == 302
    assert Quote.objects.get().census_rows.count() == 2


def test_it_reports_every_bad_census_row_with_its_line_and_rule(loaded_sample, broker_client, tmp_path):
    bad = tmp_path / "census.csv"
    bad.write_text(
        "memberRef,subscriberRef,relationship,dateOfBirth,tobaccoUse,coverageTier\n"
        "E-001,E-001,SUBSCRIBER,1980-13-02,false,FAM\n"
        "E-002,E-002,SUBSCRIBER,1990-01-01,maybe,EMP\n"
        "E-003-S,E-003,SPOUSE,1990-01-01,false,\n"
    )
    with open(bad, "rb") as upload:
        response = broker_client.post(reverse("quote_new"), {**_form(), "census_file": upload})
    assert response.status_code == 200
    problems = [(p.line, p.column, p.code) for p in response.context["census_problems"]]
    assert problems == [
        (2, "dateOfBirth", "MBR-003"),
        (3, "tobaccoUse", "MBR-013"),
        (4, "subscriberRef", "MBR-020"),
    ]
    assert '<span class="rule-id">MBR-003</span>' in response.content.decode()
    assert not Quote.objects.exists()


def test_it_asks_for_the_county_of_a_zip_that_spans_two(loaded_sample, broker_client):
    with open(BLUE_HERON, "rb") as upload:
        response = broker_client.post(reverse("quote_new"), {**_form(zip5="40240"), "census_file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "21001, 21003" in page
    assert '<span class="rule-id">GRP-004</span>' in page


def test_it_shows_a_quote_only_to_its_agency(loaded_sample, broker, principal, other_broker, client):
    quote = _saved_quote(broker)
    client.force_login(other_broker.user)
    assert client.get(reverse("quote_detail", args=[quote.pk])).status_code == 404
    assert "Blue Heron" not in client.get(reverse("quote_list")).content.decode()
    client.force_login(principal.user)
    response = client.get(reverse("quote_detail", args=[quote.pk]))
    assert response.status_code == 200
    assert "Humana Bronze PPO 6000" in response.content.decode()


def test_it_lists_saved_quotes(loaded_sample, broker, broker_client):
    _saved_quote(broker)
    response = broker_client.get(reverse("quote_list"))
    assert "Blue Heron Cafe LLC" in response.content.decode()


def test_it_requires_a_login(db, client):
    response = client.get(reverse("quote_list"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats")]
)
def test_it_offers_the_census_template_in_both_formats(db, broker_client, fmt, content_type):
    response = broker_client.get(reverse("quote_census_template", args=[fmt]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_it_reads_the_xlsx_template_back(db, broker_client):
    from catalogue.census import parse_census

    response = broker_client.get(reverse("quote_census_template", args=["xlsx"]))
    rows, problems = parse_census(response.content, filename="census.xlsx")
    assert problems == []
    assert [r.member_ref for r in rows] == ["E-001", "E-001-S", "E-002"]


def test_it_lists_the_counties_of_a_zip(loaded_sample, broker_client):
    response = broker_client.get(reverse("quote_counties"), {"zip": "40240"})
    assert [c["countyFips"] for c in response.json()["counties"]] == ["21001", "21003"]


def test_it_shows_an_accessible_quote_form_without_inline_styles(loaded_sample, broker_client):
    response = broker_client.get(reverse("quote_new"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'for="id_zip5"' in page
    assert "style=" not in page
    assert "<script>" not in page
    assert "css/catalogue.css" in page


def test_it_refuses_a_percent_over_100_with_the_rule(loaded_sample, broker_client):
    with open(BLUE_HERON, "rb") as upload:
        response = broker_client.post(
            reverse("quote_new"), {**_form(medical_employee="150"), "census_file": upload}
        )
    assert response.status_code == 200
    assert '<span class="rule-id">GRP-011</span>' in response.content.decode()
    assert not Quote.objects.exists()
