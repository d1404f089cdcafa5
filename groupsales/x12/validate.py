"""Check an 834 against the X12 standard (pyx12) and against the companion guide.

How pyx12's errors are captured: ``pyx12.x12n_document.x12n_document`` builds its own
``error_handler.err_handler`` inside and only exposes it through writers (HTML, 999,
JSON), and its JSON writer leaves out the ISA/GS/ST element errors (a bad ISA15, say).
So ``_run_pyx12`` drives the same pyx12 pieces that ``x12n_document`` drives (X12Reader,
the control and 834 maps, ``walk_tree``, ``apply_walk_errors``, ``apply_segment_errors``)
with an ``err_handler`` of our own, then walks that error tree: interchange, group and
transaction errors, and every segment and element error with its line (the segment's
1-based ordinal from ISA), its position in the transaction set, and the element position
and reference number the 999 needs.

Note: pyx12 also *logs* each error at ERROR level on the ``pyx12`` loggers, bad values
included (which can be member data); the project's logging settings should quieten them.
"""

from __future__ import annotations

import io
import logging
from datetime import date
from typing import Any

import pyx12.error_handler
import pyx12.errors
import pyx12.map_if
import pyx12.map_index
import pyx12.params
import pyx12.x12file
from pyx12.map_if._segment import apply_segment_errors
from pyx12.map_walker import apply_walk_errors, walk_tree

from .envelope import header_issues
from .issues import Issue, Level, X12Issue
from .parser import SEGMENT_ID, ParsedInterchange, X12SyntaxError, is_interchange, parse_834

logger = logging.getLogger(__name__)

SEGMENT_CODES = {
    "1": "the segment is not recognised at this place",
    "2": "the segment is not expected at this place",
    "3": "a required segment is missing",
    "4": "the loop occurs more often than allowed",
    "5": "the segment occurs more often than allowed",
    "6": "the segment does not belong in an 834",
    "7": "the segment is out of order",
    "8": "the segment has errors in its elements",
    "I4": "the segment is not used in 005010X220A1",
    "I6": "a segment required here is missing",
    "I7": "the loop occurs fewer times than required",
    "I9": "the segment is not used in this situation",
    "SEG1": "the segment ends with an empty element (a trailing separator)",
}
ELEMENT_CODES = {
    "1": "a required element is missing",
    "2": "an element required together with another one is missing",
    "3": "the segment has too many elements",
    "4": "the value is too short",
    "5": "the value is too long",
    "6": "the value has characters that are not allowed",
    "7": "the value is not one of the allowed codes",
    "8": "the date is not a valid date",
    "9": "the time is not a valid time",
    "10": "the element is not used here (or excluded by another one)",
    "12": "the element repeats too often",
    "13": "the element has too many components",
    "I10": "the element is not used in 005010X220A1",
    "I11": "the element repeats too few times",
    "I12": "the value does not have the required form",
    "I13": "the element is not used in this situation",
    "I6": "the code is not used in 005010X220A1",
    "I9": "a required element is missing in this situation",
}
# Envelope errors pyx12 raises while reading: (level, code) -> (segment, words).
ENVELOPE_CODES: dict[tuple[str, str], tuple[str, str]] = {
    ("interchange", "001"): ("IEA", "IEA02 does not repeat the ISA13 interchange control number"),
    ("interchange", "021"): ("IEA", "IEA01 does not count the functional groups"),
    ("interchange", "023"): ("IEA", "the IEA trailer is missing"),
    ("interchange", "024"): ("IEA", "an IEA trailer has no ISA"),
    ("interchange", "025"): ("ISA", "the interchange control number is repeated"),
    ("group", "3"): ("GE", "the GE trailer is missing"),
    ("group", "4"): ("GE", "GE02 does not repeat the GS06 group control number"),
    ("group", "5"): ("GE", "GE01 does not count the transaction sets"),
    ("group", "6"): ("GS", "the group control number is repeated"),
    ("transaction", "2"): ("SE", "the SE trailer is missing"),
    ("transaction", "3"): ("SE", "SE02 does not repeat the ST02 transaction set control number"),
    ("transaction", "4"): ("SE", "SE01 does not count the segments from ST to SE"),
    ("transaction", "23"): ("ST", "the transaction set control number is repeated"),
}
# These are control numbers and counts: FIL-004, which companion_issues checks itself.
# The longest element of 005010X220A1 (PER04, a communication number, and the MSG text): 264.
MAX_ELEMENT_LENGTH = 264
CONTROL_CODES = frozenset(
    {("interchange", "001"), ("interchange", "021"), ("group", "4"), ("group", "5"), ("transaction", "3"),
     ("transaction", "4")}
)  # fmt: skip

_PARAMS: pyx12.params.ParamsBase | None = None


def _params() -> pyx12.params.ParamsBase:
    global _PARAMS
    if _PARAMS is None:
        _PARAMS = pyx12.params.params()
    return _PARAMS


class _Walk:
    """What ``x12n_document`` keeps while it walks one file: the maps, the walker, the current node
    and the error tree it fills."""

    def __init__(self, src: Any, errh: Any, param: pyx12.params.ParamsBase) -> None:
        self.src, self.errh, self.param = src, errh, param
        self.map_file = "x12.control.00501.xml" if src.icvn == "00501" else "x12.control.00401.xml"
        self.control_map = pyx12.map_if.load_map_file(self.map_file, param)
        self.map_index = pyx12.map_index.map_index()
        self.node = self.control_map.getnodebypath("/ISA_LOOP/ISA")
        self.walker = walk_tree()
        self.icvn: Any = None
        self.cur_map: Any = None

    def segment(self, seg: Any) -> None:
        """Find the segment's node in the map, then record it (and its errors) in the tree."""
        seg_id = seg.get_seg_id()
        node = self._locate(seg_id, seg)
        if node is None:
            return  # stay on the node before it
        self.node = node
        self._record(seg_id, seg)
        self.errh.handle_errors(self.src.pop_errors())
        apply_segment_errors(self.node, seg, self.errh)

    def _locate(self, seg_id: str, seg: Any) -> Any:
        src = self.src
        if seg_id == "ISA":
            node = self.control_map.getnodebypath("/ISA_LOOP/ISA")
            self.walker.forceWalkCounterToLoopStart("/ISA_LOOP", "/ISA_LOOP/ISA")
            return node
        if seg_id == "GS":
            node = self.control_map.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
            self.walker.forceWalkCounterToLoopStart("/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS")
            return node
        node, _pop, _push, walk_errors = self.walker.walk_errors(
            self.node, seg, src.get_seg_count(), src.get_cur_line(), src.get_ls_id()
        )
        apply_walk_errors(self.errh, walk_errors)
        return node

    def _record(self, seg_id: str, seg: Any) -> None:
        errh, src, node = self.errh, self.src, self.node
        if seg_id == "ISA":
            errh.add_isa_loop(seg, src)
            self.icvn = seg.get_value("ISA12")
        elif seg_id == "IEA":
            errh.handle_errors(src.pop_errors())
            errh.close_isa_loop(node, seg, src)
        elif seg_id == "GS":
            self._open_gs_loop(seg)
        elif seg_id == "GE":
            errh.handle_errors(src.pop_errors())
            _close_gs_loop(errh, node, seg, src)
        elif seg_id == "ST":
            errh.add_st_loop(seg, src)
        elif seg_id == "SE":
            errh.handle_errors(src.pop_errors())
            errh.close_st_loop(node, seg, src)
        else:
            errh.add_seg(node, seg, src.get_seg_count(), src.get_cur_line(), src.get_ls_id())

    def _open_gs_loop(self, seg: Any) -> None:
        """Switch to the map of the group's version (GS08) and function (GS01)."""
        new_map = self.map_index.get_filename(self.icvn, seg.get_value("GS08"), seg.get_value("GS01"))
        if new_map is None:
            raise pyx12.errors.EngineError(
                f"no X12 map for GS01={seg.get_value('GS01')} GS08={seg.get_value('GS08')}"
            )
        if new_map != self.map_file:
            self.map_file = new_map
            self.cur_map = pyx12.map_if.load_map_file(new_map, self.param)
        self.node = self.cur_map.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
        self.errh.add_gs_loop(seg, self.src)


def _run_pyx12(text: str) -> tuple[Any, list[X12Issue]]:
    """Validate with pyx12 as ``x12n_document`` does, keeping the ``err_handler`` it fills.

    Returns the error tree and any issue raised outside it (an unreadable file, a map that
    does not exist for the GS08 version, an engine failure).
    """
    errh = pyx12.error_handler.err_handler()
    try:
        src = pyx12.x12file.X12Reader(io.StringIO(text))
    except pyx12.errors.X12Error as exc:
        return errh, [
            X12Issue(1, "ISA", "ISA", f"The ISA segment cannot be read: {exc}", "interchange", str(exc))
        ]
    walk = _Walk(src, errh, _params())
    try:
        for seg in src:
            walk.segment(seg)
        src.cleanup()  # reports trailers that never came
        errh.handle_errors(src.pop_errors())
    except Exception as exc:  # whatever pyx12 raises on malformed input (ValueError, KeyError, ...)
        # pyx12 gives up on some malformed input; report where it stopped instead of failing.
        line = src.get_cur_line()
        logger.info("pyx12 stopped at segment %s: %s: %s", line, type(exc).__name__, exc)
        return errh, [
            X12Issue(
                line,
                None,
                "ENGINE",
                f"The file cannot be read as 005010X220A1 from line {line} on.",
                "transaction",
                str(exc),
            )
        ]
    finally:
        src.close()
    return errh, []


def _close_gs_loop(errh: Any, node: Any, seg: Any, src: Any) -> None:
    """``close_gs_loop``, which counts GE01 with ``int()``: a GE01 that is no number (``GE*X*123``,
    ``GE**123``) closes the group with AK9 reason 5 instead of raising out of pyx12."""
    value = seg.get_value("GE01") or ""
    if value.isdigit():
        errh.close_gs_loop(node, seg, src)
        return
    gs = errh.cur_gs_node
    gs.cur_line_ge = src.get_cur_line()
    gs.ack_code, gs.st_count_orig, gs.st_count_recv = "R", 0, src.st_count
    gs.add_error("5", f"GE01 {value[:20]!r} is not a count of transaction sets")
    errh.cur_seg_node, errh.seg_node_added = gs, True


def _where(line: int | None, seg_id: str | None) -> str:
    """``Line 31, INS`` (or just the segment when pyx12 gives no line)."""
    return ", ".join(part for part in (f"Line {line}" if line else "", seg_id or "") if part)


def _element_issue(seg_id: str, line: int | None, ele: Any, seg: Any | None) -> list[X12Issue]:
    refdes = f"{seg_id}{ele.ele_pos:02d}" if ele.ele_pos else None
    issues = []
    for code, err_str, bad_value in ele.errors:
        words = ELEMENT_CODES.get(code, "the element is not valid")
        what = f"{ele.name} ({refdes})" if refdes else ele.name
        value = f": '{bad_value}'" if bad_value not in (None, "") else ""
        issues.append(
            X12Issue(
                line=line,
                segment_id=seg_id,
                code=code,
                message=f"{_where(line, seg_id)}: {words} in {what}{value}.",
                level="element",
                detail=err_str,
                element=refdes,
                element_position=ele.ele_pos,
                component_position=ele.subele_pos,
                element_ref=ele.ele_ref_num,
                bad_value=bad_value,
                position_in_set=getattr(seg, "seg_count", None),
                loop_id=getattr(seg, "ls_id", None),
            )
        )
    return issues


def _envelope_issues(level: Level, node: Any, header_id: str, header_line: int | None,
                     trailer_line: int | None) -> list[X12Issue]:  # fmt: skip
    issues = []
    for code, err_str in node.errors:
        seg_id, words = ENVELOPE_CODES.get((level, code), (header_id, "the envelope is not valid"))
        line = trailer_line if seg_id in ("IEA", "GE", "SE") else header_line
        issues.append(X12Issue(line, seg_id, code, f"{_where(line, seg_id)}: {words}.", level, err_str))
    for ele in node.elements:
        # Element errors of ISA/GS/ST (and of their trailers): err_str names which one.
        seg_id = next((s for s in ("IEA", "GE", "SE") if f"({s}" in str(ele.errors)), header_id)
        line = trailer_line if seg_id != header_id else header_line
        issues += _element_issue(seg_id, line, ele, None)
    return issues


def _collect(errh: Any) -> list[X12Issue]:
    issues: list[X12Issue] = []
    for isa in errh.children:
        issues += _envelope_issues("interchange", isa, "ISA", isa.cur_line_isa, isa.cur_line_iea)
        for gs in isa.children:
            issues += _envelope_issues("group", gs, "GS", gs.cur_line_gs, gs.cur_line_ge)
            for st in gs.children:
                issues += _envelope_issues("transaction", st, "ST", st.cur_line_st, st.cur_line_se)
                for seg in st.children:
                    line = seg.get_cur_line()
                    for code, err_str, bad_value in seg.errors:
                        words = SEGMENT_CODES.get(code, "the segment is not valid")
                        issues.append(
                            X12Issue(
                                line=line,
                                segment_id=seg.seg_id,
                                code=code,
                                message=f"{_where(line, seg.seg_id)}: {words} ({err_str}).",
                                level="segment",
                                detail=err_str,
                                bad_value=bad_value,
                                position_in_set=seg.seg_count,
                                loop_id=seg.ls_id,
                            )
                        )
                    for ele in seg.elements:
                        issues += _element_issue(seg.seg_id, line, ele, seg)
    return issues


def pyx12_issues(text: str) -> list[X12Issue]:
    """Every error pyx12 finds in ``text`` (an 834 or any X12 it has a map for), in file order."""
    errh, fatal = _run_pyx12(text)
    issues = _collect(errh) + fatal
    return sorted(issues, key=lambda i: (i.line is None, i.line or 0))


# --- companion guide -------------------------------------------------------------------------------


def _count_issue(issues: list[Issue], line: int | None, segment: str, message: str) -> None:
    issues.append(Issue("FIL-004", line, segment, message))


def control_issues(parsed: ParsedInterchange) -> list[Issue]:
    """FIL-004: SE01, GE01, IEA01 count right; ST02 = SE02, GS06 = GE02, ISA13 = IEA02."""
    issues: list[Issue] = []
    isa, iea = parsed.first("ISA"), parsed.last("IEA")
    gs_list, ge_list = parsed.all("GS"), parsed.all("GE")
    st_list, se_list = parsed.all("ST"), parsed.all("SE")
    if iea is None:
        _count_issue(issues, None, "IEA", "The IEA trailer is missing.")
    else:
        if isa is not None and iea.element(2) != isa.element(13):
            _count_issue(
                issues, iea.line, "IEA", f"IEA02 {iea.element(2)!r} differs from ISA13 {isa.element(13)!r}."
            )
        if iea.element(1) != str(len(gs_list)):
            _count_issue(
                issues, iea.line, "IEA", f"IEA01 says {iea.element(1)!r} groups, the file has {len(gs_list)}."
            )
    if len(ge_list) != len(gs_list):
        _count_issue(issues, None, "GE", f"{len(gs_list)} GS segments but {len(ge_list)} GE trailers.")
    for gs, ge in zip(gs_list, ge_list, strict=False):
        if ge.element(2) != gs.element(6):
            _count_issue(
                issues, ge.line, "GE", f"GE02 {ge.element(2)!r} differs from GS06 {gs.element(6)!r}."
            )
        sets = sum(1 for st in st_list if gs.line < st.line < ge.line)
        if ge.element(1) != str(sets):
            _count_issue(
                issues, ge.line, "GE", f"GE01 says {ge.element(1)!r} transaction sets, the group has {sets}."
            )
    if len(se_list) != len(st_list):
        _count_issue(issues, None, "SE", f"{len(st_list)} ST segments but {len(se_list)} SE trailers.")
    for st, se in zip(st_list, se_list, strict=False):
        if se.element(2) != st.element(2):
            _count_issue(
                issues, se.line, "SE", f"SE02 {se.element(2)!r} differs from ST02 {st.element(2)!r}."
            )
        counted = se.line - st.line + 1
        if se.element(1) != str(counted):
            _count_issue(
                issues, se.line, "SE", f"SE01 says {se.element(1)!r} segments, ST to SE holds {counted}."
            )
    return issues


def lexical_issues(parsed: ParsedInterchange) -> list[Issue]:
    """FIL-005 for what pyx12 does not reach: it stops reading at an empty segment (``~~``), and an
    element longer than any 834 element (pyx12 reports it as missing trailers) is named as such."""
    issues = []
    for seg in parsed.segments:
        longest = max(range(1, len(seg.elements)), key=lambda i: len(seg.elements[i]), default=0)
        if longest and len(seg.elements[longest]) > MAX_ELEMENT_LENGTH and seg.id != "ISA":
            issues.append(
                Issue(
                    "FIL-005",
                    seg.line,
                    seg.id[:3],
                    f"Line {seg.line}: element {seg.id[:3]}{longest:02d} is {len(seg.elements[longest]):,} "
                    f"characters long; no 834 element holds more than {MAX_ELEMENT_LENGTH}.",
                )
            )
        if seg.elements == ("",):
            issues.append(
                Issue(
                    "FIL-005",
                    seg.line,
                    None,
                    f"Line {seg.line}: an empty segment (two terminators in a row).",
                )
            )
        elif not SEGMENT_ID.match(seg.id):
            issues.append(
                Issue("FIL-005", seg.line, None, f"Line {seg.line}: {seg.id[:10]!r} is not a segment ID.")
            )
    return issues


def structure_issues(x12: list[X12Issue]) -> list[Issue]:
    """FIL-005 from pyx12's findings, leaving out the control numbers and counts FIL-004 reports."""
    return [
        Issue("FIL-005", i.line, i.segment_id, i.message)
        for i in x12
        if (i.level, i.code) not in CONTROL_CODES
    ]


def companion_issues(
    parsed: ParsedInterchange,
    *,
    sender_id: str,
    group_id: str,
    fein: str,
    usage_indicator: str,
    effective_date: date | None = None,
    x12_issues: list[X12Issue] | None = None,
) -> list[Issue]:
    """The whole-file rules FIL-003, FIL-004 and FIL-005, in file order.

    Pass ``x12_issues`` when pyx12 has already run (the 999 needs them too); otherwise
    pyx12 runs here on ``parsed.text``.
    """
    if x12_issues is None:
        x12_issues = pyx12_issues(parsed.text)
    issues = (
        header_issues(
            parsed,
            sender_id=sender_id,
            group_id=group_id,
            fein=fein,
            usage_indicator=usage_indicator,
            effective_date=effective_date,
        )
        + control_issues(parsed)
        + lexical_issues(parsed)
        + structure_issues(x12_issues)
    )
    return sorted(issues, key=lambda i: (i.line is None, i.line or 0, i.code))


def precheck(
    text: str,
    *,
    sender_id: str,
    group_id: str,
    fein: str,
    usage_indicator: str,
    effective_date: date | None = None,
) -> list[Issue]:
    """Everything that would stop an upload or reject the file as a whole (for the portal)."""
    if not is_interchange(text):
        return [Issue("FIL-001", None, None, "The file is not an X12 interchange (ISA … IEA).")]
    try:
        parsed = parse_834(text)
    except X12SyntaxError as exc:
        return [Issue("FIL-001", None, None, str(exc))]
    return companion_issues(
        parsed,
        sender_id=sender_id,
        group_id=group_id,
        fein=fein,
        usage_indicator=usage_indicator,
        effective_date=effective_date,
    )
