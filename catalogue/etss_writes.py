"""Writing an ETSS file's records into tables: the layout's columns, the writers, the rate table swap.

* :data:`TABLES`: each record type's model, columns (in ``COPY``/``INSERT`` order) and layout key.
* :func:`write_records`: the records the reader hands on (typed records, and clean runs of rate rows
  as :class:`groupsales.etss.AraRows`) written into the table of their kind: PostgreSQL ``COPY … FROM
  STDIN`` (a clean run as ``COPY`` text in one write, no per-row adaptation), elsewhere batched
  ``executemany`` (a clean run as ready tuples).
* :class:`RateTableSwap` (PostgreSQL): a FULL file's rate rows go into a fresh table without indexes
  (``catalogue_agerate_next``), the rows the file does not replace are copied beside them, the live
  table's indexes and constraints are built on it, and the two tables are swapped by renaming, all in
  the load's transaction. Building an index once over sorted-ish data is several times cheaper than
  keeping four indexes up to date row by row; readers keep reading the old table until the commit
  (the swap's lock is taken at the very end), so they never see half a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import Model

from groupsales.etss import AgeRate, AraRows, Area, Factor, Geo, Header, Plan, TierRate, Trailer
from groupsales.etss_xwk import Crosswalk

from . import models as m

__all__ = ["TABLES", "RateTableSwap", "record_row", "write_records"]

_BATCH = 5000

TABLES: dict[str, tuple[type[Model], tuple[str, ...], tuple[str, ...]]] = {
    # record type: (model, columns, key columns)
    "PLN": (
        m.Plan,
        (
            "plan_id", "plan_eff_date", "plan_exp_date", "state", "line", "carrier_plan_code",
            "marketing_name", "plan_type", "metal_level", "rating_method", "tobacco_rated",
            "composite_allowed", "max_children_u21", "dep_max_age", "service_area_id", "network_id",
            "hsa_eligible", "ded_ind", "ded_fam", "moop_ind", "moop_fam",
        ),
        ("plan_id", "plan_eff_date"),
    ),
    "ARE": (
        m.RatingArea,
        ("state", "rating_area_id", "name", "basis", "eff_date", "exp_date"),
        ("rating_area_id", "eff_date"),
    ),
    "GEO": (
        m.GeoPlace,
        ("state", "geo_type", "geo_value", "county_fips", "rating_area_id", "service_area_id",
         "partial_county", "eff_date", "exp_date"),
        ("geo_type", "geo_value", "county_fips", "eff_date"),
    ),
    "ARA": (
        m.AgeRate,
        ("state", "plan_id", "rating_area_id", "rate_eff_date", "rate_exp_date", "age_band", "rate",
         "tobacco_rate"),
        ("plan_id", "rating_area_id", "rate_eff_date", "age_band"),
    ),
    "TRA": (
        m.TierRate,
        ("state", "plan_id", "rating_area_id", "rate_eff_date", "rate_exp_date", "tier", "rate"),
        ("plan_id", "rating_area_id", "rate_eff_date", "tier"),
    ),
    "FAC": (
        m.Factor,
        ("state", "scope", "scope_id", "factor_type", "key", "value", "eff_date", "exp_date"),
        ("scope", "scope_id", "factor_type", "key", "eff_date"),
    ),
    # layout 2.2: the plan crosswalk
    "XWK": (
        m.PlanCrosswalk,
        ("state", "plan_id", "plan_year_end", "successor_plan_id", "successor_eff_date", "reason"),
        ("plan_id", "plan_year_end"),
    ),
}  # fmt: skip


def record_row(record: Any) -> tuple[str, tuple]:
    """A typed record as (record type, its row in :data:`TABLES` column order)."""
    if isinstance(record, Crosswalk):
        return "XWK", (record.state, record.plan_id, record.plan_year_end, record.successor_plan_id or "",
                       record.successor_eff_date, record.reason)  # fmt: skip
    if isinstance(record, AgeRate):
        return "ARA", (record.plan_id[5:7], record.plan_id, record.rating_area_id, record.rate_eff_date,
                       record.rate_exp_date, record.age_band, record.rate, record.tobacco_rate)  # fmt: skip
    if isinstance(record, TierRate):
        return "TRA", (record.plan_id[5:7], record.plan_id, record.rating_area_id, record.rate_eff_date,
                       record.rate_exp_date, str(record.tier), record.rate)  # fmt: skip
    if isinstance(record, Geo):
        return "GEO", (record.state, record.geo_type, record.geo_value, record.county_fips,
                       record.rating_area_id, record.service_area_id, record.partial_county,
                       record.eff_date, record.exp_date)  # fmt: skip
    if isinstance(record, Plan):
        return "PLN", (record.plan_id, record.plan_eff_date, record.plan_exp_date, record.state,
                       str(record.line), record.carrier_plan_code, record.marketing_name, record.plan_type,
                       record.metal_level, record.rating_method, record.tobacco_rated,
                       record.composite_allowed, record.max_children_u21, record.dep_max_age,
                       record.service_area_id, record.network_id, record.hsa_eligible, record.ded_ind,
                       record.ded_fam, record.moop_ind, record.moop_fam)  # fmt: skip
    if isinstance(record, Area):
        return "ARE", (record.state, record.rating_area_id, record.name, record.basis, record.eff_date,
                       record.exp_date)  # fmt: skip
    if isinstance(record, Factor):
        state = record.scope_id if record.scope == "STATE" else record.scope_id[5:7]
        return "FAC", (state, record.scope, record.scope_id, record.factor_type, record.key, record.value,
                       record.eff_date, record.exp_date)  # fmt: skip
    raise TypeError(record)


def write_records(items: Iterator[Any], tables: dict[str, str]) -> None:
    """Write every record (and clean run of rate rows) into ``tables[record type]``."""
    if connection.vendor == "postgresql":
        _copy(items, tables)
    else:
        _insert(items, tables)


def _copy(items: Iterator[Any], tables: dict[str, str]) -> None:
    """PostgreSQL: one ``COPY`` per run of one kind; a clean rate run is written as text in one go."""
    with connection.cursor() as cursor:
        current: tuple[str, bool] | None = None
        # psycopg's COPY context and its Copy (untyped: Django's cursor wraps the driver's), set by _reopen
        copy_cm: Any = None
        copy: Any = None
        try:
            for item in items:
                if isinstance(item, Header | Trailer):
                    continue
                text = _ara_text(item)
                if text is not None:
                    if current != ("ARA", True):
                        copy_cm, copy = _reopen(cursor, copy_cm, tables, "ARA", text=True)
                        current = ("ARA", True)
                    copy.write(text)
                    continue
                for record in item.records() if isinstance(item, AraRows) else (item,):
                    kind, row = record_row(record)
                    if current != (kind, False):
                        copy_cm, copy = _reopen(cursor, copy_cm, tables, kind, text=False)
                        current = (kind, False)
                    copy.write_row(row)
        finally:
            if copy_cm is not None:
                copy_cm.__exit__(None, None, None)


def _ara_text(item: Any) -> str | None:
    """Rate rows as ``COPY`` text (see :meth:`AraRows.copy_text`), a clean run's or one row's (the
    rows the per-row check took, e.g. a block cut by a read chunk's end), so that every rate row of a
    file goes through one ``COPY``: ending one makes the client wait for the server to catch up."""
    if isinstance(item, AraRows):
        return item.copy_text() if item.copy_safe else None
    if not isinstance(item, AgeRate) or _COPY_UNSAFE(item.plan_id + item.rating_area_id + item.age_band):
        return None
    tobacco = "" if item.tobacco_rate is None else item.tobacco_rate
    return (
        f"{item.plan_id[5:7]}|{item.plan_id}|{item.rating_area_id}|{item.rate_eff_date.isoformat()}|"
        f"{item.rate_exp_date.isoformat()}|{item.age_band}|{item.rate}|{tobacco}\n"
    )


_COPY_UNSAFE = re.compile(r"[\\\x00\r\n|]").search  # what COPY text would read specially


def _reopen(cursor: Any, copy_cm: Any, tables: dict[str, str], kind: str, *, text: bool) -> tuple[Any, Any]:
    qn = connection.ops.quote_name
    if copy_cm is not None:
        copy_cm.__exit__(None, None, None)
    columns = ", ".join(qn(c) for c in TABLES[kind][1])
    options = " (DELIMITER '|', NULL '')" if text else ""
    copy_cm = cursor.cursor.copy(f"COPY {qn(tables[kind])} ({columns}) FROM STDIN{options}")
    return copy_cm, copy_cm.__enter__()


class _IsoDates(dict):
    """CCYYMMDD text to the ISO text SQLite stores a date as (what Django's adapter writes)."""

    def __missing__(self, text: str) -> str:
        iso = self[text] = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        return iso


def _insert(items: Iterator[Any], tables: dict[str, str]) -> None:
    """Elsewhere (SQLite): batched ``executemany``; a clean rate run's rows are ready tuples."""
    qn = connection.ops.quote_name
    sql = {
        kind: f"INSERT INTO {qn(tables[kind])} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
        for kind, (_model, columns, _key) in TABLES.items()
    }
    iso = _IsoDates()
    with connection.cursor() as cursor:
        pending: dict[str, list[tuple]] = {kind: [] for kind in TABLES}
        for item in items:
            if isinstance(item, Header | Trailer):
                continue
            if isinstance(item, AraRows):
                kind, rows = "ARA", pending["ARA"]
                rows.extend(item.tuples(iso))
            else:
                kind, row = record_row(item)
                rows = pending[kind]
                rows.append(row)
            if len(rows) >= _BATCH:
                cursor.executemany(sql[kind], rows)
                rows.clear()
        for kind, rows in pending.items():
            if rows:
                cursor.executemany(sql[kind], rows)


class RateTableSwap:
    """PostgreSQL: the age-rate table rebuilt beside the live one and swapped in (see the module).

    :meth:`create` before the file's rows are written into :attr:`table`; :meth:`swap` once the file
    is known to be good. Everything happens in the caller's transaction: a rollback leaves the live
    table as it was and drops the new one.
    """

    def __init__(self, header: Header) -> None:
        self.header = header
        self.live = m.AgeRate._meta.db_table
        self.table = f"{self.live}_next"

    def create(self) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(self.table)}")
            cursor.execute(
                f"CREATE TABLE {qn(self.table)} (LIKE {qn(self.live)} INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )

    def swap(self) -> None:
        """Copy the rows the file does not replace, build the live table's indexes, swap the tables."""
        qn = connection.ops.quote_name
        live, new = qn(self.live), qn(self.table)
        columns = ", ".join(qn(c) for c in TABLES["ARA"][1])
        header = self.header
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {new} ({columns}) SELECT {columns} FROM {live} "
                "WHERE NOT (state = ANY(%s) AND rate_eff_date <= %s AND rate_exp_date >= %s)",
                [list(header.states), header.coverage_end, header.coverage_start],
            )
            renames = self._build_indexes(cursor)
            sequence = self._sequence(cursor, self.table)
            old_sequence = self._sequence(cursor, self.live)
            cursor.execute(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
            cursor.execute(f"DROP TABLE {live}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {live}")
            for statement in renames:
                cursor.execute(statement)
            if sequence and old_sequence:
                cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {qn(old_sequence.split('.')[-1])}")

    def _build_indexes(self, cursor: Any) -> list[str]:
        """The live table's constraints and indexes, built on the new table under temporary names;
        returns the statements that give them their names once the live table is gone."""
        qn = connection.ops.quote_name
        live, new = qn(self.live), qn(self.table)
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY contype",
            [self.live],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = %s",
            [self.live],
        )
        indexes = [
            (name, text) for name, text in cursor.fetchall() if name not in {c for c, _ in constraints}
        ]
        renames = []
        for number, (name, definition) in enumerate(constraints):
            temporary = qn(f"{self.table}_c{number}")
            cursor.execute(f"ALTER TABLE {new} ADD CONSTRAINT {temporary} {definition}")
            renames.append(f"ALTER TABLE {live} RENAME CONSTRAINT {temporary} TO {qn(name)}")
        for number, (name, definition) in enumerate(indexes):
            temporary = qn(f"{self.table}_i{number}")
            unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
            cursor.execute(
                f"CREATE {unique}INDEX {temporary} ON {new} {definition[definition.index(' USING ') :]}"
            )
            renames.append(f"ALTER INDEX {temporary} RENAME TO {qn(name)}")
        return renames

    @staticmethod
    def _sequence(cursor: Any, table: str) -> str | None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return cursor.fetchone()[0]
