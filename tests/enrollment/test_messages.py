"""Issue 15 item 8: every message a person sees names the field in words, says what to do, and is in the
reader's language; a library's own words ("Input should be a valid datetime") never reach a page."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from catalogue.models import Quote, QuoteCensusRow
from enrollment import services
from enrollment.models import EmployerGroup
from tests.enrollment.test_forms import field_block, step_url

pytestmark = pytest.mark.django_db
LIBRARY_WORDS = ("Input should be", "valid datetime", "Field required", "SCHEMA signedAt", "gender: Input")


def spanish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_a_signer_without_a_date_is_told_beside_signed_on_what_to_enter(
    broker_client, complete_group, catalogue_facts
):
    services.group_update(group=complete_group, fields={"attestation_signed_at": None})
    html = broker_client.get(step_url(complete_group, "attestation") + "?check=1").content.decode()
    signed_on = field_block(html, "attestation_signed_at")
    assert '<span class="rule-id">SCHEMA</span> Signed on is required.' in signed_on
    assert "Enter a date and time, e.g. 2026-11-23 10:00." in signed_on
    assert "SCHEMA" not in field_block(html, "attestation_signed_by")
    assert not any(words in html for words in LIBRARY_WORDS)


def test_the_same_in_spanish(broker_client, complete_group, catalogue_facts):
    services.group_update(group=complete_group, fields={"attestation_signed_at": None})
    html = spanish(broker_client).get(step_url(complete_group, "attestation") + "?check=1").content.decode()
    signed_on = field_block(html, "attestation_signed_at")
    assert "Falta «Firmado el»." in signed_on
    assert "Escriba una fecha y una hora" in signed_on


def test_a_rule_s_words_are_spanish_on_a_spanish_page(broker_client, complete_group, catalogue_facts):
    response = spanish(broker_client).post(
        step_url(complete_group, "employer"),
        {"legal_name": "Blue Heron", "fein": "00-1234567", "sic_code": "5461", "entity_type": "LLC",
         "established_date": "2014-03-01", "phone": "5025550100"},
    )  # fmt: skip
    fein = field_block(response.content.decode(), "fein")
    assert '<span class="rule-id">GRP-002</span>' in fein
    assert "El FEIN debe tener 9 dígitos" in fein and "The FEIN" not in fein


@pytest.fixture
def quote(broker):
    quote = Quote.objects.create(
        agency=broker.agency, broker=broker, employer_name="Blue Heron Bakery LLC", zip5="40202",
        county_fips="21111", effective_date=date(2027, 1, 1),
        contributions={"MEDICAL": {"basis": "PERCENT", "employee": "60.00", "dependents": "25.00"}},
    )  # fmt: skip
    rows = [
        ("E-1", "E-1", "SUBSCRIBER", date(1980, 5, 2), "EMP"),
        ("E-2", "E-2", "SUBSCRIBER", date(1990, 1, 9), "EMP"),
    ]
    for position, (ref, sub, relationship, born, tier) in enumerate(rows):
        QuoteCensusRow.objects.create(
            quote=quote, position=position, member_ref=ref, subscriber_ref=sub, relationship=relationship,
            date_of_birth=born, tobacco_use=False, coverage_tier=tier,
        )  # fmt: skip
    return quote


def test_a_group_from_a_quote_asks_for_each_employee_s_gender_on_the_census_step(
    broker_client, quote, catalogue_facts
):
    response = broker_client.post(reverse("enrollment:group_start_from_quote", args=[quote.pk]), follow=True)
    assert "census has no gender: choose each employee" in response.content.decode()
    group = EmployerGroup.objects.get(quote_id=quote.pk)
    html = broker_client.get(step_url(group, "census") + "?check=1").content.decode()
    for row in (0, 1):
        gender = field_block(html, f"census-{row}-gender")
        assert '<span class="rule-id">SCHEMA</span>' in gender and "Gender is required." in gender
        assert "Choose Female, Male or Unknown" in gender
    assert not any(words in html for words in LIBRARY_WORDS)
    review = broker_client.get(reverse("enrollment:group_review", args=[group.pk])).content.decode()
    assert "E-1: Gender is required." in review and not any(words in review for words in LIBRARY_WORDS)

    data = {"census-TOTAL_FORMS": "2", "census-INITIAL_FORMS": "2"}
    for i, ref in enumerate(("E-1", "E-2")):
        data |= {f"census-{i}-member_ref": ref, f"census-{i}-subscriber_ref": ref,
                 f"census-{i}-relationship": "SUBSCRIBER", f"census-{i}-gender": "FEMALE",
                 f"census-{i}-zip5": "40202", f"census-{i}-coverage_tier": "EMP"}  # fmt: skip
    broker_client.post(step_url(group, "census"), data)
    assert not [p for p in services.group_check(group=group) if p.pointer.endswith("/gender")]


def test_a_census_file_s_errors_are_in_the_reader_s_language(broker_client, complete_group, catalogue_facts):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("census.csv", b"memberRef,relationship,dateOfBirth\nE-1,SUBSCRIBER,not-a-date\n")
    html = (
        spanish(broker_client)
        .post(step_url(complete_group, "census"), {"action": "upload", "file": bad})
        .content.decode()
    )
    assert "La fecha de nacimiento no es una fecha." in html and "Escríbala como AAAA-MM-DD" in html
