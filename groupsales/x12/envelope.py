"""FIL-003: the envelope and header of an 834 as edi-834-companion.md fixes them (ISA, GS, ST, BGN,
REF*38, DTP*007, the QTY counts and the N1 parties), one generator per part, in file order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from .issues import Issue
from .parser import ParsedInterchange
from .writer import COMPONENT, ELEMENT, REPETITION, SEGMENT, VERSION


def header_issues(
    parsed: ParsedInterchange,
    *,
    sender_id: str,
    group_id: str,
    fein: str,
    usage_indicator: str,
    effective_date: date | None = None,
    receiver_id: str = "HUMANAGS",
) -> list[Issue]:
    """FIL-003: envelope and header as edi-834-companion.md fixes them."""
    return [
        *_isa_issues(parsed, sender_id=sender_id, receiver_id=receiver_id, usage_indicator=usage_indicator),
        *_gs_st_issues(parsed, sender_id=sender_id, receiver_id=receiver_id),
        *_bgn_issues(parsed),
        *_reference_issues(parsed, group_id=group_id, effective_date=effective_date),
        *_quantity_issues(parsed),
        *_party_issues(parsed, fein=fein),
    ]


def _fil003(seg: Any, message: str, segment: str | None = None) -> Issue:
    return Issue("FIL-003", seg.line if seg is not None else None, segment or seg.id, message)


def _isa_issues(
    parsed: ParsedInterchange, *, sender_id: str, receiver_id: str, usage_indicator: str
) -> Iterator[Issue]:
    """The delimiters and the ISA's sender, receiver, version, acknowledgement and usage."""
    d = parsed.delimiters
    isa = parsed.isa
    if d.repetition != REPETITION and isa.element(11).isalnum():
        yield _fil003(
            isa,
            f"ISA11 is {isa.element(11)!r}, the 4010 standards identifier; in 5010 ISA11 is the "
            f"repetition separator: send {REPETITION}.",
        )
    elif (d.element, d.component, d.repetition, d.segment) != (ELEMENT, COMPONENT, REPETITION, SEGMENT):
        yield _fil003(
            isa,
            f"Use the guide's delimiters: element {ELEMENT}, component {COMPONENT}, "
            f"repetition {REPETITION}, segment {SEGMENT}.",
        )
    if isa.element(5) != "ZZ" or isa.element(6).strip() != sender_id:
        yield _fil003(isa, f"ISA05/ISA06 must be ZZ and the sender ID {sender_id}, padded to 15.")
    if isa.element(7) != "ZZ" or isa.element(8).strip() != receiver_id:
        yield _fil003(isa, f"ISA07/ISA08 must be ZZ and {receiver_id}, padded to 15.")
    if isa.element(12) != "00501":
        yield _fil003(isa, "ISA12 must be 00501.")
    if isa.element(14) != "0":
        yield _fil003(isa, "ISA14 must be 0 (the API reports the outcome).")
    if isa.element(15) != usage_indicator:
        yield _fil003(isa, f"ISA15 must be {usage_indicator} here, not {isa.element(15)!r}.")


def _gs_st_issues(parsed: ParsedInterchange, *, sender_id: str, receiver_id: str) -> Iterator[Issue]:
    """One group with one transaction set, GS and ST as the guide writes them."""
    isa = parsed.isa
    gs_list, st_list = parsed.all("GS"), parsed.all("ST")
    if len(gs_list) != 1 or len(st_list) != 1:
        yield _fil003(
            st_list[1] if len(st_list) > 1 else isa,
            "Send one functional group with one transaction set.",
            "ST",
        )
    gs = parsed.first("GS")
    if gs is None:
        yield _fil003(None, "The GS segment is missing.", "GS")
    else:
        if gs.element(1) != "BE" or gs.element(2) != sender_id or gs.element(3) != receiver_id:
            yield _fil003(gs, f"GS must read GS*BE*{sender_id}*{receiver_id}*….")
        if gs.element(8) != VERSION:
            yield _fil003(gs, f"GS08 must be {VERSION}.")
    st = parsed.first("ST")
    if st is None:
        yield _fil003(None, "The ST segment is missing.", "ST")
    elif st.element(1) != "834" or st.element(3) != VERSION:
        yield _fil003(st, f"ST must read ST*834*<control number>*{VERSION}.")


def _bgn_issues(parsed: ParsedInterchange) -> Iterator[Issue]:
    """BGN's purpose, reference, original reference and action."""
    st = parsed.first("ST")
    h = parsed.header
    bgn = parsed.first("BGN")
    if bgn is None:
        yield _fil003(st, "The BGN segment is missing.", "BGN")
    else:
        if h.purpose not in ("00", "15"):
            yield _fil003(bgn, f"BGN01 must be 00 (original) or 15 (resubmission), not {h.purpose!r}.")
        elif h.purpose == "15" and not h.original_reference:
            yield _fil003(bgn, "A resubmission (BGN01 15) carries the rejected file's BGN02 in BGN06.")
        elif h.purpose == "00" and h.original_reference:
            yield _fil003(bgn, "BGN06 is only for a resubmission (BGN01 15).")
        if not h.reference or len(h.reference) > 30:
            yield _fil003(bgn, "BGN02 must be a reference of 1 to 30 characters.")
        if h.action != "2":
            yield _fil003(
                bgn,
                f"BGN08 must be 2 (additions); {h.action or 'nothing'!r} is not accepted for new business.",
            )


def _reference_issues(
    parsed: ParsedInterchange, *, group_id: str, effective_date: date | None
) -> Iterator[Issue]:
    """REF*38 names the group; DTP*007 is its effective date."""
    h = parsed.header
    if h.group_id != group_id:
        where = parsed.first("REF") if h.group_id_line is None else _at(parsed, h.group_id_line)
        yield _fil003(where, f"REF*38 must carry the group ID {group_id}.", "REF")
    if effective_date is not None and h.effective_date != effective_date:
        yield _fil003(
            parsed.first("DTP"), f"DTP*007 must be the group's effective date {effective_date:%Y%m%d}.", "DTP"
        )


def _quantity_issues(parsed: ParsedInterchange) -> Iterator[Issue]:
    """QTY*ET, DT and TO count the file's subscribers, dependants and members."""
    h, bgn = parsed.header, parsed.first("BGN")
    subscribers = sum(1 for m in parsed.members if m.subscriber_indicator == "Y")
    expected = {"ET": subscribers, "DT": len(parsed.members) - subscribers, "TO": len(parsed.members)}
    for qualifier, count in expected.items():
        line = h.quantity_lines.get(qualifier)
        if h.quantities.get(qualifier) != str(count):
            where = _at(parsed, line) if line else bgn
            yield _fil003(
                where,
                f"QTY*{qualifier} must be {count}, the file has {h.quantities.get(qualifier)!r}.",
                "QTY",
            )


def _party_issues(parsed: ParsedInterchange, *, fein: str) -> Iterator[Issue]:
    """N1*P5 (the employer's FEIN), N1*IN (Humana) and N1*BO (the writing agent's NPN)."""
    h, bgn = parsed.header, parsed.first("BGN")
    p5, payer, broker = (h.parties.get(k) for k in ("P5", "IN", "BO"))
    if p5 is None or p5.element(3) != "FI" or p5.element(4) != fein:
        yield _fil003(
            p5 or bgn, f"N1*P5 must carry the employer's FEIN {fein} (N1*P5*<legal name>*FI*<FEIN>).", "N1"
        )
    if payer is None or payer.elements[1:] != ("IN", "HUMANA", "94", "HUMGS"):
        yield _fil003(payer or bgn, "The payer must be N1*IN*HUMANA*94*HUMGS.", "N1")
    if broker is None or broker.element(3) != "94" or not broker.element(4).isdigit():
        yield _fil003(
            broker or bgn, "N1*BO must name the writing agent with qualifier 94 and the agent's NPN.", "N1"
        )


def _at(parsed: ParsedInterchange, line: int) -> Any:
    return parsed.segments[line - 1]
