"""A real SSH/SFTP server for tests: paramiko's ServerInterface and SFTPServerInterface serving a folder
on a random localhost port, one thread per connection. Read-only, password authentication."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import paramiko

USERNAME = "etss"
PASSWORD = "drop-secret"


class _Server(paramiko.ServerInterface):
    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == USERNAME and password == PASSWORD
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )


class _Handle(paramiko.SFTPHandle):
    def stat(self):
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))


def _sftp_interface(root: Path):
    class FolderSftp(paramiko.SFTPServerInterface):
        def _real(self, path: str) -> Path:
            real = (root / path.lstrip("/")).resolve()
            if root.resolve() not in (real, *real.parents):
                raise PermissionError(path)
            return real

        def list_folder(self, path: str):
            try:
                folder = self._real(path)
                result = []
                for name in os.listdir(folder):
                    attrs = paramiko.SFTPAttributes.from_stat(os.stat(folder / name))
                    attrs.filename = name
                    result.append(attrs)
                return result
            except OSError as error:
                return paramiko.SFTPServer.convert_errno(error.errno or 2)

        def stat(self, path: str):
            try:
                return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))
            except OSError as error:
                return paramiko.SFTPServer.convert_errno(error.errno or 2)

        lstat = stat

        def open(self, path: str, flags: int, attr):
            if flags & (os.O_WRONLY | os.O_RDWR):
                return paramiko.SFTP_PERMISSION_DENIED
            try:
                handle = _Handle(flags)
                handle.readfile = open(self._real(path), "rb")  # noqa: SIM115 - closed by paramiko
                return handle
            except OSError as error:
                return paramiko.SFTPServer.convert_errno(error.errno or 2)

        def canonicalize(self, path: str) -> str:
            return "/" + path.lstrip("/")

    return FolderSftp


class SftpServer:
    """``with SftpServer(folder) as server:`` -> ``server.port``, ``server.host_key_line``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host_key = paramiko.RSAKey.generate(2048)
        self.host_key_line = f"{self.host_key.get_name()} {self.host_key.get_base64()}"
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(5)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> SftpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        for transport in self._transports:
            transport.close()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _sftp_interface(self.root))
            transport.start_server(server=_Server())
            self._transports.append(transport)
