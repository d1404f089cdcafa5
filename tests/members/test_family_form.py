"""Issue 15 item 9: the broker's family form takes as many dependents as needed before one save (without
JavaScript: "Add another dependent" returns the page with one more blank and nothing lost); the county is
chosen from the ZIP's counties in the rate file (the group address step's picker); a date of birth on
edit has an "on file" hint like the SSN's and an emptied field keeps it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from members.models import Member

from .page_form import form_data
from .test_views import family_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate_file(settings, tmp_path):
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")


def dependent(n: int, relationship: str, first: str, born: str, ssn: str) -> dict:
    return {
        f"dependents-{n}-relationship": relationship,
        f"dependents-{n}-first_name": first,
        f"dependents-{n}-last_name": "Ortiz",
        f"dependents-{n}-date_of_birth": born,
        f"dependents-{n}-gender": "FEMALE",
        f"dependents-{n}-ssn": ssn,
        f"dependents-{n}-tobacco_use": "false",
        f"dependents-{n}-covered_lines": ["MEDICAL"],
    }


def test_add_another_dependent_returns_the_page_with_one_more_blank_and_saves_nothing(
    broker_client, group, queued, rule_facts
):
    url = reverse("members:family_new", args=[group.pk])
    page = broker_client.get(url).content.decode()
    assert 'name="add_dependent"' in page
    assert 'id="dependent-template"' in page and "dependents-__prefix__-first_name" in page

    data = family_post(group, **dependent(0, "SPOUSE", "Rosa", "1994-03-03", "123456784"))
    data["add_dependent"] = "1"
    response = broker_client.post(url, data)
    assert response.status_code == 200
    assert not Member.objects.filter(group=group).exists()  # nothing saved
    html = response.content.decode()
    assert 'name="dependents-TOTAL_FORMS" value="2"' in html
    assert 'value="Rosa"' in html and 'name="dependents-1-first_name"' in html

    again = form_data(html)
    again.update(
        {
            k: [v] if isinstance(v, str) else v
            for k, v in dependent(1, "CHILD", "Ana", "2015-01-02", "123456783").items()
        }
    )
    again["add_dependent"] = ["1"]
    html = broker_client.post(url, again).content.decode()
    third = form_data(html)
    assert third["dependents-TOTAL_FORMS"] == ["3"]
    third.update(
        {
            k: [v] if isinstance(v, str) else v
            for k, v in dependent(2, "CHILD", "Eva", "2018-02-02", "123456785").items()
        }
    )

    response = broker_client.post(url, third)  # one save for the three of them
    assert response.status_code == 302
    luis = Member.objects.get(group=group, member_ref="E-002")
    assert sorted(d.first_name for d in luis.dependents.all()) == ["Ana", "Eva", "Rosa"]


def test_the_family_form_caps_the_dependents_it_takes(broker_client, group, queued, rule_facts, settings):
    settings.MEMBERS_MAX_DEPENDENTS = 2
    url = reverse("members:family_new", args=[group.pk])
    data = family_post(group, **{"dependents-TOTAL_FORMS": "2", "add_dependent": "1"})
    html = broker_client.post(url, data).content.decode()
    assert 'name="dependents-TOTAL_FORMS" value="2"' in html
    assert 'name="add_dependent"' not in html
    data = family_post(group, **{"dependents-TOTAL_FORMS": "99999999999999999999", "add_dependent": "1"})
    assert broker_client.post(url, data).status_code == 200


def test_the_county_is_chosen_from_the_zips_counties(broker_client, group, queued, rule_facts, rate_file):
    url = reverse("members:family_new", args=[group.pk])
    # a ZIP in two counties: the page lists both (after a save, as the group's address step does)
    data = family_post(group, **{"subscriber-zip5": "40240", "subscriber-county_fips": ""})
    response = broker_client.post(url, data)
    luis = Member.objects.get(group=group, member_ref="E-002")
    page = broker_client.get(reverse("members:family_edit", args=[group.pk, luis.pk])).content.decode()
    select = re.search(r'<select name="subscriber-county_fips".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d{5})"', select) == ["21001", "21003"]
    assert "rating area" in select
    assert response.status_code == 302 and luis.county_fips == ""

    # a ZIP in one county: filled in on save
    data = family_post(group, **{"subscriber-zip5": "40204", "subscriber-county_fips": ""})
    broker_client.post(reverse("members:family_edit", args=[group.pk, luis.pk]), data)
    luis.refresh_from_db()
    assert luis.county_fips == "21111"


def test_a_date_of_birth_on_file_has_a_hint_and_an_emptied_field_keeps_it(
    broker_client, luis, queued, rule_facts
):
    url = reverse("members:family_edit", args=[luis.group_id, luis.pk])
    page = broker_client.get(url).content.decode()
    assert "On file: born in 1995. Leave it empty to keep the date on file." in page
    broker_client.post(url, family_post(luis.group, **{"subscriber-date_of_birth": ""}))
    luis.refresh_from_db()
    assert luis.date_of_birth.isoformat() == "1995-07-22"
