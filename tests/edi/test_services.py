"""The 834 transmission services, with the carrier client replaced by a fake (tests/edi/conftest.py)."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from carrier.errors import CarrierConflictError
from edi import services, sources
from edi.models import Transmission, TransmissionEvent, TransmissionMember
from edi.selectors import member_enrollment_results
from edi.services import files, transmissions
from edi.states import TransitionNotAllowed, transmission_transition
from groupsales.x12 import parse_834

from .conftest import accepted

S = Transmission.Status
P = Transmission.Purpose
ALL_REFS = ["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"]

pytestmark = pytest.mark.django_db


def _start(group, purpose=P.ORIGINAL, by=None) -> Transmission:
    return services.transmission_start(group=group, purpose=purpose, by=by)


def _upload_and_finish(transmission: Transmission, fake_carrier, final: dict) -> Transmission:
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.statuses = [{"status": "PROCESSING"}, final]
    assert services.transmission_poll(transmission_id=transmission.pk) is not None
    assert services.transmission_poll(transmission_id=transmission.pk) is None
    transmission.refresh_from_db()
    return transmission


def test_it_builds_a_ready_file_with_a_fresh_control_number(finalized_group, members_source, broker):
    transmission = _start(finalized_group, by=broker.user)
    assert transmission.status == S.READY
    parsed = parse_834(transmission.content)
    assert parsed.isa.element(13) == f"{transmission.isa13:09d}"
    assert parsed.header.purpose == "00"
    assert parsed.header.reference == transmission.reference == f"G104233-{transmission.isa13:09d}"
    assert [m for m in transmission.members.values_list("member_ref", flat=True)] == ALL_REFS
    assert transmission.member_count == 5 and transmission.subscriber_count == 2
    assert list(transmission.events.values_list("to_status", flat=True)) == [S.READY]


def test_it_writes_the_same_file_with_export_834_as_the_transmission(finalized_group, members_source):
    transmission = _start(finalized_group)
    out = io.StringIO()
    call_command(
        "export_834",
        "104233",
        "-o",
        "-",
        "--control-number",
        str(transmission.isa13),
        "--created-at",
        transmission.created_at.isoformat(),
        stdout=out,
    )
    assert out.getvalue() == transmission.content


def test_it_exports_with_a_placeholder_control_number_without_using_the_sequence(
    finalized_group, members_source, tmp_path
):
    target = tmp_path / "group.834"
    call_command("export_834", "104233", "-o", str(target))
    text = target.read_text()
    assert parse_834(text).isa.element(13) == "000000001"
    first = services.control_number_allocate()
    assert first == 1  # the export did not use one up
    assert services.control_number_allocate() == 2


def test_it_blocks_the_upload_when_the_precheck_fails_and_says_why_without_personal_data(
    finalized_group, members_source, fake_carrier, monkeypatch
):
    real_render = files.render_834

    def render_with_a_bad_birth_date(*args, **kwargs):
        # Maya's DMG02 becomes an impossible date: pyx12 rejects it (FIL-005).
        return real_render(*args, **kwargs).replace("DMG*D8*20100605*F~", "DMG*D8*20101305*F~")

    monkeypatch.setattr(files, "render_834", render_with_a_bad_birth_date)
    transmission = _start(finalized_group)
    assert transmission.status == S.PRECHECK_FAILED
    problems = transmission.precheck_errors
    assert problems, "the precheck found nothing"
    maya = [p for p in problems if p["memberRef"] == "E-001-C1"]
    assert maya and maya[0]["code"] == "FIL-005"
    assert (
        "Member E-001-C1: date of birth and gender segment (line 51): the date is not a valid date"
        in maya[0]["message"]
    )
    text = repr(problems)
    assert "20101305" not in text and "123456781" not in text
    assert fake_carrier.upload_calls == []


def test_it_keeps_a_member_that_cannot_be_written_out_of_the_upload_with_a_plain_reason(
    finalized_group, members_source
):
    members_source.bodies[2]["ssn"] = "12345"  # Maya: not 9 digits
    transmission = _start(finalized_group)
    assert transmission.status == S.PRECHECK_FAILED
    [problem] = transmission.precheck_errors
    assert problem["memberRef"] == "E-001-C1" and problem["code"] == "FIL-005"
    assert "12345" not in problem["message"]


def test_it_allows_one_file_in_flight_per_group(finalized_group, members_source):
    first = _start(finalized_group)
    assert first.status == S.READY
    with pytest.raises(services.TransmissionRefused, match="already"):
        _start(finalized_group)
    assert Transmission.objects.filter(group=finalized_group).count() == 1


def test_it_reuses_the_idempotency_key_when_an_upload_is_retried(
    finalized_group, members_source, fake_carrier
):
    transmission = _start(finalized_group)
    fake_carrier.transient_uploads = 1
    with pytest.raises(Exception, match="503"):
        services.transmission_upload(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    assert transmission.status == S.UPLOADING
    services.transmission_upload(transmission_id=transmission.pk)
    services.transmission_upload(transmission_id=transmission.pk)  # a duplicate delivery does nothing
    transmission.refresh_from_db()
    assert transmission.status == S.RECEIVED
    assert len(fake_carrier.upload_calls) == 2 and len(set(fake_carrier.upload_calls)) == 1
    assert len(fake_carrier.files) == 1
    assert transmission.file_id == "F-000001"
    finalized_group.refresh_from_db()
    assert finalized_group.status == "ENROLLING"


def test_it_adopts_the_earlier_file_when_the_carrier_answers_fil_002(
    finalized_group, members_source, fake_carrier
):
    transmission = _start(finalized_group)
    fake_carrier.conflict = CarrierConflictError(
        "already received", status=409, code="FIL-002", file_id="F-000777"
    )
    transmission = services.transmission_upload(transmission_id=transmission.pk)
    assert transmission.status == S.RECEIVED
    assert transmission.file_id == "F-000777"
    assert "FIL-002" in transmission.status_reason


def test_it_marks_the_upload_failed_when_the_carrier_refuses_the_file(
    finalized_group, members_source, fake_carrier
):
    transmission = _start(finalized_group)
    fake_carrier.conflict = CarrierConflictError("group not finalized", status=409, code="INVALID_STATE")
    transmission = services.transmission_upload(transmission_id=transmission.pk)
    assert transmission.status == S.UPLOAD_FAILED
    assert "INVALID_STATE" in transmission.status_reason
    assert len(mail.outbox) == 1


def test_it_polls_to_accepted_and_stores_member_ids_the_999_and_the_group_status(
    finalized_group, members_source, fake_carrier
):
    transmission = _start(finalized_group)
    transmission = _upload_and_finish(transmission, fake_carrier, accepted(ALL_REFS))
    assert transmission.status == S.ACCEPTED
    assert dict(transmission.members.values_list("member_ref", "humana_member_id")) == {
        ref: f"H4011{i:04d}" for i, ref in enumerate(ALL_REFS)
    }
    assert "IK4*2*1251*8*" in transmission.ack_999 and "20101305" not in transmission.ack_999
    assert list(transmission.events.values_list("to_status", flat=True)) == [
        S.READY,
        S.UPLOADING,
        S.RECEIVED,
        S.PROCESSING,
        S.ACCEPTED,
    ]
    finalized_group.refresh_from_db()
    assert finalized_group.status == "ENROLLED"
    results = member_enrollment_results(group=finalized_group)
    assert results["E-002"].status == TransmissionMember.Status.ACCEPTED


def test_it_emails_the_broker_once_when_the_file_ends(finalized_group, members_source, fake_carrier, broker):
    transmission = _start(finalized_group)
    _upload_and_finish(transmission, fake_carrier, accepted(ALL_REFS))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [broker.user.email]
    assert "accepted" in message.subject.lower() and "Blue Heron Bakery LLC" in message.subject
    assert "5 of 5 members accepted" in message.body
    assert services.transmission_poll(transmission_id=transmission.pk) is None
    assert len(mail.outbox) == 1


def test_it_sends_a_follow_up_with_only_the_rejected_family(finalized_group, members_source, fake_carrier):
    members_source.bodies[4]["lastName"] = "Rejectsmith"  # Luis
    first = _start(finalized_group)
    first = _upload_and_finish(first, fake_carrier, accepted(ALL_REFS, rejected=("E-002",)))
    assert first.status == S.ACCEPTED_WITH_ERRORS
    finalized_group.refresh_from_db()
    assert finalized_group.status == "ENROLLED"  # some members were accepted

    members_source.bodies[4]["lastName"] = "Ortiz"  # corrected and validated again
    follow_up = _start(finalized_group, P.FOLLOW_UP)
    assert follow_up.status == S.READY and follow_up.follows == first
    parsed = parse_834(follow_up.content)
    assert [m.member_ref for m in parsed.members] == ["E-002"]
    assert parsed.header.purpose == "00"
    assert follow_up.isa13 != first.isa13 and follow_up.reference != first.reference

    follow_up = _upload_and_finish(follow_up, fake_carrier, accepted(["E-002"]))
    assert follow_up.status == S.ACCEPTED
    results = member_enrollment_results(group=finalized_group)
    assert {ref: r.status for ref, r in results.items()} == dict.fromkeys(ALL_REFS, "ACCEPTED")


def test_it_resubmits_the_whole_group_with_bgn01_15_after_a_rejected_file(
    finalized_group, members_source, fake_carrier
):
    first = _start(finalized_group)
    rejected = {
        "status": "REJECTED",
        "completedAt": "2026-11-23T15:10:00Z",
        "errors": [{"code": "FIL-900", "message": "The group is not in good standing."}],
        "summary": {"members": 5, "accepted": 0, "rejected": 5},
        "members": [],
    }
    first = _upload_and_finish(first, fake_carrier, rejected)
    assert first.status == S.REJECTED
    assert first.file_errors[0]["code"] == "FIL-900"
    finalized_group.refresh_from_db()
    assert finalized_group.status == "FINALIZED"  # nothing was ever accepted
    with pytest.raises(services.TransmissionRefused):
        _start(finalized_group, P.FOLLOW_UP)

    again = _start(finalized_group, P.RESUBMISSION)
    assert again.status == S.READY
    parsed = parse_834(again.content)
    assert parsed.header.purpose == "15"
    assert parsed.header.original_reference == first.reference
    assert len(parsed.members) == 5


@override_settings(EDI_POLL_MAX_AGE_SECONDS=0)
def test_it_flags_a_file_stuck_after_the_age_limit(finalized_group, members_source, fake_carrier):
    transmission = _start(finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    fake_carrier.final = {"status": "PROCESSING"}
    assert services.transmission_poll(transmission_id=transmission.pk) is None
    transmission.refresh_from_db()
    assert transmission.status == S.STUCK
    services.transmission_poll_again(transmission=transmission)
    transmission.refresh_from_db()
    assert transmission.status == S.PROCESSING


@override_settings(EDI_POLL_FIRST_SECONDS=0.2, EDI_POLL_MAX_SECONDS=1)
def test_it_backs_off_between_polls_up_to_the_maximum(finalized_group, members_source, fake_carrier):
    transmission = _start(finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    delays = [services.transmission_poll(transmission_id=transmission.pk) for _ in range(5)]
    assert delays == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_it_stops_a_stale_poll_chain(finalized_group, members_source, fake_carrier):
    transmission = _start(finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    assert services.transmission_poll(transmission_id=transmission.pk, token=0) is not None
    assert services.transmission_poll(transmission_id=transmission.pk, token=0) is None


def test_it_carries_on_a_poll_the_broker_delivers_again_after_its_worker_died(
    finalized_group, members_source, fake_carrier
):
    transmission = _start(finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    # the dead worker took token 0 (the count moved to 1) and never scheduled the next poll
    Transmission.objects.filter(pk=transmission.pk).update(poll_attempts=1)
    assert services.transmission_poll(transmission_id=transmission.pk, token=0) is None  # a stale chain
    assert services.transmission_poll(transmission_id=transmission.pk, token=0, redelivered=True) is not None
    assert Transmission.objects.get(pk=transmission.pk).poll_attempts == 1
    # the chain goes on with token 1 once; the same redelivery again, or a second token 1, stops
    assert services.transmission_poll(transmission_id=transmission.pk, token=1) is not None
    assert services.transmission_poll(transmission_id=transmission.pk, token=0, redelivered=True) is None
    assert services.transmission_poll(transmission_id=transmission.pk, token=1) is None


def test_it_refuses_a_transition_not_in_the_table(finalized_group, members_source):
    transmission = _start(finalized_group)
    with pytest.raises(TransitionNotAllowed):
        transmission_transition(transmission=transmission, to=S.ACCEPTED)
    stale = Transmission.objects.get(pk=transmission.pk)
    transmission_transition(transmission=transmission, to=S.UPLOADING)
    with pytest.raises(TransitionNotAllowed, match="no longer"):
        transmission_transition(transmission=stale, to=S.UPLOADING)
    assert TransmissionEvent.objects.filter(transmission=transmission, to_status=S.UPLOADING).count() == 1


@override_settings(EDI_SWEEP_STALE_SECONDS=0)
def test_it_requeues_uploads_and_polls_whose_task_was_lost(
    finalized_group, members_source, fake_carrier, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        transmissions, "queue_upload", lambda *, transmission_id: queued.append(("up", transmission_id))
    )
    monkeypatch.setattr(
        transmissions,
        "queue_poll",
        lambda *, transmission_id, countdown, token=None: queued.append(("poll", token)),
    )
    transmission = _start(finalized_group)
    queued.clear()
    assert services.transmissions_sweep()["uploads"] == 1
    services.transmission_upload(transmission_id=transmission.pk)
    Transmission.objects.filter(pk=transmission.pk).update(
        next_poll_at="2026-01-01T00:00:00Z", poll_attempts=3
    )
    queued.clear()
    counts = services.transmissions_sweep()
    assert counts["polls"] == 1 and queued == [("poll", 3)]


def test_it_keeps_the_file_from_being_built_when_the_members_cannot_be_read(finalized_group, monkeypatch):
    def unavailable(*, group):
        raise sources.MembersUnavailable("the members app cannot list validated members yet")

    monkeypatch.setattr(sources, "member_bodies", unavailable)
    transmission = _start(finalized_group)
    assert transmission.status == S.PRECHECK_FAILED
    assert transmission.precheck_errors[0]["code"] == "GRP-030"
    assert transmission.isa13  # the number allocated before the build stays used up


def test_it_keeps_an_accepted_result_while_a_later_file_is_in_flight(
    finalized_group, members_source, fake_carrier
):
    first = _start(finalized_group)
    _upload_and_finish(first, fake_carrier, accepted(ALL_REFS, rejected=("E-001-C1",)))
    members_source.bodies[2]["middleName"] = "Rose"  # Maya corrected and validated again
    follow_up = _start(finalized_group, P.FOLLOW_UP)
    assert list(follow_up.members.values_list("member_ref", flat=True)) == ["E-001", "E-001-C1"]
    results = member_enrollment_results(group=finalized_group)
    assert results["E-001"].status == "ACCEPTED" and results["E-001"].transmission == first
    assert results["E-001-C1"].status == "NOT_SENT" and results["E-001-C1"].transmission == follow_up


def test_a_group_that_cannot_follow_its_accepted_file_needs_attention(
    finalized_group, members_source, fake_carrier
):
    """Issue 19 item 5: the group's move after an accepted file, when its lifecycle refuses it, is visible
    (NEEDS_ATTENTION, saying which file and which move), not a log line."""
    from enrollment.models import EmployerGroup

    transmission = _start(finalized_group)
    services.transmission_upload(transmission_id=transmission.pk)
    # meanwhile the group was moved where ENROLLED cannot follow (another process, an admin's fix)
    EmployerGroup.objects.filter(pk=finalized_group.pk).update(status="FINALIZING")
    fake_carrier.statuses = [accepted(ALL_REFS)]
    assert services.transmission_poll(transmission_id=transmission.pk) is None
    transmission.refresh_from_db()
    assert transmission.status == S.ACCEPTED  # the carrier's answer is kept whatever the group did
    finalized_group.refresh_from_db()
    assert finalized_group.status == "NEEDS_ATTENTION"
    assert transmission.file_id in finalized_group.status_reason
    assert "ENROLLED" in finalized_group.status_reason
    last = finalized_group.transitions.last()
    assert (last.from_status, last.to_status) == ("FINALIZING", "NEEDS_ATTENTION")
