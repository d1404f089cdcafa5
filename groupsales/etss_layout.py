"""The ETSS layout (etss-rate-file.md, 2.1 and 2.2's XWK): each record type's fields, the formats and
code lists of those fields, the field parser of the per-record checks, and the typed records and
issues the reader (:mod:`groupsales.etss`) yields.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from .codes import STATE_FIPS, Line, Tier
from .etss_xwk import XWK_FIELDS, Crosswalk

if TYPE_CHECKING:
    from .etss import EtssReader

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
RANK = {record_type: rank for rank, record_type in enumerate(LAYOUT)}
ORDER = "HDR, then PLN, ARE, GEO, ARA, TRA, FAC, XWK (2.2), then TRL"

AGE_BANDS: tuple[str, ...] = ("0-14", *(str(age) for age in range(15, 64)), "64+")

PLAN_TYPES = frozenset({"HMO", "PPO", "EPO", "POS", "DHMO", "DPPO", "VIS"})
MEDICAL_METALS = frozenset({"BRONZE", "EXPANDED_BRONZE", "SILVER", "GOLD", "PLATINUM"})
OTHER_METALS = frozenset({"HIGH", "LOW", "NA"})
RATING_METHODS = frozenset({"AGE", "TIER"})
LOAD_TYPES = frozenset({"FULL", "INCR"})
BASES = frozenset({"COUNTY", "ZIP3", "ZIP5"})
SCOPES = frozenset({"PLAN", "STATE"})
YES_NO = {"Y": True, "N": False}

MONEY = re.compile(r"\d{1,9}\.\d\d").fullmatch
SUM = re.compile(r"\d{1,18}\.\d\d").fullmatch
FACTOR = re.compile(r"\d{1,5}(?:\.\d{1,4})?").fullmatch
DATE = re.compile(r"\d{8}").fullmatch
TIMESTAMP = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z").fullmatch
VERSION = re.compile(r"(\d+)\.(\d+)").fullmatch
ISSUER = re.compile(r"\d{5}").fullmatch
SEQ = re.compile(r"\d{6}").fullmatch
PLAN_ID = re.compile(r"\d{5}[A-Z]{2}\d{7}").fullmatch
COUNT = re.compile(r"\d{1,10}").fullmatch
SMALL_INT = re.compile(r"\d{1,3}").fullmatch
SHA256 = re.compile(r"[0-9a-fA-F]{64}").fullmatch
GEO_VALUE = {"COUNTY": re.compile(r"\d{5}").fullmatch, "ZIP3": re.compile(r"\d{3}").fullmatch,
              "ZIP5": re.compile(r"\d{5}").fullmatch}  # fmt: skip

ZERO = Decimal(0)


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


def field_name(record_type: str, index: int) -> str:
    """The layout's name of field ``index`` (0-based) of ``record_type``; empty past its last field."""
    layout = LAYOUT.get(record_type, ())
    return layout[index] if index < len(layout) else ""


# --------------------------------------------------------------------------------------------------
# Field parsing


Matcher = Callable[[str], "re.Match[str] | None"]


def parse_date(text: str) -> date:
    if not DATE(text):
        raise ValueError(f"{text!r} is not a date CCYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None


class Row:
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

    def match(self, value: str, field: str, pattern: Matcher, expected: str) -> str:
        if not pattern(value):
            self.fail(field, f"{value!r} is not {expected}")
        return value

    def enum(self, value: str, field: str, allowed: Iterable[str]) -> str:
        if value not in allowed:
            self.fail(field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    def yes_no(self, value: str, field: str) -> bool:
        if value not in YES_NO:
            self.fail(field, f"{value!r} is not Y or N")
            return False
        return YES_NO[value]

    def date(self, value: str, field: str) -> _dt.date | None:
        day = self.reader._date(value, self.line, self.record_type, field)
        if day is None:
            self.ok = False
        return day

    def range(self, eff: _dt.date | None, exp: _dt.date | None, exp_field: str, eff_field: str) -> None:
        if eff is not None and exp is not None and exp < eff:
            self.fail(exp_field, f"{exp:%Y%m%d} is before {eff_field} {eff:%Y%m%d}")

    def money(self, value: str, field: str, pattern: Matcher = MONEY) -> Decimal:
        if not pattern(value):
            self.fail(field, f"{value!r} is not money with two decimals and no separators")
            return ZERO
        return Decimal(value)

    def factor(self, value: str, field: str) -> Decimal:
        if not FACTOR(value) or Decimal(value) == 0:
            self.fail(field, f"{value!r} is not a positive factor with up to four decimals")
            return ZERO
        return Decimal(value)

    def integer(self, value: str, field: str, pattern: Matcher = SMALL_INT) -> int:
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
