"""The signed Employer Group Application (api.md 1.1 ``employerGroupApplication``, GRP-015).

The application is the group's *application data* — every create field but the census, the small
employer attestation and the application itself (api.md) — rendered as a PDF that both signers see.
Its SHA-256 is the ``documentSha256`` the carrier receives. Any change of that data voids the document
and both signatures with it (``application_void_if_changed``, called by every service that edits the
group and before a document is made or signed; a read treats a stale document as voided and writes
nothing), and the next reader gets a new document. The mechanism is ``enrollment.signed_documents``.

Signing needs the consent to electronic records and signatures; it records who, when, the IP address,
the user agent and the hash of the document that was shown. Once both have signed, the group's create
body (and so a created group's PATCH) carries the application.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Unpack

from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from . import signed_documents as signed
from .models import ApplicationDocument, ApplicationSignature, EmployerGroup

Role = ApplicationSignature.Role
CONSENT_VERSION = "2026-12"
VOID_REASON = gettext_noop("The application data changed after it was signed.")
WORDS = signed.SignerWords(
    consent=gettext_lazy("GRP-015: Agree to sign and receive the application electronically to sign it."),
    name=gettext_lazy("GRP-015: Type your full name to sign."),
    title=gettext_lazy("GRP-015: Give your title at the employer (e.g. Owner, HR manager)."),
    changed=gettext_lazy(
        "GRP-015: The application changed since you opened it. Read the current one, then sign it."
    ),
    signed=gettext_lazy("GRP-015: This application is already signed for that role."),
)


def iso_date(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return signed.rfc3339(value)
    return value.isoformat()


def _or_none(value: str) -> str | None:
    return value or None


def application_fields(group: EmployerGroup) -> dict[str, Any]:
    """api.md's create-group body without census and application: what the employer signs (and the
    attestation, which ``application_data`` leaves out)."""
    offerings = []
    for o in group.offerings:
        if not isinstance(o, dict):
            continue
        offering = {"line": o.get("line"), "planIds": list(o.get("planIds") or [])}
        if o.get("line") == "MEDICAL":
            offering["ratingOption"] = o.get("ratingOption") or "AGE"
        offering["contribution"] = dict(o.get("contribution") or {})
        offerings.append(offering)
    attestation = None
    if group.attestation_signed_by or group.attestation_title:
        attestation = {
            "signedBy": group.attestation_signed_by,
            "title": group.attestation_title,
            "signedAt": iso_date(group.attestation_signed_at),
        }
    return {
        "employer": {
            "legalName": group.legal_name,
            "dbaName": _or_none(group.dba_name),
            "fein": group.fein,
            "sicCode": group.sic_code,
            "entityType": group.entity_type or None,
            "establishedDate": iso_date(group.established_date),
            "address": {
                "line1": group.address_line1,
                "line2": _or_none(group.address_line2),
                "city": group.city,
                "state": group.state,
                "zip5": group.zip5,
                "zip4": _or_none(group.zip4),
                "countyFips": group.county_fips,
            },
            "phone": group.phone,
        },
        "contact": {
            "firstName": group.contact_first_name,
            "lastName": group.contact_last_name,
            "email": group.contact_email,
            "phone": group.contact_phone,
        },
        "writingAgent": {
            "npn": group.agent_npn,
            "firstName": group.agent_first_name,
            "lastName": group.agent_last_name,
            "email": group.agent_email,
        },
        "requestedEffectiveDate": iso_date(group.requested_effective_date),
        "workforce": {"totalEmployees": group.total_employees, "eligibleEmployees": group.eligible_employees},
        "eligibility": {
            "minimumHoursPerWeek": group.minimum_hours_per_week,
            "waitingPeriod": group.waiting_period or None,
        },
        "offerings": offerings,
        "smallEmployerAttestation": attestation,
    }


def application_data(*, group: EmployerGroup, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """api.md's application data of the group (the create body without census, attestation, application);
    ``body``: the group's application body when the caller has just built it."""
    data = dict(body if body is not None else application_fields(group))
    for key in ("smallEmployerAttestation", "employerGroupApplication", "census"):
        data.pop(key, None)
    return data


def application_data_sha256(*, group: EmployerGroup, body: dict[str, Any] | None = None) -> str:
    return signed.data_sha256(application_data(group=group, body=body))


def _shows(group: EmployerGroup, body: dict[str, Any] | None = None) -> Callable[[ApplicationDocument], bool]:
    """Whether a document still shows the group's application data."""
    data_sha256 = application_data_sha256(group=group, body=body)
    return lambda document: document.data_sha256 == data_sha256


def _live(group: EmployerGroup, body: dict[str, Any] | None = None) -> ApplicationDocument | None:
    """The live document if it still shows the group's data (a stale one is None; nothing is written)."""
    return signed.document_live(group.application_documents, shows=_shows(group, body))[0]


def application_void_if_changed(*, group: EmployerGroup) -> bool:
    """Void the live document (and both signatures) when the group's application data is no longer the
    data it shows. Returns whether one was voided."""
    return signed.document_void_if_stale(group.application_documents, shows=_shows(group), reason=VOID_REASON)


def _render_pdf(group: EmployerGroup) -> bytes:
    from catalogue.plan_names import plan_names_all

    names = plan_names_all()
    offerings = [
        {**o, "plans": [(plan_id, names.get(plan_id, plan_id)) for plan_id in o.get("planIds") or []]}
        for o in application_data(group=group)["offerings"]
    ]
    return signed.pdf_render(
        "enrollment/application_pdf.html",
        {"group": group, "offerings": offerings, "consent_version": CONSENT_VERSION},
    )


def application_document_current(*, group: EmployerGroup) -> ApplicationDocument:
    """The document both signers see: the live one (a stale one voided first), or a new one of the group's
    data as it is now."""
    application_void_if_changed(group=group)
    document = _live(group)
    if document is not None:
        return document
    document = signed.document_make(
        group.application_documents,
        pdf=_render_pdf(group),
        current=lambda: _live(group),
        data_sha256=application_data_sha256(group=group),
    )
    assert document is not None
    return document


application_pdf = signed.document_pdf


class ApplicationState(signed.SigningState[ApplicationDocument, ApplicationSignature]):
    pass


def application_state(*, group: EmployerGroup, body: dict[str, Any] | None = None) -> ApplicationState:
    """The live document and its signatures (none for a stale document); nothing is made or written."""
    document = _live(group, body)
    return ApplicationState(document, *signed.signers(document))


def application_sign(*, group: EmployerGroup, **signer: Unpack[signed.Signer]) -> ApplicationSignature:
    """Sign the live document, if it is still the one the signer read (``document_sha256``)."""
    signed.signer_check(signer, words=WORDS)
    application_void_if_changed(group=group)
    return signed.document_sign(
        ApplicationSignature,
        signer,
        document=application_state(group=group).document,
        words=WORDS,
        npn=group.agent_npn if signer["role"] == Role.AGENT else "",
        signed_at=timezone.now(),
    )


def application_body(*, group: EmployerGroup, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """api.md's ``employerGroupApplication`` once both have signed the live document, else None
    (``body``: the group's application body, when the caller has it)."""
    state = application_state(group=group, body=body)
    if not state.signed or state.document is None:
        return None
    employer, agent = state.employer, state.agent
    assert employer is not None and agent is not None
    return {
        "documentSha256": state.document.sha256,
        "employerSignature": signed.employer_signature_body(employer),
        "agentSignature": signed.agent_signature_body(agent),
    }
