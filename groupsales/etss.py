"""Streaming reader and checker of the carrier's ETSS plan and rate file, layout 2.1.

``shared/humana/etss-rate-file.md`` is the contract. A file is loaded whole or not at all, so the
reader never stops at the first problem: it yields every well-formed record in file order and collects
every failure as an :class:`EtssIssue` naming the line and the layout's field, so that an operator can
fix a rejected file in one round.

Files reach 2,000,000 rows, so the reader streams: it reads fixed-size chunks, keeps no rows, and holds
only what the cross-record checks need (plans, areas, GEO keys, one small state per rate block and the
running sums). Hashes are taken as the bytes go by: ``file_sha256`` over the delivered (possibly gzipped)
bytes for the ``.sha256`` sidecar, ``sha256_of_body`` over the content before the TRL line for the
trailer's ``SHA256``.

Decisions where the document is silent:

* Record order is by type, ``HDR < PLN < ARE < GEO < ARA < TRA < FAC < TRL``; a type may be absent
  (FAC is optional) but never comes back after a later one.
* Records with a bad field are reported and not yielded; rates that are well-formed money still count
  in the running sums even when another check fails, so one broken row gives one issue, not two.
* Rate blocks (ARA and TRA rows sharing plan, area and range) need not be contiguous.
* Gaps: inside a plan year, consecutive ranges of a plan and area must touch; a ``FULL`` file must also
  cover the part of the plan year inside ``COVERAGE_START``..``COVERAGE_END`` for every plan and area
  it rates (an ``INCR`` file may carry a single quarter).
* ARA and TRA areas must name an ARE of the file (``*`` for TRA), as plans must name a PLN.
* An impossible date (20270229), a range ending before it starts, and a tier-rated plan with
  ARA rows (or an age-rated one with TRA rows) are errors.
* The tobacco-rate bounds are checked only when ``RATE`` itself passed its checks.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gzip
import hashlib
import os
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import BinaryIO, NamedTuple

from .codes import ETSS_TO_LINE, ETSS_TO_TIER, STATE_FIPS, Line, Tier
from .etss_bulk import BULK_CHECKS, AraRows, copy_safe
from .etss_xwk import XWK_FIELDS, Crosswalk, KnownPlanYear, check_crosswalks, read_xwk

__all__ = [
    "AGE_BANDS",
    "LAYOUT",
    "AgeRate",
    "AraRows",
    "Area",
    "Crosswalk",
    "EtssFileName",
    "EtssIssue",
    "EtssReader",
    "Factor",
    "Geo",
    "Header",
    "KnownPlanYear",
    "Plan",
    "Record",
    "TierRate",
    "Trailer",
    "age_band",
    "parse_file_name",
    "read_sidecar",
    "verify_sidecar",
]

# --------------------------------------------------------------------------------------------------
# Layout

LAYOUT: dict[str, tuple[str, ...]] = {
    "HDR": (
        "RECORD_TYPE", "LAYOUT_VERSION", "CARRIER_ID", "HIOS_ISSUER_ID", "FILE_SEQ", "CREATED_TS",
        "LOAD_TYPE", "MARKET", "COVERAGE_START", "COVERAGE_END", "STATES",
    ),
    "PLN": (
        "RECORD_TYPE", "PLAN_ID", "CARRIER_PLAN_CODE", "STATE", "LINE", "MARKETING_NAME", "PLAN_TYPE",
        "METAL_LEVEL", "RATING_METHOD", "TOBACCO_RATED", "COMPOSITE_ALLOWED", "AGE_RULE",
        "MAX_CHILDREN_U21", "DEP_MAX_AGE", "SERVICE_AREA_ID", "NETWORK_ID", "HSA_ELIGIBLE", "DED_IND",
        "DED_FAM", "MOOP_IND", "MOOP_FAM", "PLAN_EFF_DATE", "PLAN_EXP_DATE",
    ),
    "ARE": ("RECORD_TYPE", "STATE", "RATING_AREA_ID", "NAME", "BASIS", "EFF_DATE", "EXP_DATE"),
    "GEO": (
        "RECORD_TYPE", "STATE", "GEO_TYPE", "GEO_VALUE", "COUNTY_FIPS", "RATING_AREA_ID",
        "SERVICE_AREA_ID", "PARTIAL_COUNTY", "EFF_DATE", "EXP_DATE",
    ),
    "ARA": (
        "RECORD_TYPE", "PLAN_ID", "RATING_AREA_ID", "RATE_EFF_DATE", "RATE_EXP_DATE", "AGE_BAND", "RATE",
        "TOBACCO_RATE",
    ),
    "TRA": ("RECORD_TYPE", "PLAN_ID", "RATING_AREA_ID", "RATE_EFF_DATE", "RATE_EXP_DATE", "TIER", "RATE"),
    "FAC": ("RECORD_TYPE", "SCOPE", "SCOPE_ID", "FACTOR_TYPE", "KEY", "VALUE", "EFF_DATE", "EXP_DATE"),
    "XWK": XWK_FIELDS,  # layout 2.2 (groupsales.etss_xwk)
    "TRL": (
        "RECORD_TYPE", "TOTAL_LINES", "CNT_PLN", "CNT_ARE", "CNT_GEO", "CNT_ARA", "CNT_TRA", "CNT_FAC",
        "SUM_RATE", "SUM_TOBACCO_RATE", "SHA256",
    ),
}  # fmt: skip
_RANK = {record_type: rank for rank, record_type in enumerate(LAYOUT)}
_ORDER = "HDR, then PLN, ARE, GEO, ARA, TRA, FAC, XWK (2.2), then TRL"

AGE_BANDS: tuple[str, ...] = ("0-14", *(str(age) for age in range(15, 64)), "64+")
_BAND_INDEX = {band: index for index, band in enumerate(AGE_BANDS)}
_ALL_BANDS = (1 << len(AGE_BANDS)) - 1
_BAND_21 = _BAND_INDEX["21"]
_BAND_64 = _BAND_INDEX["64+"]

_PLAN_TYPES = frozenset({"HMO", "PPO", "EPO", "POS", "DHMO", "DPPO", "VIS"})
_MEDICAL_METALS = frozenset({"BRONZE", "EXPANDED_BRONZE", "SILVER", "GOLD", "PLATINUM"})
_OTHER_METALS = frozenset({"HIGH", "LOW", "NA"})
_RATING_METHODS = frozenset({"AGE", "TIER"})
_LOAD_TYPES = frozenset({"FULL", "INCR"})
_BASES = frozenset({"COUNTY", "ZIP3", "ZIP5"})
_SCOPES = frozenset({"PLAN", "STATE"})
_YES_NO = {"Y": True, "N": False}
_QUARTER_STARTS = frozenset({(1, 1), (4, 1), (7, 1), (10, 1)})

_MONEY = re.compile(r"\d{1,9}\.\d\d").fullmatch
_SUM = re.compile(r"\d{1,18}\.\d\d").fullmatch
_FACTOR = re.compile(r"\d{1,5}(?:\.\d{1,4})?").fullmatch
_DATE = re.compile(r"\d{8}").fullmatch
_TIMESTAMP = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z").fullmatch
_VERSION = re.compile(r"(\d+)\.(\d+)").fullmatch
_ISSUER = re.compile(r"\d{5}").fullmatch
_SEQ = re.compile(r"\d{6}").fullmatch
_PLAN_ID = re.compile(r"\d{5}[A-Z]{2}\d{7}").fullmatch
_COUNT = re.compile(r"\d{1,10}").fullmatch
_SMALL_INT = re.compile(r"\d{1,3}").fullmatch
_SHA256 = re.compile(r"[0-9a-fA-F]{64}").fullmatch
_GEO_VALUE = {"COUNTY": re.compile(r"\d{5}").fullmatch, "ZIP3": re.compile(r"\d{3}").fullmatch,
              "ZIP5": re.compile(r"\d{5}").fullmatch}  # fmt: skip
_FILE_NAME = re.compile(r"HUM_ETSS_SG_([A-Z]{2}|ALL)_(\d{8})_(\d{6})\.txt(?:\.gz)?")

_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_THREE = Decimal(3)
_ONE_AND_A_HALF = Decimal("1.5")
_PLACEHOLDERS = frozenset({Decimal("9999.99"), Decimal("999999")})
_DAY = timedelta(days=1)

_CHUNK = 1 << 20
_MAX_LINE = 1 << 16
_MAX_CACHED_DATES = 10_000


def age_band(age: int) -> str:
    """The ETSS age band of an age in completed years."""
    if age < 0:
        raise ValueError(f"age {age} is negative")
    if age <= 14:
        return "0-14"
    return "64+" if age >= 64 else str(age)


# --------------------------------------------------------------------------------------------------
# Records and issues


class EtssIssue(NamedTuple):
    """One failed check: the 1-based line (0 for the file as a whole), its record type and field."""

    line: int
    record_type: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where} {self.record_type} {self.field}: {self.message}".replace("  ", " ")


@dataclass(frozen=True, slots=True)
class Header:
    line_no: int
    layout_version: str
    carrier_id: str
    hios_issuer_id: str
    file_seq: int
    created_ts: datetime
    load_type: str
    market: str
    coverage_start: date
    coverage_end: date
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A PLN row: ``line`` is the line of business (MED/DEN/VIS as :class:`Line`), ``line_no`` the line."""

    line_no: int
    plan_id: str
    carrier_plan_code: str
    state: str
    line: Line
    marketing_name: str
    plan_type: str
    metal_level: str
    rating_method: str
    tobacco_rated: bool
    composite_allowed: bool
    age_rule: str
    max_children_u21: int | None
    dep_max_age: int
    service_area_id: str
    network_id: str
    hsa_eligible: bool
    ded_ind: Decimal
    ded_fam: Decimal
    moop_ind: Decimal
    moop_fam: Decimal
    plan_eff_date: date
    plan_exp_date: date


@dataclass(frozen=True, slots=True)
class Area:
    line_no: int
    state: str
    rating_area_id: str
    name: str
    basis: str
    eff_date: date
    exp_date: date


@dataclass(frozen=True, slots=True)
class Geo:
    line_no: int
    state: str
    geo_type: str
    geo_value: str
    county_fips: str
    rating_area_id: str
    service_area_id: str
    partial_county: bool
    eff_date: date
    exp_date: date


@dataclass(frozen=True, slots=True)
class AgeRate:
    line_no: int
    plan_id: str
    rating_area_id: str
    rate_eff_date: date
    rate_exp_date: date
    age_band: str
    rate: Decimal
    tobacco_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class TierRate:
    """A TRA row; ``rating_area_id`` is ``*`` for the whole state."""

    line_no: int
    plan_id: str
    rating_area_id: str
    rate_eff_date: date
    rate_exp_date: date
    tier: Tier
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Factor:
    line_no: int
    scope: str
    scope_id: str
    factor_type: str
    key: str
    value: Decimal
    eff_date: date
    exp_date: date


@dataclass(frozen=True, slots=True)
class Trailer:
    line_no: int
    total_lines: int
    cnt_pln: int
    cnt_are: int
    cnt_geo: int
    cnt_ara: int
    cnt_tra: int
    cnt_fac: int
    sum_rate: Decimal
    sum_tobacco_rate: Decimal
    sha256: str
    cnt_xwk: int | None = None  # layout 2.2


Record = Header | Plan | Area | Geo | AgeRate | TierRate | Factor | Crosswalk | Trailer


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
        day = _parse_date(match[2])
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
# Field parsing


_Matcher = Callable[[str], "re.Match[str] | None"]


def _parse_date(text: str) -> date:
    if not _DATE(text):
        raise ValueError(f"{text!r} is not a date CCYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None


class _Row:
    """Parses one line's fields by layout name, reporting each failure and remembering that one failed."""

    __slots__ = ("reader", "line", "record_type", "ok")

    def __init__(self, reader: EtssReader, line: int, record_type: str) -> None:
        self.reader = reader
        self.line = line
        self.record_type = record_type
        self.ok = True

    def fail(self, field: str, message: str) -> None:
        self.ok = False
        self.reader._issue(self.line, self.record_type, field, message)

    def text(self, value: str, field: str) -> str:
        if not value:
            self.fail(field, "is empty")
        return value

    def match(self, value: str, field: str, pattern: _Matcher, expected: str) -> str:
        if not pattern(value):
            self.fail(field, f"{value!r} is not {expected}")
        return value

    def enum(self, value: str, field: str, allowed: Iterable[str]) -> str:
        if value not in allowed:
            self.fail(field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    def yes_no(self, value: str, field: str) -> bool:
        if value not in _YES_NO:
            self.fail(field, f"{value!r} is not Y or N")
            return False
        return _YES_NO[value]

    def date(self, value: str, field: str) -> _dt.date | None:
        day = self.reader._date(value, self.line, self.record_type, field)
        if day is None:
            self.ok = False
        return day

    def range(self, eff: _dt.date | None, exp: _dt.date | None, exp_field: str, eff_field: str) -> None:
        if eff is not None and exp is not None and exp < eff:
            self.fail(exp_field, f"{exp:%Y%m%d} is before {eff_field} {eff:%Y%m%d}")

    def money(self, value: str, field: str, pattern: _Matcher = _MONEY) -> Decimal:
        if not pattern(value):
            self.fail(field, f"{value!r} is not money with two decimals and no separators")
            return _ZERO
        return Decimal(value)

    def factor(self, value: str, field: str) -> Decimal:
        if not _FACTOR(value) or Decimal(value) == 0:
            self.fail(field, f"{value!r} is not a positive factor with up to four decimals")
            return _ZERO
        return Decimal(value)

    def integer(self, value: str, field: str, pattern: _Matcher = _SMALL_INT) -> int:
        if not pattern(value):
            self.fail(field, f"{value!r} is not a whole number")
            return 0
        return int(value)

    def state(self, value: str, field: str) -> str:
        if value not in STATE_FIPS:
            self.fail(field, f"{value!r} is not a state code")
        elif self.reader._states is not None and value not in self.reader._states:
            self.fail(field, f"{value} is not among the header's STATES")
        return value


class _PlanYear(NamedTuple):
    eff: date
    exp: date
    rating_method: str
    tobacco_rated: bool


class _AraBlock:
    """What the block checks need of one plan, area and range of ARA rows (never the rows)."""

    __slots__ = ("line", "tobacco_rated", "bands", "rate_21", "rate_64")

    def __init__(self, line: int, tobacco_rated: bool | None) -> None:
        self.line = line
        self.tobacco_rated = tobacco_rated
        self.bands = 0
        self.rate_21: Decimal | None = None
        self.rate_64: tuple[int, Decimal] | None = None


class _TraBlock:
    __slots__ = ("line", "tiers")

    def __init__(self, line: int) -> None:
        self.line = line
        self.tiers: set[str] = set()


_BlockKey = tuple[str, str, date, date]


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


# --------------------------------------------------------------------------------------------------
# The reader


def _run_end(lines: list[str], at: int, prefix: str) -> int:
    """The end of the run of lines from ``at`` that start with ``prefix`` (found in one search)."""
    if lines[-1].startswith(prefix) and "\n".join(lines[at:]).count(f"\n{prefix}") == len(lines) - at - 1:
        return len(lines)
    end = at + 1
    while end < len(lines) and lines[end].startswith(prefix):
        end += 1
    return end


def _expanded(items: Iterator[Record | AraRows]) -> Iterator[Record]:
    for item in items:
        if isinstance(item, AraRows):
            yield from item.records()
        else:
            yield item


class EtssReader:
    """Iterate the records of one ETSS file in order while checking it; read the results afterwards.

    ``source`` is a path or a binary stream, plain or gzip (told by its magic bytes). ``name`` is the
    delivered file name (default: a path's base name) for the name and ``FILE_SEQ`` checks. A reader
    reads once; :meth:`check` consumes it without handing out records.

    After iteration: :attr:`header`, :attr:`trailer`, :attr:`counts` (lines per known record type),
    :attr:`total_lines`, :attr:`issues`, :attr:`ok`, :attr:`sha256_of_body`, :attr:`file_sha256`.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        *,
        name: str | None = None,
        max_issues: int = 1000,
        known_plans: dict[str, list[KnownPlanYear]] | None = None,
    ) -> None:
        self._source = source
        if name is None and isinstance(source, str | os.PathLike):
            name = os.path.basename(os.fspath(source))
        self.name = name
        self.header: Header | None = None
        self.trailer: Trailer | None = None
        self.counts: dict[str, int] = dict.fromkeys(LAYOUT, 0)
        self.total_lines = 0
        self.sha256_of_body: str | None = None
        self.file_sha256: str | None = None
        self.finished = False

        self._max_issues = max_issues
        self._issues: list[EtssIssue] = []
        self._dropped = 0
        self._started = False
        self._rank = -1
        self._after_trl = False
        self._dates: dict[str, date] = {}
        # From the header, kept even when another header field is bad so that later checks still run.
        self._states: frozenset[str] | None = None
        self._coverage: tuple[date, date] | None = None
        self._full_load = False
        # Cross-record state: proportional to plans, areas, places and rate blocks, never to rate rows.
        self._plans: dict[str, list[_PlanYear]] = {}
        self._areas: dict[str, set[date]] = {}
        self._geo_keys: set[tuple[str, str, str, date]] = set()
        self._factor_keys: set[tuple[str, str, str, str, date]] = set()
        self._ara_blocks: dict[_BlockKey, _AraBlock] = {}
        self._tra_blocks: dict[_BlockKey, _TraBlock] = {}
        self._sum_rate = _ZERO
        self._sum_tobacco_rate = _ZERO
        self._copy_safe_for: tuple[int, int] | None = None
        self._copy_safe_value = False
        # Layout 2.2: the plan years with their line, the XWK rows, plans loaded before (XWK checks)
        self._minor = 1
        self._plan_years: dict[str, list[KnownPlanYear]] = {}
        self._crosswalks: list[Crosswalk] = []
        self._known_plans = known_plans

    # ---- results

    @property
    def issues(self) -> list[EtssIssue]:
        """Every failure so far, by line once the file is read, capped with a final "and N more"."""
        return self._issues

    @property
    def ok(self) -> bool:
        """True only when the whole file has been read and nothing failed."""
        return self.finished and not self._issues

    # ---- reading

    def __iter__(self) -> Iterator[Record]:
        return _expanded(self.batches())

    def batches(self) -> Iterator[Record | AraRows]:
        """The records in file order, clean runs of rate rows as :class:`AraRows` (for bulk loaders)."""
        if self._started:
            raise RuntimeError("an EtssReader reads its source once")
        self._started = True
        return self._records()

    def check(self) -> EtssReader:
        """Read the whole file for its checks only."""
        for _record in self.batches():
            pass
        return self

    def _records(self) -> Iterator[Record | AraRows]:
        with contextlib.ExitStack() as stack:
            if isinstance(self._source, str | os.PathLike):
                raw: BinaryIO = stack.enter_context(open(self._source, "rb"))
            else:
                raw = self._source
            delivered = _DeliveredBytes(raw)
            for first, lines in self._chunks(delivered):
                yield from self._chunk_records(first, lines)
            self.file_sha256 = delivered.sha256.hexdigest()
        self._finish()

    def _chunk_records(self, first: int, lines: list[str]) -> Iterator[Record | AraRows]:
        """One chunk's records: runs of a record type with a bulk check (ARA) in bulk, the rest by line."""
        handlers = self._handlers
        counts = self.counts
        at, count = 0, len(lines)
        while at < count:
            text = lines[at]
            line_no = first + at + 1
            bulk = BULK_CHECKS.get(text[:3]) if text[3:4] == "|" else None
            if bulk is not None and self._run_in_order(line_no, text[:3]):
                end = _run_end(lines, at, text[:4])
                counts[text[:3]] += end - at
                yield from bulk(self, lines[at:end], line_no)
                at = end
                continue
            at += 1
            fields = text.split("|")
            record_type = fields[0]
            if not self._in_order(line_no, record_type):
                continue
            counts[record_type] += 1
            if len(fields) != len(LAYOUT[record_type]) + (record_type == "TRL" and self._minor >= 2):
                self._wrong_field_count(line_no, record_type, len(fields))
                continue
            record = handlers[record_type](fields, line_no)
            if record is not None:
                yield record

    @property
    def _handlers(self) -> dict[str, Callable[[list[str], int], Record | None]]:
        return {
            "HDR": self._hdr, "PLN": self._pln, "ARE": self._are, "GEO": self._geo,
            "ARA": self._ara, "TRA": self._tra, "FAC": self._fac, "XWK": self._xwk,
            "TRL": self._trl,
        }  # fmt: skip

    def _run_in_order(self, line: int, record_type: str) -> bool:
        """Whether a run of ``record_type`` from ``line`` is in its place (what :meth:`_in_order` checks
        line by line would find nothing); if so, the run's type becomes the current one."""
        rank = _RANK[record_type]
        if line == 1 or self._after_trl or rank < self._rank or record_type in ("HDR", "TRL"):
            return False
        self._rank = rank
        return True

    def _copy_safe(self) -> bool:
        """Whether every plan and area name is safe in ``COPY`` text (see :class:`AraRows`)."""
        key = (len(self._plans), len(self._areas))
        if self._copy_safe_for != key:
            self._copy_safe_value = copy_safe(iter([*self._plans, *self._areas]))
            self._copy_safe_for = key
        return self._copy_safe_value

    @staticmethod
    def _new_ara_block(line: int, tobacco_rated: bool | None) -> _AraBlock:
        return _AraBlock(line, tobacco_rated)

    def _date_or_none(self, text: str) -> date | None:
        """A date without reporting (the per-row check reports it), cached like :meth:`_date`."""
        try:
            day = _parse_date(text)
        except ValueError:
            return None
        if len(self._dates) < _MAX_CACHED_DATES:
            self._dates[text] = day
        return day

    def _chunks(self, delivered: _DeliveredBytes) -> Iterator[tuple[int, list[str]]]:
        """Decoded lines in chunk-sized lists, with the line count before each; hashes as it goes."""
        stream: _DeliveredBytes | gzip.GzipFile = delivered
        if delivered.peek(2) == b"\x1f\x8b":
            # The stub asks for seek(); reading straight through, GzipFile never seeks (the stream cannot).
            stream = gzip.GzipFile(fileobj=delivered, mode="rb")  # type: ignore[call-overload]
        body = hashlib.sha256()
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
                in_body = self._hash_body(body, block)
            lines = self._decode(block, count).split("\n")
            lines.pop()  # after the final LF
            yield count, lines
            count += len(lines)
        if stream is not delivered:
            delivered.drain()  # bytes after the gzip stream still count in the delivered digest
        if rest:
            if in_body:
                self._hash_body(body, rest)
            last = self._decode(rest + b"\n", count)[:-1]
            record_type = last.split("|", 1)[0]
            field = self._field_name(record_type, last.count("|"))
            self._issue(count + 1, record_type, field, "the last line does not end with LF")
            yield count, [last]
            count += 1
        self.total_lines = count
        self.sha256_of_body = body.hexdigest()

    @staticmethod
    def _hash_body(body: hashlib._Hash, block: bytes) -> bool:
        """Hash the bytes before the TRL line; False once it has been met."""
        at = _trl_offset(block)
        if at < 0:
            body.update(block)
            return True
        body.update(block[:at])
        return False

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
                    field = self._field_name(record_type, raw[: error.start].count(b"|"))
                    self._issue(line_no, record_type, field, f"byte {error.start + 1} is not valid UTF-8")
                    lines.append(raw.decode("utf-8", "replace"))
            text = "\n".join(lines) + "\n"
        if "\r" not in text:
            return text
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if "\r" in line:
                record_type = line.split("|", 1)[0].rstrip("\r")
                field = self._field_name(record_type, line[: line.index("\r")].count("|"))
                self._issue(count + index + 1, record_type, field, "carriage return: lines end with LF only")
                lines[index] = line.replace("\r", "")
        return "\n".join(lines)

    @staticmethod
    def _field_name(record_type: str, index: int) -> str:
        layout = LAYOUT.get(record_type, ())
        return layout[index] if index < len(layout) else ""

    # ---- issues

    def _issue(self, line: int, record_type: str, field: str, message: str) -> None:
        if len(self._issues) < self._max_issues:
            self._issues.append(EtssIssue(line, record_type, field, message))
        else:
            self._dropped += 1

    def _date(self, text: str, line: int, record_type: str, field: str) -> date | None:
        """A date through a cache: rate rows repeat a handful of dates millions of times."""
        day = self._dates.get(text)
        if day is None:
            try:
                day = _parse_date(text)
            except ValueError as error:
                self._issue(line, record_type, field, str(error))
                return None
            if len(self._dates) < _MAX_CACHED_DATES:
                self._dates[text] = day
        return day

    # ---- structure

    def _in_order(self, line: int, record_type: str) -> bool:
        """Check the record type and its place; False for an unknown type (the line is then skipped)."""
        rank = _RANK.get(record_type)
        if rank is None:
            message = "empty line" if not record_type else f"unknown record type {record_type!r}"
            self._issue(line, record_type, "RECORD_TYPE", message)
            return False
        if line == 1 and record_type != "HDR":
            self._issue(line, record_type, "RECORD_TYPE", "the first line must be HDR")
        elif self._after_trl:
            self._issue(line, record_type, "RECORD_TYPE", "a line after TRL: TRL must be the last line")
        elif rank < self._rank or (record_type == "HDR" and line != 1):
            self._issue(line, record_type, "RECORD_TYPE", f"{record_type} out of order: {_ORDER}")
        else:
            self._rank = rank
        if record_type == "TRL":
            self._after_trl = True
        return True

    def _wrong_field_count(self, line: int, record_type: str, count: int) -> None:
        layout = LAYOUT[record_type]
        if count < len(layout):
            field, detail = layout[count], f"{layout[count]} and after missing"
        else:
            field, detail = layout[-1], f"extra fields after {layout[-1]}"
        message = f"{count} fields, layout 2.1 has {len(layout)} for {record_type} ({detail})"
        self._issue(line, record_type, field, message)

    # ---- records

    def _hdr(self, f: list[str], line: int) -> Header | None:
        row = _Row(self, line, "HDR")
        version = f[1]
        match = _VERSION(version)
        if match and match[1] == "2":
            self._minor = int(match[2])
        if not match:
            row.fail("LAYOUT_VERSION", f"{version!r} is not MAJOR.MINOR")
        elif match[1] != "2":
            row.fail("LAYOUT_VERSION", f"layout {version} refused: only major version 2 is read")
        carrier_id = row.text(f[2], "CARRIER_ID")
        issuer = row.match(f[3], "HIOS_ISSUER_ID", _ISSUER, "5 digits")
        seq = row.integer(f[4], "FILE_SEQ", _SEQ)
        created = _TIMESTAMP(f[5])
        created_ts = None
        if created:
            with contextlib.suppress(ValueError):
                year, month, day, hour, minute = map(int, created.groups())
                created_ts = datetime(year, month, day, hour, minute, tzinfo=UTC)
        if created_ts is None:
            row.fail("CREATED_TS", f"{f[5]!r} is not a UTC time CCYYMMDDTHHMMZ")
        load_type = row.enum(f[6], "LOAD_TYPE", _LOAD_TYPES)
        market = row.enum(f[7], "MARKET", ("SG",))
        start = row.date(f[8], "COVERAGE_START")
        end = row.date(f[9], "COVERAGE_END")
        row.range(start, end, "COVERAGE_END", "COVERAGE_START")
        states = tuple(f[10].split(","))
        bad = [state for state in states if state not in STATE_FIPS]
        if bad or len(set(states)) != len(states):
            row.fail("STATES", f"{f[10]!r} is not a comma list of distinct state codes")
        else:
            self._states = frozenset(states)
        if start is not None and end is not None and start <= end:
            self._coverage = (start, end)
        self._full_load = load_type == "FULL"
        self._check_name(row, seq if _SEQ(f[4]) else None, states)
        if not row.ok or created_ts is None or start is None or end is None:
            return None
        self.header = Header(
            line, version, carrier_id, issuer, seq, created_ts, load_type, market, start, end, states
        )
        return self.header

    def _check_name(self, row: _Row, seq: int | None, states: tuple[str, ...]) -> None:
        if self.name is None:
            return
        parsed = parse_file_name(self.name)
        if parsed is None:
            self._issue(
                0, "", "FILE_NAME", f"{self.name!r} is not HUM_ETSS_SG_<ST|ALL>_<CCYYMMDD>_<SEQ>.txt[.gz]"
            )
            return
        if seq is not None and seq != parsed.seq:
            row.fail("FILE_SEQ", f"{seq:06d} differs from the file name's sequence {parsed.seq:06d}")
        if parsed.state != "ALL" and states != (parsed.state,):
            row.fail("STATES", f"{','.join(states)} differs from the file name's state {parsed.state}")

    def _pln(self, f: list[str], line: int) -> Plan | None:
        row = _Row(self, line, "PLN")
        plan_id = row.match(f[1], "PLAN_ID", _PLAN_ID, "14 characters: 5-digit issuer, state, 7 digits")
        code = row.text(f[2], "CARRIER_PLAN_CODE")
        state = row.state(f[3], "STATE")
        if row.ok and plan_id[5:7] != state:
            row.fail("PLAN_ID", f"{plan_id} is for state {plan_id[5:7]}, STATE is {state}")
        line_of_business = ETSS_TO_LINE.get(f[4])
        if line_of_business is None:
            row.fail("LINE", f"{f[4]!r} is not one of MED, DEN, VIS")
        name = row.text(f[5], "MARKETING_NAME")
        plan_type = row.enum(f[6], "PLAN_TYPE", _PLAN_TYPES)
        if line_of_business is None:
            metals = _MEDICAL_METALS | _OTHER_METALS
        else:
            metals = _MEDICAL_METALS if line_of_business is Line.MEDICAL else _OTHER_METALS
        metal = row.enum(f[7], "METAL_LEVEL", metals)
        rating_method = row.enum(f[8], "RATING_METHOD", _RATING_METHODS)
        tobacco_rated = row.yes_no(f[9], "TOBACCO_RATED")
        composite_allowed = row.yes_no(f[10], "COMPOSITE_ALLOWED")
        age_rule = row.enum(f[11], "AGE_RULE", ("EFFDATE",))
        max_children = row.integer(f[12], "MAX_CHILDREN_U21") if f[12] else None
        dep_max_age = row.integer(f[13], "DEP_MAX_AGE")
        service_area_id = row.text(f[14], "SERVICE_AREA_ID")
        network_id = row.text(f[15], "NETWORK_ID")
        hsa = row.yes_no(f[16], "HSA_ELIGIBLE")
        ded_ind, ded_fam, moop_ind, moop_fam = (row.money(f[i], LAYOUT["PLN"][i]) for i in range(17, 21))
        eff = row.date(f[21], "PLAN_EFF_DATE")
        exp = row.date(f[22], "PLAN_EXP_DATE")
        row.range(eff, exp, "PLAN_EXP_DATE", "PLAN_EFF_DATE")
        if eff is not None and exp is not None and eff <= exp:
            years = self._plans.setdefault(plan_id, [])
            clash = next((y for y in years if y.eff <= exp and eff <= y.exp), None)
            if clash is not None:
                row.fail("PLAN_EFF_DATE", f"{plan_id} already has a plan year {clash.eff}..{clash.exp}")
            else:
                # Kept even when another field is bad, so its rate rows are not all reported again.
                years.append(_PlanYear(eff, exp, rating_method, tobacco_rated))
                self._plan_years.setdefault(plan_id, []).append(KnownPlanYear(eff, exp, f[4], rating_method))
        if not row.ok or line_of_business is None or eff is None or exp is None:
            return None
        return Plan(
            line, plan_id, code, state, line_of_business, name, plan_type, metal, rating_method,
            tobacco_rated, composite_allowed, age_rule, max_children, dep_max_age, service_area_id,
            network_id, hsa, ded_ind, ded_fam, moop_ind, moop_fam, eff, exp,
        )  # fmt: skip

    def _are(self, f: list[str], line: int) -> Area | None:
        row = _Row(self, line, "ARE")
        state = row.state(f[1], "STATE")
        area_id = row.text(f[2], "RATING_AREA_ID")
        name = row.text(f[3], "NAME")
        basis = row.enum(f[4], "BASIS", _BASES)
        eff = row.date(f[5], "EFF_DATE")
        exp = row.date(f[6], "EXP_DATE")
        row.range(eff, exp, "EXP_DATE", "EFF_DATE")
        if area_id and eff is not None:
            effs = self._areas.setdefault(area_id, set())
            if eff in effs:
                row.fail("EFF_DATE", f"a second ARE {area_id} effective {eff:%Y%m%d}")
            effs.add(eff)
        if not row.ok or eff is None or exp is None:
            return None
        return Area(line, state, area_id, name, basis, eff, exp)

    def _geo(self, f: list[str], line: int) -> Geo | None:
        row = _Row(self, line, "GEO")
        state = row.state(f[1], "STATE")
        geo_type = row.enum(f[2], "GEO_TYPE", _BASES)
        value = f[3]
        if geo_type in _GEO_VALUE:
            row.match(value, "GEO_VALUE", _GEO_VALUE[geo_type], f"a {geo_type} value")
        county = f[4]
        if not _GEO_VALUE["COUNTY"](county):
            row.fail("COUNTY_FIPS", f"{county!r} is not a 5-digit county FIPS code")
        elif state in STATE_FIPS and not county.startswith(STATE_FIPS[state]):
            row.fail("COUNTY_FIPS", f"{county} is not a county of {state}")
        elif geo_type == "COUNTY" and value != county:
            row.fail("GEO_VALUE", f"a COUNTY row's GEO_VALUE {value} differs from COUNTY_FIPS {county}")
        area_id = f[5]
        if area_id not in self._areas:
            row.fail("RATING_AREA_ID", f"{area_id!r} has no ARE record")
        service_area_id = row.text(f[6], "SERVICE_AREA_ID")
        partial = row.yes_no(f[7], "PARTIAL_COUNTY")
        eff = row.date(f[8], "EFF_DATE")
        exp = row.date(f[9], "EXP_DATE")
        row.range(eff, exp, "EXP_DATE", "EFF_DATE")
        if eff is not None:
            key = (geo_type, value, county, eff)
            if key in self._geo_keys:
                row.fail(
                    "GEO_VALUE", f"a second GEO {geo_type} {value} county {county} effective {eff:%Y%m%d}"
                )
            self._geo_keys.add(key)
        if not row.ok or eff is None or exp is None:
            return None
        return Geo(line, state, geo_type, value, county, area_id, service_area_id, partial, eff, exp)

    def _ara(self, f: list[str], line: int) -> AgeRate | None:
        """The hot path (nearly every row of a large file): plain locals, no per-row helper object."""
        _, plan_id, area_id, eff_text, exp_text, band, rate_text, tobacco_text = f
        ok = True
        dates = self._dates
        eff = dates.get(eff_text) or self._date(eff_text, line, "ARA", "RATE_EFF_DATE")
        exp = dates.get(exp_text) or self._date(exp_text, line, "ARA", "RATE_EXP_DATE")
        block = None
        if eff is not None and exp is not None:
            key = (plan_id, area_id, eff, exp)
            block = self._ara_blocks.get(key)
            if block is None:
                block = self._open_ara_block(key, line)
        else:
            ok = False

        index = _BAND_INDEX.get(band)
        if index is None:
            self._issue(line, "ARA", "AGE_BAND", f"{band!r} is not an age band (0-14, 15 … 63, 64+)")
            ok = False
        elif block is not None:
            bit = 1 << index
            if block.bands & bit:
                self._issue(
                    line, "ARA", "AGE_BAND", f"band {band} appears twice in its block (line {block.line})"
                )
                ok = False
            block.bands |= bit

        rate = None
        good_rate = None  # the rate when it is one (not 0, not a placeholder)
        if _MONEY(rate_text):
            rate = Decimal(rate_text)
            self._sum_rate += rate
            if rate == _ZERO or rate in _PLACEHOLDERS:
                self._bad_rate(line, "ARA", "RATE", rate_text)
                ok = False
            else:
                good_rate = rate
            if good_rate is not None and block is not None:
                if index == _BAND_21:
                    block.rate_21 = rate
                elif index == _BAND_64:
                    block.rate_64 = (line, rate)
        else:
            self._issue(line, "ARA", "RATE", f"{rate_text!r} is not money with two decimals")
            ok = False

        tobacco_rate = None
        tobacco_rated = block.tobacco_rated if block is not None else None
        if tobacco_text:
            if _MONEY(tobacco_text):
                tobacco_rate = Decimal(tobacco_text)
                self._sum_tobacco_rate += tobacco_rate
                if tobacco_rated is False:
                    self._issue(line, "ARA", "TOBACCO_RATE", f"must be empty: {plan_id} is not tobacco-rated")
                    ok = False
                elif tobacco_rate == _ZERO or tobacco_rate in _PLACEHOLDERS:
                    self._bad_rate(line, "ARA", "TOBACCO_RATE", tobacco_text)
                    ok = False
                elif good_rate is not None and not self._tobacco_rate_fits(line, good_rate, tobacco_rate):
                    ok = False
            else:
                self._issue(line, "ARA", "TOBACCO_RATE", f"{tobacco_text!r} is not money with two decimals")
                ok = False
        elif tobacco_rated:
            self._issue(line, "ARA", "TOBACCO_RATE", f"is empty but {plan_id} is tobacco-rated")
            ok = False

        if not ok or eff is None or exp is None or rate is None:  # ok: the dates and the rate were read
            return None
        return AgeRate(line, plan_id, area_id, eff, exp, band, rate, tobacco_rate)

    def _tobacco_rate_fits(self, line: int, rate: Decimal, tobacco_rate: Decimal) -> bool:
        if tobacco_rate < rate - _CENT:
            self._issue(line, "ARA", "TOBACCO_RATE", f"{tobacco_rate} is below RATE {rate}")
            return False
        if tobacco_rate > rate * _ONE_AND_A_HALF + _CENT:
            self._issue(line, "ARA", "TOBACCO_RATE", f"{tobacco_rate} is above 1.5 × RATE {rate}")
            return False
        return True

    def _bad_rate(self, line: int, record_type: str, field: str, text: str) -> None:
        what = "0" if Decimal(text) == 0 else "a placeholder (9999.99, 999999)"
        self._issue(line, record_type, field, f"{text} is {what}, not a rate")

    def _open_ara_block(self, key: _BlockKey, line: int) -> _AraBlock:
        plan_id, area_id, eff, exp = key
        if (eff.month, eff.day) not in _QUARTER_STARTS:
            self._issue(
                line, "ARA", "RATE_EFF_DATE", f"{eff:%Y%m%d} does not start a quarter (1 Jan/Apr/Jul/Oct)"
            )
        year = self._plan_year_of_block("ARA", key, line, expected_method="AGE")
        if area_id not in self._areas:
            self._issue(line, "ARA", "RATING_AREA_ID", f"{area_id!r} has no ARE record")
        block = self._ara_blocks[key] = _AraBlock(line, year.tobacco_rated if year else None)
        return block

    def _plan_year_of_block(
        self, record_type: str, key: _BlockKey, line: int, expected_method: str
    ) -> _PlanYear | None:
        """The plan year that holds a new rate block, reporting a block that has none (once per block)."""
        plan_id, _area, eff, exp = key
        if exp < eff:
            self._issue(
                line, record_type, "RATE_EXP_DATE", f"{exp:%Y%m%d} is before RATE_EFF_DATE {eff:%Y%m%d}"
            )
            return None
        years = self._plans.get(plan_id)
        if not years:
            self._issue(line, record_type, "PLAN_ID", f"{plan_id!r} has no PLN record")
            return None
        year = next((y for y in years if y.eff <= eff <= y.exp), None)
        if year is None:
            spans = ", ".join(f"{y.eff:%Y%m%d}..{y.exp:%Y%m%d}" for y in years)
            self._issue(
                line, record_type, "RATE_EFF_DATE", f"{eff:%Y%m%d} is outside {plan_id}'s plan dates {spans}"
            )
            return None
        if exp > year.exp:
            self._issue(
                line,
                record_type,
                "RATE_EXP_DATE",
                f"{exp:%Y%m%d} is after {plan_id}'s PLAN_EXP_DATE {year.exp:%Y%m%d}",
            )
        if year.rating_method != expected_method:
            self._issue(line, record_type, "PLAN_ID", f"{plan_id} has RATING_METHOD {year.rating_method}")
        return year

    def _tra(self, f: list[str], line: int) -> TierRate | None:
        row = _Row(self, line, "TRA")
        _, plan_id, area_id, eff_text, exp_text, tier_text, rate_text = f
        eff = row.date(eff_text, "RATE_EFF_DATE")
        exp = row.date(exp_text, "RATE_EXP_DATE")
        tier = ETSS_TO_TIER.get(tier_text)
        if tier is None:
            row.fail("TIER", f"{tier_text!r} is not one of EE, ES, EC, EF")
        if eff is not None and exp is not None:
            key = (plan_id, area_id, eff, exp)
            block = self._tra_blocks.get(key)
            if block is None:
                self._plan_year_of_block("TRA", key, line, expected_method="TIER")
                if area_id != "*" and area_id not in self._areas:
                    row.fail("RATING_AREA_ID", f"{area_id!r} has no ARE record (nor is it *)")
                block = self._tra_blocks[key] = _TraBlock(line)
            if tier is not None:
                if tier_text in block.tiers:
                    row.fail("TIER", f"tier {tier_text} appears twice in its block (line {block.line})")
                block.tiers.add(tier_text)
        rate = row.money(rate_text, "RATE")
        if _MONEY(rate_text):
            self._sum_rate += rate
            if rate == _ZERO or rate in _PLACEHOLDERS:
                self._bad_rate(line, "TRA", "RATE", rate_text)
                row.ok = False
        if not row.ok or eff is None or exp is None or tier is None:  # row.ok: all three were read
            return None
        return TierRate(line, plan_id, area_id, eff, exp, tier, rate)

    def _fac(self, f: list[str], line: int) -> Factor | None:
        row = _Row(self, line, "FAC")
        scope = row.enum(f[1], "SCOPE", _SCOPES)
        scope_id = f[2]
        if scope == "PLAN" and scope_id not in self._plans:
            row.fail("SCOPE_ID", f"{scope_id!r} has no PLN record")
        elif scope == "STATE":
            row.state(scope_id, "SCOPE_ID")
        factor_type = row.text(f[3], "FACTOR_TYPE")
        key = row.text(f[4], "KEY")
        if factor_type == "COMPOSITE_TIER" and key not in ETSS_TO_TIER:
            row.fail("KEY", f"{key!r} is not one of EE, ES, EC, EF")
        value = row.factor(f[5], "VALUE")
        eff = row.date(f[6], "EFF_DATE")
        exp = row.date(f[7], "EXP_DATE")
        row.range(eff, exp, "EXP_DATE", "EFF_DATE")
        if eff is not None:
            fac_key = (scope, scope_id, factor_type, key, eff)
            if fac_key in self._factor_keys:
                row.fail(
                    "KEY",
                    f"a second {factor_type} {key} factor for {scope} {scope_id} effective {eff:%Y%m%d}",
                )
            self._factor_keys.add(fac_key)
        if not row.ok or eff is None or exp is None:
            return None
        return Factor(line, scope, scope_id, factor_type, key, value, eff, exp)

    def _xwk(self, f: list[str], line: int) -> Crosswalk | None:
        if self._minor < 2:
            self._issue(line, "XWK", "RECORD_TYPE", "XWK is a record of layout 2.2; the header says 2.1")
            return None
        row = read_xwk(f, line, states=self._states, coverage=self._coverage, issue=self._issue)
        if row is not None:
            self._crosswalks.append(row)
        return row

    def _trl(self, f: list[str], line: int) -> Trailer | None:
        row = _Row(self, line, "TRL")
        names = LAYOUT["TRL"]
        total, pln, are, geo, ara, tra, fac = (row.integer(f[i], names[i], _COUNT) for i in range(1, 8))
        sum_rate, sum_tobacco = (row.money(f[i], names[i], _SUM) for i in (8, 9))
        sha = row.match(f[10], "SHA256", _SHA256, "a SHA-256 hex digest").lower()
        cnt_xwk = row.integer(f[11], "CNT_XWK", _COUNT) if len(f) > 11 else None
        if not row.ok or self.trailer is not None:
            return None
        self.trailer = Trailer(line, total, pln, are, geo, ara, tra, fac, sum_rate, sum_tobacco, sha, cnt_xwk)
        return self.trailer

    # ---- after the last line

    def _finish(self) -> None:
        if self.total_lines == 0:
            self._issue(1, "HDR", "RECORD_TYPE", "the file is empty")
        elif self.counts["TRL"] == 0:
            self._issue(self.total_lines, "TRL", "RECORD_TYPE", "no TRL line: the file may be cut short")
        self._check_ara_blocks()
        self._check_ranges("ARA", self._ara_blocks)
        self._check_ranges("TRA", self._tra_blocks)
        if self._minor >= 2:
            check_crosswalks(
                self._crosswalks,
                plans=self._plan_years,
                known=self._known_plans,
                rate_blocks=[*self._ara_blocks, *self._tra_blocks],
                full_start=self._coverage[0] if self._full_load and self._coverage else None,
                states=self._states,
                issue=self._issue,
            )
        self._check_trailer()
        if self._minor < 2 and not self.counts["XWK"]:
            del self.counts["XWK"]  # a 2.1 file's counts are 2.1's
        self._issues.sort(key=lambda issue: issue.line)
        if self._dropped:
            self._issues.append(EtssIssue(0, "", "", f"and {self._dropped} more"))
        self.finished = True

    def _check_ara_blocks(self) -> None:
        for (plan_id, area_id, eff, _exp), block in self._ara_blocks.items():
            if block.bands != _ALL_BANDS:
                missing = [band for i, band in enumerate(AGE_BANDS) if not block.bands >> i & 1]
                shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
                message = f"{plan_id} {area_id} from {eff:%Y%m%d} lacks {len(missing)} of 51 bands: {shown}"
                self._issue(block.line, "ARA", "AGE_BAND", message)
            if block.rate_21 is not None and block.rate_64 is not None:
                line, rate_64 = block.rate_64
                if rate_64 > block.rate_21 * _THREE + _CENT:
                    self._issue(
                        line, "ARA", "RATE", f"64+ rate {rate_64} exceeds 3 × the age-21 rate {block.rate_21}"
                    )

    def _check_ranges(
        self, record_type: str, blocks: dict[_BlockKey, _AraBlock] | dict[_BlockKey, _TraBlock]
    ) -> None:
        """Ranges of a plan and area neither overlap nor leave a gap inside a plan year."""
        by_plan_area: dict[tuple[str, str], list[tuple[date, date, int]]] = defaultdict(list)
        for (plan_id, area_id, eff, exp), block in blocks.items():
            if eff <= exp:
                by_plan_area[(plan_id, area_id)].append((eff, exp, block.line))
        for (plan_id, area_id), ranges in by_plan_area.items():
            ranges.sort()
            what = f"{plan_id} {area_id}"
            latest: tuple[date, date, int] | None = None
            for eff, exp, line in ranges:
                if latest is not None and eff <= latest[1]:
                    message = (
                        f"{what} {eff:%Y%m%d}..{exp:%Y%m%d} overlaps {latest[0]:%Y%m%d}..{latest[1]:%Y%m%d}"
                    )
                    self._issue(line, record_type, "RATE_EFF_DATE", f"{message} (line {latest[2]})")
                if latest is None or exp > latest[1]:
                    latest = (eff, exp, line)
            for year in self._plans.get(plan_id, ()):
                inside = [r for r in ranges if year.eff <= r[0] <= year.exp]
                if inside:
                    self._check_gaps(record_type, what, year, inside)

    def _check_gaps(
        self, record_type: str, what: str, year: _PlanYear, ranges: list[tuple[date, date, int]]
    ) -> None:
        covered_to = ranges[0][1]
        for eff, exp, line in ranges[1:]:
            if eff > covered_to + _DAY:
                message = f"{what} has no rates from {covered_to + _DAY:%Y%m%d} to {eff - _DAY:%Y%m%d}"
                self._issue(line, record_type, "RATE_EFF_DATE", message)
            covered_to = max(covered_to, exp)
        if not self._full_load or self._coverage is None:
            return
        start, end = max(year.eff, self._coverage[0]), min(year.exp, self._coverage[1])
        first_eff, first_line = ranges[0][0], ranges[0][2]
        if start <= end and first_eff > start:
            message = f"{what} has no rates from {start:%Y%m%d} to {first_eff - _DAY:%Y%m%d} (FULL file)"
            self._issue(first_line, record_type, "RATE_EFF_DATE", message)
        if start <= end and covered_to < end:
            message = f"{what} has no rates from {covered_to + _DAY:%Y%m%d} to {end:%Y%m%d} (FULL file)"
            self._issue(ranges[-1][2], record_type, "RATE_EXP_DATE", message)

    def _check_trailer(self) -> None:
        trailer = self.trailer
        if trailer is None:
            return
        line = trailer.line_no

        def differs(field: str, stated: object, actual: object) -> None:
            if stated != actual:
                self._issue(line, "TRL", field, f"states {stated}, the file has {actual}")

        differs("TOTAL_LINES", trailer.total_lines, self.total_lines)
        for record_type in ("PLN", "ARE", "GEO", "ARA", "TRA", "FAC"):
            differs(
                f"CNT_{record_type}", getattr(trailer, f"cnt_{record_type.lower()}"), self.counts[record_type]
            )
        if self._minor >= 2:
            differs("CNT_XWK", trailer.cnt_xwk, self.counts["XWK"])
        differs("SUM_RATE", trailer.sum_rate, self._sum_rate)
        differs("SUM_TOBACCO_RATE", trailer.sum_tobacco_rate, self._sum_tobacco_rate)
        differs("SHA256", trailer.sha256, self.sha256_of_body)
