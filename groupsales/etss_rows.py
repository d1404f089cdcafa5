"""The per-record checks of an ETSS file's records other than its rates (HDR, PLN, ARE, GEO, FAC, XWK,
TRL): each reads one line's fields into its typed record, or None when a field fails (every failure
reported through the reader), and keeps what the later records' checks need (the header's states and
coverage, the plan years, the areas, the GEO and FAC keys). The rate rows are :mod:`groupsales.etss_rates`.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .codes import ETSS_TO_LINE, ETSS_TO_TIER, STATE_FIPS, Line
from .etss_files import parse_file_name
from .etss_layout import (
    BASES,
    COUNT,
    GEO_VALUE,
    ISSUER,
    LAYOUT,
    LOAD_TYPES,
    MEDICAL_METALS,
    OTHER_METALS,
    PLAN_ID,
    PLAN_TYPES,
    RATING_METHODS,
    SCOPES,
    SEQ,
    SHA256,
    SUM,
    TIMESTAMP,
    VERSION,
    Area,
    Factor,
    Geo,
    Header,
    Plan,
    Row,
    Trailer,
)
from .etss_rates import PlanYear
from .etss_xwk import Crosswalk, KnownPlanYear, read_xwk

if TYPE_CHECKING:
    from .etss import EtssReader


def hdr_row(reader: EtssReader, f: list[str], line: int) -> Header | None:
    row = Row(reader, line, "HDR")
    version = f[1]
    match = VERSION(version)
    if match and match[1] == "2":
        reader._minor = int(match[2])
    if not match:
        row.fail("LAYOUT_VERSION", f"{version!r} is not MAJOR.MINOR")
    elif match[1] != "2":
        row.fail("LAYOUT_VERSION", f"layout {version} refused: only major version 2 is read")
    carrier_id = row.text(f[2], "CARRIER_ID")
    issuer = row.match(f[3], "HIOS_ISSUER_ID", ISSUER, "5 digits")
    seq = row.integer(f[4], "FILE_SEQ", SEQ)
    created = TIMESTAMP(f[5])
    created_ts = None
    if created:
        with contextlib.suppress(ValueError):
            year, month, day, hour, minute = map(int, created.groups())
            created_ts = datetime(year, month, day, hour, minute, tzinfo=UTC)
    if created_ts is None:
        row.fail("CREATED_TS", f"{f[5]!r} is not a UTC time CCYYMMDDTHHMMZ")
    load_type = row.enum(f[6], "LOAD_TYPE", LOAD_TYPES)
    market = row.enum(f[7], "MARKET", ("SG",))
    start = row.date(f[8], "COVERAGE_START")
    end = row.date(f[9], "COVERAGE_END")
    row.range(start, end, "COVERAGE_END", "COVERAGE_START")
    states = tuple(f[10].split(","))
    bad = [state for state in states if state not in STATE_FIPS]
    if bad or len(set(states)) != len(states):
        row.fail("STATES", f"{f[10]!r} is not a comma list of distinct state codes")
    else:
        reader._states = frozenset(states)
    if start is not None and end is not None and start <= end:
        reader._coverage = (start, end)
    reader._full_load = load_type == "FULL"
    _check_name(reader, row, seq if SEQ(f[4]) else None, states)
    if not row.ok or created_ts is None or start is None or end is None:
        return None
    reader.header = Header(
        line, version, carrier_id, issuer, seq, created_ts, load_type, market, start, end, states
    )
    return reader.header


def _check_name(reader: EtssReader, row: Row, seq: int | None, states: tuple[str, ...]) -> None:
    if reader.name is None:
        return
    parsed = parse_file_name(reader.name)
    if parsed is None:
        reader._issue(
            0, "", "FILE_NAME", f"{reader.name!r} is not HUM_ETSS_SG_<ST|ALL>_<CCYYMMDD>_<SEQ>.txt[.gz]"
        )
        return
    if seq is not None and seq != parsed.seq:
        row.fail("FILE_SEQ", f"{seq:06d} differs from the file name's sequence {parsed.seq:06d}")
    if parsed.state != "ALL" and states != (parsed.state,):
        row.fail("STATES", f"{','.join(states)} differs from the file name's state {parsed.state}")


def pln_row(reader: EtssReader, f: list[str], line: int) -> Plan | None:
    row = Row(reader, line, "PLN")
    plan_id = row.match(f[1], "PLAN_ID", PLAN_ID, "14 characters: 5-digit issuer, state, 7 digits")
    code = row.text(f[2], "CARRIER_PLAN_CODE")
    state = row.state(f[3], "STATE")
    if row.ok and plan_id[5:7] != state:
        row.fail("PLAN_ID", f"{plan_id} is for state {plan_id[5:7]}, STATE is {state}")
    line_of_business = ETSS_TO_LINE.get(f[4])
    if line_of_business is None:
        row.fail("LINE", f"{f[4]!r} is not one of MED, DEN, VIS")
    name = row.text(f[5], "MARKETING_NAME")
    plan_type = row.enum(f[6], "PLAN_TYPE", PLAN_TYPES)
    if line_of_business is None:
        metals = MEDICAL_METALS | OTHER_METALS
    else:
        metals = MEDICAL_METALS if line_of_business is Line.MEDICAL else OTHER_METALS
    metal = row.enum(f[7], "METAL_LEVEL", metals)
    rating_method = row.enum(f[8], "RATING_METHOD", RATING_METHODS)
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
        years = reader._plans.setdefault(plan_id, [])
        clash = next((y for y in years if y.eff <= exp and eff <= y.exp), None)
        if clash is not None:
            row.fail("PLAN_EFF_DATE", f"{plan_id} already has a plan year {clash.eff}..{clash.exp}")
        else:
            # Kept even when another field is bad, so its rate rows are not all reported again.
            years.append(PlanYear(eff, exp, rating_method, tobacco_rated))
            reader._plan_years.setdefault(plan_id, []).append(KnownPlanYear(eff, exp, f[4], rating_method))
    if not row.ok or line_of_business is None or eff is None or exp is None:
        return None
    return Plan(
        line, plan_id, code, state, line_of_business, name, plan_type, metal, rating_method,
        tobacco_rated, composite_allowed, age_rule, max_children, dep_max_age, service_area_id,
        network_id, hsa, ded_ind, ded_fam, moop_ind, moop_fam, eff, exp,
    )  # fmt: skip


def are_row(reader: EtssReader, f: list[str], line: int) -> Area | None:
    row = Row(reader, line, "ARE")
    state = row.state(f[1], "STATE")
    area_id = row.text(f[2], "RATING_AREA_ID")
    name = row.text(f[3], "NAME")
    basis = row.enum(f[4], "BASIS", BASES)
    eff = row.date(f[5], "EFF_DATE")
    exp = row.date(f[6], "EXP_DATE")
    row.range(eff, exp, "EXP_DATE", "EFF_DATE")
    if area_id and eff is not None:
        effs = reader._areas.setdefault(area_id, set())
        if eff in effs:
            row.fail("EFF_DATE", f"a second ARE {area_id} effective {eff:%Y%m%d}")
        effs.add(eff)
    if not row.ok or eff is None or exp is None:
        return None
    return Area(line, state, area_id, name, basis, eff, exp)


def geo_row(reader: EtssReader, f: list[str], line: int) -> Geo | None:
    row = Row(reader, line, "GEO")
    state = row.state(f[1], "STATE")
    geo_type = row.enum(f[2], "GEO_TYPE", BASES)
    value = f[3]
    if geo_type in GEO_VALUE:
        row.match(value, "GEO_VALUE", GEO_VALUE[geo_type], f"a {geo_type} value")
    county = f[4]
    if not GEO_VALUE["COUNTY"](county):
        row.fail("COUNTY_FIPS", f"{county!r} is not a 5-digit county FIPS code")
    elif state in STATE_FIPS and not county.startswith(STATE_FIPS[state]):
        row.fail("COUNTY_FIPS", f"{county} is not a county of {state}")
    elif geo_type == "COUNTY" and value != county:
        row.fail("GEO_VALUE", f"a COUNTY row's GEO_VALUE {value} differs from COUNTY_FIPS {county}")
    area_id = f[5]
    if area_id not in reader._areas:
        row.fail("RATING_AREA_ID", f"{area_id!r} has no ARE record")
    service_area_id = row.text(f[6], "SERVICE_AREA_ID")
    partial = row.yes_no(f[7], "PARTIAL_COUNTY")
    eff = row.date(f[8], "EFF_DATE")
    exp = row.date(f[9], "EXP_DATE")
    row.range(eff, exp, "EXP_DATE", "EFF_DATE")
    if eff is not None:
        key = (geo_type, value, county, eff)
        if key in reader._geo_keys:
            row.fail("GEO_VALUE", f"a second GEO {geo_type} {value} county {county} effective {eff:%Y%m%d}")
        reader._geo_keys.add(key)
    if not row.ok or eff is None or exp is None:
        return None
    return Geo(line, state, geo_type, value, county, area_id, service_area_id, partial, eff, exp)


def fac_row(reader: EtssReader, f: list[str], line: int) -> Factor | None:
    row = Row(reader, line, "FAC")
    scope = row.enum(f[1], "SCOPE", SCOPES)
    scope_id = f[2]
    if scope == "PLAN" and scope_id not in reader._plans:
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
        if fac_key in reader._factor_keys:
            row.fail(
                "KEY",
                f"a second {factor_type} {key} factor for {scope} {scope_id} effective {eff:%Y%m%d}",
            )
        reader._factor_keys.add(fac_key)
    if not row.ok or eff is None or exp is None:
        return None
    return Factor(line, scope, scope_id, factor_type, key, value, eff, exp)


def xwk_row(reader: EtssReader, f: list[str], line: int) -> Crosswalk | None:
    if reader._minor < 2:
        reader._issue(line, "XWK", "RECORD_TYPE", "XWK is a record of layout 2.2; the header says 2.1")
        return None
    row = read_xwk(f, line, states=reader._states, coverage=reader._coverage, issue=reader._issue)
    if row is not None:
        reader._crosswalks.append(row)
    return row


def trl_row(reader: EtssReader, f: list[str], line: int) -> Trailer | None:
    row = Row(reader, line, "TRL")
    names = LAYOUT["TRL"]
    total, pln, are, geo, ara, tra, fac = (row.integer(f[i], names[i], COUNT) for i in range(1, 8))
    sum_rate, sum_tobacco = (row.money(f[i], names[i], SUM) for i in (8, 9))
    sha = row.match(f[10], "SHA256", SHA256, "a SHA-256 hex digest").lower()
    cnt_xwk = row.integer(f[11], "CNT_XWK", COUNT) if len(f) > 11 else None
    if not row.ok or reader.trailer is not None:
        return None
    reader.trailer = Trailer(line, total, pln, are, geo, ara, tra, fac, sum_rate, sum_tobacco, sha, cnt_xwk)
    return reader.trailer


# ---- after the last line
