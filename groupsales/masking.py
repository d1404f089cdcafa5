"""Mask SSNs and dates of birth in what is stored or shown: carrier traffic (``ApiCall``,
``CarrierOperation``, the sandbox's admin), log records and error reports.

Plain Python, so the portal (``carrier``, ``portal.logging``) and the sandbox mask the same way.

- JSON: every ``ssn`` becomes ``***-**-1234`` (its last four), every ``dateOfBirth`` ``****-**-**``, at any
  depth (batches, census dependents); free text (``message``, ``detail``) has SSN-like numbers masked.
- X12 (834 and 999): segment-aware with the delimiters its ISA declares: NM1 ``NM109`` when ``NM108`` is
  ``34`` (SSN), ``DMG02`` when ``DMG01`` is ``D8``, and a 999's ``IK404`` (the copy of a bad value, maybe
  a date of birth or an SSN).
- Anything else, or a body that cannot be read: :func:`mask_personal_data` plus 8-digit dates.
- Free text (a log line, an error report): :func:`mask_personal_data`, every SSN and date however written.

Stored bodies are cut to ``MAX_STORED_CHARS``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .x12.parser import X12SyntaxError, detect_delimiters

# How people write an SSN: 123456789, or three groups split by dashes, spaces, dots or slashes.
_SEP = r"(?:[ \t]*[-./][ \t]*|[ \t]+)"
_SSN = re.compile(rf"(?<!\d)\d{{3}}(?:{_SEP}\d{{2}}{_SEP}|\d{{2}})(\d{{4}})(?!\d)")
# How people write a date: ISO or CCYYMMDD (X12 DMG02), m/d/y with any separator and a 2- or 4-digit
# year, MMDDYYYY, and with the month's name (English or Spanish).
_Y = r"(?:1[89]\d\d|20\d\d)"
_M = r"(?:0?[1-9]|1[0-2])"
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|sep?tiembre|octubre|noviembre|diciembre)\.?"
)
_GAP = r"(?:[ \t]+|[ \t]*-[ \t]*)"
_DATES = [
    re.compile(rf"(?<!\d){_Y}{_SEP}{_M}{_SEP}{_D}(?!\d)"),
    re.compile(rf"(?<!\d){_Y}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(rf"(?<!\d){_M}{_SEP}{_D}{_SEP}(?:{_Y}|\d\d)(?!\d)"),
    re.compile(rf"(?<!\d)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]){_Y}(?!\d)"),
    re.compile(rf"{_MONTH}[ \t]+{_D}(?:st|nd|rd|th)?,?[ \t]+{_Y}(?!\d)", re.IGNORECASE),
    re.compile(
        rf"(?<!\d){_D}{_GAP}(?:de[ \t]+)?{_MONTH}(?:,|[ \t]+de)?{_GAP}{_Y}(?!\d)",
        re.IGNORECASE,
    ),
]
DATE_MASK = "****-**-**"
# Values of fields named like personal data, whatever they look like.
_DOB_FIELD = re.compile(
    r"""(["']?(?:dateOfBirth|date_of_birth|dob|ssn)["']?\s*[:=]\s*["']?)([^"',}\s]+)""", re.IGNORECASE
)
# Task and correlation IDs: never an SSN or a date, however their digits fall.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

MAX_STORED_CHARS = 64 * 1024
DOB_MASK = "****-**-**"
DOB_MASK_X12 = "********"
BAD_VALUE_MASK = "***"

_SSN_KEYS = {"ssn", "socialsecuritynumber"}
_DOB_KEYS = {"dateofbirth", "date_of_birth", "dob", "birthdate"}
_FREE_TEXT_KEYS = {"message", "detail", "title"}
_DIGITS = re.compile(r"\d")
_EIGHT_DIGIT_DATE = re.compile(r"(?<!\d)(19|20)\d{6}(?!\d)")
# IK4, then three elements, then the fourth (the bad value) up to its separator or a segment end.
_IK404_ANY = re.compile(r"(IK4([^\w\s])(?:(?:(?!\2)[^~!'\r\n])*\2){3})((?:(?!\2)[^~!'\r\n])+)")


def mask_personal_data(text: str) -> str:
    """Mask every SSN (``***-**-6789``, its last four kept) and date (``****-**-**``) however written,
    and the values of fields named like an SSN or a date of birth; UUIDs are left as they are."""
    pieces, start = [], 0
    for uuid in _UUID.finditer(text):
        pieces += [_mask_piece(text[start : uuid.start()]), uuid.group(0)]
        start = uuid.end()
    pieces.append(_mask_piece(text[start:]))
    return "".join(pieces)


def _mask_piece(text: str) -> str:
    for pattern in _DATES:
        text = pattern.sub(DATE_MASK, text)
    text = _SSN.sub(lambda m: "***-**-" + m.group(1), text)
    return _DOB_FIELD.sub(lambda m: m.group(1) + "***", text)


def mask_ssn(value: Any) -> Any:
    """``***-**-1234`` for an SSN (any formatting); ``None`` stays ``None``."""
    if value is None:
        return None
    digits = "".join(_DIGITS.findall(str(value)))
    return f"***-**-{digits[-4:]}" if len(digits) >= 4 else "***-**-****"


def mask_json(value: Any) -> Any:
    """A deep copy of decoded JSON with SSNs and dates of birth masked."""
    if isinstance(value, dict):
        masked: dict[str, Any] = {}
        for key, item in value.items():
            lowered = str(key).lower()
            if lowered in _SSN_KEYS:
                masked[key] = mask_ssn(item) if not isinstance(item, dict | list) else mask_json(item)
            elif lowered in _DOB_KEYS:
                masked[key] = None if item is None else DOB_MASK
            elif lowered in _FREE_TEXT_KEYS and isinstance(item, str):
                masked[key] = mask_personal_data(item)
            else:
                masked[key] = mask_json(item)
        return masked
    if isinstance(value, list):
        return [mask_json(item) for item in value]
    return value


def mask_x12(text: str) -> str:
    """Mask NM109 SSNs, DMG02 dates of birth and IK404 bad values in an X12 interchange, keeping every
    delimiter (read from its ISA, whatever they are)."""
    try:
        delimiters = detect_delimiters(text)
    except X12SyntaxError:
        return mask_text(text)
    element, terminator = delimiters.element, delimiters.segment
    out: list[str] = []
    for raw in text.split(terminator):
        # keep the newline (if any) that follows the previous terminator
        stripped = raw.lstrip("\r\n")
        lead = raw[: len(raw) - len(stripped)]
        parts = stripped.split(element)
        segment_id = parts[0].strip()
        if segment_id == "NM1" and len(parts) > 9 and parts[8] == "34" and parts[9]:
            parts[9] = "*" * 5 + parts[9][-4:] if len(parts[9]) > 4 else "*" * len(parts[9])
        elif segment_id == "DMG" and len(parts) > 2 and parts[1] == "D8" and parts[2]:
            parts[2] = DOB_MASK_X12
        elif segment_id == "IK4" and len(parts) > 4 and parts[4]:
            parts[4] = BAD_VALUE_MASK
        out.append(lead + element.join(parts))
    return terminator.join(out)


def mask_999(text: str) -> str:
    """A 999 acknowledgment as it may be stored: every IK404 masked, whatever the delimiters.

    Without a readable ISA the element separator is the character after ``IK4`` and the value ends at
    the next separator or at a character that usually ends a segment."""
    text = text.lstrip()
    try:
        detect_delimiters(text)
    except X12SyntaxError:
        return mask_text(_IK404_ANY.sub(lambda m: m.group(1) + BAD_VALUE_MASK, text))
    return mask_x12(text)


def mask_text(text: str) -> str:
    """Best effort for a body that is neither readable JSON nor X12: SSN-like numbers and CCYYMMDD dates."""
    return _EIGHT_DIGIT_DATE.sub(DOB_MASK_X12, mask_personal_data(text))


def truncate(text: str, limit: int = MAX_STORED_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n…[truncated {len(text) - limit} characters]"


def masked_body(body: bytes | str | dict | list | None, content_type: str = "") -> str:
    """The text to store for a request or response body: masked, then cut to the stored size."""
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, dict | list):
        return truncate(json.dumps(mask_json(body), ensure_ascii=False, separators=(",", ":")))
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    stripped = text.lstrip()
    if "x12" in content_type or stripped.startswith("ISA"):
        return truncate(mask_x12(stripped))
    if "json" in content_type or stripped[:1] in "{[":
        try:
            decoded = json.loads(text)
        except ValueError:
            return truncate(mask_text(text))
        return truncate(json.dumps(mask_json(decoded), ensure_ascii=False, separators=(",", ":")))
    return truncate(mask_text(text))
