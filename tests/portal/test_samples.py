"""The project's own sample files (portal.samples): accepted by its own readers, and the same as the
carrier's published samples wherever those lie beside the repository (``carrier_samples`` skips otherwise)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from catalogue.census import parse_census
from groupsales.demo_etss import DEMO_RATE_FILE, EtssTrailer, demo_etss_bytes
from groupsales.etss import AgeRate, EtssReader, Geo, Plan, TierRate, verify_sidecar
from groupsales.x12.examples import blue_heron_834
from groupsales.x12.parser import parse_834
from groupsales.x12.validate import precheck, pyx12_issues
from portal.samples import CENSUS_FILE, NEW_BUSINESS_834, RATE_FILE, sample_file, samples_write

BLUE_HERON_834 = dict(sender_id="PARTNER01", group_id="104233", fein="123456789", usage_indicator="T")


def records(source: Path) -> tuple[EtssReader, dict[type, list]]:
    reader = EtssReader(source)
    kinds: dict[type, list] = {Plan: [], Geo: [], AgeRate: [], TierRate: []}
    for record in reader:
        if type(record) in kinds:
            kinds[type(record)].append(record)
    return reader, kinds


def test_the_demo_rate_file_passes_every_check_of_the_reader():
    path = sample_file(RATE_FILE)

    reader, kinds = records(path)

    assert reader.ok, reader.issues[:5]
    assert reader.header.states == ("KY",) and reader.header.load_type == "FULL"
    assert {k: reader.counts[k] for k in ("PLN", "ARE", "GEO", "ARA", "TRA", "FAC")} == {
        "PLN": 5, "ARE": 2, "GEO": 362, "ARA": 1224, "TRA": 8, "FAC": 0,
    }  # fmt: skip
    assert verify_sidecar(path) is True
    assert [p.plan_id for p in kinds[Plan]] == [
        "12345KY0010001", "12345KY0010002", "12345KY0010003", "12345KY0020001", "12345KY0030001",
    ]  # fmt: skip


def test_it_rates_on_the_federal_default_age_curve():
    """api.md's Ann Lee (46) on …0001 in KY-RA02: 765.59; 0-14 at 0.765 and 64+ at 3 times the age-21 rate."""
    _reader, kinds = records(sample_file(RATE_FILE))
    q1 = {
        r.age_band: r
        for r in kinds[AgeRate]
        if (r.plan_id, r.rating_area_id, r.rate_eff_date) == ("12345KY0010001", "KY-RA02", date(2027, 1, 1))
    }

    assert (q1["46"].rate, q1["46"].tobacco_rate) == (Decimal("765.59"), Decimal("918.70"))
    assert (q1["0-14"].rate, q1["21"].rate, q1["64+"].rate) == (
        Decimal("390.45"), Decimal("510.39"), Decimal("1531.17"),
    )  # fmt: skip


def test_it_gives_the_plans_places_and_rates_of_the_carriers_sample(carrier_samples):
    ours_reader, ours = records(sample_file(RATE_FILE))
    theirs_reader, theirs = records(carrier_samples / RATE_FILE)

    assert theirs_reader.ok and ours_reader.ok
    for kind in (Plan, Geo, TierRate, AgeRate):
        missing = [r for r in theirs[kind] if r not in ours[kind]][:3]
        extra = [r for r in ours[kind] if r not in theirs[kind]][:3]
        assert (missing, extra) == ([], []), kind.__name__
    assert ours_reader.trailer == theirs_reader.trailer
    assert sample_file(RATE_FILE).read_bytes() == (carrier_samples / RATE_FILE).read_bytes()


def test_the_demo_834_passes_the_pyx12_precheck():
    text = sample_file(NEW_BUSINESS_834).read_text(encoding="ascii")

    assert text == blue_heron_834()
    assert pyx12_issues(text) == []
    assert precheck(text, **BLUE_HERON_834, effective_date=date(2027, 1, 1)) == []
    assert [m.member_ref for m in parse_834(text).members] == [
        "E-001",
        "E-001-S",
        "E-001-C1",
        "E-001-C2",
        "E-002",
    ]


def test_the_demo_census_is_read_by_the_quote(db):
    rows, problems = parse_census(sample_file(CENSUS_FILE).read_bytes(), filename=CENSUS_FILE)

    assert problems == []
    assert len(rows) == 5


def test_the_demo_834_and_census_are_the_carriers_samples(carrier_samples):
    for name in (NEW_BUSINESS_834, CENSUS_FILE):
        assert sample_file(name).read_bytes() == (carrier_samples / name).read_bytes(), name


def test_the_command_writes_a_rate_file_the_import_loads(db, tmp_path, settings):
    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    out = StringIO()

    call_command("demo_etss", "--out", str(tmp_path / "drop"), stdout=out)

    path = Path(out.getvalue().strip())
    assert path == tmp_path / "drop" / RATE_FILE and verify_sidecar(path) is True
    loaded = StringIO()
    call_command("import_etss", str(path), stdout=loaded)
    assert f"{RATE_FILE}: LOADED" in loaded.getvalue()


def test_it_writes_every_sample_into_a_folder_given(tmp_path):
    folder = samples_write(tmp_path / "samples")

    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [RATE_FILE, f"{RATE_FILE}.sha256", CENSUS_FILE, NEW_BUSINESS_834]
    )
    assert (folder / RATE_FILE).read_bytes() == demo_etss_bytes()


def test_its_trailer_counts_the_crosswalk_in_layout_2_2():
    """etss-rate-file.md: a 2.2 trailer ends in CNT_XWK, after the SHA256; XWK rows count in TOTAL_LINES."""
    trailer = EtssTrailer("2.2")
    for line in ("HDR|2.2|…", "XWK|KY|12345KY0010001|20271231|12345KY0010001|20280101|SAME_PLAN"):
        trailer.add(line)

    assert trailer.line("ab" * 32) == f"TRL|3|0|0|0|0|0|0|0.00|0.00|{'ab' * 32}|1"
    assert EtssTrailer().line("ab" * 32).endswith("ab" * 32)


def test_its_file_name_agrees_with_its_header():
    assert DEMO_RATE_FILE.name == "HUM_ETSS_SG_KY_20261101_000001.txt"
    assert demo_etss_bytes().startswith(b"HDR|2.1|HUMANA|12345|000001|20261101T0610Z|FULL|SG|20270101|")
