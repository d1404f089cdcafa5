"""The signed Employer Group Application (api.md 1.1 ``employerGroupApplication``, GRP-015).

The application is the group's *application data* — every create field but the census, the small
employer attestation and the application itself (api.md) — rendered as a PDF that both signers see.
Its SHA-256 is the ``documentSha256`` the carrier receives. Any change of that data voids the document
and both signatures with it (``application_void_if_changed``, called by every service that edits the
group, and checked again whenever the application is read), and the next reader gets a new document.

Signing needs the consent to electronic records and signatures; it records who, when, the IP address,
the user agent and the hash of the document that was shown. Once both have signed, the group's create
body (and so a created group's PATCH) carries the application.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import ApplicationDocument, ApplicationSignature, EmployerGroup

Role = ApplicationSignature.Role
CONSENT_VERSION = "2026-12"
VOID_REASON = gettext_noop("The application data changed after it was signed.")


def iso_date(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
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
    data = application_data(group=group, body=body)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _live_or_voided(
    group: EmployerGroup, body: dict[str, Any] | None = None
) -> tuple[ApplicationDocument | None, bool]:
    """The live document if it still shows the group's data, and whether one that did not was voided now
    (both signatures with it)."""
    document = (
        group.application_documents.filter(voided_at__isnull=True).prefetch_related("signatures").first()
    )
    if document is None or document.data_sha256 == application_data_sha256(group=group, body=body):
        return document, False
    voided = ApplicationDocument.objects.filter(pk=document.pk, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason=VOID_REASON
    )
    return None, bool(voided)


def _live(group: EmployerGroup, body: dict[str, Any] | None = None) -> ApplicationDocument | None:
    return _live_or_voided(group, body)[0]


def application_void_if_changed(*, group: EmployerGroup) -> bool:
    """Void the live document (and both signatures) when the group's application data is no longer the
    data it shows. Returns whether one was voided."""
    return _live_or_voided(group)[1]


def _render_pdf(group: EmployerGroup) -> bytes:
    from catalogue.plan_names import plan_names_all
    from catalogue.proposal import _weasyprint, static_only_fetcher, static_root

    names = plan_names_all()
    offerings = [
        {**o, "plans": [(plan_id, names.get(plan_id, plan_id)) for plan_id in o.get("planIds") or []]}
        for o in application_data(group=group)["offerings"]
    ]
    html = render_to_string(
        "enrollment/application_pdf.html",
        {"group": group, "offerings": offerings, "consent_version": CONSENT_VERSION},
    )
    document = _weasyprint().HTML(
        string=html, base_url=static_root().as_uri() + "/", url_fetcher=static_only_fetcher()
    )
    return document.write_pdf()


def application_document_current(*, group: EmployerGroup) -> ApplicationDocument:
    """The document both signers see: the live one, or a new one of the group's data as it is now."""
    document = _live(group)
    if document is not None:
        return document
    pdf = _render_pdf(group)
    try:
        with transaction.atomic():
            return ApplicationDocument.objects.create(
                group=group,
                data_sha256=application_data_sha256(group=group),
                sha256=hashlib.sha256(pdf).hexdigest(),
                pdf_base64=base64.b64encode(pdf).decode(),
            )
    except IntegrityError:  # another request made it meanwhile: the same data, keep theirs
        document = _live(group)
        assert document is not None
        return document


def application_pdf(*, document: ApplicationDocument) -> bytes:
    return base64.b64decode(document.pdf_base64)


@dataclass(frozen=True)
class ApplicationState:
    document: ApplicationDocument | None
    employer: ApplicationSignature | None
    agent: ApplicationSignature | None

    @property
    def signed(self) -> bool:
        return self.employer is not None and self.agent is not None


def application_state(*, group: EmployerGroup, body: dict[str, Any] | None = None) -> ApplicationState:
    """The live document and its signatures (voiding it first if the data changed); nothing is made."""
    document = _live(group, body)
    by_role = {s.role: s for s in document.signatures.all()} if document else {}
    return ApplicationState(document, by_role.get(Role.EMPLOYER), by_role.get(Role.AGENT))


def application_sign(
    *,
    group: EmployerGroup,
    document_sha256: str,
    role: str,
    user: User | None,
    signed_by: str,
    email: str,
    consent: bool,
    title: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> ApplicationSignature:
    """Sign the live document, if it is still the one the signer read (``document_sha256``)."""
    if not consent:
        raise ValidationError(
            _("GRP-015: Agree to sign and receive the application electronically to sign it."), code="consent"
        )
    if not signed_by.strip():
        raise ValidationError(_("GRP-015: Type your full name to sign."), code="name")
    if role == Role.EMPLOYER and not title.strip():
        raise ValidationError(
            _("GRP-015: Give your title at the employer (e.g. Owner, HR manager)."), code="title"
        )
    state = application_state(group=group)
    if state.document is None or state.document.sha256 != document_sha256:
        raise ValidationError(
            _("GRP-015: The application changed since you opened it. Read the current one, then sign it."),
            code="changed",
        )
    npn = group.agent_npn if role == Role.AGENT else ""
    try:
        with transaction.atomic():
            return ApplicationSignature.objects.create(
                document=state.document,
                role=role,
                user=user if user is not None and user.is_authenticated else None,
                signed_by=signed_by.strip()[:120],
                title=title.strip()[:60],
                email=email,
                npn=npn,
                document_sha256=state.document.sha256,
                consent=True,
                signed_at=timezone.now(),
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:300],
            )
    except IntegrityError:
        raise ValidationError(
            _("GRP-015: This application is already signed for that role."), code="signed"
        ) from None


def _rfc3339(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        "employerSignature": {
            "signedBy": employer.signed_by,
            "title": employer.title,
            "email": employer.email,
            "signedAt": _rfc3339(employer.signed_at),
            "method": "ELECTRONIC",
        },
        "agentSignature": {
            "npn": agent.npn,
            "signedBy": agent.signed_by,
            "email": agent.email,
            "signedAt": _rfc3339(agent.signed_at),
            "method": "ELECTRONIC",
        },
    }
