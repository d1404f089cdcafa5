from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import Member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_it_masks_the_ssn_in_the_list(admin_client, ann):
    html = admin_client.get(reverse("admin:members_member_changelist")).content.decode()
    assert "***-**-6789" in html
    assert "123456789" not in html


def test_it_masks_ssn_and_birth_date_on_the_change_page(admin_client, ann):
    html = admin_client.get(reverse("admin:members_member_change", args=[ann.pk])).content.decode()
    assert "***-**-6789" in html and "****-**-**" in html
    assert "123456789" not in html and "123456780" not in html
    assert "1980-05-02" not in html and "May 2, 1980" not in html
    assert "E-001-S" in html  # dependents inline


def test_it_masks_the_history(admin_client, ann, queued):
    ann.ssn = "123456700"
    ann.save()
    html = admin_client.get(reverse("admin:members_member_history", args=[ann.pk])).content.decode()
    assert "***-**-6700" in html
    assert "123456789" not in html and "123456700" not in html
    record = ann.history.order_by("history_id").first()
    html = admin_client.get(
        reverse("admin:members_member_simple_history", args=[ann.pk, record.history_id])
    ).content.decode()
    assert "123456789" not in html


def test_it_searches_and_filters(admin_client, ann, luis):
    html = admin_client.get(reverse("admin:members_member_changelist"), {"q": "Ortiz"}).content.decode()
    assert "E-002" in html and "E-001-S" not in html
    html = admin_client.get(
        reverse("admin:members_member_changelist"), {"validation_status__exact": "VALID"}
    ).content.decode()
    assert "E-002" not in html


def test_it_validates_again(admin_client, luis, queued, django_capture_on_commit_callbacks):
    Member.objects.filter(pk=luis.pk).update(validation_status="INVALID")
    version = Member.objects.get(pk=luis.pk).edit_version
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:members_member_changelist"),
            {"action": "validate_again", "_selected_action": [luis.pk]},
        )
    luis.refresh_from_db()
    assert luis.validation_status == "NOT_VALIDATED"
    assert luis.edit_version == version + 1
    assert queued == [luis.group_id]
