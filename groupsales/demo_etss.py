"""The project's own ETSS rate file (``etss-rate-file.md``) for the demo, the tests and the benchmarks.

Plain Python and deterministic: the same spec always gives the same bytes, so the file needs no copy in
the repository. :data:`KY_2027` is the demo's Kentucky plan year 2027, kept as a compact table: five plans,
two rating areas, a synthetic geography, and for each age-rated plan and area one number, the monthly
non-tobacco rate at age 21 in the first quarter. Every other rate follows from it the way small-group
rates are built:

* the **federal default age curve** (CMS, 45 CFR 147.102) gives the 51 bands, 0-14 at 0.765 up to 64+ at
  3.000 of the age-21 rate;
* each later quarter of the plan year adds :data:`QUARTERLY_TREND` of the first quarter's rate;
* the tobacco rate is :data:`TOBACCO_LOAD` times the rate (within the layout's 1.5);
* every rate is rounded once, to the cent, half up, from the unrounded product;
* dental and vision are tier-rated for the whole state (area ``*``): the EE rate × :data:`TIER_FACTORS`.

The numbers were chosen so that the file gives the plans and rates of the carrier's published KY sample
(``HUM_ETSS_SG_KY_20261101_000001.txt``), which ``api.md``'s examples are worked on (765.59 for a
46-year-old on …0001 in KY-RA02, the Blue Heron group's 3143.30); ``tests/test_demo_files.py`` checks that
against the carrier's file wherever the carrier's folder is beside the repository.

The file is written in layout order (HDR, PLN, ARE, GEO, ARA, TRA, FAC, TRL) by one generator per record
type; :class:`EtssTrailer` counts and sums what was written. Layout 2.2's crosswalk (XWK) fits the same
way: a ``crosswalk`` table on :class:`DemoRateFile`, a ``_xwk_lines`` generator after ``_tra_lines`` in
:func:`rate_file_lines`, and ``layout="2.2"``, for which the trailer already appends ``CNT_XWK``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from .etss import AGE_BANDS

__all__ = [
    "AGE_CURVE",
    "DEMO_RATE_FILE",
    "KY_2027",
    "DemoPlan",
    "DemoRateFile",
    "DemoState",
    "EtssTrailer",
    "demo_etss_bytes",
    "etss_bytes",
    "rate_file_lines",
    "write_etss_file",
]

# --------------------------------------------------------------------------------------------------
# How the rates are built

# The federal default standard age curve, one factor per ETSS band (0-14, 15, ..., 63, 64+).
AGE_CURVE: tuple[Decimal, ...] = tuple(Decimal(f) for f in (
    "0.765", "0.833", "0.859", "0.885", "0.913", "0.941", "0.970",                     # 0-14, 15-20
    "1.000", "1.000", "1.000", "1.000", "1.004", "1.024", "1.048", "1.087", "1.119",  # 21-29
    "1.135", "1.159", "1.183", "1.198", "1.214", "1.222", "1.230", "1.238", "1.246", "1.262",  # 30-39
    "1.278", "1.302", "1.325", "1.357", "1.397", "1.444", "1.500", "1.563", "1.635", "1.706",  # 40-49
    "1.786", "1.865", "1.952", "2.040", "2.135", "2.230", "2.333", "2.437", "2.548", "2.603",  # 50-59
    "2.714", "2.810", "2.873", "2.952", "3.000",                                        # 60-63, 64+
))  # fmt: skip
assert len(AGE_CURVE) == len(AGE_BANDS)

QUARTERLY_TREND = Decimal("0.012")
TOBACCO_LOAD = Decimal("1.2")
TIER_FACTORS = {"EE": Decimal(1), "ES": Decimal(2), "EC": Decimal("1.9"), "EF": Decimal(3)}
_CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------------------------------
# The tables


@dataclass(frozen=True)
class DemoPlan:
    """One PLN row's plan; medical plans are age-rated and tobacco-rated, dental and vision tier-rated.

    ``rates``: (rating area, rate) pairs; for medical the first quarter's age-21 rate of each area, for
    dental and vision the EE rate of the whole state (area ``"*"``).
    """

    plan_id: str
    carrier_code: str
    line: str  # MED, DEN, VIS
    name: str
    plan_type: str
    metal: str
    network: str
    hsa: bool
    money: tuple[str, str, str, str]  # DED_IND, DED_FAM, MOOP_IND, MOOP_FAM
    rates: tuple[tuple[str, str], ...]

    @property
    def age_rated(self) -> bool:
        return self.line == "MED"


@dataclass(frozen=True)
class DemoState:
    """A state's plans, rating areas and places (``counties``: (FIPS, area); ``zips``: (ZIP, FIPS, area))."""

    state: str
    service_area: str
    areas: tuple[str, ...]
    counties: tuple[tuple[str, str], ...]
    zips: tuple[tuple[str, str, str], ...]
    plans: tuple[DemoPlan, ...]


@dataclass(frozen=True)
class DemoRateFile:
    """The header's facts; the file's plan year is ``coverage``, its rates change each quarter of it."""

    states: tuple[DemoState, ...]
    coverage: tuple[date, date]
    file_seq: int = 1
    created: str = "20261101T0610Z"
    created_on: date = date(2026, 11, 1)
    layout: str = "2.1"
    load_type: str = "FULL"
    issuer: str = "12345"
    factors: tuple[str, ...] = ()  # FAC rows as written, none in the demo
    crosswalk: tuple[str, ...] = ()  # layout 2.2: XWK rows as written

    @property
    def name(self) -> str:
        code = self.states[0].state if len(self.states) == 1 else "ALL"
        return f"HUM_ETSS_SG_{code}_{self.created_on:%Y%m%d}_{self.file_seq:06d}.txt"


def _ky_places() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]]:
    """A synthetic Kentucky: the 120 odd FIPS codes 21001-21239 alternate between KY-RA01 and KY-RA02;
    the k-th county has ZIPs 40000+2k and 40001+2k, except that Louisville's 40202 and 40204 lie in
    Jefferson County (21111, KY-RA02); 40240 spans two counties of different areas."""
    fips = [f"21{n:03d}" for n in range(1, 240, 2)]
    area = {code: f"KY-RA0{k % 2 + 1}" for k, code in enumerate(fips)}
    counties = tuple(sorted(((code, area[code]) for code in fips), key=lambda c: (c[1], c[0])))
    zips = []
    for n in range(240):
        county = {40202: "21111", 40204: "21111"}.get(40000 + n, fips[n // 2])
        zips.append((f"{40000 + n}", county, area[county]))
    zips += [("40240", "21001", "KY-RA01"), ("40240", "21003", "KY-RA02")]
    return counties, tuple(zips)


def _medical(
    number: int, name: str, metal: str, hsa: bool, money: tuple[str, str, str, str], ra01: str, ra02: str
) -> DemoPlan:
    return DemoPlan(
        f"12345KY001{number:04d}", f"HSG-KY-{number:03d}", "MED", name, "PPO", metal, "KYN01", hsa,
        money, (("KY-RA01", ra01), ("KY-RA02", ra02)),
    )  # fmt: skip


_KY_PLANS = (
    _medical(1, "Humana Bronze PPO 6000", "BRONZE", True,
             ("6000.00", "12000.00", "9000.00", "18000.00"), "494.00", "510.39"),
    _medical(2, "Humana Silver PPO 3500", "SILVER", True,
             ("3500.00", "7000.00", "6500.00", "13000.00"), "510.00", "552.12"),
    _medical(3, "Humana Gold PPO 1500", "GOLD", False,
             ("1500.00", "3000.00", "4500.00", "9000.00"), "552.00", "582.08"),
    DemoPlan("12345KY0020001", "HSG-KY-DEN", "DEN", "Humana Dental PPO High", "DPPO", "HIGH",
             "KYD01", False, ("50.00", "150.00", "0.00", "0.00"), (("*", "32.50"),)),
    DemoPlan("12345KY0030001", "HSG-KY-VIS", "VIS", "Humana Vision 130", "VIS", "NA",
             "KYV01", False, ("0.00", "0.00", "0.00", "0.00"), (("*", "7.90"),)),
)  # fmt: skip
_KY_COUNTIES, _KY_ZIPS = _ky_places()
KY_2027 = DemoRateFile(
    states=(
        DemoState(
            state="KY",
            service_area="KYS001",
            areas=("KY-RA01", "KY-RA02"),
            counties=_KY_COUNTIES,
            zips=_KY_ZIPS,
            plans=_KY_PLANS,
        ),
    ),
    coverage=(date(2027, 1, 1), date(2027, 12, 31)),
)
DEMO_RATE_FILE = KY_2027
# Layout 2.2, plan year 2028 (etss-rate-file.md's example): …0001, dental and vision continue, …0002 maps
# to a new …0004, …0003 is discontinued.
KY_2028 = DemoRateFile(
    states=(
        DemoState(
            state="KY",
            service_area="KYS001",
            areas=("KY-RA01", "KY-RA02"),
            counties=_KY_COUNTIES,
            zips=_KY_ZIPS,
            plans=(
                _KY_PLANS[0],
                _medical(
                    4,
                    "Humana Silver PPO 4000",
                    "SILVER",
                    True,
                    ("4000.00", "8000.00", "7000.00", "14000.00"),
                    "525.30",
                    "568.68",
                ),
                *_KY_PLANS[3:],
            ),  # fmt: skip
        ),
    ),
    coverage=(date(2028, 1, 1), date(2028, 12, 31)),
    file_seq=2,
    created="20271001T0610Z",
    created_on=date(2027, 10, 1),
    layout="2.2",
    crosswalk=(
        "XWK|KY|12345KY0010001|20271231|12345KY0010001|20280101|SAME_PLAN",
        "XWK|KY|12345KY0010002|20271231|12345KY0010004|20280101|MAPPED",
        "XWK|KY|12345KY0010003|20271231|||DISCONTINUED",
        "XWK|KY|12345KY0020001|20271231|12345KY0020001|20280101|SAME_PLAN",
        "XWK|KY|12345KY0030001|20271231|12345KY0030001|20280101|SAME_PLAN",
    ),
)


# --------------------------------------------------------------------------------------------------
# The lines


def _d(day: date) -> str:
    return f"{day:%Y%m%d}"


def _quarters(start: date, end: date) -> list[tuple[date, date]]:
    """The rating quarters (1 Jan, 1 Apr, 1 Jul, 1 Oct) from ``start`` to ``end``."""
    quarters = []
    first = start
    while first <= end:
        month = first.month + 3
        following = date(first.year + (month > 12), (month - 1) % 12 + 1, 1)
        quarters.append((first, min(following - timedelta(days=1), end)))
        first = following
    return quarters


def _pln_lines(spec: DemoRateFile) -> Iterator[str]:
    start, end = (_d(day) for day in spec.coverage)
    for st in spec.states:
        for p in st.plans:
            terms = ("AGE", "Y", "Y", "3") if p.age_rated else ("TIER", "N", "N", "")
            yield "|".join((
                "PLN", p.plan_id, p.carrier_code, st.state, p.line, p.name, p.plan_type, p.metal, *terms[:3],
                "EFFDATE", terms[3], "26", st.service_area, p.network, "Y" if p.hsa else "N", *p.money,
                start, end,
            ))  # fmt: skip


def _are_lines(spec: DemoRateFile) -> Iterator[str]:
    start, end = (_d(day) for day in spec.coverage)
    for st in spec.states:
        for area in st.areas:
            yield f"ARE|{st.state}|{area}|{st.state} Area {int(area[-2:])}|COUNTY|{start}|{end}"


def _geo_lines(spec: DemoRateFile) -> Iterator[str]:
    dates = "|".join(_d(day) for day in spec.coverage)
    for st in spec.states:
        tail = f"{st.service_area}|N|{dates}"
        for county, area in st.counties:
            yield f"GEO|{st.state}|COUNTY|{county}|{county}|{area}|{tail}"
        for zip5, county, area in st.zips:
            yield f"GEO|{st.state}|ZIP5|{zip5}|{county}|{area}|{tail}"


def _ara_lines(spec: DemoRateFile) -> Iterator[str]:
    quarters = _quarters(*spec.coverage)
    for st in spec.states:
        for area in st.areas:
            for p in st.plans:
                rates = dict(p.rates)
                if not p.age_rated or area not in rates:
                    continue
                base = Decimal(rates[area])
                for n, (first, last) in enumerate(quarters):
                    at_21 = base * (1 + QUARTERLY_TREND * n)
                    for band, factor in zip(AGE_BANDS, AGE_CURVE, strict=True):
                        rate = at_21 * factor
                        yield (
                            f"ARA|{p.plan_id}|{area}|{_d(first)}|{_d(last)}|{band}|"
                            f"{_money(rate)}|{_money(rate * TOBACCO_LOAD)}"
                        )


def _tra_lines(spec: DemoRateFile) -> Iterator[str]:
    dates = "|".join(_d(day) for day in spec.coverage)
    for st in spec.states:
        tiered = [p for p in st.plans if not p.age_rated]
        for tier, factor in TIER_FACTORS.items():
            for p in tiered:
                for area, rate in p.rates:
                    yield f"TRA|{p.plan_id}|{area}|{dates}|{tier}|{_money(Decimal(rate) * factor)}"


def rate_file_lines(spec: DemoRateFile = DEMO_RATE_FILE) -> Iterator[str]:
    """Every line before the TRL, in layout order, without line ends."""
    start, end = (_d(day) for day in spec.coverage)
    states = ",".join(st.state for st in spec.states)
    yield (
        f"HDR|{spec.layout}|HUMANA|{spec.issuer}|{spec.file_seq:06d}|{spec.created}|{spec.load_type}|SG|"
        f"{start}|{end}|{states}"
    )
    for lines in (_pln_lines, _are_lines, _geo_lines, _ara_lines, _tra_lines):
        yield from lines(spec)
    yield from spec.factors
    yield from spec.crosswalk


# --------------------------------------------------------------------------------------------------
# The trailer and the file


class EtssTrailer:
    """Counts and sums of the lines written so far, and the TRL line that closes them.

    Streaming (one line at a time) so that a generated file of millions of rows keeps memory flat.
    """

    COUNTED = ("PLN", "ARE", "GEO", "ARA", "TRA", "FAC")

    def __init__(self, layout: str = "2.1") -> None:
        self.layout = layout
        self.counts = dict.fromkeys((*self.COUNTED, "XWK"), 0)
        self.lines = 0
        self.sum_rate = Decimal("0.00")
        self.sum_tobacco = Decimal("0.00")

    def add(self, line: str) -> None:
        self.lines += 1
        kind = line[:3]
        if kind in self.counts:
            self.counts[kind] += 1
        if kind in ("ARA", "TRA"):
            fields = line.split("|")
            self.sum_rate += Decimal(fields[6])
            if kind == "ARA" and fields[7]:
                self.sum_tobacco += Decimal(fields[7])

    def line(self, body_sha256: str) -> str:
        counts = "|".join(str(self.counts[kind]) for kind in self.COUNTED)
        text = f"TRL|{self.lines + 1}|{counts}|{self.sum_rate:.2f}|{self.sum_tobacco:.2f}|{body_sha256}"
        if self.layout != "2.1":  # 2.2 appends the crosswalk count
            text += f"|{self.counts['XWK']}"
        return text


def etss_bytes(lines: Iterable[str], *, layout: str = "2.1") -> bytes:
    """A whole file from its lines before the TRL, with the trailer that agrees with them."""
    trailer = EtssTrailer(layout)
    body = bytearray()
    for line in lines:
        trailer.add(line)
        body += f"{line}\n".encode()
    return bytes(body) + f"{trailer.line(hashlib.sha256(body).hexdigest())}\n".encode()


@lru_cache(maxsize=4)
def demo_etss_bytes(spec: DemoRateFile = DEMO_RATE_FILE) -> bytes:
    return etss_bytes(rate_file_lines(spec), layout=spec.layout)


def write_etss_file(folder: str | os.PathLike[str], spec: DemoRateFile = DEMO_RATE_FILE) -> Path:
    """Write the file and its ``.sha256`` sidecar into ``folder``, each replaced atomically (two processes
    writing the same deterministic file at once leave it whole). Returns the file's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = demo_etss_bytes(spec)
    path = folder / spec.name
    _replace(path, data)
    _replace(folder / f"{spec.name}.sha256", f"{hashlib.sha256(data).hexdigest()}  {spec.name}\n".encode())
    return path


def _replace(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
