"""Issue 20's "Done when": a group's whole year against the sandbox over HTTP with a real Celery worker.

Enrolled on 2027-01-01 (Priya Shah and her son join in May through the maintenance app's change file) →
the offer on 2027-10-03 (the beat's sync task) → a decision with changes, signed and accepted (the send
task) → renewal open enrollment: Luis changes on a phone in Spanish (another medical plan and dental),
Priya changes her medical plan in English, Ann does nothing → the renewal file ACCEPTED (the send and poll
tasks) → on 2028-01-01 the portal shows the 2028 plans and rates, and the carrier's roster agrees."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.urls import reverse

from members.models import Election, Member
from renewals import tasks
from renewals.models import Renewal, RenewalElection, RenewalFile, RenewalLink
from renewals.self_service import renewal_link_token

from .conftest import on
from .signing_helpers import agent_signs, employer_signs, invite_ann, prepare, submit
from .test_elections_live import PHONE, group  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
S = Renewal.Status


def wait_until(what: Callable[[], object], seconds: float = 60) -> object:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not reached in {seconds} s: {what.__doc__ or what}")


def renewal_is(group, status: str) -> Callable[[], object]:  # noqa: F811
    def check() -> object:
        return Renewal.objects.filter(group=group, renewal_date="2028-01-01", status=status).first()

    check.__doc__ = f"renewal {status}"
    return check


def hire_priya(group) -> Member:  # noqa: F811
    """Priya Shah and her son join in 2027 (api.md *Maintenance*): the new hire validated and sent in a
    change file with the maintenance app's services, and the family recorded in the portal."""
    from maintenance import services as changes
    from tests.maintenance.bodies import arjun, priya

    on("2027-03-22")
    bodies = (priya(email="priya@example.com"), arjun())  # her e-mail: the renewal link goes there
    requests = [changes.change_request_create(group=group, body=body) for body in bodies]
    for request in requests:
        assert changes.change_request_validate(request_id=request.pk).state == "VALIDATED"
    on("2027-03-23")
    file = changes.change_file_send(group_id=group.pk)
    assert changes.change_file_poll(change_file_id=file.pk).status == "ACCEPTED"
    # The accepted change file's new hires are the portal's members now (maintenance.apply).
    shah = Member.objects.get(group=group, member_ref="E-003")
    assert Member.objects.filter(group=group, subscriber=shah, member_ref="E-003-C1").exists()
    assert {(e.line, e.plan_id or None, e.waived) for e in shah.elections.all()} == {
        ("MEDICAL", "12345KY0010002", False), ("DENTAL", "12345KY0020001", False), ("VISION", None, True),
    }  # fmt: skip
    return shah


def test_a_whole_year_with_a_real_worker(celery_worker_thread, group, client, broker, sandbox):  # noqa: F811
    shah = hire_priya(group)
    on("2027-10-03")
    tasks.sync_all_renewals.delay()  # the beat's task
    renewal = wait_until(renewal_is(group, S.OFFERED))
    assert group.notices.filter(kind="RENEWAL_OFFERED").exists()

    on("2027-10-21")
    client.force_login(broker.user)
    form = {"decision": "RENEW_WITH_CHANGES", "medical_renew": "on", "medical_basis": "PERCENT",
            "medical_employee": "65.00", "medical_dependents": "25.00",
            "medical_plans": ["12345KY0010001", "12345KY0010002"]}  # fmt: skip
    others = {"dental": ("FLAT", "20.00", "0.00"), "vision": ("PERCENT", "100.00", "0.00")}
    for line, (basis, employee, dependents) in others.items():
        form |= {f"{line}_renew": "on", f"{line}_basis": basis, f"{line}_employee": employee,
                 f"{line}_dependents": dependents}  # fmt: skip
    # The broker prepares it, Ann signs it from her own login, the writing agent signs, the broker sends it.
    employer = client.__class__()
    employer.force_login(invite_ann(group, broker).user)
    prepare(client, group, form)
    employer_signs(employer, group)
    agent_signs(client, group)
    assert submit(client, group).status_code == 302
    renewal = wait_until(renewal_is(group, S.DECIDED))
    assert (
        renewal.sending == Renewal.Sending.SENT
        and renewal.carrier_renewal["decision"]["source"] == "EMPLOYER"
    )

    on("2027-12-10")
    assert client.post(reverse("renewals:open_enrollment", args=[group.pk])).status_code == 302
    luis = Member.objects.get(group=group, member_ref="E-002")
    token = renewal_link_token(RenewalLink.objects.get(renewal=renewal, subscriber=luis))
    employee = client.__class__()
    page = employee.get(
        f"/enroll/renew/{token}/", HTTP_ACCEPT_LANGUAGE="es", HTTP_USER_AGENT=PHONE
    ).content.decode()
    assert "Se renueva como" in page
    choice = {"plan_MEDICAL": "12345KY0010002", "plan_DENTAL": "12345KY0020001", "plan_VISION": "WAIVE",
              "reason_VISION": "OTHER_GROUP_COVERAGE"}  # fmt: skip
    saved = employee.post(f"/enroll/renew/{token}/", choice, HTTP_ACCEPT_LANGUAGE="es", HTTP_USER_AGENT=PHONE)
    assert "su elección fue verificada con Humana" in saved.content.decode()
    assert RenewalElection.objects.get(member=luis).state == RenewalElection.State.VALIDATED
    token = renewal_link_token(RenewalLink.objects.get(renewal=renewal, subscriber=shah))
    desk = client.__class__()  # Priya, in English on a computer: medical moves to …0001, Arjun follows
    choice = {"plan_MEDICAL": "12345KY0010001", "plan_DENTAL": "12345KY0020001", "plan_VISION": "WAIVE",
              "reason_VISION": "OTHER_GROUP_COVERAGE"}  # fmt: skip
    saved = desk.post(f"/enroll/renew/{token}/", choice, HTTP_ACCEPT_LANGUAGE="en")
    assert "your choice was checked with Humana" in saved.content.decode()
    assert not RenewalElection.objects.filter(member__member_ref="E-001").exists()  # Ann does nothing

    assert client.post(reverse("renewals:file_send", args=[group.pk])).status_code == 302
    wait_until(
        lambda: RenewalFile.objects.filter(renewal=renewal, status=RenewalFile.Status.ACCEPTED).first()
    )
    assert RenewalElection.objects.get(member=luis).state == RenewalElection.State.APPLIED
    assert RenewalElection.objects.get(member=shah).state == RenewalElection.State.APPLIED

    on("2028-01-01")
    tasks.sync_renewals.delay(group.pk)
    wait_until(renewal_is(group, S.RENEWED))
    page = client.get(reverse("enrollment:group_detail", args=[group.pk])).content.decode()
    assert "Plan year in force: 2028-01-01 to 2028-12-31" in page
    mine = {
        (e.member.member_ref, e.line): (e.plan_id or None)
        for e in Election.objects.filter(member__group=group)
    }
    roster = sandbox.get(f"/groups/{group.humana_group_id}/members", asOf="2028-01-01").json()["items"]
    theirs = {(m["memberRef"], c["line"]): c["planId"] for m in roster if m["relationship"] == "SUBSCRIBER"
              for c in m["coverage"]}  # fmt: skip
    assert theirs == {key: plan for key, plan in mine.items() if plan}
    assert (
        theirs[("E-002", "MEDICAL")] == "12345KY0010002" and theirs[("E-002", "DENTAL")] == "12345KY0020001"
    )
