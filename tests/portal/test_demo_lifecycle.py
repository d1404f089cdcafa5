"""``seed_demo`` leaves a group at every stage of the lifecycle (issue 7), built by the portal's real services
against the sandbox over HTTP (``edi/demo.py`` serves the WSGI app in a thread of its own: no live server,
but committed data, hence a transactional test)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from edi.models import Transmission
from enrollment.models import EmployerGroup
from members.models import Member

pytestmark = pytest.mark.django_db(transaction=True)

S = EmployerGroup.Status
EXPECTED = {
    "Blue Heron Bakery LLC": S.DRAFT,
    "Cardinal Coffee Co": S.OPEN_ENROLLMENT,
    "Bourbon Street Bikes LLC": S.FINALIZED,
    "Derby Day Bakery LLC": S.ENROLLED,
    "Mammoth Cave Outfitters": S.ENROLLED,
}


@pytest.fixture
def queued(monkeypatch):
    """What the services hand to Celery on commit, kept here (no broker message outlives the test)."""
    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "members.tasks.validate_group_members.delay", lambda group_id: sent.append(("validate", group_id))
    )
    monkeypatch.setattr("edi.tasks.upload_transmission.delay", lambda pk: sent.append(("upload", pk)))
    monkeypatch.setattr(
        "edi.tasks.poll_transmission.apply_async",
        lambda args, kwargs=None, **options: sent.append(("poll", args[0])),
    )
    return sent


def counts() -> dict[str, int]:
    return {
        "groups": EmployerGroup.objects.count(),
        "members": Member.objects.count(),
        "transmissions": Transmission.objects.count(),
    }


def test_seed_demo_makes_a_group_at_every_stage_once(queued, tmp_path):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()
    assert "FAILED" not in output, output

    groups = {g.legal_name: g for g in EmployerGroup.objects.filter(broker__npn="17012345")}
    assert {name: g.status for name, g in groups.items()} == EXPECTED, output
    for name in EXPECTED:
        assert f"edi: {name}" in output or name == "Blue Heron Bakery LLC"

    cardinal = groups["Cardinal Coffee Co"]
    assert cardinal.humana_group_id
    assert set(Member.objects.filter(group=cardinal).values_list("validation_status", flat=True)) == {"VALID"}
    assert Member.objects.filter(group=cardinal, relationship="SUBSCRIBER").count() == 2

    bikes = groups["Bourbon Street Bikes LLC"]
    assert bikes.final_monthly_premium and bikes.final_rates

    derby = groups["Derby Day Bakery LLC"]
    assert Transmission.objects.get(group=derby).status == Transmission.Status.ACCEPTED
    assert set(Member.objects.filter(group=derby).values_list("enrollment_status", flat=True)) == {"ACCEPTED"}

    mammoth = groups["Mammoth Cave Outfitters"]
    assert Transmission.objects.get(group=mammoth).status == Transmission.Status.ACCEPTED_WITH_ERRORS
    rejected = Member.objects.get(group=mammoth, enrollment_status="REJECTED")
    assert rejected.last_name == "Rejectsmith"
    assert Member.objects.filter(group=mammoth, enrollment_status="ACCEPTED").count() == 4

    # The work handed to Celery on the way finds nothing left to do when a worker runs it later.
    from edi import services as edi_services
    from members import services as member_services

    assert queued
    for kind, pk in queued:
        if kind == "validate":
            assert member_services.group_validate_members(group_id=pk)["sent"] == 0
        elif kind == "upload":
            assert edi_services.transmission_upload(transmission_id=pk).status in (
                Transmission.Status.ACCEPTED,
                Transmission.Status.ACCEPTED_WITH_ERRORS,
            )
        else:
            assert edi_services.transmission_poll(transmission_id=pk) is None

    # Again: nothing new.
    before = counts()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert counts() == before
    assert again.getvalue().count("already there") == len(EXPECTED)

    # export_834 writes the enrolled group's interchange.
    target = tmp_path / "derby.834"
    call_command("export_834", derby.humana_group_id, "-o", str(target), stderr=StringIO())
    text = target.read_text("ascii")
    assert text.startswith("ISA*") and text.rstrip().endswith("~")
    assert f"REF*38*{derby.humana_group_id}~" in text
    assert "DERBY DAY BAKERY LLC" in text
    assert text.count("INS*") == 5
