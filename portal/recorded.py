"""The sentences the portal records as it works (a group's and a file's timeline, why a group needs
attention, why a file stopped), in the reader's language.

They are stored as written, in English: a record does not change with whoever reads it, and what is
stored stays searchable in the admin and the logs. A page shows them through ``recorded_words`` (the
template filter ``|recorded``), which recognises each sentence by its template below, translates the
template and puts the values back, a status code in words (``ACCEPTED`` → "Accepted" / "Aceptado").
A sentence the list does not know (an exception's text, a carrier's message) is shown as it is.

``tests/portal/test_recorded_words.py`` reads every reason the code writes and requires its template
here, so a new one cannot reach a Spanish page in English unnoticed.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

from .display import code_label

# (template, {value: code list of portal.display.LABELS it is a code of})
RECORDED: list[tuple[str, dict[str, str]]] = [
    # a change request's lifecycle (maintenance.services)
    (gettext_noop("validated by the carrier"), {}),
    (gettext_noop("refused by the carrier"), {}),
    (gettext_noop("corrected"), {}),
    (gettext_noop("sent in a change file"), {}),
    (gettext_noop("the file was rejected as a whole"), {}),
    (gettext_noop("applied"), {}),
    (gettext_noop("rejected in the file"), {}),
    (gettext_noop("held until the renewal of %(date)s is accepted (MNT-011)"), {}),
    (gettext_noop("released: the renewal of %(date)s was accepted"), {}),
    # a group's lifecycle (enrollment.services, .finalize, .tasks, .changes)
    (gettext_noop("Submitted to the carrier"), {}),
    (gettext_noop("Submitted to the carrier (demo data)"), {}),
    (gettext_noop("Creation retried"), {}),
    (gettext_noop("The carrier is unavailable (%(code)s); retrying."), {}),
    (gettext_noop("The carrier is unavailable; retrying."), {}),
    (gettext_noop("The carrier refused the group: %(codes)s"), {}),
    (gettext_noop("The carrier refused the call: %(error)s"), {}),
    (gettext_noop("Created by the carrier as group %(id)s"), {}),
    (gettext_noop("Synced: the carrier says %(status)s"), {"status": "group_status"}),
    (gettext_noop("Finalize requested"), {}),
    (gettext_noop("Finalize requested (demo data)"), {}),
    (gettext_noop("The carrier refused to finalize: %(codes)s"), {}),
    (gettext_noop("Finalize failed: %(error)s"), {}),
    (gettext_noop("Finalized by the carrier: rates fixed"), {}),
    (gettext_noop("Creation stopped on an unexpected error (%(error)s)."), {}),
    (
        gettext_noop(
            "The carrier stayed unavailable after %(n)s attempts (%(code)s). Retry creation from the admin."
        ),
        {},
    ),
    (
        gettext_noop(
            "The carrier stayed unavailable after %(n)s attempts (%(code)s). Finalize again from the admin."
        ),
        {},
    ),
    (
        gettext_noop(
            "The carrier stayed unavailable after %(n)s attempts (%(code)s); send the changes again."
        ),
        {},
    ),
    # an enrollment file's lifecycle (edi.services)
    (gettext_noop("The file could not be written."), {}),
    (gettext_noop("The file could not be built (portal fault)."), {}),
    (gettext_noop("%(n)s problem(s) before upload."), {}),
    (gettext_noop("Precheck passed."), {}),
    (gettext_noop("Uploading."), {}),
    (gettext_noop("The carrier had this file already (FIL-002): file %(id)s."), {}),
    (gettext_noop("Received by the carrier as %(id)s."), {}),
    (gettext_noop("Enrollment file %(id)s uploaded."), {}),
    (gettext_noop("The carrier is processing the file."), {}),
    (gettext_noop("The carrier has not finished the file in time; an admin should look at it."), {}),
    (gettext_noop("The carrier finished the file: %(status)s."), {"status": "file_status"}),
    (gettext_noop("Enrollment file %(id)s ended %(status)s."), {"status": "file_status"}),
    (gettext_noop("An admin asked to poll again."), {}),
    (gettext_noop("The build was interrupted; send again."), {}),
    # a member's validation (members.services.validation, members.completeness)
    (gettext_noop("Edited: to be validated again."), {}),
    (gettext_noop("Claimed by a validation run."), {}),
    (gettext_noop("Validation asked for again."), {}),
    (gettext_noop("Its employee is valid now: sent again."), {}),
    (gettext_noop("Its validation run stopped; sent again under the same key."), {}),
    # a renewal's lifecycle (renewals.services)
    (gettext_noop("The carrier's renewal is %(status)s."), {}),
    (gettext_noop("Renewal open enrollment opened."), {}),
    (gettext_noop("The employer's decision %(decision)s was signed."), {"decision": "renewal_decision"}),
    (
        gettext_noop("The decision %(decision)s was prepared for the employer's signature."),
        {"decision": "renewal_decision"},
    ),
    (gettext_noop("The decision changed after it was signed: the signatures are void."), {}),
    (gettext_noop("The writing agent signed the renewal decision."), {}),
    (
        gettext_noop("The signed decision %(decision)s was sent to the carrier."),
        {"decision": "renewal_decision"},
    ),
    (gettext_noop("The carrier accepted the decision."), {}),
    (gettext_noop("The carrier refused the decision: %(codes)s"), {}),
    (gettext_noop("The plan year %(start)s began."), {}),
    (gettext_noop("Renewal file %(reference)s sent."), {}),
    (gettext_noop("Renewal file %(reference)s ended %(status)s."), {"status": "file_status"}),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> list[tuple[re.Pattern, str, dict[str, str]]]:
    out = []
    for template, kinds in RECORDED:
        parts = PLACEHOLDER.split(template)  # text, name, text, name, …, text
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        out.append((re.compile(f"^{regex}$", re.S), template, kinds))
    return out


def recorded_template(text: str) -> tuple[str, dict[str, str]] | None:
    """The template ``text`` was written from and its values; None for a sentence not in the list."""
    for pattern, template, kinds in _patterns():
        match = pattern.match(text.strip())
        if match:
            values = {
                name: code_label(value, kinds[name]) if name in kinds else value
                for name, value in match.groupdict().items()
            }
            return template, values
    return None


def recorded_words(text: str | None) -> str:
    """``text`` in the active language when the portal wrote it from a template here; else as it is."""
    if not text:
        return ""
    found = recorded_template(str(text))
    if found is None:
        return str(text)
    template, values = found
    return gettext(template) % values if values else gettext(template)
