"""Loading the carrier's ETSS plan and rate files, and saving quotes.

One importer, three ways in (``import_etss`` command, the admin upload, the scheduled SFTP pull): each
calls :func:`etss_file_receive`, which archives the file, records an :class:`EtssFile` and processes it.

Loading (:func:`etss_file_process`), one streaming read of the file:

1. Check and stage: :class:`groupsales.etss.EtssReader` reads the file once (memory flat in the file
   size), running every check, while its well-formed records go into temporary staging tables
   (PostgreSQL ``COPY … FROM STDIN`` through psycopg 3; elsewhere batched ``executemany``). Every issue
   is recorded with its line and field; any issue rejects the file and the staging is dropped.
2. Order: a sequence already loaded with the same trailer digest is SKIPPED_DUPLICATE (nothing changes);
   with another digest, or older than the last loaded one, it is REJECTED; a sequence beyond the last
   loaded one + 1 is HELD until the missing one loads (held files then load in order) or an operator
   forces it. The first file ever loaded may have any sequence.
3. Publish, in ONE transaction: the file is claimed (RECEIVED/HELD -> LOADING by a conditional update);
   a FULL file deletes, for its states, the rates whose range meets [COVERAGE_START, COVERAGE_END] and
   the plans, areas, places and factors in force then; then each staging table is upserted into its
   live table by the layout key with one set-based ``INSERT … SELECT … ON CONFLICT (key) DO UPDATE``;
   the file becomes LOADED in the same transaction. Any failure rolls it all back: the rates in use stay
   untouched and readers never see half a file.

On PostgreSQL a FULL file whose turn has come (the usual monthly file) skips the staging tables: one
transaction claims it, deletes its window, ``COPY``s each record straight into its live table while the
reader checks it, and marks it LOADED, or rolls everything back and REJECTs it when any check failed
(:func:`_load_direct`). Writing the rows once instead of twice (staging, then the row-by-row upsert) halves
a large load. Anything else (an UPDATE file, a file not yet due, a bad header, a database error such as
a row the delete left in place) goes the staging way above.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.models import Broker
from groupsales.etss import EtssIssue, EtssReader, Header
from groupsales.etss_xwk import KnownPlanYear

from . import models as m
from .etss_writes import TABLES as _TABLES
from .etss_writes import RateTableSwap
from .etss_writes import write_records as _copy_records
from .models import EtssFile, Quote, QuoteCensusRow

log = logging.getLogger(__name__)

Status = EtssFile.Status
_BATCH = 5000


class EtssLoadError(Exception):
    """A permanent failure of one file (a bad file, a refused sequence): retrying cannot help."""


class EtssPullRefused(EtssLoadError):
    """The file server is not the one configured (host key): permanent, an operator must look."""


class EtssTransientError(Exception):
    """A failure worth retrying (the file server is unreachable, a timeout)."""


def archive_dir() -> Path:
    return Path(getattr(settings, "ETSS_ARCHIVE_DIR", settings.VAR_DIR / "etss-archive"))


# --------------------------------------------------------------------------------------------------
# Receiving


def etss_file_receive(
    *, path: str | os.PathLike[str], loaded_by: str, name: str | None = None, process: bool = True
) -> EtssFile:
    """Archive a delivered file, record it (RECEIVED) and, by default, process it at once."""
    source = Path(path)
    name = name or source.name
    target_dir = archive_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    etss_file = EtssFile.objects.create(name=name, loaded_by=loaded_by[:150])
    stored = target_dir / f"{etss_file.pk:08d}-{os.path.basename(name)}"
    shutil.copyfile(source, stored)
    etss_file.stored_path = str(stored)
    etss_file.save(update_fields=["stored_path"])
    if process:
        etss_file = etss_file_process(etss_file_id=etss_file.pk)
    return etss_file


def _printable(text: str) -> str:
    """A garbage file's bytes end up in the issues: NUL cannot be stored by PostgreSQL (text or jsonb)."""
    return text.replace("\x00", "\\x00")


def _issue_dict(issue: EtssIssue) -> dict[str, Any]:
    return {
        "line": issue.line,
        "recordType": _printable(issue.record_type),
        "field": _printable(issue.field),
        "message": _printable(issue.message),
    }


def _transition(etss_file: EtssFile, status: str, **fields: Any) -> EtssFile:
    """Guarded state change, claimed by a conditional update so two workers never both make it."""
    if not etss_file.can_become(status):
        raise EtssLoadError(f"{etss_file.name}: {etss_file.status} cannot become {status}")
    fields["status"] = status
    if status in (Status.LOADED, Status.REJECTED, Status.SKIPPED_DUPLICATE):
        fields.setdefault("finished_at", timezone.now())
    claimed = EtssFile.objects.filter(pk=etss_file.pk, status=etss_file.status).update(**fields)
    if claimed != 1:
        raise EtssLoadError(f"{etss_file.name} was changed by another worker")
    etss_file.refresh_from_db()
    return etss_file


def _refuse(etss_file: EtssFile, message: str, **fields: Any) -> EtssFile:
    errors = list(etss_file.errors) + [{"line": 0, "recordType": "", "field": "", "message": message}]
    return _transition(etss_file, Status.REJECTED, errors=errors, **fields)


# --------------------------------------------------------------------------------------------------
# Processing


def etss_file_process(*, etss_file_id: int, force: bool = False) -> EtssFile:
    """Check and (when its turn has come, or ``force``) load a RECEIVED or HELD file; see the module."""
    started = time.monotonic()
    etss_file = EtssFile.objects.get(pk=etss_file_id)
    if etss_file.status not in (Status.RECEIVED, Status.HELD):
        return etss_file
    loaded = _load_direct(etss_file, force=force, started=started)
    if loaded is not None:
        return loaded
    etss_file.refresh_from_db()
    with _Staging() as staging:
        reader = EtssReader(etss_file.stored_path, name=etss_file.name, known_plans=_known_plans())
        try:
            with transaction.atomic():
                staging.fill(reader)
        except DatabaseError as error:
            # e.g. a field longer than the portal's column: a permanent fault of this file
            log.warning("ETSS %s could not be staged: %s", etss_file.name, error)
            message = f"the rows could not be stored ({error.__class__.__name__}): is a field too long?"
            return _refuse(etss_file, message, duration_ms=int((time.monotonic() - started) * 1000))
        return _decide_and_publish(etss_file, reader, staging, force=force, started=started)


def _decide_and_publish(
    etss_file: EtssFile, reader: EtssReader, staging: _Staging, *, force: bool, started: float
) -> EtssFile:
    header, trailer = reader.header, reader.trailer
    facts: dict[str, Any] = {
        "counts": dict(reader.counts),
        "file_sha256": reader.file_sha256 or "",
        "content_sha256": trailer.sha256 if trailer else "",
        "errors": [_issue_dict(issue) for issue in reader.issues],
    }
    if header is not None:
        facts.update(_header_facts(header))
    elapsed = {"duration_ms": int((time.monotonic() - started) * 1000)}
    if not reader.ok or header is None or trailer is None:
        return _transition(etss_file, Status.REJECTED, **facts, **elapsed)

    EtssFile.objects.filter(pk=etss_file.pk).update(**facts)
    etss_file.refresh_from_db()
    loaded = EtssFile.objects.filter(status=Status.LOADED)
    same_sequence = loaded.filter(sequence=header.file_seq).first()
    if same_sequence is not None:
        if same_sequence.content_sha256 == trailer.sha256:
            return _transition(etss_file, Status.SKIPPED_DUPLICATE, **elapsed)
        return _refuse(
            etss_file,
            f"sequence {header.file_seq:06d} was loaded from {same_sequence.name} with another digest",
            **elapsed,
        )
    last = loaded.aggregate(last=Max("sequence"))["last"]
    if last is not None and header.file_seq < last:
        return _refuse(
            etss_file, f"sequence {header.file_seq:06d} comes after {last:06d} was loaded", **elapsed
        )
    if last is not None and header.file_seq > last + 1 and not force:
        if etss_file.status == Status.HELD:
            return etss_file
        return _transition(etss_file, Status.HELD, **elapsed)

    etss_file = _transition(etss_file, Status.LOADING)
    try:
        with transaction.atomic():
            _publish(staging, header)
            _transition(etss_file, Status.LOADED, duration_ms=int((time.monotonic() - started) * 1000))
    except Exception:
        _load_failed(etss_file, header)
        raise
    return _loaded(etss_file, header)


_LOAD_FAILED = {"line": 0, "recordType": "", "field": "", "message": "the load failed; see the logs"}


class _NotDirect(Exception):
    """The file cannot be loaded straight into the live tables: the staging path takes it."""


class _Refused(Exception):
    """The file has issues: everything written in its transaction is rolled back."""


def _header_facts(header: Header) -> dict[str, Any]:
    return {
        "sequence": header.file_seq,
        "load_type": header.load_type,
        "states": ",".join(header.states),
        "coverage_start": header.coverage_start,
        "coverage_end": header.coverage_end,
    }


def _loads_now(header: Header, *, force: bool) -> bool:
    """Whether a clean file with this header would be loaded now (not skipped, refused or held)."""
    loaded = EtssFile.objects.filter(status=Status.LOADED)
    if loaded.filter(sequence=header.file_seq).exists():
        return False
    last = loaded.aggregate(last=Max("sequence"))["last"]
    return last is None or header.file_seq == last + 1 or (header.file_seq > last and force)


def _known_plans() -> dict[str, list[KnownPlanYear]]:
    """The plan years loaded before, for the 2.2 crosswalk checks (a plan year per PLN row)."""
    codes = {"MEDICAL": "MED", "DENTAL": "DEN", "VISION": "VIS"}
    known: dict[str, list[KnownPlanYear]] = {}
    rows = m.Plan.objects.values_list("plan_id", "plan_eff_date", "plan_exp_date", "line", "rating_method")
    for plan_id, eff, exp, line, method in rows:
        known.setdefault(plan_id, []).append(KnownPlanYear(eff, exp, codes.get(line, line), method))
    return known


def _load_direct(etss_file: EtssFile, *, force: bool, started: float) -> EtssFile | None:
    """PostgreSQL, a FULL file whose turn has come: in ONE transaction, delete the file's window, ``COPY``
    every record straight into the live tables while the reader checks them, and mark the file LOADED; a
    file with any issue rolls it all back and is REJECTED. Readers never see half a file, as with the
    staging path, but the rows are written once instead of twice (the set-based upsert from the staging
    tables was half the time of a large load). Returns None when the staging path must take the file:
    not FULL, not its turn, a bad header, or a database error (a row that would need the upsert)."""
    reader = EtssReader(etss_file.stored_path, name=etss_file.name, known_plans=_known_plans())
    records = reader.batches()
    header: Header | None = None
    try:
        with transaction.atomic():
            first = next(records, None)
            if not isinstance(first, Header) or first.load_type != "FULL" or reader.issues:
                raise _NotDirect
            header = first
            if not _loads_now(header, force=force):
                raise _NotDirect
            etss_file = _transition(etss_file, Status.LOADING)
            tables = {kind: model._meta.db_table for kind, (model, _c, _k) in _TABLES.items()}
            swap = RateTableSwap(header) if connection.vendor == "postgresql" else None
            if swap is not None:
                swap.create()
                tables["ARA"] = swap.table
            _delete_full_window(header, ("ARA",) if swap is not None else ())
            _copy_records(records, tables)
            trailer = reader.trailer
            if not reader.ok or trailer is None:
                raise _Refused
            if swap is not None:
                swap.swap()
            _transition(
                etss_file,
                Status.LOADED,
                counts=dict(reader.counts),
                file_sha256=reader.file_sha256 or "",
                content_sha256=trailer.sha256,
                errors=[],
                duration_ms=int((time.monotonic() - started) * 1000),
                **_header_facts(header),
            )
    except _NotDirect:
        return None
    except _Refused:
        etss_file.refresh_from_db()  # RECEIVED or HELD again: the claim was rolled back too
        return _decide_and_publish(etss_file, reader, _Staging(), force=force, started=started)
    # connection.Database: the backend's DB-API module (every backend has it; the base class's stub not).
    # COPY runs on the driver's cursor, so its errors are the driver's, not Django's DatabaseError.
    except (DatabaseError, connection.Database.Error, EtssLoadError) as error:  # type: ignore[attr-defined]
        # e.g. a row the FULL delete left in place (the upsert updates it) or a field too long (the
        # staging path refuses the file with a clear message)
        log.info("ETSS %s: not loaded directly (%s); staging it", etss_file.name, error.__class__.__name__)
        return None
    except Exception:
        _load_failed(etss_file, header)
        raise
    return _loaded(etss_file, header)


def _load_failed(etss_file: EtssFile, header: Header | None) -> None:
    """A load that broke half way (rolled back): the file is REJECTED with what its header said."""
    etss_file.refresh_from_db()
    facts = _header_facts(header) if isinstance(header, Header) else {}
    _transition(etss_file, Status.REJECTED, errors=[_LOAD_FAILED], **facts)


def _loaded(etss_file: EtssFile, header: Header) -> EtssFile:
    etss_file.refresh_from_db()
    log.info("ETSS %s loaded: %s", etss_file.name, etss_file.counts)
    _release_held(after=header.file_seq)
    return etss_file


def _release_held(*, after: int) -> None:
    """Load the held file that follows ``after``, and so on, in sequence order."""
    next_held = EtssFile.objects.filter(status=Status.HELD, sequence=after + 1).order_by("id").first()
    if next_held is not None:
        etss_file_process(etss_file_id=next_held.pk)


def etss_file_force(*, etss_file_id: int) -> EtssFile:
    """An operator loads a HELD file despite its sequence gap (admin action)."""
    etss_file = EtssFile.objects.get(pk=etss_file_id)
    if etss_file.status != Status.HELD:
        raise EtssLoadError(f"{etss_file.name} is {etss_file.status}, not HELD")
    return etss_file_process(etss_file_id=etss_file_id, force=True)


# --------------------------------------------------------------------------------------------------
# Publishing (inside the caller's transaction)


def _delete_full_window(header: Header, swapped: tuple[str, ...] = ()) -> None:
    """FULL: for the file's states, drop what meets [COVERAGE_START, COVERAGE_END] (set-based DELETEs),
    except in the record types whose table is rebuilt and swapped (``swapped``: "ARA")."""
    states, start, end = list(header.states), header.coverage_start, header.coverage_end
    if "ARA" not in swapped:
        m.AgeRate.objects.filter(state__in=states, rate_eff_date__lte=end, rate_exp_date__gte=start).delete()
    m.TierRate.objects.filter(state__in=states, rate_eff_date__lte=end, rate_exp_date__gte=start).delete()
    m.Plan.objects.filter(state__in=states, plan_eff_date__lte=end, plan_exp_date__gte=start).delete()
    m.RatingArea.objects.filter(state__in=states, eff_date__lte=end, exp_date__gte=start).delete()
    m.GeoPlace.objects.filter(state__in=states, eff_date__lte=end, exp_date__gte=start).delete()
    m.Factor.objects.filter(state__in=states, eff_date__lte=end, exp_date__gte=start).delete()
    # XWK: the rows whose PLAN_YEAR_END + 1 day lies in the window
    m.PlanCrosswalk.objects.filter(
        state__in=states, plan_year_end__gte=start - timedelta(days=1), plan_year_end__lt=end
    ).delete()


class _Staging:
    """Temporary staging tables, one per record type, filled while the reader checks the file.

    PostgreSQL: ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``); elsewhere batched ``executemany``.
    The tables are temporary (this connection only) and dropped on exit.
    """

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.tables = {kind: f"catalogue_stage_{kind.lower()}" for kind in _TABLES}

    def __enter__(self) -> _Staging:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for kind, (model, columns, _key) in _TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS {qn(self.tables[kind])}")
                types = ", ".join(f"{qn(c)} {model._meta.get_field(c).db_type(connection)}" for c in columns)
                cursor.execute(f"CREATE TEMPORARY TABLE {qn(self.tables[kind])} ({types})")
        return self

    def __exit__(self, *exc: object) -> None:
        qn = connection.ops.quote_name
        if connection.connection is None:
            return
        with connection.cursor() as cursor:
            for table in self.tables.values():
                cursor.execute(f"DROP TABLE IF EXISTS {qn(table)}")

    def _insert_sql(self, kind: str) -> str:
        qn = connection.ops.quote_name
        columns = _TABLES[kind][1]
        return (
            f"INSERT INTO {qn(self.tables[kind])} ({', '.join(qn(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

    def fill(self, reader: EtssReader) -> None:
        """Read the whole file (running every check) and stage its well-formed records."""
        _copy_records(reader.batches(), self.tables)

    def publish_sql(self, kind: str) -> str:
        """Set-based upsert of one staged table into its live table by the layout key."""
        model, columns, key = _TABLES[kind]
        qn = connection.ops.quote_name
        names = ", ".join(qn(c) for c in columns)
        updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in columns if c not in key)
        # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
        return (
            f"INSERT INTO {qn(model._meta.db_table)} ({names}) SELECT {names} FROM {qn(self.tables[kind])} "
            f"WHERE true ON CONFLICT ({', '.join(qn(c) for c in key)}) DO UPDATE SET {updates}"
        )


def _publish(staging: _Staging, header: Header) -> None:
    """Inside the caller's transaction: FULL deletes its window, then every staged table is upserted."""
    if header.load_type == "FULL":
        _delete_full_window(header)
    with connection.cursor() as cursor:
        for kind in _TABLES:
            cursor.execute(staging.publish_sql(kind))


# --------------------------------------------------------------------------------------------------
# Quotes


def quote_create(
    *,
    broker: Broker,
    employer_name: str,
    zip5: str,
    county_fips: str,
    effective_date: date,
    composite: bool,
    contributions: dict[str, dict[str, str]],
    census: Sequence[Any],
    created_by: User | None = None,
) -> Quote:
    """Save a quote with its census (``census``: :class:`catalogue.quoting.CensusRow` items)."""
    with transaction.atomic():
        quote = Quote.objects.create(
            agency_id=broker.agency_id,
            broker=broker,
            employer_name=employer_name,
            zip5=zip5,
            county_fips=county_fips,
            effective_date=effective_date,
            composite=composite,
            contributions=_plain(contributions),
            created_by=created_by,
        )
        QuoteCensusRow.objects.bulk_create(
            QuoteCensusRow(
                quote=quote,
                position=position,
                member_ref=row.member_ref,
                subscriber_ref=row.subscriber_ref,
                relationship=row.relationship,
                date_of_birth=row.date_of_birth,
                tobacco_use=row.tobacco_use,
                coverage_tier=row.coverage_tier or "",
                medical_tier=getattr(row, "medical_tier", ""),
                dental_tier=getattr(row, "dental_tier", ""),
                vision_tier=getattr(row, "vision_tier", ""),
                waiver_reason=getattr(row, "waiver_reason", ""),
            )
            for position, row in enumerate(census)
        )
    return quote


def _plain(contributions: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        line: {k: str(v) if isinstance(v, Decimal) else v for k, v in value.items()}
        for line, value in contributions.items()
    }
