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

This module is the file-level reader (record order, field counts, the date cache, the issues, the
trailer's counts and sums) and the public face of the ETSS modules; the rest is in its siblings:
``etss_layout`` (record types and fields, field formats, the typed records), ``etss_files`` (the file
name, the sidecar, the bytes as lines), ``etss_rows`` (the checks of HDR, PLN, ARE, GEO, FAC, XWK, TRL),
``etss_rates`` (ARA and TRA rows, their blocks and ranges), ``etss_bulk`` (ARA runs checked in bulk) and
``etss_xwk`` (layout 2.2's crosswalk).

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
import os
from collections.abc import Callable, Iterator
from datetime import date
from typing import BinaryIO

from .etss_bulk import BULK_CHECKS, AraRows, copy_safe
from .etss_files import Chunk, DeliveredLines, EtssFileName, parse_file_name, read_sidecar, verify_sidecar
from .etss_layout import (
    AGE_BANDS,
    LAYOUT,
    ORDER,
    RANK,
    ZERO,
    AgeRate,
    Area,
    EtssIssue,
    Factor,
    Geo,
    Header,
    Plan,
    Record,
    TierRate,
    Trailer,
    age_band,
    parse_date,
)
from .etss_rates import (
    AraBlock,
    BlockKey,
    PlanYear,
    TraBlock,
    ara_row,
    check_ara_blocks,
    check_ranges,
    tra_row,
)
from .etss_rows import are_row, fac_row, geo_row, hdr_row, pln_row, trl_row, xwk_row
from .etss_xwk import Crosswalk, KnownPlanYear, check_crosswalks

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

_MAX_CACHED_DATES = 10_000
_HANDLERS: dict[str, Callable[[EtssReader, list[str], int], Record | None]] = {
    "HDR": hdr_row, "PLN": pln_row, "ARE": are_row, "GEO": geo_row, "ARA": ara_row, "TRA": tra_row,
    "FAC": fac_row, "XWK": xwk_row, "TRL": trl_row,
}  # fmt: skip


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
        self._plans: dict[str, list[PlanYear]] = {}
        self._areas: dict[str, set[date]] = {}
        self._geo_keys: set[tuple[str, str, str, date]] = set()
        self._factor_keys: set[tuple[str, str, str, str, date]] = set()
        self._ara_blocks: dict[BlockKey, AraBlock] = {}
        self._tra_blocks: dict[BlockKey, TraBlock] = {}
        self._sum_rate = ZERO
        self._sum_tobacco_rate = ZERO
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
            delivered = DeliveredLines(raw, self._issue)
            for chunk in delivered:
                yield from self._chunk_records(chunk)
            self.total_lines = delivered.total_lines
            self.sha256_of_body = delivered.sha256_of_body
            self.file_sha256 = delivered.file_sha256
        self._finish()

    def _chunk_records(self, chunk: Chunk) -> Iterator[Record | AraRows]:
        """One chunk's records: runs of a record type with a bulk check (ARA) in bulk, the rest by line."""
        at = 0
        runs = chunk.runs(BULK_CHECKS) if BULK_CHECKS else []
        for start, end, record_type in [*runs, (chunk.count, 0, "")]:  # the last: the lines after the runs
            yield from self._line_records(chunk, at, start)
            at = start
            while at < end and not self._run_in_order(chunk.first + at + 1, record_type):
                yield from self._line_records(chunk, at, at + 1)  # out of place: reported line by line
                at += 1
            if at < end:
                self.counts[record_type] += end - at
                yield from BULK_CHECKS[record_type](self, chunk, at, end)
                at = end

    def _line_records(self, chunk: Chunk, first: int, end: int) -> Iterator[Record]:
        """Lines ``first``..``end`` of ``chunk`` (counted from 0 in it) read one by one."""
        counts = self.counts
        line_no = chunk.first + first
        for text in chunk.lines(first, end):
            line_no += 1
            fields = text.split("|")
            record_type = fields[0]
            if not self._in_order(line_no, record_type):
                continue
            counts[record_type] += 1
            if len(fields) != len(LAYOUT[record_type]) + (record_type == "TRL" and self._minor >= 2):
                self._wrong_field_count(line_no, record_type, len(fields))
                continue
            record = _HANDLERS[record_type](self, fields, line_no)
            if record is not None:
                yield record

    def _run_in_order(self, line: int, record_type: str) -> bool:
        """Whether a run of ``record_type`` from ``line`` is in its place (what :meth:`_in_order` checks
        line by line would find nothing); if so, the run's type becomes the current one."""
        rank = RANK[record_type]
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
    def _new_ara_block(line: int, tobacco_rated: bool | None) -> AraBlock:
        return AraBlock(line, tobacco_rated)

    def _date_or_none(self, text: str) -> date | None:
        """A date without reporting (the per-row check reports it), cached like :meth:`_date`."""
        try:
            day = parse_date(text)
        except ValueError:
            return None
        if len(self._dates) < _MAX_CACHED_DATES:
            self._dates[text] = day
        return day

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
                day = parse_date(text)
            except ValueError as error:
                self._issue(line, record_type, field, str(error))
                return None
            if len(self._dates) < _MAX_CACHED_DATES:
                self._dates[text] = day
        return day

    # ---- structure

    def _in_order(self, line: int, record_type: str) -> bool:
        """Check the record type and its place; False for an unknown type (the line is then skipped)."""
        rank = RANK.get(record_type)
        if rank is None:
            message = "empty line" if not record_type else f"unknown record type {record_type!r}"
            self._issue(line, record_type, "RECORD_TYPE", message)
            return False
        if line == 1 and record_type != "HDR":
            self._issue(line, record_type, "RECORD_TYPE", "the first line must be HDR")
        elif self._after_trl:
            self._issue(line, record_type, "RECORD_TYPE", "a line after TRL: TRL must be the last line")
        elif rank < self._rank or (record_type == "HDR" and line != 1):
            self._issue(line, record_type, "RECORD_TYPE", f"{record_type} out of order: {ORDER}")
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

    # The per-row ARA check (groupsales.etss_rates), a method because the bulk check calls it as one.
    _ara = ara_row

    def _finish(self) -> None:
        if self.total_lines == 0:
            self._issue(1, "HDR", "RECORD_TYPE", "the file is empty")
        elif self.counts["TRL"] == 0:
            self._issue(self.total_lines, "TRL", "RECORD_TYPE", "no TRL line: the file may be cut short")
        full_coverage = self._coverage if self._full_load else None
        check_ara_blocks(self._ara_blocks, self._issue)
        check_ranges("ARA", self._ara_blocks, self._plans, full_coverage, self._issue)
        check_ranges("TRA", self._tra_blocks, self._plans, full_coverage, self._issue)
        if self._minor >= 2:
            check_crosswalks(
                self._crosswalks,
                plans=self._plan_years,
                known=self._known_plans,
                rate_blocks=[*self._ara_blocks, *self._tra_blocks],
                full_start=full_coverage[0] if full_coverage else None,
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
