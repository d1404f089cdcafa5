"""The employee's pages say what the employee can act on, in their language, about what is on the screen;
old links say whom to ask; the family and the draft are bounded; dates of birth stay in their fields;
plans show their details and cost per pay period, side by side too.

Issue 15 items 10, 11, 12; issue 16 items 9 and 14 (the link holder's half); issue 23 item 4."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from members import self_service
from members.models import Invitation, Member
from tests.members.test_dob_broker_pages import spellings
from tests.members.test_self_service import COVERAGE, details_post, family_post, url

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invitation(ann):
    return self_service.invitation_send(subscriber=ann, by=None)


@pytest.fixture
def spanish():
    """A second browser whose reader chose Spanish."""
    from django.test import Client

    reader = Client()
    reader.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "es"
    return reader


@pytest.fixture
def rates(settings, tmp_path):
    """The project's sample rate file loaded: the plans are priced and have their facts."""
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")


def text(html: str) -> str:
    """What a person reads on the page (no markup, scripts or head)."""
    html = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").strip()


def field_block(html: str, name: str) -> str:
    """The text of a field's block (its label, input, help and errors) on a form page."""
    found = re.search(rf'<div class="field[^"]*" id="field-{re.escape(name)}">(.*?)</div>', html, re.S)
    assert found, f"no field {name}"
    return text(found.group(1))


def census_like(ann) -> Member:
    """Ann as a census import leaves an employee: no SSN, address, hire date or county."""
    Member.objects.filter(pk=ann.pk).update(ssn="", address_line1="", hire_date=None, county_fips="")
    return Member.objects.get(pk=ann.pk)


# ------------------------------------------------------------------------ issue 15 item 10: who can act


def test_the_employee_sees_no_problem_of_a_field_their_form_does_not_have(client, ann, rule_facts):
    invitation = self_service.invitation_send(subscriber=census_like(ann), by=None)
    html = client.post(url(invitation, "details"), details_post(**{"me-ssn": ""})).content.decode()
    page = text(html)
    assert "MBR-002" in field_block(html, "me-ssn")  # theirs: the SSN is on their form
    assert "MBR-008" not in page  # hire date, hours, status: the broker's
    assert "county" not in page.lower()
    assert "FIPS" not in page
    review = text(client.get(url(invitation, "review")).content.decode())
    assert "MBR-008" not in review and "FIPS" not in review
    assert "MBR-002" in review
    assert "are for your broker to complete" in review


def test_the_employee_reads_each_rule_in_their_language_addressed_to_them(spanish, ann, rule_facts):
    invitation = self_service.invitation_send(subscriber=census_like(ann), by=None)
    html = spanish.post(url(invitation, "details"), details_post(**{"me-ssn": ""})).content.decode()
    ssn = field_block(html, "me-ssn")
    assert "MBR-002" in ssn
    assert "Escriba los 9 dígitos de la tarjeta del Seguro Social." in ssn
    assert "SSN is required" not in ssn and "member's card" not in ssn  # the carrier's English, to a broker
    review = text(spanish.get(url(invitation, "review")).content.decode())
    assert "MBR-002" in review and "Escriba los 9 dígitos" in review
    assert "The employee" not in review
    assert "su agente" in review  # what is the broker's is said to be the broker's


def test_what_the_employee_cannot_fix_reaches_the_brokers_list_once_signed(
    client, broker_client, ann, rule_facts, queued, fake_client
):
    from members.services import group_validate_members

    census_like(ann)
    Member.objects.filter(pk=ann.pk).update(ssn="123456789")
    invitation = self_service.invitation_send(subscriber=Member.objects.get(pk=ann.pk), by=None)
    client.post(url(invitation, "details"), details_post())
    client.post(url(invitation, "family"), family_post(ann))
    client.post(url(invitation, "coverage"), COVERAGE)
    response = client.post(url(invitation, "review"), {"signed_name": "Ann Lee", "agree": "on"})
    assert response.status_code == 302, text(response.content.decode())
    group_validate_members(group_id=ann.group_id)
    listing = text(broker_client.get(reverse("members:member_list", args=[ann.group_id])).content.decode())
    assert re.search(r"E-001 · [^:]*: MBR-008", listing), listing


# ------------------------------------------------------------------------ issue 15 item 11: the screen


def test_after_a_refused_save_the_rules_judge_what_is_on_the_screen(client, ann, rule_facts):
    invitation = self_service.invitation_send(subscriber=census_like(ann), by=None)
    typed = {"me-address_line1": "PO Box 5", "me-ssn": "123-45-6799", "me-phone": "12"}
    html = client.post(url(invitation, "details"), details_post(**typed)).content.decode()
    assert "PTL-002" in field_block(html, "me-phone")  # the refusal
    address = field_block(html, "me-address_line1")
    assert "MBR-007" not in address and "PO Box 5" in html
    assert "MBR-002" not in field_block(html, "me-ssn")
    review = text(client.get(url(invitation, "review")).content.decode())
    assert "MBR-007" not in review and "MBR-002" not in review
    assert "Your details are not complete." in review


def test_a_field_the_form_refused_shows_the_forms_message_only(client, ann, rule_facts):
    invitation = self_service.invitation_send(subscriber=census_like(ann), by=None)  # no SSN on file
    html = client.post(url(invitation, "details"), details_post(**{"me-ssn": "12"})).content.decode()
    block = field_block(html, "me-ssn")
    assert "Enter the 9 digits of the SSN." in block
    assert "MBR-002" not in block  # not "the SSN is required" under a typed one


def test_a_family_member_refused_on_one_field_is_judged_on_the_others(client, invitation, ann, rule_facts):
    deps = sorted(ann.dependents.all(), key=lambda d: d.member_ref)
    i = [d.member_ref for d in deps].index("E-001-C1")
    data = family_post(ann, **{f"family-{i}-date_of_birth": "1995-01-01", f"family-{i}-ssn": "12"})
    html = client.post(url(invitation, "family"), data).content.decode()
    assert "Enter the 9 digits of the SSN." in field_block(html, f"family-{i}-ssn")
    assert "MBR-005" in field_block(html, f"family-{i}-date_of_birth")  # the typed date, not the stored one


# ------------------------------------------------------------------------ issue 15 item 12: old links


def gone_page(client, token) -> tuple[int, str, str]:
    response = client.get(url(token, "details"))
    html = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] in ("no-referrer", "same-origin")  # the token stays on this site
    assert "me-first_name" not in html
    main = text(re.search(r"(?s)<main\b.*?</main>", html).group(0))
    contact = re.search(r'(?s)<section class="ss-contact".*?</section>', html)
    without_contact = text(re.sub(r'(?s)<section class="ss-contact".*?</section>', "", html))
    return response.status_code, main, (text(contact.group(0)) if contact else without_contact)


@pytest.fixture
def broker_phone(broker):
    broker.phone = "5025550188"
    broker.save()
    return broker


def test_a_revoked_replaced_or_unknown_link_answers_one_page_that_names_whom_to_ask(
    client, invitation, ann, broker_phone
):
    replaced = invitation.token
    Invitation.objects.filter(pk=invitation.pk).update(link_salt="")  # a link from before derived links
    invitation.refresh_from_db()
    resent = self_service.invitation_resend(invitation=invitation, by=None)
    revoked = self_service.invitation_send(subscriber=ann, by=None)  # revokes the resent link
    pages = {
        name: gone_page(client, token) for name, token in [("replaced", replaced), ("revoked", resent.token)]
    }
    for status, main, contact in pages.values():
        assert status == 404
        assert "This link no longer works" in main
        assert (
            "Sam Ortiz" in contact and "(502) 555-0188" in contact and "Bluegrass Benefits Group" in contact
        )
        assert "Ann" not in main and "Blue Heron" not in main  # nothing of the family or the employer
    assert pages["replaced"][1] == pages["revoked"][1]  # the same words whatever the reason
    status, main, rest = gone_page(client, "x" * 43)
    assert status == 404 and "This link no longer works" in main
    assert "Sam Ortiz" not in main and "Ask your employer or the broker who sent you the link" in main
    for word in ("revoked", "replaced", "unknown", "exist"):
        assert word not in main.lower()
    assert client.get(url(revoked.token, "details")).status_code == 200


def test_the_old_link_page_is_in_spanish(spanish, invitation, broker_phone):
    self_service.invitation_revoke(invitation=invitation)
    status, main, contact = gone_page(spanish, invitation.token)
    assert status == 404
    assert "Este enlace ya no funciona" in main
    assert "Sam Ortiz" in contact and "(502) 555-0188" in contact
    assert "no longer works" not in main


def test_an_expired_link_names_the_broker_too(client, invitation, broker_phone, frozen, rule_facts):
    frozen.move_to(NOW + timedelta(days=15))
    html = client.get(url(invitation, "details")).content.decode()
    assert "This link is closed" in html
    assert "Sam Ortiz" in html and 'href="tel:+15025550188"' in html


def test_a_missing_page_and_a_server_error_have_pages_of_their_own(client, spanish):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Página no encontrada" in spanish.get("/no-such-page/").content.decode()
    from django.views.defaults import server_error

    request = RequestFactory().get("/")
    with translation.override("es"):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="es">' in html and "Algo salió mal" in html


# ------------------------------------------------------------------------ issue 16 item 9: bounds


def test_a_posted_family_of_199_is_cut_to_the_cap_with_a_message(client, invitation, ann, rule_facts):
    data = family_post(ann)
    for n in range(3, 199):
        data.update(
            {
                f"family-{n}-relationship": "CHILD",
                f"family-{n}-first_name": f"Kid{n}",
                f"family-{n}-last_name": "Lee",
                f"family-{n}-date_of_birth": "2015-03-03",
            }
        )
    data["family-TOTAL_FORMS"] = "199"
    response = client.post(url(invitation, "family"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert len(re.findall(r'<fieldset class="ss-person"', html)) == 20
    assert "You can list at most 20 family members here." in text(html)
    assert "Add another person" not in html
    draft = Invitation.objects.get(pk=invitation.pk).draft["family"]
    people = {key.split("-")[1] for key in draft if re.match(r"family-\d+-", key)}
    assert len(people) == 20


def test_an_overlong_value_is_refused_and_never_stored_whole(client, invitation, rule_facts):
    huge = "A" * 450_000  # two of them under the 1 MiB body limit (a larger body is refused, 413)
    response = client.post(url(invitation, "details"), details_post(**{"me-first_name": huge, "me-x": huge}))
    html = response.content.decode()
    assert response.status_code == 200
    assert len(html) < 200_000
    assert "At most 35 characters here (this has 254): shorten it." in field_block(html, "me-first_name")
    draft = Invitation.objects.get(pk=invitation.pk).draft
    assert len(json.dumps(draft)) < 10_000
    assert "me-x" not in draft["details"]


def test_adding_people_stops_at_the_cap(client, invitation, ann, rule_facts, settings):
    settings.MEMBERS_MAX_DEPENDENTS = 4
    data = family_post(ann)  # three dependents and one empty form
    client.post(url(invitation, "family"), dict(data, add="1"))
    html = client.get(url(invitation, "family")).content.decode()
    assert len(re.findall(r'<fieldset class="ss-person"', html)) == 4
    assert "Add another person" not in html


# ------------------------------------------------------------------------ issue 16 item 14: dates of birth


def test_a_link_holder_reads_dates_of_birth_only_in_their_own_fields(client, spanish, invitation, ann, rates):
    born = [m.date_of_birth for m in Member.objects.filter(group=ann.group_id)]
    for reader in (client, spanish):
        for step in ("", "details", "family", "coverage", "compare", "review"):
            html = reader.get(f"/enroll/{invitation.token}/{step}").content.decode()
            outside = re.sub(r'<input type="date" name="[^"]+-date_of_birth" value="[^"]*"', "", html)
            for d in born:
                assert [s for s in spellings(d) if s in outside] == [], (step, d)
    review = text(client.get(url(invitation, "review")).content.decode())
    assert "Born in 1980" in review and "born in 2010" in review


# ------------------------------------------------------------------------ issue 23 item 4: plan details


@pytest.fixture
def every_two_weeks(ann):
    ann.group.pay_frequency = "BIWEEKLY"
    ann.group.save(update_fields=["pay_frequency"])


def test_each_plan_shows_its_details_and_the_cost_per_pay_period(client, invitation, rates, every_two_weeks):
    page = text(client.get(url(invitation, "coverage")).content.decode())
    # Ann's family on the Silver plan: $1,780.42 a month x 12 / 26 pay periods = $821.73
    silver = page[page.index("Humana Silver PPO 3500") :]
    assert silver.startswith("Humana Silver PPO 3500 — you pay $1,780.42 a month")
    assert "$821.73 each pay period" in silver
    assert "Plan type: PPO · Silver" in silver
    assert "Deductible: $3,500.00 / $7,000.00" in silver
    assert "Out-of-pocket maximum: $6,500.00 / $13,000.00" in silver
    assert "HSA-eligible: Yes" in silver
    assert "Out-of-pocket maximum: — / —" in page  # the dental plan has none (0.00 in the file)
    assert "Compare the plans side by side" in page


def test_the_compare_view_puts_the_offered_plans_side_by_side(
    client, spanish, invitation, rates, every_two_weeks
):
    html = client.get(url(invitation, "compare")).content.decode()
    medical = re.search(r'(?s)<section class="ss-compare" id="plans-medical">.*?</section>', html)
    rows = {
        text(m.group(1)): [text(c) for c in re.findall(r"<td>(.*?)</td>", m.group(2))]
        for m in re.finditer(r'(?s)<tr><th scope="row">(.*?)</th>(.*?)</tr>', medical.group(0))
    }
    heads = [text(h) for h in re.findall(r'<th scope="col">(.*?)</th>', medical.group(0))]
    assert heads == ["Humana Bronze PPO 6000", "Humana Silver PPO 3500"]
    assert rows["You pay a month"] == ["$1,645.86", "$1,780.42"]
    assert rows["You pay each pay period"] == ["$759.63", "$821.73"]
    assert rows["Deductible (individual / family)"] == ["$6,000.00 / $12,000.00", "$3,500.00 / $7,000.00"]
    assert rows["HSA-eligible"] == ["Yes", "Yes"]
    es = text(spanish.get(url(invitation, "compare")).content.decode())
    assert "Compare los planes" in es and "Usted paga cada período de pago" in es


def test_waiving_says_what_it_means_before_and_after(client, invitation, rates):
    coverage = text(client.get(url(invitation, "coverage")).content.decode())
    note = "If you do not take this coverage now, you can join it only at the next open enrollment"
    assert coverage.count(note) == 3  # one per line, beside its "I do not want" choice
    assert "within 30 days of a qualifying life event" in coverage
    client.post(url(invitation, "coverage"), COVERAGE)
    review = text(client.get(url(invitation, "review")).content.decode())
    assert review.count(note) == 1  # dental is waived
    assert "That is $" in review and "each pay period (Monthly)" in review


def test_the_review_total_per_pay_period_is_the_monthly_total_divided(
    client, invitation, rates, every_two_weeks
):
    from decimal import Decimal

    from groupsales.rating import per_pay_period

    review = text(client.get(url(invitation, "review")).content.decode())
    monthly = re.search(r"In all you pay \$([\d,]+\.\d\d) a month", review).group(1)
    expected = per_pay_period(Decimal(monthly.replace(",", "")), 26)
    assert f"That is ${expected:,} each pay period (Every two weeks)." in review


def test_per_pay_period_rounds_half_up_to_the_cent():
    from decimal import Decimal

    from groupsales.rating import per_pay_period

    assert per_pay_period(Decimal("1780.42"), 26) == Decimal("821.73")
    assert per_pay_period(Decimal("100.00"), 24) == Decimal("50.00")
    assert per_pay_period(Decimal("0.13"), 52) == Decimal("0.03")  # 0.03 exactly
    assert per_pay_period(Decimal("0.625"), 12) == Decimal("0.63")  # half up
    assert per_pay_period(None, 12) is None


def test_a_signature_the_service_refuses_is_refused_in_the_readers_language(invitation):
    from django.core.exceptions import ValidationError

    self_service.invitation_revoke(invitation=invitation)
    arguments = {"subscriber_data": {}, "dependents_data": [], "elections": {}}
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        self_service.invitation_sign(invitation=invitation, signed_name="Ann Lee", **arguments)
    assert refused.value.messages == ["Este enlace está cerrado"]
    with translation.override("es"), pytest.raises(ValidationError) as unsigned:
        self_service.invitation_sign(invitation=invitation, signed_name="  ", **arguments)
    assert unsigned.value.messages == ["Escriba su nombre completo para firmar."]
