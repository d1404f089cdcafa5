from __future__ import annotations

import pytest

from catalogue.models import AgeRate, EtssFile
from catalogue.pull import etss_pull
from catalogue.services import EtssPullRefused, EtssTransientError
from catalogue.testing import sample_lines, write_etss

from .sftp_server import PASSWORD, USERNAME, SftpServer


@pytest.fixture
def drop(tmp_path):
    folder = tmp_path / "outbound" / "etss"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def sftp(settings, drop, archive):
    with SftpServer(drop.parent.parent) as server:
        settings.ETSS_SFTP_HOST = "127.0.0.1"
        settings.ETSS_SFTP_PORT = server.port
        settings.ETSS_SFTP_USERNAME = USERNAME
        settings.ETSS_SFTP_PASSWORD = PASSWORD
        settings.ETSS_SFTP_KEY_FILE = ""
        settings.ETSS_SFTP_HOST_KEY = server.host_key_line
        settings.ETSS_SFTP_FOLDER = "outbound/etss/"
        yield server


def test_it_pulls_a_file_with_its_sidecar_over_sftp(db, sftp, drop):
    write_etss(drop, sample_lines(), seq=1, sidecar=True)
    (drop / "README.txt").write_text("not an ETSS file")
    received = etss_pull()
    assert [(f.name, f.status, f.loaded_by) for f in received] == [
        ("HUM_ETSS_SG_KY_20261101_000001.txt", EtssFile.Status.LOADED, "sftp")
    ]
    assert AgeRate.objects.count() == 1224
    assert etss_pull() == []  # already recorded: not fetched again


def test_it_refuses_a_pulled_file_whose_sidecar_does_not_match(db, sftp, drop):
    path = write_etss(drop, sample_lines(), seq=1, sidecar=True)
    path.write_bytes(path.read_bytes().replace(b"Humana Gold", b"Humana Lead"))
    (received,) = etss_pull()
    assert received.status == EtssFile.Status.REJECTED
    assert "sidecar" in received.errors[0]["message"]
    assert AgeRate.objects.count() == 0


def test_it_refuses_a_server_whose_host_key_is_not_the_configured_one(db, sftp, drop, settings):
    settings.ETSS_SFTP_HOST_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7"
    write_etss(drop, sample_lines(), seq=1, sidecar=True)
    with pytest.raises(EtssPullRefused, match="host key"):
        etss_pull()
    assert not EtssFile.objects.exists()


def test_it_reads_the_local_drop_without_a_host(db, settings, drop, archive):
    settings.ETSS_SFTP_HOST = ""
    settings.ETSS_LOCAL_DROP = str(drop)
    write_etss(drop, sample_lines(), seq=1, sidecar=True)
    (received,) = etss_pull()
    assert received.status == EtssFile.Status.LOADED
    assert received.loaded_by == "drop"


def test_it_reports_an_unreachable_server_as_transient(db, settings, archive):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket closes
    settings.ETSS_SFTP_HOST = "127.0.0.1"
    settings.ETSS_SFTP_PORT = port
    with pytest.raises(EtssTransientError, match="cannot reach"):
        etss_pull()
    assert not EtssFile.objects.exists()


def test_it_reports_a_session_the_server_does_not_open_as_transient(db, sftp, drop, monkeypatch):
    import paramiko

    write_etss(drop, sample_lines(), seq=1, sidecar=True)
    # paramiko answers None (no exception) when the transport gives no channel for the SFTP session.
    monkeypatch.setattr(paramiko.SFTPClient, "from_transport", classmethod(lambda cls, transport: None))
    with pytest.raises(EtssTransientError, match="no session channel"):
        etss_pull()
    assert not EtssFile.objects.exists()


def test_it_refuses_a_wrong_password_as_permanent(db, sftp, drop, settings):
    settings.ETSS_SFTP_PASSWORD = "wrong"
    with pytest.raises(EtssPullRefused, match="refused the login"):
        etss_pull()


def test_it_retries_the_scheduled_pull_then_gives_up(db, monkeypatch):
    import catalogue.pull
    from catalogue.tasks import MAX_RETRIES, pull_etss

    attempts = []

    def unreachable():
        attempts.append(1)
        raise EtssTransientError("cannot reach the drop")

    monkeypatch.setattr(catalogue.pull, "etss_pull", unreachable)
    result = pull_etss.apply()  # eager: each retry runs at once
    assert result.get() == 0
    assert len(attempts) == MAX_RETRIES + 1
