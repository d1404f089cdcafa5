"""Fetching ETSS files from the partner's SFTP folder (or, without a host, the local drop folder).

Each new ``HUM_ETSS_SG_*`` file is downloaded with its ``.sha256`` sidecar when there is one; a file
whose sidecar does not match is recorded REJECTED and never loaded. Files are received in sequence
order. Names already recorded are not fetched again.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import stat
import tempfile
from pathlib import Path

from django.conf import settings

from groupsales.etss import parse_file_name, verify_sidecar

from .models import EtssFile
from .services import EtssPullRefused, EtssTransientError, etss_file_receive

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0


def _wanted(names: list[str]) -> list[str]:
    parsed = {n: info for n in names if (info := parse_file_name(n)) is not None}
    known = set(EtssFile.objects.filter(name__in=list(parsed)).values_list("name", flat=True))
    return sorted((n for n in parsed if n not in known), key=lambda n: parsed[n].seq)


def _receive(local: Path, name: str, *, loaded_by: str) -> EtssFile:
    if verify_sidecar(local) is False:
        etss_file = EtssFile.objects.create(
            name=name,
            loaded_by=loaded_by,
            status=EtssFile.Status.REJECTED,
            errors=[
                {"line": 0, "recordType": "", "field": "", "message": "the .sha256 sidecar does not match"}
            ],
        )
        log.warning("ETSS %s refused: sidecar digest mismatch", name)
        return etss_file
    return etss_file_receive(path=local, name=name, loaded_by=loaded_by)


def etss_pull() -> list[EtssFile]:
    """Fetch and load every new file; raises EtssTransientError when the server cannot be reached."""
    if settings.ETSS_SFTP_HOST:
        return _pull_sftp()
    return _pull_local(Path(settings.ETSS_LOCAL_DROP))


def _pull_local(folder: Path) -> list[EtssFile]:
    if not folder.is_dir():
        return []
    return [_receive(folder / name, name, loaded_by="drop") for name in _wanted(os.listdir(folder))]


def _host_key_matches(transport, expected: str) -> bool:
    """``expected`` is ``<key type> <base64>`` (a known_hosts entry without the host)."""
    key = transport.get_remote_server_key()
    parts = expected.split()
    if len(parts) < 2:
        return False
    return parts[0] == key.get_name() and base64.b64decode(parts[1]) == key.asbytes()


def _pull_sftp() -> list[EtssFile]:
    import paramiko

    host, port = settings.ETSS_SFTP_HOST, settings.ETSS_SFTP_PORT
    try:
        sock = socket.create_connection((host, port), timeout=TIMEOUT_SECONDS)
    except OSError as error:
        raise EtssTransientError(f"cannot reach {host}:{port}: {error}") from error
    transport = paramiko.Transport(sock)
    transport.banner_timeout = transport.auth_timeout = TIMEOUT_SECONDS
    received: list[EtssFile] = []
    try:
        try:
            transport.start_client(timeout=TIMEOUT_SECONDS)
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise EtssTransientError(f"SFTP {host}:{port}: {error}") from error
        expected = settings.ETSS_SFTP_HOST_KEY
        if expected and not _host_key_matches(transport, expected):
            raise EtssPullRefused(f"the host key of {host} is not ETSS_SFTP_HOST_KEY")
        if not expected and getattr(settings, "PRODUCTION", False):
            raise EtssPullRefused("ETSS_SFTP_HOST_KEY is required in production")
        try:
            if settings.ETSS_SFTP_KEY_FILE:
                pkey = paramiko.PKey.from_path(settings.ETSS_SFTP_KEY_FILE)
                transport.auth_publickey(settings.ETSS_SFTP_USERNAME, pkey)
            else:
                transport.auth_password(settings.ETSS_SFTP_USERNAME, settings.ETSS_SFTP_PASSWORD)
        except paramiko.AuthenticationException as error:
            raise EtssPullRefused(f"SFTP {host}:{port} refused the login: {error}") from error
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise EtssTransientError(f"SFTP {host}:{port}: {error}") from error
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:  # the server refused the session channel
                raise EtssTransientError(f"SFTP {host}:{port}: no session channel")
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(TIMEOUT_SECONDS)
            folder = settings.ETSS_SFTP_FOLDER.rstrip("/") or "."
            entries = {e.filename: e for e in sftp.listdir_attr(folder)}
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise EtssTransientError(f"SFTP {host}:{port}: {error}") from error
        with tempfile.TemporaryDirectory(prefix="etss-pull-") as tmp:
            for name in _wanted([n for n, e in entries.items() if stat.S_ISREG(e.st_mode or 0)]):
                local = Path(tmp) / name
                try:
                    sftp.get(f"{folder}/{name}", str(local))
                    if f"{name}.sha256" in entries:
                        sftp.get(f"{folder}/{name}.sha256", f"{local}.sha256")
                except (paramiko.SSHException, OSError, EOFError) as error:
                    raise EtssTransientError(f"SFTP download of {name}: {error}") from error
                received.append(_receive(local, name, loaded_by="sftp"))
                local.unlink(missing_ok=True)
    finally:
        transport.close()
    return received
