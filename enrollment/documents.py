"""The documents a group needs (issue 22 item 3): a checklist driven by data, uploads, and their review.

``CHECKLIST`` is data: each item has a rule-like ID, its words, a condition (``when``: keys of
``CONDITIONS`` with their values; every key must hold) and whether finalize waits for an *accepted*
document (``before_finalize``). ``document_checklist`` evaluates it for a group; ``document_problems``
gives finalize's readiness its problems (the item's ID, what is missing and how to fix it).

Uploads (``document_upload``): PDF, JPEG or PNG as the file's first bytes say (the name and the browser's
type are not trusted), at most ``ENROLLMENT_DOCUMENT_MAX_BYTES`` (default 5 MB; the request itself is
limited to 6 MB, ``REQUEST_BODY_LIMITS`` and ``deploy/nginx.conf``), stored encrypted at rest the way
the signed application is (base64 in an encrypted field). A new upload for an item replaces the earlier
one (kept, marked replaced). An administrator reviews each document (``document_review``:
accept, reject with a reason, or ask for more with a reason) and the broker and the employer are told
(notice ``DOCUMENT_REVIEWED``). A document is served only through views that check who may see the group.

Upload rules: **DOC-101** the file is a PDF, JPEG or PNG; **DOC-102** not empty, not larger than the
limit; **DOC-103** the item is on the group's checklist; **DOC-104** a rejection or a request for more
says why. Finalize waits for the documents for effective dates from ``ENROLLMENT_DOCUMENTS_REQUIRED_FROM``
(2027-07-01, GRP-015's date); before it a missing document is a warning.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import notices
from .models import EmployerGroup, GroupDocument
from .rules import Problem

D = GroupDocument.Status

# The checklist, as data. ``when`` holds conditions (all must hold); {} is every group.
CHECKLIST: tuple[dict[str, Any], ...] = (
    {
        "code": "DOC-001",
        "title": gettext_noop("Latest quarterly wage and tax report"),
        "detail": gettext_noop(
            "The employer's latest quarterly wage and tax report to the state (or IRS Form 941 with the "
            "payroll "
            "register), listing every employee who enrolls."
        ),
        "when": {"established_months_before_effective_at_least": 3},
        "before_finalize": True,
    },
    {
        "code": "DOC-002",
        "title": gettext_noop("Proof of business"),
        "detail": gettext_noop(
            "For a new company: the articles of incorporation or organization, a business license, or the "
            "IRS letter assigning the FEIN."
        ),
        "when": {"established_months_before_effective_under": 3},
        "before_finalize": True,
    },
    {
        "code": "DOC-003",
        "title": gettext_noop("Proof of the owners' earnings"),
        "detail": gettext_noop(
            "For a sole proprietor or a partnership: the latest Schedule C or Schedule K-1 of each enrolling "
            "owner or partner."
        ),
        "when": {"entity_type_in": ["SOLE_PROPRIETOR", "PARTNERSHIP"]},
        "before_finalize": False,
    },
)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def _age_months(group: EmployerGroup) -> int | None:
    if group.established_date is None or group.requested_effective_date is None:
        return None
    return _months_between(group.established_date, group.requested_effective_date)


# The conditions a checklist item may name: (group, value) -> whether it holds.
CONDITIONS = {
    # Unknown dates: the report is asked for (the usual case), proof of business is not.
    "established_months_before_effective_at_least": lambda g, v: (
        (_age_months(g) is None) or _age_months(g) >= v
    ),
    "established_months_before_effective_under": lambda g, v: (
        (_age_months(g) is not None) and _age_months(g) < v
    ),
    "entity_type_in": lambda g, v: g.entity_type in v,
}


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    title: str
    detail: str
    before_finalize: bool
    document: GroupDocument | None  # the current upload (None: nothing yet)

    @property
    def accepted(self) -> bool:
        return self.document is not None and self.document.status == D.ACCEPTED


def _applies(item: dict[str, Any], group: EmployerGroup) -> bool:
    return all(CONDITIONS[name](group, value) for name, value in item["when"].items())


def current_documents(*, group: EmployerGroup) -> dict[str, GroupDocument]:
    """The latest upload per item (replaced ones left out)."""
    found: dict[str, GroupDocument] = {}
    for document in group.documents.filter(replaced_at__isnull=True).defer("content_base64"):
        found.setdefault(document.requirement, document)
    return found


def document_checklist(*, group: EmployerGroup) -> list[ChecklistItem]:
    current = current_documents(group=group)
    return [
        ChecklistItem(i["code"], _(i["title"]), _(i["detail"]), i["before_finalize"], current.get(i["code"]))
        for i in CHECKLIST
        if _applies(i, group)
    ]


def required_from() -> date:
    """From which effective date finalize waits for the documents (before it: a warning), as GRP-015 does
    for the signed application; ``ENROLLMENT_DOCUMENTS_REQUIRED_FROM`` (ISO date, default 2027-07-01)."""
    return date.fromisoformat(str(getattr(settings, "ENROLLMENT_DOCUMENTS_REQUIRED_FROM", "2027-07-01")))


def document_problems(*, group: EmployerGroup) -> list[Problem]:
    """Finalize waits for an accepted document of each item that says so (a warning for effective dates
    before ``required_from``)."""
    effective = group.requested_effective_date
    severity = "warning" if effective is not None and effective < required_from() else "error"
    problems = []
    for item in document_checklist(group=group):
        if not item.before_finalize or item.accepted:
            continue
        if item.document is None:
            message = _("%(title)s: not uploaded yet.") % {"title": item.title}
            fix = _("Upload it on the group's Documents page (PDF, JPEG or PNG).")
        elif item.document.status == D.PENDING:
            message = _("%(title)s: waiting for review.") % {"title": item.title}
            fix = _("An administrator reviews it; finalize once it is accepted.")
        else:
            message = _("%(title)s: %(status)s (%(reason)s).") % {
                "title": item.title,
                "status": item.document.get_status_display(),
                "reason": item.document.review_reason,
            }
            fix = _("Upload a new file for it on the group's Documents page.")
        problems.append(
            Problem(code=item.code, message=message, fix=fix, step="documents", field=None, severity=severity)
        )
    return problems


# ------------------------------------------------------------------------------------------- uploads

MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def max_bytes() -> int:
    return int(getattr(settings, "ENROLLMENT_DOCUMENT_MAX_BYTES", 5 * 1024 * 1024))


def sniff_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG by its first bytes; None for anything else."""
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return content_type, extension
    return None


def _clean_name(name: str, extension: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in (name or "").rsplit(".", 1)[0]).strip()
    return f"{(stem or 'document')[:100]}.{extension}"


def document_upload(
    *, group: EmployerGroup, requirement: str, filename: str, content: bytes, by: User | None
) -> GroupDocument:
    """Store an upload for a checklist item (replacing the item's earlier one); ValidationError with the
    rule's ID and what to do."""
    codes = {item.code for item in document_checklist(group=group)}
    if requirement not in codes:
        raise ValidationError(
            _("DOC-103: This document is not on the group's checklist. Choose one of the list.")
        )
    if not content:
        raise ValidationError(_("DOC-102: The file is empty. Choose the file again."))
    if len(content) > max_bytes():
        raise ValidationError(
            _("DOC-102: The file is larger than %(mb)s MB. Scan it at a lower resolution or as a PDF.")
            % {"mb": max_bytes() // (1024 * 1024)}
        )
    sniffed = sniff_type(content[:16])
    if sniffed is None:
        raise ValidationError(
            _("DOC-101: The file is not a PDF, JPEG or PNG (whatever its name says). Save it as one of them.")
        )
    content_type, extension = sniffed
    with transaction.atomic():
        GroupDocument.objects.filter(group=group, requirement=requirement, replaced_at__isnull=True).update(
            replaced_at=timezone.now()
        )
        return GroupDocument.objects.create(
            group=group,
            requirement=requirement,
            filename=_clean_name(filename, extension),
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content_base64=base64.b64encode(content).decode(),
            uploaded_by=_person(by),
        )


def _person(user: User | None) -> User | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def document_content(*, document: GroupDocument) -> bytes:
    return base64.b64decode(document.content_base64)


def document_review(*, document: GroupDocument, status: str, reason: str, by: User | None) -> GroupDocument:
    """An administrator's decision: ACCEPTED, REJECTED or MORE_NEEDED (these two with a reason). The broker
    and the employer are told."""
    reason = " ".join((reason or "").split())[:500]
    if status not in (D.ACCEPTED, D.REJECTED, D.MORE_NEEDED):
        raise ValidationError(_("Choose accept, reject or ask for more."))
    if status != D.ACCEPTED and not reason:
        raise ValidationError(_("DOC-104: Say why, so the employer knows what to upload instead."))
    document.status, document.review_reason = status, reason if status != D.ACCEPTED else ""
    document.reviewed_by, document.reviewed_at = _person(by), timezone.now()
    document.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at"])
    # Words in each reader's language: the item's msgid and the status's lazy label, translated when rendered.
    title = next((i["title"] for i in CHECKLIST if i["code"] == document.requirement), document.requirement)
    context = {
        "title": title,
        "status": D(status).label,
        "status_code": status,
        "reason": document.review_reason,
    }
    transaction.on_commit(
        lambda: notices.notice_send_quietly(group=document.group, kind="DOCUMENT_REVIEWED", context=context)
    )
    return document
