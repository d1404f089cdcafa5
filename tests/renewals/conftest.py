"""A portal group enrolled at the carrier sandbox (live server, real HTTP), for the renewal tests.

The sandbox's side is set up through its own API (Blue Heron created, finalized, the sample 834
accepted); the portal's group is the broker's complete group, ENROLLED with that Humana Group ID.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from enrollment.models import EmployerGroup
from tests.carrier import payloads
from tests.enrollment.conftest import make_complete_group
from tests.sandbox.conftest import RATE_FILE, Api, enrollment_file

KEY = "renewals-partner-key"


@pytest.fixture
def sandbox(live_server, transactional_db, settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0
    settings.SANDBOX_TODAY = "2026-11-23"
    call_command("sandbox_key", "Renewals", "--sender-id", "PARTNER01", "--key", KEY, stdout=StringIO())
    call_command("sandbox_load_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())
    call_command("import_etss", str(settings.SAMPLES_DIR / RATE_FILE), stdout=StringIO())  # plan names
    with override_settings(
        HUMANA_API_BASE_URL=live_server.url + "/sandbox/groupsales/v1", HUMANA_API_KEY=KEY
    ):
        yield Api(KEY, "PARTNER01")


def carrier_enrolled(api: Api, fein: str = "123456789") -> str:
    group_id = api.finalized(payloads.create_group(fein=fein))
    receipt = api.post(
        f"/groups/{group_id}/enrollment-files",
        raw=enrollment_file(group_id, fein=fein).encode("ascii"),
        content_type="application/edi-x12",
    )
    assert receipt.status_code == 202, receipt.json()
    status = api.get(f"/groups/{group_id}/enrollment-files/{receipt.json()['fileId']}").json()
    assert status["status"] == "ACCEPTED", status
    return group_id


@pytest.fixture
def enrolled_group(sandbox, broker):
    """(the portal's group, the sandbox Api) for Blue Heron enrolled on 2027-01-01."""
    humana_id = carrier_enrolled(sandbox)
    group = make_complete_group(broker)
    EmployerGroup.objects.filter(pk=group.pk).update(
        status=EmployerGroup.Status.ENROLLED, humana_group_id=humana_id
    )
    group.refresh_from_db()
    return group, sandbox


def on(day: str) -> None:
    settings.SANDBOX_TODAY = day
