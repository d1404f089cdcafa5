"""The delivered ETSS file: its name, its ``.sha256`` sidecar, and its bytes read as lines.

The bytes are plain or gzip (told by the magic bytes) and hashed as they go by: the digest of every
delivered byte for the sidecar, and of the content before the TRL line for the trailer's ``SHA256``
(for a plain file one pass: the body's digest is a copy of the file's taken at the TRL line, which is
looked for at line starts only). A bad byte, a CR, a line without its LF or a broken gzip stream is
reported at its line and field through the reader's ``issue``; the lines are handed on as
:class:`Chunk` s of about 1 MiB (the text, its bytes, where each line ends and each line's first four
bytes), never kept, and split into strings only where the reader reads them line by line.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import date
from typing import BinaryIO, NamedTuple

import numpy as np
import numpy.typing as npt

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
    """A binary stream that hashes every byte it hands on (unless told not to), with a peek for the
    gzip magic (peeked bytes are hashed when they are handed on)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pending = b""
        self.sha256 = hashlib.sha256()
        self.hashing = True

    def peek(self, size: int) -> bytes:
        while len(self._pending) < size:
            data = self._raw.read(size - len(self._pending))
            if not data:
                break
            self._pending += data
        return self._pending[:size]

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
        else:
            data = self._raw.read(size)
        if self.hashing:
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


_Offsets = npt.NDArray[np.int64]
_TRL = int.from_bytes(b"TRL", "little")
_AFTER_TRL = np.array([ord("|"), 0x0A, 0x0D], np.uint32)  # what may follow TRL at a line's start


def _line_ends(data: bytes) -> _Offsets:
    """The offset of every LF of ``data``."""
    ends: _Offsets = np.flatnonzero(np.frombuffer(data, np.uint8) == 0x0A)
    return ends


def _heads(data: bytes, ends: _Offsets) -> npt.NDArray[np.uint32]:
    """The first four bytes of each line of ``data`` (whole lines, each ending with LF; ``ends`` their
    LFs) as one little-endian word. A line of fewer than three bytes never reads as a record type and
    its separator: its word holds an LF before its fourth byte, or is read from before its start across
    the line before's LF."""
    if len(data) < 4:
        data = data.ljust(4, b"\n")
    words = np.ndarray((len(data) - 3,), "<u4", buffer=data, strides=(1,))
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    heads: npt.NDArray[np.uint32] = words[np.minimum(starts, len(data) - 4)]
    return heads


def _trl_line(heads: npt.NDArray[np.uint32]) -> int:
    """The index of the first line whose record type is TRL (``TRL`` followed by ``|``, LF or CR), or -1."""
    found = np.flatnonzero(((heads & 0xFFFFFF) == _TRL) & np.isin(heads >> 24, _AFTER_TRL))
    return int(found[0]) if len(found) else -1


class Chunk:
    """Whole lines of the file, read together: :attr:`text` and its UTF-8 bytes :attr:`data` (each line
    ends with LF; CRs removed and bad bytes replaced, as reported), :attr:`first` (the lines before),
    :attr:`ends` (each line's LF in ``data``) and :attr:`heads` (each line's first four bytes as one
    little-endian word, see :meth:`runs`). Offsets are into ``data``; :meth:`chars` turns them into
    offsets into ``text`` (the same when the text is ASCII)."""

    __slots__ = ("_chars", "ascii", "count", "data", "ends", "first", "heads", "text")

    def __init__(
        self, first: int, text: str, data: bytes, index: tuple[_Offsets, npt.NDArray[np.uint32]] | None = None
    ) -> None:
        self.first = first
        self.text = text
        self.data = data
        self.ascii = text.isascii()
        if index is None:
            ends = _line_ends(data)
            index = ends, _heads(data, ends)
        self.ends, self.heads = index
        self.count = len(self.ends)
        self._chars: _Offsets | None = None

    def start(self, line: int) -> int:
        """The offset in ``data`` of line ``line`` (counted from 0 in the chunk)."""
        return int(self.ends[line - 1]) + 1 if line else 0

    def chars(self, offsets: _Offsets) -> _Offsets:
        """Offsets into ``data`` (each at a character's first byte, or the end) as offsets into ``text``."""
        if self.ascii:
            return offsets
        if self._chars is None:  # the characters before each byte: bytes that do not continue one
            raw = np.frombuffer(self.data, np.uint8)
            self._chars = np.zeros(len(raw) + 1, np.int64)
            np.cumsum((raw & 0xC0) != 0x80, out=self._chars[1:])
        chars: _Offsets = self._chars[offsets]
        return chars

    def char(self, offset: int) -> int:
        return offset if self.ascii else int(self.chars(np.array([offset]))[0])

    def lines(self, first: int, end: int) -> list[str]:
        """The text of lines ``first``..``end`` (counted from 0 in the chunk), without their LFs."""
        if end <= first:
            return []
        return self.text[self.char(self.start(first)) : self.char(int(self.ends[end - 1]))].split("\n")

    def runs(self, record_types: Iterable[str]) -> list[tuple[int, int, str]]:
        """The runs of consecutive lines ``(first, end, record_type)`` that start with one of
        ``record_types`` (each of three ASCII characters) and ``|``, in line order."""
        found = []
        for record_type in record_types:
            same = np.zeros(self.count + 2, np.int8)
            same[1:-1] = self.heads == int.from_bytes(f"{record_type}|".encode(), "little")
            edges = np.flatnonzero(np.diff(same)).tolist()
            found += [(first, end, record_type) for first, end in zip(edges[::2], edges[1::2], strict=True)]
        return sorted(found)


class DeliveredLines:
    """Iterate the lines of ``raw`` as :class:`Chunk` s of about 1 MiB, in file order.

    After iteration: :attr:`total_lines`, :attr:`sha256_of_body` (before the TRL line) and
    :attr:`file_sha256` (every delivered byte, gzipped or not). A plain file's two digests are one
    pass: the body's is a copy of the file's, taken at the TRL line.
    """

    def __init__(self, raw: BinaryIO, issue: Issue) -> None:
        self._delivered = _DeliveredBytes(raw)
        self._issue = issue
        self._body = hashlib.sha256()
        self._plain = False
        self._in_body = True
        self.total_lines = 0

    @property
    def sha256_of_body(self) -> str:
        return self._body.hexdigest()

    @property
    def file_sha256(self) -> str:
        return self._delivered.sha256.hexdigest()

    def _hash(self, block: bytes, trl: int) -> None:
        """Hash ``block`` (its TRL line at offset ``trl``, or -1): into the body's digest up to the
        TRL line and, for a plain file, into the file's digest (which is then the body's until TRL)."""
        if self._plain:
            digest = self._delivered.sha256
            if self._in_body and trl >= 0:
                digest.update(memoryview(block)[:trl])
                self._body = digest.copy()
                digest.update(memoryview(block)[trl:])
                self._in_body = False
            else:
                digest.update(block)
        elif self._in_body:
            self._body.update(memoryview(block)[: trl if trl >= 0 else len(block)])
            self._in_body = trl < 0

    def __iter__(self) -> Iterator[Chunk]:
        delivered = self._delivered
        stream: _DeliveredBytes | gzip.GzipFile = delivered
        if delivered.peek(2) == b"\x1f\x8b":
            # The stub asks for seek(); reading straight through, GzipFile never seeks (the stream cannot).
            stream = gzip.GzipFile(fileobj=delivered, mode="rb")  # type: ignore[call-overload]
        else:  # the content is the delivered bytes: hashed here, once for both digests
            self._plain, self._body = True, delivered.sha256
            delivered.hashing = False
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
                    self._hash(rest, 0)  # read: in the file's digest, not in the body's
                    rest = b""
                    break
                continue
            block, rest = buffer[:cut], buffer[cut:]
            ends = _line_ends(block)
            heads = _heads(block, ends)
            trl = -1
            if self._in_body and (line := _trl_line(heads)) >= 0:
                trl = int(ends[line - 1]) + 1 if line else 0
            self._hash(block, trl)
            text, clean = self._decode(block, count)
            # the text's bytes are the block's, unless a bad byte was replaced or a CR removed
            chunk = Chunk(count, text, block, (ends, heads)) if clean else Chunk(count, text, text.encode())
            yield chunk
            count += chunk.count
        if stream is not delivered:
            delivered.drain()  # bytes after the gzip stream still count in the delivered digest
        if rest:
            self._hash(rest, _trl_offset(rest) if self._in_body else 0)
            last = self._last_line(rest, count) + "\n"
            yield Chunk(count, last, last.encode())
            count += 1
        self.total_lines = count

    def _last_line(self, rest: bytes, count: int) -> str:
        """The text of a last line without its LF, reported."""
        last = self._decode(rest + b"\n", count)[0][:-1]
        record_type = last.split("|", 1)[0]
        field = field_name(record_type, last.count("|"))
        self._issue(count + 1, record_type, field, "the last line does not end with LF")
        return last

    def _decode(self, block: bytes, count: int) -> tuple[str, bool]:
        """UTF-8 text of whole lines, and whether it is the block's bytes as they are; a bad byte or a
        CR is reported at its line and field (and replaced or removed)."""
        clean = True
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            clean = False
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
            return text, clean
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if "\r" in line:
                record_type = line.split("|", 1)[0].rstrip("\r")
                field = field_name(record_type, line[: line.index("\r")].count("|"))
                self._issue(count + index + 1, record_type, field, "carriage return: lines end with LF only")
                lines[index] = line.replace("\r", "")
        return "\n".join(lines), False
