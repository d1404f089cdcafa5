"""Employee self-service: invitations (expiry, revocation, resend, unknown tokens), one family per link,
signing, rules beside their fields, Spanish pages."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members import self_service
from members.models import Invitation, Member

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invitation(ann):
    return self_service.invitation_send(subscriber=ann, by=None)


def url(invitation_or_token, step="start"):
    token = getattr(invitation_or_token, "token", invitation_or_token)
    return reverse(f"self_service:{step}", kwargs={"token": token})


def details_post(**overrides):
    data = {
        "me-first_name": "Ann",
        "me-last_name": "Lee",
        "me-ssn": "",
        "me-date_of_birth": "1980-05-02",
        "me-gender": "FEMALE",
        "me-marital_status": "MARRIED",
        "me-tobacco_use": "false",
        "me-address_line1": "100 Main St",
        "me-city": "Louisville",
        "me-state": "KY",
        "me-zip5": "40202",
        "me-phone": "5025550111",
        "me-email": "ann@example.com",
    }
    data.update(overrides)
    return data


def family_post(ann, **overrides):
    """Ann's three dependents as stored, plus one empty form."""
    deps = sorted(ann.dependents.all(), key=lambda d: d.member_ref)
    data = {
        "family-TOTAL_FORMS": str(len(deps) + 1),
        "family-INITIAL_FORMS": str(len(deps)),
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "1000",
    }
    for i, d in enumerate(deps):
        data.update(
            {
                f"family-{i}-id": str(d.pk),
                f"family-{i}-relationship": d.relationship,
                f"family-{i}-first_name": d.first_name,
                f"family-{i}-last_name": d.last_name,
                f"family-{i}-date_of_birth": d.date_of_birth.isoformat(),
                f"family-{i}-gender": d.gender,
                f"family-{i}-tobacco_use": {True: "true", False: "false"}.get(d.tobacco_use, ""),
            }
        )
    data.update(overrides)
    return data


COVERAGE = {
    "election-medical-plan_id": "12345KY0010002",
    "election-dental-plan_id": "WAIVE",
    "election-dental-waiver_reason": "SPOUSE_GROUP_COVERAGE",
    "election-vision-plan_id": "12345KY0030001",
}


# ------------------------------------------------------------------------------------ invitations


def test_it_emails_a_link_whose_token_is_stored_only_as_a_hash(invitation, ann):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.com"]
    link = re.search(r"https?://\S+/enroll/(\S+)/", message.body)
    assert link and link.group(1) == invitation.token
    assert "Hola" in message.body  # English and Spanish
    stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.token_hash == hashlib.sha256(invitation.token.encode()).hexdigest()
    assert invitation.token not in str(Invitation.objects.filter(pk=invitation.pk).values().first())
    assert stored.expires_at == NOW + timedelta(days=14)


def test_it_never_lets_a_link_outlive_open_enrollment(ann, settings):
    settings.MEMBERS_INVITATION_DAYS = 60
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    # requested effective date 2027-01-01: the window ends ENROLLMENT_OE_LEAD_DAYS (10) days before
    assert timezone.localtime(invitation.expires_at).date().isoformat() == "2026-12-22"


def test_it_shows_the_closed_page_once_the_link_expired(client, invitation, frozen, rule_facts):
    assert client.get(url(invitation)).status_code == 200
    frozen.move_to(NOW + timedelta(days=15))
    response = client.get(url(invitation, "details"))
    assert response.status_code == 200
    assert "This link is closed" in response.content.decode()
    assert "me-first_name" not in response.content.decode()
    with pytest.raises(Exception) as exc:
        self_service.invitation_open(token=invitation.token)
    assert exc.typename == "Http404"


def test_it_lets_the_broker_extend_an_expired_link(client, invitation, frozen, rule_facts):
    frozen.move_to(NOW + timedelta(days=15))
    self_service.invitation_extend(invitation=invitation, days=3)
    response = client.get(url(invitation, "details"))
    assert "me-first_name" in response.content.decode()


def test_it_answers_404_for_a_revoked_link(client, invitation):
    self_service.invitation_revoke(invitation=invitation, by=None)
    for step in ("start", "details", "family", "coverage", "review"):
        assert client.get(url(invitation, step)).status_code == 404


def test_it_keeps_the_link_when_the_invitation_is_resent(client, invitation, rule_facts):
    """Issue 22 item 4: "Resend" replaced the token, so the earlier e-mail's link died."""
    old = invitation.token
    resent = self_service.invitation_resend(invitation=invitation, by=None)
    assert resent.token == old
    assert client.get(url(old)).status_code == 200
    assert old in mail.outbox[-1].body
    stored = Invitation.objects.get(pk=invitation.pk)
    assert old not in (stored.token_hash, stored.link_salt)  # still only its hash and a salt are stored


def test_it_replaces_a_link_it_cannot_make_again(client, invitation, rule_facts):
    """A link made before links were derived (no salt) is replaced, the old one answering 404."""
    Invitation.objects.filter(pk=invitation.pk).update(link_salt="")
    invitation.refresh_from_db()
    old = invitation.token
    resent = self_service.invitation_resend(invitation=invitation, by=None)
    assert resent.token != old
    assert client.get(url(old)).status_code == 404
    assert client.get(url(resent.token)).status_code == 200
    assert Invitation.objects.get(pk=invitation.pk).sent_count == 2
    assert len(mail.outbox) == 2


def test_it_revokes_earlier_links_when_a_new_invitation_is_sent(client, invitation, ann):
    second = self_service.invitation_send(subscriber=ann, by=None)
    assert client.get(url(invitation)).status_code == 404
    assert client.get(url(second)).status_code == 200


def test_it_answers_404_for_an_unknown_token(client, invitation):
    assert client.get(url("x" * 43)).status_code == 404
    tampered = invitation.token[:-1] + ("A" if invitation.token[-1] != "A" else "B")
    assert client.get(url(tampered)).status_code == 404
    assert client.get(url(invitation.token)).status_code == 200


def test_it_lets_only_the_brokers_agency_send_invitations(client, ann, other_broker):
    client.force_login(other_broker.user)
    response = client.post(reverse("members:invitation_send", args=[ann.group_id, ann.pk]))
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_it_sends_resends_and_revokes_from_the_member_list(broker_client, ann, rule_facts):
    send = reverse("members:invitation_send", args=[ann.group_id, ann.pk])
    assert broker_client.get(send).status_code == 405
    broker_client.post(send)
    first = Invitation.objects.get()
    broker_client.post(reverse("members:invitation_resend", args=[ann.group_id, ann.pk]))
    first.refresh_from_db()
    assert first.sent_count == 2
    page = broker_client.get(reverse("members:member_list", args=[ann.group_id])).content.decode()
    assert "Invited" in page
    broker_client.post(reverse("members:invitation_revoke", args=[ann.group_id, ann.pk]))
    first.refresh_from_db()
    assert first.revoked_at is not None


# ------------------------------------------------------------------------------------ one family only


def test_it_answers_404_when_another_familys_member_is_posted(client, invitation, ann, luis, rule_facts):
    stranger = Member.objects.get(member_ref="E-002")
    data = family_post(ann, **{"family-0-id": str(stranger.pk), "family-0-first_name": "Mallory"})
    before = Member.objects.get(pk=stranger.pk).first_name
    response = client.post(url(invitation, "family"), data)
    assert response.status_code == 404
    assert Member.objects.get(pk=stranger.pk).first_name == before
    assert Invitation.objects.get(pk=invitation.pk).draft == {}


def test_it_keeps_what_was_typed_for_the_next_visit(client, invitation, rule_facts):
    client.post(url(invitation, "details"), details_post(**{"me-phone": "5025559999"}))
    page = client.get(url(invitation, "details")).content.decode()
    assert "5025559999" in page
    assert Member.objects.get(pk=invitation.subscriber_id).phone == "5025550111"  # not saved before signing


# ------------------------------------------------------------------------------------ rules and signing


def test_it_shows_mbr_005_beside_the_childs_date_of_birth(client, invitation, ann, rule_facts):
    deps = sorted(ann.dependents.all(), key=lambda d: d.member_ref)
    index = [d.member_ref for d in deps].index("E-001-C1")
    data = family_post(ann, **{f"family-{index}-date_of_birth": "1995-01-01"})
    response = client.post(url(invitation, "family"), data)
    assert response.status_code == 200
    html = response.content.decode()
    field = re.search(
        rf'<div class="field field-invalid" id="field-family-{index}-date_of_birth">(.*?)</div>', html, re.S
    )
    assert field, html
    assert "MBR-005" in field.group(1)
    assert 'class="fix"' in field.group(1)


def test_it_stores_the_signature_and_queues_validation(
    client, invitation, ann, rule_facts, queued, django_capture_on_commit_callbacks
):
    client.post(url(invitation, "details"), details_post())
    client.post(url(invitation, "family"), family_post(ann))
    response = client.post(url(invitation, "coverage"), COVERAGE)
    assert response.status_code == 302, response.content.decode()
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(invitation, "review"), {"signed_name": "Ann  Lee", "agree": "on"})
    assert response.status_code == 302, response.content.decode()
    assert response.url == url(invitation, "done")
    invitation.refresh_from_db()
    assert invitation.signed_name == "Ann Lee"
    assert invitation.signed_at == NOW
    assert queued == [ann.group_id]
    elections = {e.line: (e.plan_id, e.waived, e.waiver_reason) for e in ann.elections.all()}
    assert elections["MEDICAL"] == ("12345KY0010002", False, "")
    assert elections["DENTAL"] == ("", True, "SPOUSE_GROUP_COVERAGE")
    done = client.get(response.url).content.decode()
    assert "Signed by Ann Lee" in done
    assert client.get(url(invitation, "review")).status_code == 302  # signed: the pages are done


def test_it_does_not_sign_without_a_typed_name(client, invitation, ann, rule_facts, queued):
    client.post(url(invitation, "coverage"), COVERAGE)
    response = client.post(url(invitation, "review"), {"signed_name": "  ", "agree": "on"})
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.signed_at is None


def test_it_adds_a_dependent_when_signed(client, invitation, ann, rule_facts, queued):
    data = family_post(ann)
    n = int(data["family-TOTAL_FORMS"]) - 1
    data.update(
        {
            f"family-{n}-relationship": "CHILD",
            f"family-{n}-first_name": "Zoe",
            f"family-{n}-last_name": "Lee",
            f"family-{n}-date_of_birth": "2015-03-03",
            f"family-{n}-ssn": "123-45-6783",
            f"family-{n}-gender": "FEMALE",
            f"family-{n}-tobacco_use": "false",
        }
    )
    assert client.post(url(invitation, "family"), data).status_code == 302
    client.post(url(invitation, "coverage"), COVERAGE)
    response = client.post(url(invitation, "review"), {"signed_name": "Ann Lee", "agree": "on"})
    assert response.status_code == 302, response.content.decode()
    zoe = Member.objects.get(first_name="Zoe")
    assert zoe.subscriber_id == ann.pk
    assert zoe.covered_lines == ["MEDICAL", "VISION"]


# ------------------------------------------------------------------------------------ languages


def test_it_renders_the_pages_in_spanish(client, invitation, rule_facts):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = client.get(url(invitation, "details")).content.decode()
    assert '<html lang="es">' in html
    assert "Sus datos" in html
    assert "Fecha de nacimiento" in html


# ------------------------------------------------------------------------------------ the employee's cost


def test_it_shows_what_the_employee_pays_for_each_offered_plan(
    client, invitation, rule_facts, settings, tmp_path
):
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")
    html = client.get(url(invitation, "coverage")).content.decode()
    # Ann's family (spouse and two children) on the Silver plan at 60% / 25% employer contribution
    assert "Humana Silver PPO 3500 — you pay $1,780.42 a month" in html
    assert "your employer pays $979.96" in html
    assert "Humana Dental PPO High — you pay $77.50 a month" in html
    assert "could not be worked out" not in html


def test_a_refused_choice_shows_the_coverage_page_again_with_the_prices(
    client, invitation, rule_facts, settings, tmp_path
):
    """A coverage POST that goes through is not priced (issue 24: the page is not shown); one refused is
    shown again, priced, with the refusal beside its field and the choices kept."""
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")
    refused = {**COVERAGE, "election-dental-waiver_reason": ""}
    response = client.post(url(invitation, "coverage"), refused)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Say why you do not want this coverage." in html
    assert "Humana Silver PPO 3500 — you pay $1,780.42 a month" in html
    assert re.search(r'value="12345KY0010002"[^>]*checked', html)
    assert client.post(url(invitation, "coverage"), COVERAGE).status_code == 302


def test_it_says_when_the_cost_cannot_be_worked_out(client, invitation, rule_facts):
    html = client.get(url(invitation, "coverage")).content.decode()
    assert "could not be worked out" in html
    assert 'value="12345KY0010002"' in html


def test_it_shows_the_closed_page_when_the_group_left_open_enrollment(client, invitation, ann):
    from enrollment.models import EmployerGroup

    EmployerGroup.objects.filter(pk=ann.group_id).update(status=EmployerGroup.Status.FINALIZED)
    response = client.get(url(invitation, "family"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Open enrollment for your employer" in html
    assert "family-TOTAL_FORMS" not in html


def test_it_offers_the_language_switch_on_the_employee_pages(client, invitation, rule_facts):
    html = client.get(url(invitation, "details")).content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'class="skip-link" href="#main"' in html
    response = client.post("/i18n/setlang/", {"language": "es", "next": url(invitation, "details")})
    assert response.status_code == 302
    assert "Sus datos" in client.get(response.url).content.decode()


def test_it_prices_every_line_in_one_quote_with_the_same_figures_as_line_by_line(
    ann, rule_facts, settings, tmp_path, django_assert_max_num_queries
):
    from catalogue.services import etss_file_receive
    from catalogue.testing import sample_path
    from members import self_service

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    etss_file_receive(path=sample_path(), loaded_by="command")
    group = ann.group
    subscriber = {"date_of_birth": ann.date_of_birth, "tobacco_use": ann.tobacco_use}
    family = [
        {"relationship": d.relationship, "date_of_birth": d.date_of_birth, "tobacco_use": d.tobacco_use}
        for d in ann.dependents.all()
    ]
    one_by_one = {
        line: self_service.employee_costs(
            group=group,
            subscriber=subscriber,
            dependents=[dict(d, covered_lines=[line]) for d in family],
            line=line,
        )
        for line in group.lines
    }
    with django_assert_max_num_queries(6):
        together = self_service.employee_costs_by_line(
            group=group, subscriber=subscriber, dependents=family, lines=list(group.lines)
        )
    assert together == one_by_one
    assert all(together[line] for line in group.lines)


def test_it_never_shortens_the_expiry_when_the_link_is_resent_after_an_extension(invitation, frozen):
    """Issue 15 item 12: "Resend" after "Extend 7 days" put the expiry back to 14 days from now."""
    extended = self_service.invitation_extend(invitation=invitation, days=7).expires_at
    assert extended == NOW + timedelta(days=21)
    frozen.move_to(NOW + timedelta(days=1))
    resent = self_service.invitation_resend(invitation=invitation, by=None)
    assert resent.expires_at == extended
    assert Invitation.objects.get(pk=invitation.pk).expires_at == extended
    frozen.move_to(NOW + timedelta(days=10))  # later a resend gives the full 14 days from now again
    later = self_service.invitation_resend(invitation=invitation, by=None)
    assert later.expires_at == NOW + timedelta(days=24)
