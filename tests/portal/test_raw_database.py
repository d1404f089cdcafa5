"""No plaintext SSN or full date of birth anywhere in the database, read raw (issue 16, item 1).

The demo seeds a group at every stage (draft, open enrollment, finalized, enrolled, enrolled with a
rejected family) through the real services and the sandbox over HTTP; on top of that a broker logs in
(a session row), an employee walks self-service and types an SSN (a draft and a session), and a real
Celery worker validates a family again (a stored task result). Then every column of every table (the
portal's, the history tables, the carrier call log, stored 834s and 999s, Celery results, sessions and
the sandbox's own tables) is read with a cursor, not the ORM, and searched for every spelling of every
member's SSN and date of birth.
"""

from __future__ import annotations

import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)
# Columns that are not personal data, though a value may equal one: api.md's example FEIN 12-3456789 (the
# demo's Blue Heron Bakery) has the same digits as its example SSN 123-45-6789 (Ann Lee).
NOT_PERSONAL = {("enrollment_employergroup", "fein"), ("enrollment_historicalemployergroup", "fein")}


def ssn_spellings(ssn: str) -> set[str]:
    a, b, c = ssn[:3], ssn[3:5], ssn[5:]
    return {ssn, f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}.{b}.{c}"}


def dob_spellings(born: date) -> set[str]:
    y, m, d = born.year, born.month, born.day
    return {born.isoformat(), f"{y:04d}{m:02d}{d:02d}", f"{m:02d}/{d:02d}/{y:04d}", f"{m}/{d}/{y}"}


def personal_values() -> set[str]:
    """Every spelling of every SSN and date of birth the portal and the sandbox know (read by the ORM)."""
    from catalogue.models import QuoteCensusRow
    from enrollment.models import CensusMember
    from members.models import Member

    values: set[str] = set()
    for ssn, born in Member.objects.values_list("ssn", "date_of_birth"):
        if ssn:
            values |= ssn_spellings(ssn)
        if born:
            values |= dob_spellings(born)
    for model in (CensusMember, QuoteCensusRow):
        for born in model.objects.values_list("date_of_birth", flat=True):
            if born:
                values |= dob_spellings(born)
    return values


def raw_cells():
    """(table, column, text) for every non-empty cell of every table, read with a cursor."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes | bytearray):
                        value = bytes(value).decode("latin-1")
                    yield table, column, str(value)


def _walk_self_service(client) -> None:
    """An employee opens their link and types their details, SSN included (kept as a draft)."""
    from enrollment.models import EmployerGroup
    from members import self_service
    from members.models import Member

    group = EmployerGroup.objects.get(legal_name="Cardinal Coffee Co")
    ann = Member.objects.get(group=group, member_ref="E-001")
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    client.get(reverse("self_service:start", kwargs={"token": invitation.token}))
    client.post(
        reverse("self_service:details", kwargs={"token": invitation.token}),
        {
            "me-first_name": "Ann",
            "me-last_name": "Lee",
            "me-ssn": "123-45-6789",
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
        },
    )


def _validate_with_a_worker() -> None:
    """A real worker validates the open group's families again: its result is stored (django-db)."""
    from django_celery_results.models import TaskResult

    from edi.demo import sandbox_over_http
    from enrollment.models import EmployerGroup
    from members.tasks import validate_group_members

    group = EmployerGroup.objects.get(legal_name="Cardinal Coffee Co")
    with sandbox_over_http():
        result = validate_group_members.apply_async((group.pk,))
        result.get(timeout=60)
        deadline = time.monotonic() + 30
        while not TaskResult.objects.filter(task_id=result.id).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert TaskResult.objects.filter(task_id=result.id).exists()


@pytest.fixture
def queued(monkeypatch):
    """The seeding's own on-commit tasks are not run (the seeding does their work itself; a worker taking
    them at the same time would race it); the worker below runs one on purpose, with ``apply_async``."""
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda group_id: None)
    monkeypatch.setattr("edi.tasks.upload_transmission.delay", lambda pk: None)
    monkeypatch.setattr("edi.tasks.poll_transmission.apply_async", lambda *a, **k: None)


def test_no_plaintext_ssn_or_date_of_birth_in_any_column(queued, client, celery_worker_thread, broker):
    from django.contrib.sessions.models import Session

    from edi.models import Transmission

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Transmission.objects.filter(status="ACCEPTED").exists(), out.getvalue()  # 834s and 999s stored
    client.force_login(broker.user)
    client.get(reverse("book"))
    _walk_self_service(client)
    assert Session.objects.exists()
    _validate_with_a_worker()

    values = personal_values()
    assert "123456789" in values and "1980-05-02" in values  # the demo's Ann Lee
    found = sorted(
        {
            (table, column, value)
            for table, column, text in raw_cells()
            if (table, column) not in NOT_PERSONAL
            for value in values
            if value in text
        }
    )
    assert found == [], "\n".join(f"{t}.{c} holds {v}" for t, c, v in found[:40])
