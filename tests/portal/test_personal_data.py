"""Personal data: masked in logs, encrypted in the raw columns, and a key rotation that loses nothing."""

from __future__ import annotations

import io
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from members.models import Member
from portal.logging import MaskPersonalDataFilter
from portal.management.commands.reencrypt_pii import encrypted_columns
from tests.members.conftest import ann, group, queued, rule_facts  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_masks_ssns_and_dates_of_birth_in_log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPersonalDataFilter())
    logger = logging.getLogger("tests.pii")
    logger.addHandler(handler)
    try:
        logger.warning("validation failed for %s", '{"ssn": "123456789", "dateOfBirth": "1980-05-02"}')
        logger.warning("caller typed 123-45-6789 in the name field")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "123456789" not in text and "1980-05-02" not in text and "123-45-6789" not in text
    assert "***-**-6789" in text


def _raw(member: Member, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM members_member WHERE id = %s", [member.pk])  # noqa: S608
        return cursor.fetchone()[0]


def _use_salts(settings, salts: list[str]) -> None:
    settings.SALT_KEY = salts
    for _model, fields in encrypted_columns():
        for field in fields:
            field.__dict__.pop("keys", None)
            field.__dict__.pop("f", None)


def test_it_rotates_the_encryption_key_without_losing_a_value(ann, settings):  # noqa: F811
    old = list(settings.SALT_KEY)
    before = _raw(ann, "ssn")
    assert "123456789" not in before
    try:
        _use_salts(settings, ["salt-of-2027", *old])
        assert Member.objects.get(pk=ann.pk).ssn == "123456789"  # old values still read
        call_command("reencrypt_pii", stdout=StringIO())
        after = _raw(ann, "ssn")
        assert after != before and "123456789" not in after
        _use_salts(settings, ["salt-of-2027"])  # the old salt dropped
        member = Member.objects.get(pk=ann.pk)
        assert (member.ssn, member.date_of_birth.isoformat()) == ("123456789", "1980-05-02")
        history = member.history.order_by("history_id").first()
        assert history.ssn == "123456789"  # the history tables were re-encrypted too
    finally:
        _use_salts(settings, old)


def test_it_refuses_to_rotate_values_no_key_can_read(ann, settings):  # noqa: F811
    old = list(settings.SALT_KEY)
    before = _raw(ann, "ssn")
    try:
        _use_salts(settings, ["a-salt-that-never-encrypted-anything"])
        with pytest.raises(CommandError):
            call_command("reencrypt_pii", stdout=StringIO())
    finally:
        _use_salts(settings, old)
    assert _raw(ann, "ssn") == before


def test_it_keeps_ssns_and_dates_of_birth_out_of_error_reports(rf):
    import sys

    from django.views.debug import ExceptionReporter

    # Built at run time, so that the report's source-code excerpts cannot contain them.
    ssn, date_of_birth = "".join(["123", "45", "6789"]), "-".join(["1980", "05", "02"])
    form = {"subscriber-ssn": ssn, "subscriber-date_of_birth": date_of_birth, "subscriber-first_name": "Ann"}
    request = rf.post("/groups/1/members/new", form)
    body = {"memberRef": "E-001", "ssn": ssn, "dateOfBirth": date_of_birth}  # a local of the failing frame
    try:
        raise RuntimeError(f"carrier refused {body['memberRef']}")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert ssn not in report and date_of_birth not in report
        assert "E-001" in report  # the rest of the report is intact
