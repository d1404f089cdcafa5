"""Fixtures of the 834 tests: a finalized Blue Heron group, its validated members, a fake carrier."""

from __future__ import annotations

import copy
import threading
from datetime import date, datetime
from typing import Any

import pytest
from django.utils import timezone

from carrier.errors import CarrierConflictError, CarrierTransientError
from carrier.schemas import EnrollmentFileStatus, FileReceipt
from edi import sources
from groupsales.rules.testing import blue_heron_members
from tests.factories import EmployerGroupFactory


def blue_heron_bodies() -> list[dict]:
    """The validated members of api.md's example group (test-only member source, the rules' fixture)."""
    return [copy.deepcopy(b) for b in blue_heron_members()]


@pytest.fixture
def members_source():
    """The group's validated members; a test may change ``bodies`` (e.g. to make a Rejectsmith)."""

    class Source:
        bodies = blue_heron_bodies()

        def __call__(self, group: Any) -> list[dict]:
            return copy.deepcopy(self.bodies)

    source = Source()
    with sources.use_member_source(source):
        yield source


@pytest.fixture
def finalized_group(broker):
    return EmployerGroupFactory(
        broker=broker,
        status="FINALIZED",
        humana_group_id="104233",
        legal_name="Blue Heron Bakery LLC",
        fein="123456789",
        agent_npn="17012345",
        agent_first_name="Sam",
        agent_last_name="Ortiz",
        requested_effective_date=date(2027, 1, 1),
    )


class FakeCarrier:
    """Behaves like the carrier for one group: idempotent uploads, a scripted file status, a 999."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, bytes] = {}
        self.by_key: dict[str, str] = {}
        self.upload_calls: list[str] = []  # the idempotency key of each call
        self.transient_uploads = 0
        self.conflict: CarrierConflictError | None = None
        self.statuses: list[dict] = []  # what successive get_enrollment_file calls answer
        self.final: dict | None = None
        self.ack = "ISA*00*~AK1*BE*1*005010X220A1~IK3*DMG*51**8~IK4*2*1251*8*20101305~AK9*A*1*1*1~"

    def close(self) -> None:
        pass

    def upload_enrollment_file(
        self, group_id: str, content: bytes, *, idempotency_key: str, subject: str = ""
    ):
        with self.lock:
            self.upload_calls.append(idempotency_key)
            if self.transient_uploads:
                self.transient_uploads -= 1
                raise CarrierTransientError("503", status=503, retry_after=None)
            if self.conflict is not None:
                raise self.conflict
            file_id = self.by_key.get(idempotency_key)
            if file_id is None:
                file_id = f"F-{len(self.files) + 1:06d}"
                self.files[file_id] = content
                self.by_key[idempotency_key] = file_id
            return FileReceipt(
                file_id=file_id,
                status="RECEIVED",
                received_at=timezone.now(),
                interchange_control_number=content.decode().split("*")[13],
            )

    def get_enrollment_file(self, group_id: str, file_id: str, *, subject: str = ""):
        body = self.statuses.pop(0) if self.statuses else (self.final or {"status": "PROCESSING"})
        data = {"fileId": file_id, "receivedAt": timezone.now().isoformat(), "interchangeControlNumber": "1"}
        data.update(body)
        return EnrollmentFileStatus.model_validate(data)

    def get_acknowledgment(self, group_id: str, file_id: str, *, subject: str = "") -> str:
        return self.ack


def accepted(refs: list[str], rejected: tuple[str, ...] = ()) -> dict:
    members = []
    for i, ref in enumerate(refs):
        bad = ref in rejected
        members.append(
            {
                "memberRef": ref,
                "status": "REJECTED" if bad else "ACCEPTED",
                "humanaMemberId": None if bad else f"H4011{i:04d}",
                "errors": [{"code": "FIL-901", "message": "Member rejected by enrollment processing."}]
                if bad
                else [],
            }
        )
    status = "ACCEPTED_WITH_ERRORS" if rejected else "ACCEPTED"
    return {
        "status": status,
        "completedAt": timezone.now().isoformat(),
        "summary": {"members": len(refs), "accepted": len(refs) - len(rejected), "rejected": len(rejected)},
        "members": members,
    }


@pytest.fixture
def fake_carrier(monkeypatch):
    carrier = FakeCarrier()
    monkeypatch.setattr(sources, "carrier_client", lambda: carrier)
    return carrier


STAMP = datetime(2026, 11, 23, 10, 30, tzinfo=timezone.get_fixed_timezone(-300))
