"""Logging filter that masks personal data and self-service tokens before a record reaches any handler."""

from __future__ import annotations

import logging
import re
from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

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


# An employee's link /enroll/<token>/…: the token is their credential (members.self_service).
_SELF_SERVICE_TOKEN = re.compile(r"(/enroll/)[^/?#\s\"'<>]+")
TOKEN_MASK = "********"


def mask_tokens(text: str) -> str:
    """Every self-service token in ``text`` (a path, a URL, a log line) replaced by ``********``."""
    return _SELF_SERVICE_TOKEN.sub(lambda m: m.group(1) + TOKEN_MASK, text)


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


class MaskPersonalDataFilter(logging.Filter):
    """SSNs, dates of birth and self-service tokens out of every record (the console handler's filter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(mask_personal_data(message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


_PII_FIELD = re.compile(r"ssn|date_of_birth|dateofbirth|dob|signed_name", re.IGNORECASE)


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports (admin e-mails, the debug page) without SSNs or dates of birth.

    Django hides secrets by setting name only; here POSTed fields named like personal data are
    replaced, and every local variable of the traceback is shown through :func:`mask_personal_data`
    (a request body or a member's carrier payload often sits in a frame).
    """

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        params = params.copy()
        for key in list(params):
            if _PII_FIELD.search(key):
                params[key] = self.cleansed_substitute
        return params

    def get_traceback_frame_variables(self, request, tb_frame):
        masked = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if _PII_FIELD.search(name):
                value = self.cleansed_substitute
            elif value != self.cleansed_substitute:
                value = mask_personal_data(pformat(value))
            masked.append((name, value))
        return masked
