"""Issue 17, items 7, 9 and 10, where the values are typed: the broker's family page and the employee's
self-service pages refuse a name, phone or address the 834 cannot carry as typed (PTL-001, PTL-002,
PTL-003, with the rule's fix beside the field), and a phone is stored and sent as its 10 NANP digits."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from members import self_service, services
from members.forms import DependentForm, SubscriberForm
from members.models import Member
from members.self_service_forms import DetailsForm
from tests.members.test_self_service import details_post
from tests.members.test_views import family_post

pytestmark = pytest.mark.django_db


def field_html(html: str, name: str) -> str:
    """The rendered field block of ``name`` (``subscriber-first_name`` …), errors included."""
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html, re.S)
    assert match, f"no field {name}"
    return match.group(1)


# ------------------------------------------------------------------------------------ broker's family page


@pytest.mark.parametrize(
    ("first", "last", "field", "hint"),
    [
        ("Σοφία", "Wang", "first_name", "Sofia"),
        ("張偉 Ωmega", "Chen", "first_name", None),
        ("Luis", "Σοφία", "last_name", "Sofia"),
    ],
)
def test_the_family_page_refuses_a_name_the_834_cannot_carry(
    broker_client, group, queued, rule_facts, first, last, field, hint
):
    data = family_post(group, **{"subscriber-first_name": first, "subscriber-last_name": last})
    response = broker_client.post(reverse("members:family_new", args=[group.pk]), data)
    assert response.status_code == 200
    assert not Member.objects.filter(group=group).exists()  # refused, not emptied at the writer later
    block = field_html(response.content.decode(), f"subscriber-{field}")
    assert "PTL-001" in block
    assert "Latin spelling on the member&#x27;s ID documents" in block
    if hint:
        assert hint in block
    assert first in response.content.decode()  # what was typed is still on the page


def test_the_family_page_refuses_a_dependents_name_in_another_script(
    broker_client, group, queued, rule_facts
):
    data = family_post(
        group,
        **{
            "dependents-0-relationship": "SPOUSE",
            "dependents-0-first_name": "Σοφία",
            "dependents-0-last_name": "Wang",
            "dependents-0-date_of_birth": "1994-02-03",
            "dependents-0-gender": "FEMALE",
            "dependents-0-tobacco_use": "false",
            "dependents-0-covered_lines": ["MEDICAL"],
        },
    )
    response = broker_client.post(reverse("members:family_new", args=[group.pk]), data)
    assert response.status_code == 200
    assert "PTL-001" in field_html(response.content.decode(), "dependents-0-first_name")
    assert not Member.objects.filter(group=group).exists()


def test_the_family_page_stores_and_sends_a_phone_as_ten_digits(broker_client, group, queued, rule_facts):
    data = family_post(group, **{"subscriber-phone": "+1 502 555 0100 x9"})
    response = broker_client.post(reverse("members:family_new", args=[group.pk]), data)
    assert response.status_code == 302
    luis = Member.objects.get(group=group, member_ref="E-002")
    assert luis.phone == "5025550100"
    assert services.member_build_validation_body(member=luis)["phone"] == "5025550100"


@pytest.mark.parametrize("phone", ["555-0100", "+44 20 7946 0958", "5555555555"])
def test_the_family_page_refuses_a_phone_that_is_no_nanp_number(
    broker_client, group, queued, rule_facts, phone
):
    data = family_post(group, **{"subscriber-phone": phone})
    response = broker_client.post(reverse("members:family_new", args=[group.pk]), data)
    assert response.status_code == 200
    block = field_html(response.content.decode(), "subscriber-phone")
    assert "PTL-002" in block and "10-digit" in block
    assert not Member.objects.filter(group=group).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("address_line1", "1" + " Long Street Name" * 4),  # 69 characters
        ("address_line2", "Apartment " + "9" * 50),
        ("city", "Llanfairpwllgwyngyllgogerychwyrn"),  # 32 characters
        ("city", "Москва"),
    ],
)
def test_the_family_page_refuses_an_address_the_834_would_cut(
    broker_client, group, queued, rule_facts, field, value
):
    data = family_post(group, **{f"subscriber-{field}": value})
    response = broker_client.post(reverse("members:family_new", args=[group.pk]), data)
    assert response.status_code == 200
    assert "PTL-003" in field_html(response.content.decode(), f"subscriber-{field}")
    assert not Member.objects.filter(group=group).exists()


def test_the_family_page_accepts_an_address_of_exactly_the_834s_lengths(
    broker_client, group, queued, rule_facts
):
    data = family_post(group, **{"subscriber-address_line1": "9" * 55, "subscriber-city": "C" * 30})
    response = broker_client.post(reverse("members:family_new", args=[group.pk]), data)
    assert response.status_code == 302
    luis = Member.objects.get(group=group, member_ref="E-002")
    assert (luis.address_line1, luis.city) == ("9" * 55, "C" * 30)


def test_the_forms_check_the_fields_they_have():
    form = DependentForm({"relationship": "CHILD", "first_name": "Ωmega", "last_name": "Lee"}, lines=[])
    assert not form.is_valid()
    assert "PTL-001" in " ".join(form.errors["first_name"])
    form = SubscriberForm(
        {"member_ref": "E-009", "first_name": "Ann", "last_name": "Lee", "phone": "(502) 555-0111"}
    )
    form.is_valid()
    assert "phone" not in form.errors and form.cleaned_data["phone"] == "5025550111"


def test_a_name_stored_before_the_rule_shows_ptl_001_beside_its_field(ann, rule_facts):
    Member.objects.filter(pk=ann.pk).update(first_name="Σοφία", phone="+44 20 7946 0958")
    ann.refresh_from_db()
    problems = services.member_local_problems(member=ann)
    placed = {(p.code, p.field) for p in problems}
    assert {("PTL-001", "first_name"), ("PTL-002", "phone")} <= placed
    assert all(p.fix for p in problems if p.code.startswith("PTL-"))


# ------------------------------------------------------------------------------------ employee self-service

NOW = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


@pytest.fixture
def invitation(ann):
    with time_machine.travel(NOW, tick=False):
        yield self_service.invitation_send(subscriber=ann, by=None)


def test_self_service_refuses_a_name_in_another_script_beside_the_field(client, invitation, rule_facts):
    with time_machine.travel(NOW, tick=False):
        url = reverse("self_service:details", kwargs={"token": invitation.token})
        response = client.post(url, details_post(**{"me-first_name": "Σοφία", "me-last_name": "Wang"}))
    assert response.status_code == 200  # not sent on to the next step
    block = field_html(response.content.decode(), "me-first_name")
    assert "PTL-001" in block and "Sofia" in block


def test_self_service_refuses_a_phone_and_an_address_it_cannot_write(client, invitation, rule_facts):
    data = details_post(**{"me-phone": "555-0100", "me-city": "C" * 31})
    with time_machine.travel(NOW, tick=False):
        url = reverse("self_service:details", kwargs={"token": invitation.token})
        html = client.post(url, data).content.decode()
    assert "PTL-002" in field_html(html, "me-phone")
    assert "PTL-003" in field_html(html, "me-city")


def test_self_service_keeps_the_ten_digits_of_a_phone():
    form = DetailsForm(details_post(**{"me-phone": "+1 502 555 0100 x9"}), prefix="me")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "5025550100"


def test_self_service_says_it_in_spanish(client, invitation, rule_facts, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    with time_machine.travel(NOW, tick=False):
        url = reverse("self_service:details", kwargs={"token": invitation.token})
        html = client.post(
            url, details_post(**{"me-first_name": "Σοφία", "me-phone": "555-0100"})
        ).content.decode()
    assert "PTL-001" in field_html(html, "me-first_name")
    assert "ortografía latina" in field_html(html, "me-first_name")
    assert "10 dígitos" in field_html(html, "me-phone")
