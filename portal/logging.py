"""Logging filter that masks personal data before a record reaches any handler."""

from __future__ import annotations

import logging
import re

# SSNs with or without dashes, and ISO or X12 dates of birth in "dob"/"dateOfBirth" fields.
_SSN = re.compile(r"(?<!\d)(\d{3})-?(\d{2})-?(\d{4})(?!\d)")
_DOB_FIELD = re.compile(r'("?(?:dateOfBirth|date_of_birth|dob|ssn)"?\s*[:=]\s*"?)([^",}\s]+)', re.IGNORECASE)


def mask_personal_data(text: str) -> str:
    """Mask anything that looks like an SSN, and the values of SSN and date-of-birth fields."""
    text = _DOB_FIELD.sub(lambda m: m.group(1) + "***", text)
    return _SSN.sub(lambda m: "***-**-" + m.group(3), text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
