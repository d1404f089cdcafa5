"""One mechanism for a document two people sign: the Employer Group Application (``enrollment.application``,
GRP-015) and the renewal decision (``renewals.signing``, REN-002) both use it.

The data a document shows is fingerprinted (canonical JSON → SHA-256, ``data_sha256``) and rendered as a
PDF (WeasyPrint) whose SHA-256 is the document's (api.md's ``documentSha256``). The live document is the
one not voided that still shows the data; one that no longer does is *stale* and is voided by the write
paths (``document_void_if_stale``): the reads here write nothing. Signing needs the consent to electronic
records and signatures, a name, the employer's title and the document the signer read; it records who,
when, the IP address, the user agent and the hash of the document shown.

Each side keeps what is its own: the data it signs and how it decides a document still shows it, its PDF
template, its words (its rule ID), who may sign, and what follows a signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise

from .models import DocumentSignature, SignedDocument

D = TypeVar("D", bound=SignedDocument)
S = TypeVar("S", bound=DocumentSignature)
Role = DocumentSignature.Role


def data_sha256(data: Any) -> str:
    """The fingerprint of the data a document shows: SHA-256 of its canonical JSON."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def document_sha256(pdf: bytes) -> str:
    """The SHA-256 of a document (the PDF's bytes): api.md's ``documentSha256``."""
    return hashlib.sha256(pdf).hexdigest()


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pdf_render(template: str, context: dict[str, Any]) -> bytes:
    """The template as a PDF (in the language of the moment), reading only the portal's static files."""
    from catalogue.proposal import _weasyprint, static_only_fetcher, static_root

    html = render_to_string(template, context)
    document = _weasyprint().HTML(
        string=html, base_url=static_root().as_uri() + "/", url_fetcher=static_only_fetcher()
    )
    return document.write_pdf()


def document_pdf(*, document: SignedDocument) -> bytes:
    return base64.b64decode(document.pdf_base64)


# --------------------------------------------------------------------------- the live document


def document_live(documents: models.Manager[D], *, shows: Callable[[D], bool]) -> tuple[D | None, D | None]:
    """(the live document, None) if the document not voided still ``shows`` the data, else (None, the
    stale one or None). Nothing is written: the write paths void the stale one (``document_void``)."""
    document = documents.filter(voided_at__isnull=True).prefetch_related("signatures").first()
    if document is None:
        return None, None
    if shows(document):
        return document, None
    return None, document


def document_void(*, document: SignedDocument, reason: str) -> bool:
    """Void the document (both signatures with it) unless it already is; whether this voided it."""
    voided = (
        type(document)
        ._default_manager.filter(pk=document.pk, voided_at__isnull=True)
        .update(voided_at=timezone.now(), void_reason=reason)
    )
    return bool(voided)


def document_void_if_stale(documents: models.Manager[D], *, shows: Callable[[D], bool], reason: str) -> bool:
    """Void the live document when it no longer ``shows`` the data; whether one was voided."""
    _live, stale = document_live(documents, shows=shows)
    return stale is not None and document_void(document=stale, reason=reason)


def document_make(
    documents: models.Manager[D], *, pdf: bytes, current: Callable[[], D | None], **fields: Any
) -> D | None:
    """A new live document of ``pdf``; when another request made one meanwhile (the one-live constraint),
    theirs (``current``): it shows the same data."""
    try:
        with transaction.atomic():
            return documents.create(
                sha256=document_sha256(pdf), pdf_base64=base64.b64encode(pdf).decode(), **fields
            )
    except IntegrityError:
        return current()


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class SigningState(Generic[D, S]):
    """The live document and its two signatures."""

    document: D | None
    employer: S | None
    agent: S | None

    @property
    def signed(self) -> bool:
        return self.employer is not None and self.agent is not None


def signers(document: Any) -> tuple[Any, Any]:
    """(the employer's signature, the agent's) on a ``SignedDocument`` or None (its ``signatures``,
    prefetched), each None when missing."""
    by_role = {s.role: s for s in document.signatures.all()} if document is not None else {}
    return by_role.get(Role.EMPLOYER), by_role.get(Role.AGENT)


class Signer(TypedDict):
    """Who signs, as they signed (the sign form, ``views_signing.sign_posted``): the document they read
    (``document_sha256``), their role, login, typed name, e-mail, consent, the employer's title and where
    the signature comes from. Each side's sign service takes these as its keyword arguments."""

    document_sha256: str
    role: str
    user: User | None
    signed_by: str
    email: str
    consent: bool
    title: NotRequired[str]
    ip_address: NotRequired[str | None]
    user_agent: NotRequired[str]


@dataclass(frozen=True)
class SignerWords:
    """What a refused signer is told, in the words of the document's rule (GRP-015, REN-002)."""

    consent: str | Promise
    name: str | Promise
    title: str | Promise
    changed: str | Promise
    signed: str | Promise


def signer_check(signer: Signer, *, words: SignerWords) -> None:
    """The signer's consent, a typed name and the employer's title (``ValidationError`` with its code)."""
    if not signer["consent"]:
        raise ValidationError(str(words.consent), code="consent")
    if not signer["signed_by"].strip():
        raise ValidationError(str(words.name), code="name")
    if signer["role"] == Role.EMPLOYER and not signer.get("title", "").strip():
        raise ValidationError(str(words.title), code="title")


def document_sign(
    model: type[S],
    signer: Signer,
    *,
    document: SignedDocument | None,
    words: SignerWords,
    npn: str,
    signed_at: datetime,
    then: Callable[[S], None] | None = None,
) -> S:
    """Record the signature on the live ``document`` if it is still the one the signer read
    (``document_sha256``); ``then`` runs in the same transaction (the side's own consequences)."""
    if document is None or document.sha256 != signer["document_sha256"]:
        raise ValidationError(str(words.changed), code="changed")
    user = signer["user"]
    try:
        with transaction.atomic():
            signature = model._default_manager.create(
                document=document,
                role=signer["role"],
                user=user if user is not None and user.is_authenticated else None,
                signed_by=signer["signed_by"].strip()[:120],
                title=signer.get("title", "").strip()[:60],
                email=signer["email"],
                npn=npn,
                document_sha256=document.sha256,
                consent=True,
                signed_at=signed_at,
                ip_address=signer.get("ip_address") or None,
                user_agent=(signer.get("user_agent") or "")[:300],
            )
            if then is not None:
                then(signature)
            return signature
    except IntegrityError:
        raise ValidationError(str(words.signed), code="signed") from None


def signature_intact(document: SignedDocument, signature: DocumentSignature | None) -> bool:
    """The signature is for this document and the stored PDF is still the one it names."""
    return (
        signature is not None
        and signature.document_sha256 == document.sha256
        and document_sha256(document_pdf(document=document)) == document.sha256
    )


def employer_signature_body(signature: DocumentSignature) -> dict[str, Any]:
    """api.md's ``employerSignature``."""
    return {
        "signedBy": signature.signed_by,
        "title": signature.title,
        "email": signature.email,
        "signedAt": rfc3339(signature.signed_at),
        "method": "ELECTRONIC",
    }


def agent_signature_body(signature: DocumentSignature) -> dict[str, Any]:
    """api.md's ``agentSignature``."""
    return {
        "npn": signature.npn,
        "signedBy": signature.signed_by,
        "email": signature.email,
        "signedAt": rfc3339(signature.signed_at),
        "method": "ELECTRONIC",
    }
