"""Logging filter that masks personal data and self-service tokens before a record reaches any handler."""

from __future__ import annotations

import logging
import re
from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

from groupsales.masking import mask_personal_data

# An employee's link /enroll/<token>/…: the token is their credential (members.self_service).
_SELF_SERVICE_TOKEN = re.compile(r"(/enroll/)[^/?#\s\"'<>]+")
TOKEN_MASK = "********"


def mask_tokens(text: str) -> str:
    """Every self-service token in ``text`` (a path, a URL, a log line) replaced by ``********``."""
    return _SELF_SERVICE_TOKEN.sub(lambda m: m.group(1) + TOKEN_MASK, text)


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
