"""Issue 15 item 7: plans by name, codes in words and money one way ($3,304.90), in every language, from one
place (``portal.display`` and its template filters)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from catalogue.models import Plan
from enrollment.models import EmployerGroup
from groupsales import codes
from portal import display
from tests.members.conftest import ann, group, queued, rule_facts  # noqa: F401

NAMES = {
    "12345KY0010001": ("MEDICAL", "Humana Bronze PPO 6000", "BRONZE", "PPO"),
    "12345KY0010002": ("MEDICAL", "Humana Silver PPO 3500", "SILVER", "PPO"),
    "12345KY0020001": ("DENTAL", "Humana Dental PPO High", "HIGH", "DPPO"),
    "12345KY0030001": ("VISION", "Humana Vision 130", "NA", "VIS"),
}


@pytest.fixture
def plans(db):
    for plan_id, (line, name, metal, kind) in NAMES.items():
        Plan.objects.create(
            plan_id=plan_id, plan_eff_date=date(2027, 1, 1), plan_exp_date=date(2027, 12, 31), state="KY",
            line=line, carrier_plan_code="X", marketing_name=name, plan_type=kind, metal_level=metal,
            rating_method="AGE", tobacco_rated=True, composite_allowed=True, dep_max_age=26,
            service_area_id="KYS001", network_id="KYN01", hsa_eligible=False, ded_ind=Decimal("1.00"),
            ded_fam=Decimal("1.00"), moop_ind=Decimal("1.00"), moop_fam=Decimal("1.00"),
        )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("3304.9"), "$3,304.90"),
        ("3143.30", "$3,143.30"),
        (1234567.891, "$1,234,567.89"),
        (Decimal("2.675"), "$2.68"),  # half up, as the carrier rounds (never truncated)
        (Decimal("-3"), "-$3.00"),
        (0, "$0.00"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_money_is_written_one_way_in_both_languages(language, amount, shown):
    """Spanish pages use the US Spanish convention (portal/formats/es): a US reader must not take
    3.304,90 for three dollars."""
    with translation.override(language):
        assert display.money(amount) == shown
        assert Template("{% load display %}{{ a|money }}").render(Context({"a": amount})) == shown


def test_money_shows_a_difference_with_its_sign_and_a_non_number_as_it_is():
    assert display.money(Decimal("12"), signed=True) == "+$12.00"
    assert display.money(Decimal("-0.5"), signed=True) == "-$0.50"
    assert display.money("n/a") == "n/a"


@pytest.mark.parametrize(
    ("kind", "enum"),
    [
        ("line", codes.Line), ("tier", codes.Tier), ("relationship", codes.Relationship),
        ("gender", codes.Gender), ("entity_type", codes.EntityType), ("waiting_period", codes.WaitingPeriod),
        ("rating", codes.RatingOption), ("basis", codes.ContributionBasis), ("waiver_reason", codes.WaiverReason),  # noqa: E501
        ("group_status", codes.GroupStatus), ("file_status", codes.FileStatus),
        ("member_status", codes.MemberEnrollmentStatus),
    ],
)  # fmt: skip
def test_every_code_of_the_carrier_s_lists_has_words_in_both_languages(kind, enum):
    for value in enum:
        with translation.override("en"):
            english = display.code_label(value, kind)
        assert english and (english != value.value or value in ("TRICARE", "VA"))  # acronyms stay
        with translation.override("es"):
            assert display.code_label(value, kind)


@pytest.mark.parametrize(
    ("value", "kind", "english", "spanish"),
    [
        ("MEDICAL", "line", "Medical", "Cobertura médica"),
        ("VISION", "line", "Vision", "Cobertura de la vista"),
        ("PERCENT", "basis", "Percent of premium", "Porcentaje de la prima"),
        ("AGE", "rating", "Age rated", "Por edad"),
        ("TIER", "rating", "Tier rated", "Por nivel de cobertura"),
        ("CREATED", "group_status", "Created, in open enrollment", "Creado, en inscripción abierta"),
        ("ACCEPTED_WITH_ERRORS", "file_status", "Accepted with errors", "Aceptado con errores"),
        ("TERMINATED", "group_status", "TERMINATED", "TERMINATED"),  # unknown: shown as it is (api.md)
    ],
)
def test_codes_read_as_words(value, kind, english, spanish):
    with translation.override("en"):  # a page rendered earlier in this thread may have left Spanish on
        assert display.code_label(value, kind) == english
    with translation.override("es"):
        assert display.code_label(value, kind) == spanish


def test_a_plan_reads_as_its_name_metal_and_type(plans):
    with translation.override("en"):
        assert display.plan_label("12345KY0010002") == "Humana Silver PPO 3500 (Silver, PPO)"
        assert display.plan_label("12345KY0030001") == "Humana Vision 130"
        assert display.plan_label("99999XX9999999") == "99999XX9999999"  # not in the catalogue: its ID
    with translation.override("es"):
        assert display.plan_label("12345KY0010002") == "Humana Silver PPO 3500 (Plata, PPO)"


def bare_plan_ids(html: str) -> list[str]:
    """Plan IDs a person would read (in text, not in attributes or inputs' values)."""
    text = re.sub(r"<[^>]+>", " ", html)
    return re.findall(r"\b12345KY\d{7}\b", text)


@pytest.mark.django_db
def test_the_group_page_shows_plans_by_name_and_money_one_way(broker_client, group, plans):  # noqa: F811
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.FINALIZED,
        estimated_rates=[{"planId": "12345KY0010001", "line": "MEDICAL", "estimatedMonthlyPremium": "3143.30"}],  # noqa: E501
        final_rates=[{"planId": "12345KY0010001", "line": "MEDICAL", "ratingMethod": "AGE",
                      "totalMonthlyPremium": "3304.90", "employerMonthlyContribution": "1260.82"}],
        final_monthly_premium=Decimal("3304.90"),
    )  # fmt: skip
    html = broker_client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert "Humana Bronze PPO 6000 (Bronze, PPO)" in html
    assert "$3,304.90" in html and "$3,143.30" in html and "+$161.60" in html and "$1,260.82" in html
    assert bare_plan_ids(html) == []
    assert "MEDICAL" not in re.sub(r"<[^>]+>", " ", html)  # the line in words
    assert "Age rated" in html


@pytest.mark.django_db
def test_review_shows_plans_contributions_and_codes_in_words(broker_client, broker, plans, rule_facts):  # noqa: F811
    from tests.enrollment.conftest import make_complete_group

    group = make_complete_group(broker)  # noqa: F811
    html = broker_client.get(reverse("enrollment:group_review", args=[group.pk])).content.decode()
    assert "Humana Silver PPO 3500 (Silver, PPO)" in html
    assert "60.00% of each employee&#x27;s premium" in html and "$20.00 a month toward each employee" in html
    assert "Limited liability company" in html and "First of the month after 30 days" in html
    assert bare_plan_ids(html) == []


@pytest.mark.django_db
def test_the_member_list_and_the_family_form_show_plans_by_name(broker_client, group, ann, plans):  # noqa: F811
    html = broker_client.get(reverse("members:member_list", args=[group.pk])).content.decode()
    assert "Humana Bronze PPO 6000 (Bronze, PPO)" in html
    form = broker_client.get(reverse("members:family_edit", args=[group.pk, ann.pk])).content.decode()
    assert re.search(
        r'<option value="12345KY0010002"[^>]*>Humana Silver PPO 3500 \(Silver, PPO\)</option>', form
    )
    assert bare_plan_ids(html) == []


@pytest.mark.django_db
def test_a_spanish_page_writes_money_and_lines_the_same_way(broker_client, group, plans):  # noqa: F811
    EmployerGroup.objects.filter(pk=group.pk).update(estimated_monthly_premium=Decimal("3304.90"))
    broker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = broker_client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert "$3,304.90 (estimada" in html and "Cobertura médica" in html and "Cobertura de la vista" in html
