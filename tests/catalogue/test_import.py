from __future__ import annotations

import gzip
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalogue import services
from catalogue.models import AgeRate, EtssFile, GeoPlace, Plan, TierRate
from catalogue.testing import build_etss, sample_lines, sample_path, with_header, write_etss
from tests.conftest import REQUIRE_SERVICES

Status = EtssFile.Status


def _rates_snapshot() -> list[tuple]:
    return sorted(
        AgeRate.objects.values_list("plan_id", "rating_area_id", "age_band", "rate", "tobacco_rate")
    )


def _replace(lines: list[str], old_prefix: str, new_line: str) -> list[str]:
    at = next(i for i, line in enumerate(lines) if line.startswith(old_prefix))
    return [*lines[:at], new_line, *lines[at + 1 :]]


def test_it_loads_the_sample_file_and_records_its_counts(loaded_sample):
    assert loaded_sample.sequence == 1
    assert loaded_sample.load_type == "FULL"
    assert loaded_sample.counts == {
        "HDR": 1, "PLN": 5, "ARE": 2, "GEO": 362, "ARA": 1224, "TRA": 8, "FAC": 0, "TRL": 1,
    }  # fmt: skip
    assert loaded_sample.loaded_by == "command"
    assert loaded_sample.duration_ms is not None
    assert Plan.objects.count() == 5
    assert AgeRate.objects.count() == 1224
    assert TierRate.objects.count() == 8
    assert GeoPlace.objects.count() == 362
    assert loaded_sample.content_sha256.startswith("726c9dad")


def test_it_loads_a_gzipped_file_through_the_command(db, archive, tmp_path, capsys):
    gz = tmp_path / "HUM_ETSS_SG_KY_20261101_000001.txt.gz"
    gz.write_bytes(gzip.compress(sample_path().read_bytes()))
    call_command("import_etss", str(gz))
    assert "LOADED" in capsys.readouterr().out
    assert AgeRate.objects.count() == 1224


def test_it_rejects_a_file_with_a_bad_rate_naming_line_and_field(db, archive, tmp_path):
    lines = sample_lines()
    index = next(i for i, line in enumerate(lines) if line.startswith("ARA|"))
    fields = lines[index].split("|")
    fields[6] = "9999.99"
    lines[index] = "|".join(fields)
    path = tmp_path / "HUM_ETSS_SG_KY_20261101_000001.txt"
    path.write_bytes(build_etss(lines))
    etss_file = services.etss_file_receive(path=path, loaded_by="command")
    assert etss_file.status == Status.REJECTED
    assert {"line": index + 1, "recordType": "ARA", "field": "RATE"} in [
        {k: e[k] for k in ("line", "recordType", "field")} for e in etss_file.errors
    ]
    assert AgeRate.objects.count() == 0


def test_it_rejects_a_file_whose_trailer_count_is_wrong(db, archive, tmp_path):
    data = sample_path().read_bytes().replace(b"TRL|1603|5|2|362|1224|", b"TRL|1603|5|2|362|1225|")
    path = tmp_path / "HUM_ETSS_SG_KY_20261101_000001.txt"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("import_etss", str(path))
    etss_file = EtssFile.objects.get()
    assert etss_file.status == Status.REJECTED
    assert [(e["line"], e["field"]) for e in etss_file.errors] == [(1603, "CNT_ARA")]


def test_it_skips_a_reload_of_the_same_sequence_and_digest(loaded_sample, tmp_path):
    before = _rates_snapshot()
    again = services.etss_file_receive(path=sample_path(), loaded_by="command")
    assert again.status == Status.SKIPPED_DUPLICATE
    assert _rates_snapshot() == before
    assert AgeRate.objects.count() == 1224


def test_it_refuses_the_same_sequence_with_another_digest(loaded_sample, tmp_path):
    lines = sample_lines()
    lines = _replace(lines, "PLN|12345KY0010003", lines[3].replace("Humana Gold PPO 1500", "Gold renamed"))
    path = write_etss(tmp_path, lines, seq=1)
    refused = services.etss_file_receive(path=path, loaded_by="command")
    assert refused.status == Status.REJECTED
    assert "another digest" in refused.errors[-1]["message"]
    assert Plan.objects.get(plan_id="12345KY0010003").marketing_name == "Humana Gold PPO 1500"


def _incr_rate_file(plan_name: str) -> list[str]:
    """An INCR file that renames the gold plan (only its PLN row and nothing else)."""
    lines = sample_lines()
    header = with_header(lines, load_type="INCR")[0]
    gold = next(line for line in lines if line.startswith("PLN|12345KY0010003"))
    return [header, gold.replace("Humana Gold PPO 1500", plan_name)]


def test_it_holds_a_file_after_a_gap_then_releases_it_in_order(loaded_sample, tmp_path):
    third = services.etss_file_receive(
        path=write_etss(tmp_path, _incr_rate_file("Third"), seq=3), loaded_by="sftp"
    )
    assert third.status == Status.HELD
    assert Plan.objects.get(plan_id="12345KY0010003").marketing_name == "Humana Gold PPO 1500"
    second = services.etss_file_receive(
        path=write_etss(tmp_path, _incr_rate_file("Second"), seq=2), loaded_by="sftp"
    )
    assert second.status == Status.LOADED
    third.refresh_from_db()
    assert third.status == Status.LOADED
    assert third.finished_at > second.finished_at or third.pk > second.pk
    assert Plan.objects.get(plan_id="12345KY0010003").marketing_name == "Third"


def test_it_loads_a_held_file_when_an_admin_forces_it(loaded_sample, tmp_path, admin_client):
    held = services.etss_file_receive(
        path=write_etss(tmp_path, _incr_rate_file("Forced"), seq=5), loaded_by="sftp"
    )
    assert held.status == Status.HELD
    response = admin_client.post(
        "/admin/catalogue/etssfile/", {"action": "force_load", "_selected_action": [held.pk]}, follow=True
    )
    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == Status.LOADED
    assert Plan.objects.get(plan_id="12345KY0010003").marketing_name == "Forced"


def test_it_keeps_rows_an_incr_file_does_not_name(loaded_sample, tmp_path):
    etss_file = services.etss_file_receive(
        path=write_etss(tmp_path, _incr_rate_file("Incr"), seq=2), loaded_by="sftp"
    )
    assert etss_file.status == Status.LOADED
    assert Plan.objects.count() == 5
    assert AgeRate.objects.count() == 1224


def test_it_replaces_the_window_of_a_full_file(loaded_sample, tmp_path):
    # A FULL file without the gold plan: the gold plan and its rates are no longer sold.
    lines = [line for line in sample_lines() if "12345KY0010003" not in line]
    etss_file = services.etss_file_receive(path=write_etss(tmp_path, lines, seq=2), loaded_by="sftp")
    assert etss_file.status == Status.LOADED, etss_file.errors
    assert not Plan.objects.filter(plan_id="12345KY0010003").exists()
    assert not AgeRate.objects.filter(plan_id="12345KY0010003").exists()
    assert AgeRate.objects.count() == 1224 - 408


def test_it_leaves_the_rates_in_use_untouched_after_a_rejected_file(loaded_sample, tmp_path):
    before = _rates_snapshot()
    lines = [line for line in sample_lines() if "12345KY0010003" not in line]
    bad = next(i for i, line in enumerate(lines) if line.startswith("ARA|") and "|21|" in line)
    fields = lines[bad].split("|")
    fields[6] = "0.00"
    lines[bad] = "|".join(fields)
    etss_file = services.etss_file_receive(path=write_etss(tmp_path, lines, seq=2), loaded_by="sftp")
    assert etss_file.status == Status.REJECTED
    assert any(e["line"] == bad + 1 and e["field"] == "RATE" for e in etss_file.errors)
    assert _rates_snapshot() == before
    assert Plan.objects.filter(plan_id="12345KY0010003").exists()


def test_it_rolls_back_a_load_that_fails_while_publishing(loaded_sample, tmp_path, monkeypatch):
    before = _rates_snapshot()
    lines = [line for line in sample_lines() if "12345KY0010003" not in line]

    def broken(*args):
        AgeRate.objects.all().delete()
        raise RuntimeError("disk full")

    # both ways of loading (COPY straight into the live tables on PostgreSQL, the staging tables
    # elsewhere) start a FULL file by deleting its window
    monkeypatch.setattr(services, "_delete_full_window", broken)
    with pytest.raises(RuntimeError):
        services.etss_file_receive(path=write_etss(tmp_path, lines, seq=2), loaded_by="sftp")
    assert _rates_snapshot() == before
    assert EtssFile.objects.get(sequence=2).status == Status.REJECTED


def test_it_uploads_a_file_in_the_admin(
    db, archive, admin_client, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True
    try:
        with open(sample_path(), "rb") as upload, django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post("/admin/catalogue/etssfile/upload/", {"file": upload}, follow=True)
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 200
    etss_file = EtssFile.objects.get()
    assert etss_file.status == Status.LOADED
    assert etss_file.loaded_by == "admin"
    assert (
        AgeRate.objects.filter(plan_id="12345KY0010001", rating_area_id="KY-RA02", age_band="21").count() == 4
    )


def test_it_rejects_a_file_the_database_refuses_to_stage(db, archive, monkeypatch):
    from django.db import DataError

    def too_long(self, reader):
        reader.check()
        raise DataError("value too long for type character varying(40)")

    def copy_too_long(records, tables):
        raise DataError("value too long for type character varying(40)")

    monkeypatch.setattr(services._Staging, "fill", too_long)
    monkeypatch.setattr(services, "_copy_records", copy_too_long)  # PostgreSQL's straight load
    etss_file = services.etss_file_receive(path=sample_path(), loaded_by="command")
    assert etss_file.status == Status.REJECTED
    assert "could not be stored" in etss_file.errors[-1]["message"]
    assert AgeRate.objects.count() == 0


# --------------------------------------------------------------------------- PostgreSQL's straight load


@pytest.fixture
def postgresql(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        if REQUIRE_SERVICES:
            pytest.fail("PORTAL_REQUIRE_SERVICES is set but the test database is not PostgreSQL")
        pytest.skip("needs PostgreSQL (DATABASE_URL): the straight COPY load is PostgreSQL's; CI runs it")


def test_it_copies_a_full_file_straight_into_the_live_tables(postgresql, archive, monkeypatch):
    def no_staging(self, reader):
        raise AssertionError("staged")

    monkeypatch.setattr(services._Staging, "fill", no_staging)
    etss_file = services.etss_file_receive(path=sample_path(), loaded_by="command")
    assert etss_file.status == Status.LOADED
    assert etss_file.sequence == 1 and etss_file.counts["ARA"] == AgeRate.objects.count() == 1224


def test_it_stages_a_file_the_straight_load_cannot_take(postgresql, archive, monkeypatch):
    from django.db import IntegrityError

    real = services._copy_records
    calls = []

    def conflict_once(records, tables):
        calls.append(tables["ARA"])
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(records, tables)

    monkeypatch.setattr(services, "_copy_records", conflict_once)
    etss_file = services.etss_file_receive(path=sample_path(), loaded_by="command")
    assert etss_file.status == Status.LOADED
    # straight (into the rate table that is swapped in), rolled back, then staged
    assert calls == ["catalogue_agerate_next", "catalogue_stage_ara"]
    assert AgeRate.objects.count() == 1224


def test_it_swaps_in_a_rebuilt_rate_table_keeping_other_states_and_the_indexes(postgresql, archive):
    from django.db import connection

    def schema() -> tuple[list, list]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'catalogue_agerate'::regclass ORDER BY conname"
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalogue_agerate' ORDER BY 1"
            )
            return constraints, cursor.fetchall()

    before = schema()
    ohio = AgeRate.objects.create(
        state="OH", plan_id="12345OH0000001", rating_area_id="OH-RA01", rate_eff_date="2027-01-01",
        rate_exp_date="2027-12-31", age_band="21", rate="100.00",
    )  # fmt: skip
    etss_file = services.etss_file_receive(path=sample_path(), loaded_by="command")
    assert etss_file.status == Status.LOADED
    assert AgeRate.objects.filter(state="OH").values_list("plan_id", "rate").get() == (
        ohio.plan_id, Decimal("100.00"),
    )  # fmt: skip
    assert AgeRate.objects.filter(state="KY").count() == 1224
    assert schema() == before  # the same constraints and indexes under the same names
    AgeRate.objects.create(
        state="OH", plan_id="12345OH0000002", rating_area_id="OH-RA01", rate_eff_date="2027-01-01",
        rate_exp_date="2027-12-31", age_band="21", rate="100.00",
    )  # fmt: skip
    assert AgeRate.objects.count() == 1226  # the new table's identity gives ids that do not clash
