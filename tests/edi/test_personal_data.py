"""Stored 834s and 999s hold no readable SSN or date of birth (issue 16, item 1).

The 834 is kept encrypted with the members' keys (and rotated by ``reencrypt_pii``); downloading it takes
its own permission and is recorded; ``export_834`` writes a file only its owner can read; a 999 keeps no
copy of a bad value whatever its delimiters.
"""

from __future__ import annotations

import hashlib
import stat
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from edi import services
from edi.models import Transmission, TransmissionDownload
from groupsales.masking import mask_999, masked_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SSN, DOB = "123456789", "19800502"  # Ann Lee's, in the 834's own spelling


def _raw_content(transmission: Transmission) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM edi_transmission WHERE id = %s", [transmission.pk])
        value = cursor.fetchone()[0]
    return bytes(value).decode("latin-1") if isinstance(value, memoryview | bytes) else str(value)


def test_it_stores_the_834_encrypted_and_reads_back_the_bytes_it_sent(finalized_group, members_source):
    transmission = services.transmission_start(group=finalized_group)
    raw = _raw_content(transmission)
    assert raw and "ISA" not in raw and SSN not in raw and DOB not in raw
    stored = Transmission.objects.get(pk=transmission.pk)
    assert stored.content.startswith("ISA*") and DOB in stored.content
    assert hashlib.sha256(stored.content.encode("ascii")).hexdigest() == stored.sha256


def test_it_rotates_the_834s_key_with_reencrypt_pii(finalized_group, members_source, settings):
    from tests.portal.test_personal_data import _use_salts

    transmission = services.transmission_start(group=finalized_group)
    before, old = _raw_content(transmission), list(settings.SALT_KEY)
    try:
        _use_salts(settings, ["salt-of-2027", *old])
        call_command("reencrypt_pii", stdout=StringIO())
        _use_salts(settings, ["salt-of-2027"])
        assert _raw_content(transmission) != before
        assert Transmission.objects.get(pk=transmission.pk).content.startswith("ISA*")
    finally:
        _use_salts(settings, old)


def _staff(*codenames: str):
    user = UserFactory(username="-".join(["staff", *codenames]) or "staff", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_it_refuses_the_download_to_staff_who_may_only_view_transmissions(
    client, finalized_group, members_source
):
    transmission = services.transmission_start(group=finalized_group)
    client.force_login(_staff("view_transmission"))
    change = client.get(reverse("admin:edi_transmission_change", args=[transmission.pk]))
    assert change.status_code == 200 and "Download the file" not in change.content.decode()
    response = client.get(reverse("admin:edi_transmission_download", args=[transmission.pk]))
    assert response.status_code == 403
    assert not TransmissionDownload.objects.exists()


def test_it_records_who_downloaded_the_file_and_when(client, finalized_group, members_source):
    transmission = services.transmission_start(group=finalized_group)
    user = _staff("view_transmission", "download_transmission")
    client.force_login(user)
    response = client.get(reverse("admin:edi_transmission_download", args=[transmission.pk]))
    assert response.status_code == 200
    assert response.content == Transmission.objects.get(pk=transmission.pk).content.encode("ascii")
    download = TransmissionDownload.objects.get()
    assert (download.transmission_id, download.by_id, download.username) == (
        transmission.pk,
        user.pk,
        user.username,
    )
    assert download.at is not None
    detail = client.get(reverse("admin:edi_transmission_change", args=[transmission.pk])).content.decode()
    assert user.username in detail  # the change page lists the downloads


def test_export_834_writes_a_file_only_its_owner_can_read(finalized_group, members_source, tmp_path):
    target = tmp_path / "blue-heron.834"
    call_command("export_834", "104233", "-o", str(target), stderr=StringIO())
    assert target.read_text().startswith("ISA*")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_export_834_makes_an_existing_file_private_before_writing(finalized_group, members_source, tmp_path):
    target = tmp_path / "old.834"
    target.write_text("old")
    target.chmod(0o644)
    call_command("export_834", "104233", "-o", str(target), stderr=StringIO())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_text().startswith("ISA*")


ISA = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "HUMANAGS".ljust(15), "ZZ", "PORTALDEV".ljust(15)]
ISA_STAR = "*".join([*ISA, "261123", "1030", "^", "00501", "000000123", "0", "T", ":"]) + "~"
ISA_PIPE = "|".join([*ISA, "261123", "1030", "^", "00501", "000000123", "0", "T", ">"]) + "!"


@pytest.mark.parametrize(
    ("isa", "element", "terminator"), [(ISA_STAR, "*", "~"), (ISA_PIPE, "|", "!"), (ISA_PIPE, "|", "!\n")]
)
def test_it_masks_the_bad_value_a_999_echoes_whatever_its_delimiters(isa, element, terminator):
    segments = [
        ["AK1", "BE", "1", "005010X220A1"],
        ["IK3", "DMG", "51", "", "8"],
        ["IK4", "2", "1251", "8", DOB],
        ["IK3", "NM1", "50", "", "8"],
        ["IK4", "9", "67", "7", SSN],
        ["AK9", "R", "1", "1", "0"],
    ]
    text = isa.replace(isa[-1], terminator) + "".join(element.join(s) + terminator for s in segments)
    for stored in (mask_999(text), masked_body(text, "application/edi-x12")):
        assert DOB not in stored and SSN not in stored
        assert element.join(["IK4", "2", "1251", "8", "***"]) + terminator in stored
        assert element.join(["AK9", "R", "1", "1", "0"]) in stored  # the rest is intact


def test_it_stores_a_fetched_999_masked(finalized_group, members_source, fake_carrier):
    fake_carrier.ack = ISA_PIPE + "IK3|DMG|51||8!IK4|2|1251|8|" + DOB + "!AK9|R|1|1|0!"
    transmission = services.transmission_start(group=finalized_group)
    Transmission.objects.filter(pk=transmission.pk).update(status="REJECTED", file_id="F-000001")
    transmission.refresh_from_db()
    assert services.transmission_fetch_acknowledgment(transmission=transmission)
    assert DOB not in transmission.ack_999 and "IK4|2|1251|8|***!" in transmission.ack_999


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_files_stored_before_it(finalized_group):
    from django.db.migrations.executor import MigrationExecutor

    plain = "ISA*00*~NM1*IL*1*LEE*ANN****34*123456789~DMG*D8*19800502*F~IEA*1*000000001~"
    before = [("edi", "0001_initial")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("edi")
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("edi", "Transmission")
        pk = old.objects.create(group_id=finalized_group.pk, status="ACCEPTED", content=plain.encode()).pk
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
        raw = _raw_content(Transmission(pk=pk))
        assert SSN not in raw and DOB not in raw and "ISA" not in raw
        assert Transmission.objects.get(pk=pk).content == plain
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
