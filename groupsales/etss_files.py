"""The delivered ETSS file: its name, its ``.sha256`` sidecar, and its bytes read as lines.

The bytes are plain or gzip (told by the magic bytes) and hashed as they go by: the digest of every
delivered byte for the sidecar, and of the content before the TRL line for the trailer's ``SHA256``.
A bad byte, a CR, a line without its LF or a broken gzip stream is reported at its line and field
through the reader's ``issue``; lines are handed on in chunk-sized lists, never kept.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO, NamedTuple

from .codes import STATE_FIPS
from .etss_layout import field_name, parse_date
from .etss_xwk import Issue

_CHUNK = 1 << 20
_MAX_LINE = 1 << 16
_FILE_NAME = re.compile(r"HUM_ETSS_SG_([A-Z]{2}|ALL)_(\d{8})_(\d{6})\.txt(?:\.gz)?")

# --------------------------------------------------------------------------------------------------
# File name and sidecar


class EtssFileName(NamedTuple):
    state: str  # a state code, or ALL
    date: date
    seq: int


def parse_file_name(name: str) -> EtssFileName | None:
    """``HUM_ETSS_SG_<ST|ALL>_<CCYYMMDD>_<SEQ>.txt[.gz]`` (a path's directory is ignored), else None."""
    match = _FILE_NAME.fullmatch(os.path.basename(name))
    if not match or (match[1] != "ALL" and match[1] not in STATE_FIPS):
        return None
    try:
        day = parse_date(match[2])
    except ValueError:
        return None
    return EtssFileName(match[1], day, int(match[3]))


def read_sidecar(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """The ``(hex digest, file name)`` of ``<path>.sha256``; None when there is no sidecar.

    Raises ValueError when the sidecar is not ``<64 hex>  <name>``.
    """
    try:
        with open(f"{os.fspath(path)}.sha256", encoding="utf-8") as sidecar:
            text = sidecar.readline().rstrip("\n")
    except FileNotFoundError:
        return None
    match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", text)
    if not match:
        raise ValueError(f"sidecar of {path} is not '<sha256 hex>  <name>'")
    return match[1].lower(), match[2]


def verify_sidecar(path: str | os.PathLike[str], file_sha256: str | None = None) -> bool | None:
    """Whether ``<path>.sha256`` names this file and holds the digest of its bytes; None without a sidecar.

    Pass ``file_sha256`` (e.g. :attr:`EtssReader.file_sha256`) to spare a second read of a large file.
    """
    try:
        sidecar = read_sidecar(path)
    except ValueError:
        return False
    if sidecar is None:
        return None
    digest, name = sidecar
    if name != os.path.basename(os.fspath(path)):
        return False
    if file_sha256 is None:
        sha = hashlib.sha256()
        with open(path, "rb") as delivered:
            while data := delivered.read(_CHUNK):
                sha.update(data)
        file_sha256 = sha.hexdigest()
    return file_sha256.lower() == digest


# --------------------------------------------------------------------------------------------------
# Reading the delivered bytes


class _DeliveredBytes:
    """A binary stream that hashes every byte it hands on, with a peek for the gzip magic."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pending = b""
        self.sha256 = hashlib.sha256()

    def peek(self, size: int) -> bytes:
        while len(self._pending) < size:
            data = self._raw.read(size - len(self._pending))
            if not data:
                break
            self.sha256.update(data)
            self._pending += data
        return self._pending[:size]

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        data = self._raw.read(size)
        self.sha256.update(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def _trl_offset(block: bytes) -> int:
    """Offset of the first line of ``block`` whose record type is TRL, or -1 (block starts a line)."""
    start = 0
    while True:
        at = block.find(b"TRL", start)
        if at < 0:
            return -1
        if (at == 0 or block[at - 1] == 0x0A) and block[at + 3 : at + 4] in (b"|", b"\n", b"\r", b""):
            return at
        start = at + 1


class DeliveredLines:
    """Iterate the decoded lines of ``raw`` in chunk-sized lists, each with the line count before it.

    After iteration: :attr:`total_lines`, :attr:`sha256_of_body` (before the TRL line) and
    :attr:`file_sha256` (every delivered byte, gzipped or not).
    """

    def __init__(self, raw: BinaryIO, issue: Issue) -> None:
        self._delivered = _DeliveredBytes(raw)
        self._issue = issue
        self._body = hashlib.sha256()
        self.total_lines = 0

    @property
    def sha256_of_body(self) -> str:
        return self._body.hexdigest()

    @property
    def file_sha256(self) -> str:
        return self._delivered.sha256.hexdigest()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        delivered = self._delivered
        stream: _DeliveredBytes | gzip.GzipFile = delivered
        if delivered.peek(2) == b"\x1f\x8b":
            # The stub asks for seek(); reading straight through, GzipFile never seeks (the stream cannot).
            stream = gzip.GzipFile(fileobj=delivered, mode="rb")  # type: ignore[call-overload]
        body = self._body
        in_body = True
        rest = b""
        count = 0
        while True:
            try:
                data = stream.read(_CHUNK)
            except (OSError, EOFError, zlib.error) as error:
                self._issue(count + 1, "", "", f"cannot decompress the gzip file: {error}")
                break
            if not data:
                break
            buffer = rest + data if rest else data
            cut = buffer.rfind(b"\n") + 1
            if not cut:
                rest = buffer
                if len(rest) > _MAX_LINE:
                    self._issue(count + 1, "", "", f"line longer than {_MAX_LINE} bytes; reading stopped")
                    rest = b""
                    break
                continue
            block, rest = buffer[:cut], buffer[cut:]
            if in_body:
                in_body = _hash_body(body, block)
            lines = self._decode(block, count).split("\n")
            lines.pop()  # after the final LF
            yield count, lines
            count += len(lines)
        if stream is not delivered:
            delivered.drain()  # bytes after the gzip stream still count in the delivered digest
        if rest:
            if in_body:
                _hash_body(body, rest)
            yield count, [self._last_line(rest, count)]
            count += 1
        self.total_lines = count

    def _last_line(self, rest: bytes, count: int) -> str:
        """The text of a last line without its LF, reported."""
        last = self._decode(rest + b"\n", count)[:-1]
        record_type = last.split("|", 1)[0]
        field = field_name(record_type, last.count("|"))
        self._issue(count + 1, record_type, field, "the last line does not end with LF")
        return last

    def _decode(self, block: bytes, count: int) -> str:
        """UTF-8 text of whole lines; a bad byte or a CR is reported at its line and field."""
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            lines = []
            for line_no, raw in enumerate(block.split(b"\n")[:-1], count + 1):
                try:
                    lines.append(raw.decode("utf-8"))
                except UnicodeDecodeError as error:
                    record_type = raw.split(b"|", 1)[0].decode("utf-8", "replace")
                    field = field_name(record_type, raw[: error.start].count(b"|"))
                    self._issue(line_no, record_type, field, f"byte {error.start + 1} is not valid UTF-8")
                    lines.append(raw.decode("utf-8", "replace"))
            text = "\n".join(lines) + "\n"
        if "\r" not in text:
            return text
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if "\r" in line:
                record_type = line.split("|", 1)[0].rstrip("\r")
                field = field_name(record_type, line[: line.index("\r")].count("|"))
                self._issue(count + index + 1, record_type, field, "carriage return: lines end with LF only")
                lines[index] = line.replace("\r", "")
        return "\n".join(lines)


def _hash_body(body: hashlib._Hash, block: bytes) -> bool:
    """Hash the bytes before the TRL line; False once it has been met."""
    at = _trl_offset(block)
    if at < 0:
        body.update(block)
        return True
    body.update(block[:at])
    return False
