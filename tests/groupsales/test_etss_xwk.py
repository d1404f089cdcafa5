"""ETSS layout 2.2 (etss-rate-file.md): the XWK crosswalk and CNT_XWK, each loader check broken once and
passed by the project's 2028 file (``groupsales.demo_etss.KY_2028``); a 2.1 file stays valid."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from groupsales.demo_etss import DEMO_RATE_FILE, KY_2028, etss_bytes, rate_file_lines
from groupsales.etss import Crosswalk, EtssReader, KnownPlanYear

KNOWN_2027 = {
    plan.plan_id: [
        KnownPlanYear(date(2027, 1, 1), date(2027, 12, 31), plan.line, "AGE" if plan.age_rated else "TIER")
    ]
    for plan in DEMO_RATE_FILE.states[0].plans
}


def lines_2028() -> list[str]:
    return list(rate_file_lines(KY_2028))


def read(tmp_path: Path, lines: list[str], *, known=KNOWN_2027, layout: str = "2.2") -> EtssReader:
    path = tmp_path / KY_2028.name
    path.write_bytes(etss_bytes(lines, layout=layout))
    return EtssReader(path, known_plans=known).check()


def spots(reader: EtssReader) -> list[tuple[str, str]]:
    return sorted({(issue.record_type, issue.field) for issue in reader.issues})


def xwk(lines: list[str], plan_id: str, **fields: str) -> list[str]:
    """The XWK row of ``plan_id`` with fields replaced (1 STATE … 6 REASON by name)."""
    names = [
        "RECORD_TYPE",
        "STATE",
        "PLAN_ID",
        "PLAN_YEAR_END",
        "SUCCESSOR_PLAN_ID",
        "SUCCESSOR_EFF_DATE",
        "REASON",
    ]
    out = []
    for line in lines:
        parts = line.split("|")
        if parts[0] == "XWK" and parts[2] == plan_id:
            for name, value in fields.items():
                parts[names.index(name)] = value
            line = "|".join(parts)
        out.append(line)
    return out


def test_the_2028_file_reads_with_its_crosswalk(tmp_path):
    path = tmp_path / KY_2028.name
    path.write_bytes(etss_bytes(lines_2028(), layout="2.2"))
    reader = EtssReader(path, known_plans=KNOWN_2027)
    rows = [record for record in reader if isinstance(record, Crosswalk)]
    assert reader.ok, reader.issues
    assert [(r.plan_id, r.successor_plan_id, r.reason) for r in rows] == [
        ("12345KY0010001", "12345KY0010001", "SAME_PLAN"),
        ("12345KY0010002", "12345KY0010004", "MAPPED"),
        ("12345KY0010003", None, "DISCONTINUED"),
        ("12345KY0020001", "12345KY0020001", "SAME_PLAN"),
        ("12345KY0030001", "12345KY0030001", "SAME_PLAN"),
    ]
    assert reader.trailer.cnt_xwk == 5


def test_a_2_1_file_stays_valid_and_xwk_needs_2_2(tmp_path):
    path = tmp_path / DEMO_RATE_FILE.name
    path.write_bytes(etss_bytes(rate_file_lines(DEMO_RATE_FILE)))
    assert EtssReader(path).check().ok
    lines = [line.replace("HDR|2.2|", "HDR|2.1|") for line in lines_2028()]
    assert ("XWK", "RECORD_TYPE") in spots(read(tmp_path, lines, layout="2.1"))


def test_cnt_xwk_must_agree(tmp_path):
    data = etss_bytes(lines_2028(), layout="2.2").decode()
    head, trl = data.rstrip("\n").rsplit("\n", 1)
    path = tmp_path / KY_2028.name
    path.write_text(f"{head}\n{trl.rsplit('|', 1)[0]}|4\n")
    assert spots(EtssReader(path, known_plans=KNOWN_2027).check()) == [("TRL", "CNT_XWK")]


@pytest.mark.parametrize(
    ("plan_id", "fields", "spot"),
    [
        ("12345KY0010001", {"REASON": "RENAMED"}, ("XWK", "REASON")),
        (
            "12345KY0010001",
            {"SUCCESSOR_PLAN_ID": "12345KY0010004"},
            ("XWK", "SUCCESSOR_PLAN_ID"),
        ),  # SAME_PLAN
        (
            "12345KY0010002",
            {"SUCCESSOR_PLAN_ID": "12345KY0010002"},
            ("XWK", "SUCCESSOR_PLAN_ID"),
        ),  # MAPPED to itself
        (
            "12345KY0010003",
            {"SUCCESSOR_PLAN_ID": "12345KY0010001"},
            ("XWK", "SUCCESSOR_PLAN_ID"),
        ),  # DISCONTINUED
        ("12345KY0010001", {"STATE": "TN"}, ("XWK", "STATE")),  # not in STATES, not the plan's
        ("12345KY0010001", {"SUCCESSOR_EFF_DATE": "20280201"}, ("XWK", "SUCCESSOR_EFF_DATE")),
        (
            "12345KY0010001",
            {"PLAN_YEAR_END": "20281231", "SUCCESSOR_EFF_DATE": "20290101"},
            ("XWK", "PLAN_YEAR_END"),
        ),
        ("12345KY0010002", {"SUCCESSOR_PLAN_ID": "12345KY0010009"}, ("XWK", "SUCCESSOR_PLAN_ID")),  # no PLN
        (
            "12345KY0010002",
            {"SUCCESSOR_PLAN_ID": "12345KY0020001"},
            ("XWK", "SUCCESSOR_PLAN_ID"),
        ),  # another line
        (
            "12345KY0010001",
            {"PLAN_YEAR_END": "20271130", "SUCCESSOR_EFF_DATE": "20271201"},
            ("XWK", "PLAN_YEAR_END"),
        ),
    ],
)
def test_each_xwk_check_names_the_line_and_field(tmp_path, plan_id, fields, spot):
    assert read(tmp_path, lines_2028()).ok
    reader = read(tmp_path, xwk(lines_2028(), plan_id, **fields))
    assert spot in spots(reader), reader.issues
    assert all(issue.line > 0 or issue.record_type == "XWK" for issue in reader.issues)


def test_a_key_twice_and_a_known_plan_without_a_row(tmp_path):
    lines = lines_2028()
    first = next(i for i, line in enumerate(lines) if line.startswith("XWK|"))
    twice = [*lines[: first + 1], lines[first], *lines[first + 1 :]]
    assert ("XWK", "PLAN_ID") in spots(read(tmp_path, twice))
    without = [line for line in lines if not line.startswith("XWK|KY|12345KY0010003|")]
    issues = read(tmp_path, without).issues
    assert any("12345KY0010003" in issue.message and issue.field == "PLAN_ID" for issue in issues)
    # a plan never loaded needs no row
    assert read(tmp_path, without, known={k: v for k, v in KNOWN_2027.items() if k != "12345KY0010003"}).ok


def test_successor_rates_must_be_in_force_on_its_first_day(tmp_path):
    lines = [line for line in lines_2028() if not line.startswith("ARA|12345KY0010004|")]
    reader = read(tmp_path, lines)
    assert any(i.field == "SUCCESSOR_PLAN_ID" and "no rates" in i.message for i in reader.issues)
