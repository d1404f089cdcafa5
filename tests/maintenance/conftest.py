"""The sandbox after enrollment: Blue Heron ENROLLED (the sample new-business file accepted), then the
carrier's day moved to the change's (``today``), and change files written by the project's writer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from groupsales.x12.changes import ChangeFamily, ChangeLoop, render_change_834
from groupsales.x12.model import Coverage, Envelope, Header, member_from_api
from tests.sandbox.conftest import Api, api, enrollment_file, other_api, sandbox_rates  # noqa: F401

_NUMBERS = iter(range(500, 10_000))


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


class Carrier:
    """The partner's calls, with the carrier's day set per step."""

    def __init__(self, sandbox_api: Api, settings: Any) -> None:
        self.api, self.settings = sandbox_api, settings
        self.group_id = ""

    def today(self, day: str) -> None:
        self.settings.SANDBOX_TODAY = day

    def enroll(self) -> str:
        self.today("2026-11-23")
        self.group_id = self.api.finalized()
        status = self.upload(enrollment_file(self.group_id))
        assert status["status"] == "ACCEPTED", status
        return self.group_id

    def validate(self, body: dict[str, Any]):
        return self.api.post(f"/groups/{self.group_id}/member-validations", body)

    def upload(self, text: str) -> dict[str, Any]:
        receipt = self.api.post(
            f"/groups/{self.group_id}/enrollment-files",
            raw=text.encode("ascii"),
            content_type="application/edi-x12",
        )
        assert receipt.status_code == 202, receipt.json()
        return self.api.get(f"/groups/{self.group_id}/enrollment-files/{receipt.json()['fileId']}").json()

    def roster(self, **params: Any) -> dict[str, Any]:
        response = self.api.get(f"/groups/{self.group_id}/members", **params)
        assert response.status_code == 200, response.json()
        return response.json()

    def listed(self) -> dict[str, dict[str, Any]]:
        items = self.api.get(f"/groups/{self.group_id}/member-validations").json()["items"]
        return {i["memberRef"]: i for i in items}


@pytest.fixture
def carrier(api, settings) -> Carrier:  # noqa: F811
    carrier = Carrier(api, settings)
    carrier.enroll()
    return carrier


def loop(
    body: dict[str, Any], change: dict[str, Any], subscriber: dict | None = None, **extra: Any
) -> ChangeLoop:
    """A loop from a validation body and the carrier's ``change`` block of its answer."""
    member = member_from_api(body, member_from_api(subscriber) if subscriber else None)
    return ChangeLoop(
        member=member,
        action=change["action"],
        event_type=change["type"],
        event_date=date.fromisoformat(change["eventDate"]),
        effective_date=date.fromisoformat(change["effectiveDate"]),
        coverage_end=date.fromisoformat(change["coverageEnd"]) if change["coverageEnd"] else None,
        reason=change["maintenanceReasonCode"],
        **extra,
    )


def before(body: dict[str, Any], tier: str) -> tuple[Coverage, ...]:
    return tuple(Coverage(line=c.line, plan_id=c.plan_id, tier=tier) for c in member_from_api(body).coverage)


def change_file(
    group_id: str, *families: ChangeFamily, purpose: str = "00", original: str | None = None
) -> str:
    number = next(_NUMBERS)
    envelope = Envelope(sender_id="PARTNER01", interchange_control_number=number,
                        group_control_number=number,
                        created_at=datetime(2027, 3, 23, 9, 15))  # fmt: skip
    header = Header(
        purpose=purpose, reference=f"BHB-{group_id}-C{number}", original_reference=original,
        group_id=group_id,
        effective_date=date(2027, 1, 1), employer_legal_name="Blue Heron Bakery LLC", fein="123456789",
        agent_name="Sam Ortiz", agent_npn="17012345",
    )  # fmt: skip
    return render_change_834(envelope, header, families)


def family(subscriber_ref: str, *loops: ChangeLoop) -> ChangeFamily:
    return ChangeFamily(subscriber_ref=subscriber_ref, loops=loops)
