"""The employer forms: each step saves what was typed and shows the carrier's rule IDs beside fields."""

import re

import pytest
from django.urls import reverse

from enrollment import services
from enrollment.models import EmployerGroup

pytestmark = pytest.mark.django_db


def field_block(html: str, name: str) -> str:
    """The HTML of one field's block on a step page (label, input, its errors)."""
    end = r'</div>\s*(?=<div class="field|<p><button|<div class="actions")'
    m = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?){end}', html, re.S)
    assert m, f"no field {name} on the page"
    return m.group(1)


def step_url(group, step):
    return reverse("enrollment:group_step", args=[group.pk, step])


def test_it_shows_grp_002_and_grp_001_beside_their_fields_and_keeps_what_was_typed(
    broker_client, complete_group, catalogue_facts
):
    response = broker_client.post(
        step_url(complete_group, "employer"),
        {
            "legal_name": "Blue Heron~Bakery",
            "fein": "00-1234567",
            "sic_code": "5461",
            "entity_type": "LLC",
            "established_date": "2014-03-01",
            "phone": "5025550100",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="rule-id">GRP-002</span>' in field_block(html, "fein")
    assert '<span class="rule-id">GRP-001</span>' in field_block(html, "legal_name")
    assert "GRP-002" not in field_block(html, "legal_name")
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert (group.legal_name, group.fein) == ("Blue Heron~Bakery", "001234567")


def test_it_shows_a_plain_fix_beside_the_rule_id(broker_client, complete_group, catalogue_facts):
    response = broker_client.post(
        step_url(complete_group, "employer"),
        {"legal_name": "Blue Heron", "fein": "999999999", "sic_code": "7361"},
    )
    block = field_block(response.content.decode(), "sic_code")
    assert '<span class="rule-id">GRP-003</span>' in block
    assert '<span class="fix">' in block


def test_it_moves_on_to_the_next_step_when_the_step_breaks_no_rule(
    broker_client, complete_group, catalogue_facts
):
    response = broker_client.post(
        step_url(complete_group, "employer"),
        {
            "legal_name": "Blue Heron Bakery LLC",
            "fein": "12-3456789",
            "sic_code": "5461",
            "entity_type": "LLC",
            "established_date": "2014-03-01",
            "phone": "(502) 555-0100",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == step_url(complete_group, "address")
    assert EmployerGroup.objects.get(pk=complete_group.pk).phone == "5025550100"


def test_a_typed_npn_is_ignored_the_writing_agent_is_chosen(
    broker_client, broker, complete_group, catalogue_facts
):
    """Issue 16 item 7: NPN, name and e-mail are not form fields any more; what is posted is ignored."""
    response = broker_client.post(
        step_url(complete_group, "agent"),
        {"agent_npn": "99999999", "agent_first_name": "Eve", "agent_email": "eve@outside.example"},
    )
    assert response.status_code in (200, 302)
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert (group.agent_npn, group.agent_email) == (broker.npn, "sam@agency.example")


def test_it_shows_grp_007_beside_an_effective_date_not_on_the_first(
    broker_client, complete_group, catalogue_facts
):
    response = broker_client.post(
        step_url(complete_group, "coverage"),
        {
            "requested_effective_date": "2027-01-15",
            "total_employees": "3",
            "eligible_employees": "2",
            "minimum_hours_per_week": "30",
            "waiting_period": "FIRST_OF_MONTH_AFTER_30_DAYS",
        },
    )
    html = response.content.decode()
    assert '<span class="rule-id">GRP-007</span>' in field_block(html, "requested_effective_date")


def test_it_shows_grp_008_when_eligible_exceeds_total(broker_client, complete_group, catalogue_facts):
    response = broker_client.post(
        step_url(complete_group, "coverage"),
        {
            "requested_effective_date": "2027-01-01",
            "total_employees": "2",
            "eligible_employees": "5",
            "minimum_hours_per_week": "30",
            "waiting_period": "FIRST_OF_MONTH_AFTER_30_DAYS",
        },
    )
    html = response.content.decode()
    assert "GRP-008" in field_block(html, "eligible_employees") + field_block(html, "total_employees")


def test_it_prefills_the_writing_agent_from_the_brokers_profile(broker_client, broker):
    response = broker_client.post(reverse("enrollment:group_new"))
    group = EmployerGroup.objects.get(broker=broker)
    assert response["Location"] == step_url(group, "employer")
    assert (group.agent_npn, group.agent_first_name, group.agent_email) == (
        broker.npn,
        "Sam",
        broker.user.email,
    )


def test_it_offers_the_counties_of_the_zip_from_the_rate_file(broker_client, complete_group, catalogue_facts):
    response = broker_client.get(step_url(complete_group, "address"))
    html = response.content.decode()
    assert 'value="21111"' in html and "KY-RA02" in html


def test_it_offers_only_plans_sold_in_the_rating_area_and_saves_the_choice(
    broker_client, complete_group, catalogue_facts
):
    html = broker_client.get(step_url(complete_group, "plans")).content.decode()
    assert "12345KY0010002" in html
    response = broker_client.post(
        step_url(complete_group, "plans"),
        {
            "medical_plans": ["12345KY0010001"],
            "dental_plans": ["12345KY0020001"],
            "medical_rating_option": "AGE",
        },
    )
    assert response.status_code == 302
    group = EmployerGroup.objects.get(pk=complete_group.pk)
    assert group.lines == ["MEDICAL", "DENTAL"]  # vision unticked: the line is no longer offered
    assert group.offering("MEDICAL")["contribution"]["employee"] == "60.00"  # the contribution was kept


def test_it_shows_grp_011_beside_a_contribution_over_100_percent(
    broker_client, complete_group, catalogue_facts
):
    response = broker_client.post(
        step_url(complete_group, "contributions"),
        {
            "medical_basis": "PERCENT",
            "medical_employee": "120",
            "medical_dependents": "0",
            "dental_basis": "FLAT",
            "dental_employee": "20",
            "dental_dependents": "0",
            "vision_basis": "PERCENT",
            "vision_employee": "100",
            "vision_dependents": "0",
        },
    )
    assert '<span class="rule-id">GRP-011</span>' in field_block(
        response.content.decode(), "medical_employee"
    )


def test_it_reviews_a_complete_draft_without_problems(broker_client, complete_group, catalogue_facts):
    html = broker_client.get(reverse("enrollment:group_review", args=[complete_group.pk])).content.decode()
    assert "No problems found" in html
    assert 'class="rule-id"' not in html


def test_it_lists_every_remaining_problem_on_review_with_a_link_to_its_step(
    broker_client, broker, catalogue_facts
):
    from tests.enrollment.conftest import make_complete_group

    group = make_complete_group(broker, fein="000000000", contact_email="not-an-email")
    html = broker_client.get(reverse("enrollment:group_review", args=[group.pk])).content.decode()
    assert '<span class="rule-id">GRP-002</span>' in html and '<span class="rule-id">GRP-012</span>' in html
    assert f"{step_url(group, 'employer')}?check=1#field-fein" in html
    assert f"{step_url(group, 'contact')}?check=1#field-contact_email" in html


def test_it_refuses_to_submit_a_draft_that_breaks_rules(broker_client, broker, catalogue_facts):
    from tests.enrollment.conftest import make_complete_group

    group = make_complete_group(broker, fein="000000000")
    broker_client.post(reverse("enrollment:group_review", args=[group.pk]))
    assert EmployerGroup.objects.get(pk=group.pk).status == EmployerGroup.Status.DRAFT


def test_it_sends_a_submitted_group_to_its_page_and_no_longer_edits_it(
    broker_client, complete_group, catalogue_facts, monkeypatch
):
    monkeypatch.setattr("enrollment.tasks.create_group.delay", lambda group_id: None)
    response = broker_client.post(reverse("enrollment:group_review", args=[complete_group.pk]))
    assert response["Location"] == reverse("enrollment:group_detail", args=[complete_group.pk])
    assert EmployerGroup.objects.get(pk=complete_group.pk).status == EmployerGroup.Status.CREATING
    response = broker_client.get(step_url(complete_group, "employer"))
    assert response.status_code == 302


def test_it_never_shows_a_date_of_birth_on_the_census_page(broker_client, complete_group, catalogue_facts):
    html = broker_client.get(step_url(complete_group, "census")).content.decode()
    assert "E-001" in html
    assert "1980-05-02" not in html and "1980" not in html


def test_it_keeps_dates_of_birth_on_file_when_the_census_form_leaves_them_blank(
    broker_client, complete_group, catalogue_facts
):
    data = {
        "census-TOTAL_FORMS": "1",
        "census-INITIAL_FORMS": "0",
        "census-MIN_NUM_FORMS": "0",
        "census-MAX_NUM_FORMS": "1000",
        "census-0-member_ref": "E-001",
        "census-0-subscriber_ref": "E-001",
        "census-0-relationship": "SUBSCRIBER",
        "census-0-date_of_birth": "",
        "census-0-gender": "FEMALE",
        "census-0-zip5": "40202",
        "census-0-coverage_tier": "EMP",
        "census-0-is_owner": "on",
    }
    broker_client.post(step_url(complete_group, "census"), data)
    member = complete_group.census.get()
    assert member.member_ref == "E-001" and member.date_of_birth.isoformat() == "1980-05-02"
    assert member.coverage_tier == "EMP"
    assert services.group_build_create_payload(group=complete_group)["census"][0]["dependents"] == []


def test_it_reports_what_the_carrier_would_refuse_as_schema_before_submitting(
    broker_client, complete_group, catalogue_facts
):
    complete_group.census.filter(member_ref="E-002").update(gender="")
    html = broker_client.get(reverse("enrollment:group_review", args=[complete_group.pk])).content.decode()
    assert '<span class="rule-id">SCHEMA</span> E-002: Gender is required.' in html
    assert "Input should be" not in html  # pydantic's words never reach a person (issue 15 item 8)
    assert EmployerGroup.objects.get(pk=complete_group.pk).status == EmployerGroup.Status.DRAFT


def test_it_checks_what_is_typed_without_saving_it(broker_client, complete_group, catalogue_facts):
    url = reverse("enrollment:group_step_check", args=[complete_group.pk, "employer"])
    body = broker_client.post(
        url, {"legal_name": "Blue Heron", "fein": "001234567", "sic_code": "5461"}
    ).json()
    assert [p["code"] for p in body["fields"]["fein"]] == ["GRP-002"]
    assert body["fields"]["fein"][0]["fix"]
    assert body["fields"]["legal_name"] == []
    assert EmployerGroup.objects.get(pk=complete_group.pk).fein == "123456789"


def test_it_refuses_a_save_over_a_newer_version_and_keeps_what_was_typed(client, broker, principal):
    """Two people (or two tabs) on one draft: the second save is refused with a clear message, its typed
    values are shown again, and saving once more (now over the current version) goes through."""
    from enrollment.models import EmployerGroup
    from tests.factories import EmployerGroupFactory

    group = EmployerGroupFactory(broker=broker, agency=broker.agency, legal_name="Blue Heron Bakery LLC")
    url = f"/groups/{group.pk}/employer"
    client.force_login(broker.user)
    opened_by_broker = client.get(url).content.decode()
    seen = opened_by_broker.split('name="seen" value="', 1)[1].split('"', 1)[0]
    data = {"legal_name": "", "fein": "123456789", "sic_code": "5461", "entity_type": "LLC",
            "established_date": "2014-03-01", "phone": "5025550100", "seen": seen}  # fmt: skip

    other = client.__class__()
    other.force_login(principal.user)
    other.post(url, {**data, "legal_name": "Heron Holdings LLC"})  # saved first, over the same version
    assert EmployerGroup.objects.get(pk=group.pk).legal_name == "Heron Holdings LLC"

    refused = client.post(url, {**data, "legal_name": "Blue Heron Bakery & Cafe LLC"})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else saved this group" in page
    assert "Blue Heron Bakery &amp; Cafe LLC" in page  # what the broker typed is still in the form
    assert EmployerGroup.objects.get(pk=group.pk).legal_name == "Heron Holdings LLC"

    newer = page.split('name="seen" value="', 1)[1].split('"', 1)[0]
    again = client.post(url, {**data, "legal_name": "Blue Heron Bakery & Cafe LLC", "seen": newer})
    assert again.status_code in (200, 302)
    assert EmployerGroup.objects.get(pk=group.pk).legal_name == "Blue Heron Bakery & Cafe LLC"
