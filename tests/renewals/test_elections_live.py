"""Renewal open enrollment against the carrier sandbox over HTTP (live server): the employee's choices
(current plan, renewal plan, costs), an election validated with RENEWAL_OPEN_ENROLLMENT, one equal to
the passive renewal sent as nothing, the renewal file pre-checked with pyx12 and the companion checks,
uploaded and polled, per-member results on the elections and members, and the 2028 plans on R."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from enrollment.models import EmployerGroup
from groupsales.x12.validate import pyx12_issues
from members import services as member_services
from members.examples import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS, LUIS_ELECTIONS
from members.models import Election, Member
from renewals import elections, selectors, services
from renewals.models import Renewal, RenewalElection, RenewalFile
from tests.enrollment.conftest import make_complete_group

from .conftest import carrier_enrolled, on

pytestmark = pytest.mark.django_db(transaction=True)
S = Renewal.Status
E = RenewalElection.State


@pytest.fixture
def group(sandbox, broker, monkeypatch):
    """Blue Heron enrolled at the sandbox and in the portal with its two families."""
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda group_id: None)
    humana_id = carrier_enrolled(sandbox)
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(status=EmployerGroup.Status.OPEN_ENROLLMENT)
    group.refresh_from_db()
    for data, dependents, chosen in ((ANN, ANN_DEPENDENTS, ANN_ELECTIONS), (LUIS, [], LUIS_ELECTIONS)):
        member_services.family_save(group=group, subscriber_data=data, by=None, elections=chosen,
                                    dependents_data=[dict(d) for d in dependents])  # fmt: skip
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.ENROLLED, humana_group_id=humana_id
    )
    Member.objects.filter(group=group).update(enrollment_status=Member.EnrollmentStatus.ACCEPTED)
    Member.objects.filter(group=group, member_ref="E-002").update(email="luis@example.com")
    group.refresh_from_db()
    with override_settings(HUMANA_SENDER_ID="PARTNER01"):
        yield group


def accepted_renewal(group) -> Renewal:
    on("2027-10-03")
    services.renewal_sync(group_id=group.pk)
    on("2027-12-03")
    services.renewal_sync(group_id=group.pk)
    renewal = Renewal.objects.get(group=group, renewal_date="2028-01-01")
    assert renewal.status == S.PASSIVELY_ACCEPTED
    return services.renewal_open_enrollment_start(renewal=renewal)


def test_an_election_goes_in_a_renewal_file_and_is_in_force_on_r(group):
    renewal = accepted_renewal(group)
    on("2027-12-10")
    luis, ann = (
        Member.objects.get(group=group, member_ref="E-002"),
        Member.objects.get(group=group, member_ref="E-001"),
    )
    choices = {c.line: c for c in elections.renewal_choices(renewal=renewal, subscriber=luis)}
    assert (choices["MEDICAL"].current_plan, choices["MEDICAL"].renewal_plan) == (
        "12345KY0010001",
        "12345KY0010001",
    )
    assert choices["MEDICAL"].current_cost and choices["MEDICAL"].renewal_cost
    assert (choices["DENTAL"].current_plan, choices["DENTAL"].options) == (None, ("12345KY0020001",))

    assert (
        elections.renewal_election_record(renewal=renewal, subscriber=ann, plans={}) is None
    )  # keeps passive
    chosen = elections.renewal_election_record(
        renewal=renewal, subscriber=luis, plans={"DENTAL": "12345KY0020001"}
    )
    assert (chosen.state, chosen.action, chosen.change["effectiveDate"]) == (
        E.VALIDATED,
        "CHANGE",
        "2028-01-01",
    )

    file = elections.renewal_file_send(renewal_id=renewal.pk)
    assert (file.status, file.problems) == (RenewalFile.Status.SENT, [])
    assert pyx12_issues(file.content) == [] and "DTP*007*D8*20280101" in file.content
    assert (
        "HD*001**HLT*12345KY0010001*EMP" in file.content and "HD*021**DEN*12345KY0020001*EMP" in file.content
    )
    assert Renewal.objects.get(pk=renewal.pk).status == S.FILES
    file = elections.renewal_file_poll(file_id=file.pk)
    assert file.status == RenewalFile.Status.ACCEPTED, file.problems
    chosen.refresh_from_db()
    assert chosen.state == E.APPLIED and luis.__class__.objects.get(pk=luis.pk).enrollment_errors == []

    on("2028-01-01")
    services.renewal_sync(group_id=group.pk)
    assert Renewal.objects.get(pk=renewal.pk).status == S.RENEWED
    assert {e.line: (e.plan_id, e.waived) for e in Election.objects.filter(member=luis)} == {
        "MEDICAL": ("12345KY0010001", False), "DENTAL": ("12345KY0020001", False), "VISION": ("", True)
    }  # fmt: skip
    year = selectors.plan_years(group=group)[0]
    assert year.current and str(year.year.start) == "2028-01-01"
    assert "Renewal file" in " ".join(e.reason for e in renewal.events.all())


def test_the_broker_sees_the_elections_and_sends_them(group, client, broker, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr("renewals.tasks.send_renewal_file.delay", queued.append)
    renewal = accepted_renewal(group)
    on("2027-12-10")
    luis = Member.objects.get(group=group, member_ref="E-002")
    elections.renewal_election_record(renewal=renewal, subscriber=luis, plans={"DENTAL": "12345KY0020001"})
    client.force_login(broker.user)
    page = client.get(reverse("renewals:detail", args=[group.pk])).content.decode()
    assert "Renewal elections" in page and "Changes coverage" in page and "Validated by the carrier" in page
    assert client.post(reverse("renewals:file_send", args=[group.pk])).status_code == 302
    assert queued == [renewal.pk]


def test_a_refused_election_and_one_after_the_cutoff(group):
    renewal = accepted_renewal(group)
    on("2027-12-10")
    luis = Member.objects.get(group=group, member_ref="E-002")
    refused = elections.renewal_election_record(
        renewal=renewal, subscriber=luis, plans={"DENTAL": "12345KY0010001"}
    )
    assert refused.state == E.REFUSED and "REN-007" in [e["code"] for e in refused.carrier_errors]
    assert elections.renewal_file_build(renewal=renewal) == (None, [])  # nothing validated to send
    on("2028-01-01")
    with pytest.raises(elections.RenewalElectionRefused):
        elections.renewal_election_record(
            renewal=renewal, subscriber=luis, plans={"DENTAL": "12345KY0020001"}
        )


PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def test_the_employee_chooses_on_a_phone_in_spanish_and_the_other_does_nothing(group, client):
    from django.core import mail

    from renewals.models import RenewalLink
    from renewals.self_service import renewal_link_token

    mail.outbox.clear()
    renewal = accepted_renewal(group)  # opening renewal enrollment e-mails each employee its link
    links = {link.subscriber.member_ref: link for link in RenewalLink.objects.filter(renewal=renewal)}
    sent = {m.to[0]: m for m in mail.outbox}
    luis = Member.objects.get(group=group, member_ref="E-002")
    assert set(links) == set(Member.objects.filter(group=group, subscriber__isnull=True).exclude(email="")
                             .values_list("member_ref", flat=True))  # fmt: skip
    token = renewal_link_token(links["E-002"])
    assert f"/enroll/renew/{token}/" in sent[luis.email].body
    on("2027-12-10")
    page = client.get(f"/enroll/renew/{token}/", HTTP_ACCEPT_LANGUAGE="es", HTTP_USER_AGENT=PHONE)
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert (
        "Sus beneficios desde el 2028-01-01" in text and "Su plan ahora" in text and "Se renueva como" in text
    )
    assert "Humana Bronze PPO 6000" in text
    choice = {"plan_MEDICAL": "12345KY0010001", "plan_DENTAL": "12345KY0020001", "plan_VISION": "WAIVE",
              "reason_VISION": "OTHER_GROUP_COVERAGE"}  # fmt: skip
    answer = client.post(f"/enroll/renew/{token}/", choice, HTTP_ACCEPT_LANGUAGE="es", HTTP_USER_AGENT=PHONE)
    assert "su elección fue verificada con Humana" in answer.content.decode()
    election = RenewalElection.objects.get(renewal=renewal, member=luis)
    assert election.state == E.VALIDATED and election.body["event"]["type"] == "RENEWAL_OPEN_ENROLLMENT"
    assert not RenewalElection.objects.filter(renewal=renewal, member__member_ref="E-001").exists()
    assert client.get("/enroll/renew/not-a-token/").status_code == 404


def test_a_renewal_file_after_r_minus_1_is_rejected_with_ren_008_and_its_elections_wait(group):
    renewal = accepted_renewal(group)
    on("2027-12-10")
    luis = Member.objects.get(group=group, member_ref="E-002")
    chosen = elections.renewal_election_record(
        renewal=renewal, subscriber=luis, plans={"DENTAL": "12345KY0020001"}
    )
    assert chosen.state == E.VALIDATED
    on("2028-01-01")
    file = elections.renewal_file_send(renewal_id=renewal.pk)
    assert (
        file.status == RenewalFile.Status.SENT
    )  # the portal's pre-check passes; the carrier judges the date
    file = elections.renewal_file_poll(file_id=file.pk)
    assert file.status == RenewalFile.Status.REJECTED
    assert "REN-008" in [p["code"] for p in file.problems]
    chosen.refresh_from_db()
    assert chosen.state == E.VALIDATED and Renewal.objects.get(pk=renewal.pk).status == S.RENEWAL_OE


def test_an_employee_adds_a_spouse_from_the_renewal_date(group, client):
    from datetime import date

    from renewals.models import RenewalLink
    from renewals.self_service import renewal_link_token

    renewal = accepted_renewal(group)
    on("2027-12-10")
    luis = Member.objects.get(group=group, member_ref="E-002")
    token = renewal_link_token(RenewalLink.objects.get(renewal=renewal, subscriber=luis))
    answer = client.post(f"/enroll/renew/{token}/", {
        "action": "add_dependent", "first_name": "Marta", "last_name": "Ortiz", "relationship": "SPOUSE",
        "date_of_birth": "1996-03-04", "gender": "FEMALE", "ssn": "123456785"})  # fmt: skip
    assert "your choice was checked with Humana" in answer.content.decode(), answer.content.decode()[:3000]
    marta = Member.objects.get(group=group, subscriber=luis)
    assert (marta.member_ref, marta.covered_lines, marta.date_of_birth) == (
        "E-002-R1",
        ["MEDICAL"],
        date(1996, 3, 4),
    )
    theirs = {
        e.member.member_ref: (e.action, e.state) for e in RenewalElection.objects.filter(renewal=renewal)
    }
    assert theirs == {"E-002": ("CHANGE", E.VALIDATED), "E-002-R1": ("ADD", E.VALIDATED)}
    tiers = {
        c["line"]: c.get("coverageTier") for c in RenewalElection.objects.get(member=luis).body["coverage"]
    }
    assert tiers["MEDICAL"] == "ESP"
    file = elections.renewal_file_send(renewal_id=renewal.pk)
    assert file.problems == [] and "INS*N*01*021*28" in file.content
    file = elections.renewal_file_poll(file_id=file.pk)
    assert file.status == RenewalFile.Status.ACCEPTED, (file.problems, file.results)
    on("2028-01-01")
    services.renewal_sync(group_id=group.pk)
    roster = {m["memberRef"]: m for m in _carrier_roster(group, "2028-01-01")}
    assert {c["coverageTier"] for c in roster["E-002"]["coverage"]} == {"ESP"} and "E-002-R1" in roster
    assert "E-002-R1" not in {
        m["memberRef"] for m in _carrier_roster(group, "2027-12-31") if m["status"] == "ACTIVE"
    }


def _carrier_roster(group, day: str) -> list[dict]:
    from carrier.client import get_client

    with get_client() as client:
        return [m.model_dump(mode="json", by_alias=True) for m in client.iter_group_members(
            group.humana_group_id, as_of=date_of(day))]  # fmt: skip


def date_of(day: str):
    from datetime import date

    return date.fromisoformat(day)


def test_an_employee_ends_their_coverage_at_renewal_on_a_phone_in_spanish(group, client):
    """REN-007's TERMINATE from the employee's page: refused without the confirmation, then validated with
    the carrier as ending the day before R; the family goes with the employee."""
    from renewals.models import RenewalLink
    from renewals.self_service import renewal_link_token

    renewal = accepted_renewal(group)
    luis = Member.objects.get(group=group, member_ref="E-002")
    token = renewal_link_token(RenewalLink.objects.get(renewal=renewal, subscriber=luis))
    on("2027-12-10")
    url = f"/enroll/renew/{token}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es", HTTP_USER_AGENT=PHONE).content.decode()
    assert "Terminar mi cobertura al renovar" in page
    unconfirmed = client.post(url, {"action": "leave"}, HTTP_ACCEPT_LANGUAGE="es", HTTP_USER_AGENT=PHONE)
    assert "Marque la casilla para confirmar" in unconfirmed.content.decode()
    assert not RenewalElection.objects.filter(renewal=renewal, member=luis).exists()

    answer = client.post(url, {"action": "leave", "confirm_leave": "yes"}, HTTP_ACCEPT_LANGUAGE="es",
                         HTTP_USER_AGENT=PHONE)  # fmt: skip
    assert "terminan el día antes del 2028-01-01" in answer.content.decode(), answer.content.decode()[-2000:]
    election = RenewalElection.objects.get(renewal=renewal, member=luis)
    assert (election.state, election.action) == (E.VALIDATED, "TERMINATE")
    assert election.body["event"] == {"type": "RENEWAL_OPEN_ENROLLMENT", "action": "TERMINATE",
                                      "date": "2028-01-01"}  # fmt: skip
