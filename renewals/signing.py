"""The employer signs the renewal decision from their own login (api.md *Renewal*, REN-002), as they sign
the Employer Group Application (``enrollment.application``, GRP-015).

The broker prepares the decision (``renewal_decision_prepare``: renew as offered, with changes, or not);
it is kept as the renewal's ``decision_draft`` and rendered as a PDF (WeasyPrint, as the application) that
the employer reads on their page and signs: the consent to electronic records and signatures, their
name, title and e-mail, the moment, the IP address, the user agent and the document's SHA-256. The
writing agent signs the same document, as on the application. The document's SHA-256 is api.md's
``documentSha256``; ``employerSignature`` is built from the employer's stored signature.

Any change of the decision voids the document and both signatures (its ``data_sha256`` no longer
matches the draft, or the stored PDF is no longer the one the employer signed):
``renewal_decision_void_if_changed``, called by the write paths (prepare, sign, submit) and by the pages
before they read; the reads (``decision_state``, ``decision_problems``) count such a document as voided
and write nothing. The submission is refused with REN-002 beside the employer's signature until they sign
the new document. Only a decision both have signed goes to the carrier, through
``services.renewal_decision_record`` (the task with its stored key). The mechanism (fingerprints, the PDF,
the live document, the signature) is ``enrollment.signed_documents``, shared with the application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Unpack
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from carrier.rules import carrier_today
from enrollment import notices
from enrollment import signed_documents as signed
from enrollment.rules import Problem  # the portal's one "rule broken, where, and the fix"
from enrollment.signed_documents import rfc3339 as rfc3339  # api.md's signedAt, for the callers
from groupsales.rules import check_decision
from portal.display import contribution_words, plan_label
from portal.words import code_label

from . import states
from .models import DecisionDocument, DecisionSignature, Renewal
from .selectors import Figures, renewal_figures

log = logging.getLogger(__name__)
Role = DecisionSignature.Role
CONSENT_VERSION = "2026-12"
VOID_REASON = gettext_noop("The decision changed after it was signed.")
NEW_YORK = ZoneInfo("America/New_York")
KIND_WORDS = {
    "RENEW_AS_OFFERED": gettext_lazy("Renew as offered"),
    "RENEW_WITH_CHANGES": gettext_lazy("Renew with changes"),
    "DO_NOT_RENEW": gettext_lazy("Do not renew"),
}
WORDS = signed.SignerWords(
    consent=gettext_lazy("REN-002: Agree to sign and receive the decision electronically to sign it."),
    name=gettext_lazy("REN-002: Type your full name to sign."),
    title=gettext_lazy("REN-002: Give your title at the employer (e.g. Owner, HR manager)."),
    changed=gettext_lazy(
        "REN-002: The decision changed since you opened it. Read the current one, then sign it."
    ),
    signed=gettext_lazy("REN-002: This decision is already signed for that role."),
)


def decision_data_sha256(decision: dict[str, Any]) -> str:
    """The fingerprint of a decision as prepared (api.md's body without the signature and the hash):
    a document showing another fingerprint is void."""
    data = {k: v for k, v in decision.items() if k not in ("employerSignature", "documentSha256")}
    return signed.data_sha256(data)


# The SHA-256 of the decision document the employer signs (the PDF's bytes): api.md's ``documentSha256``.
decision_document_sha256 = signed.document_sha256


def signing_moment() -> datetime:
    """Now, to the second; on a sandbox clock (``SANDBOX_TODAY``) noon in New York of the carrier's day,
    so that the signature is as recent as the carrier's "today" says (REN-002)."""
    moment = timezone.now().replace(microsecond=0)
    today = carrier_today()
    if moment.astimezone(NEW_YORK).date() != today:
        moment = datetime.combine(today, time(12), NEW_YORK)
    return moment.astimezone(UTC)


# --------------------------------------------------------------------------- what the decision says


@dataclass(frozen=True)
class DecisionLine:
    line: str
    renewed: bool
    plans_now: list[str]
    plans_from_renewal: list[str]
    contribution_offered: str
    contribution_decided: str


@dataclass(frozen=True)
class DecisionView:
    """A decision in words, for its PDF and the employer's page (in the language of the moment)."""

    kind: str
    kind_words: str
    renewal_date: str
    lines: list[DecisionLine]
    changes: list[str]
    figures: Figures | None = None
    mappings: list[str] = field(default_factory=list)


def _contribution(value: Any) -> str:
    return str(contribution_words(value)) if value else "—"


def _line_changes(
    line: dict[str, Any], kind: str, decided: dict[str, Any], end: str
) -> tuple[DecisionLine, list[str], list[str]]:
    """One line of the offer under the decision: the line in words, what it changes, its plan mappings."""
    code = line["line"]
    name = code_label(code, "line")
    offered_plans = sorted({p["renewalPlanId"] for p in line["plans"] if p["renewalPlanId"]})
    offered = line.get("contribution") or {}
    renewed = kind == "RENEW_AS_OFFERED" or (kind == "RENEW_WITH_CHANGES" and code in decided)
    plans, contribution = offered_plans, offered
    changes, mappings = [], []
    if kind == "RENEW_WITH_CHANGES" and code in decided:
        plans, contribution = list(decided[code].get("planIds") or []), decided[code].get("contribution")
        if sorted(plans) != offered_plans:
            changes.append(
                _("%(line)s: the plans from the renewal date are %(plans)s.")
                % {"line": name, "plans": ", ".join(plan_label(p) for p in plans) or "—"}
            )
        if contribution != offered:
            changes.append(
                _("%(line)s: the employer's contribution changes from %(before)s to %(after)s.")
                % {"line": name, "before": _contribution(offered), "after": _contribution(contribution)}
            )
        for mapping in decided[code].get("planMappings") or []:
            mappings.append(
                _("Members of %(from)s move to %(to)s.")
                % {"from": plan_label(mapping["fromPlanId"]), "to": plan_label(mapping["toPlanId"])}
            )
    if not renewed and kind == "RENEW_WITH_CHANGES":
        changes.append(
            _("%(line)s is not renewed: its coverage ends on %(day)s.") % {"line": name, "day": end}
        )
    if renewed:
        mapped = {m["fromPlanId"] for m in decided.get(code, {}).get("planMappings") or []}
        for plan in line["plans"]:
            if plan["renewalPlanId"] is None and plan["members"] and plan["currentPlanId"] not in mapped:
                changes.append(
                    _("%(plan)s has no renewal plan: its members lose %(line)s on %(day)s.")
                    % {"plan": plan_label(plan["currentPlanId"]), "line": name, "day": end}
                )
    shown = DecisionLine(
        code,
        renewed,
        [plan_label(p["currentPlanId"]) for p in line["plans"]],
        [plan_label(p) for p in plans] if renewed else [],
        _contribution(offered),
        _contribution(contribution) if renewed else "—",
    )
    return shown, changes, mappings


def decision_view(*, renewal: Renewal, decision: dict[str, Any]) -> DecisionView:
    """The decision's plans (current → from the renewal date), contributions and what it changes."""
    kind = str(decision.get("decision") or "")
    end = (renewal.renewal_date - timedelta(days=1)).isoformat()
    offer_lines = ((renewal.carrier_renewal or {}).get("offer") or {}).get("lines") or []
    decided = {o["line"]: o for o in decision.get("offerings") or []}
    lines: list[DecisionLine] = []
    changes: list[str] = []
    mappings: list[str] = []
    for line in offer_lines:
        shown, line_changes, line_mappings = _line_changes(line, kind, decided, end)
        lines.append(shown)
        changes += line_changes
        mappings += line_mappings
    if kind == "DO_NOT_RENEW":
        changes.append(_("The group does not renew: every member's coverage ends on %(day)s.") % {"day": end})
    elif kind == "RENEW_AS_OFFERED" and not changes:
        changes.append(_("Every plan renews as offered, at the offer's contributions."))
    return DecisionView(
        kind,
        str(KIND_WORDS.get(kind, kind)),
        renewal.renewal_date.isoformat(),
        lines,
        changes + mappings,
        renewal_figures(renewal=renewal),
        mappings,
    )


# --------------------------------------------------------------------------- the document


def _signer_language(renewal: Renewal) -> str:
    contact = renewal.group.employer_contacts.order_by("pk").first()  # the employers app's contacts
    return contact.language if contact is not None else (translation.get_language() or "en")[:2]


def _render_pdf(renewal: Renewal, decision: dict[str, Any]) -> bytes:
    with translation.override(_signer_language(renewal)):
        view = decision_view(renewal=renewal, decision=decision)
        return signed.pdf_render(
            "renewals/decision_pdf.html",
            {"group": renewal.group, "renewal": renewal, "view": view, "consent_version": CONSENT_VERSION},
        )


def _live_or_stale(renewal: Renewal) -> tuple[DecisionDocument | None, DecisionDocument | None]:
    """(the live document, None) if it still shows the renewal's draft (as stored now), else (None, the
    stale one or None). Nothing is written."""
    draft = Renewal.objects.filter(pk=renewal.pk).values_list("decision_draft", flat=True).first()
    draft_sha256 = decision_data_sha256(draft) if draft else None

    def shows(document: DecisionDocument) -> bool:
        return draft_sha256 is not None and (
            document.data_sha256 == draft_sha256 == decision_data_sha256(document.decision)
        )

    return signed.document_live(renewal.decision_documents, shows=shows)


def renewal_decision_void_if_changed(*, renewal: Renewal) -> bool:
    """Void the live document (both signatures with it) when it no longer shows the renewal's draft, or when
    the stored PDF is no longer the one the employer signed. Returns whether one was voided."""
    live, stale = _live_or_stale(renewal)
    if stale is not None:
        return signed.document_void(document=stale, reason=VOID_REASON)
    employer = signed.signers(live)[0]
    if live is not None and employer is not None and not signed.signature_intact(live, employer):
        return signed.document_void(document=live, reason=VOID_REASON)
    return False


def decision_document_current(*, renewal: Renewal) -> DecisionDocument | None:
    """The document the signers see: the live one (a changed one voided first), or a new one of the draft
    as it is now (None: nothing is prepared)."""
    renewal_decision_void_if_changed(renewal=renewal)
    document, _stale = _live_or_stale(renewal)
    if document is not None:
        return document
    renewal.refresh_from_db(fields=["decision_draft"])
    draft = renewal.decision_draft
    if not draft:
        return None
    return signed.document_make(
        renewal.decision_documents,
        pdf=_render_pdf(renewal, draft),
        current=lambda: _live_or_stale(renewal)[0],
        decision=draft,
        data_sha256=decision_data_sha256(draft),
    )


decision_pdf = signed.document_pdf


@dataclass(frozen=True)
class DecisionState(signed.SigningState[DecisionDocument, DecisionSignature]):
    """The live document and its signatures; ``voided``: the latest voided document an employer signed
    (so that the pages can say the decision changed after they signed)."""

    voided: DecisionDocument | None

    @property
    def voided_employer(self) -> DecisionSignature | None:
        if self.voided is None:
            return None
        return next((s for s in self.voided.signatures.all() if s.role == Role.EMPLOYER), None)


def decision_state(*, renewal: Renewal) -> DecisionState:
    """The decision's document and signatures; a document that no longer shows the draft counts as voided
    (``renewal_decision_void_if_changed`` voids it). Nothing is made or written."""
    document, stale = _live_or_stale(renewal)
    if stale is not None and signed.signers(stale)[0] is not None:
        voided: DecisionDocument | None = stale  # the latest one the employer signed
    else:
        voided = (
            renewal.decision_documents.filter(voided_at__isnull=False, signatures__role=Role.EMPLOYER)
            .prefetch_related("signatures")
            .first()
        )
    if voided is not None and document is not None and voided.created_at > document.created_at:
        voided = None
    return DecisionState(document, *signed.signers(document), voided)


# --------------------------------------------------------------------------- prepare, sign, submit


def renewal_decision_prepare(
    *, renewal: Renewal, decision: dict[str, Any], by: User | None
) -> DecisionDocument:
    """The broker's decision, for the employer to sign: stored as the draft; a draft that differs from the
    signed one voids the document and both signatures. The employer is e-mailed the new document."""
    decision = {k: v for k, v in decision.items() if k not in ("employerSignature", "documentSha256")}
    with transaction.atomic():
        Renewal.objects.filter(pk=renewal.pk).update(decision_draft=decision, decision_problems=[])
        renewal.refresh_from_db()
        live = renewal.decision_documents.filter(voided_at__isnull=True).first()
        was_signed = live is not None and live.signatures.exists()
        voided = renewal_decision_void_if_changed(renewal=renewal)
        before, _stale = _live_or_stale(renewal)
        if voided and was_signed:
            states.renewal_note(
                renewal=renewal, reason="The decision changed after it was signed: the signatures are void."
            )
        document = decision_document_current(renewal=renewal)
        assert document is not None
        if before is None:  # a new document: the employer is asked to sign it
            states.renewal_note(
                renewal=renewal,
                reason=f"The decision {decision.get('decision')} was prepared for the employer's signature.",
            )
        transaction.on_commit(lambda: _ask_to_sign(renewal, document))
    log.info("renewal %s decision prepared by %s (document %s)", renewal.pk, by, document.sha256[:12])
    return document


def _context(renewal: Renewal, decision: dict[str, Any]) -> dict[str, Any]:
    return {
        "renewal_date": renewal.renewal_date,
        "deadline": renewal.decision_deadline,
        "decision": str(decision.get("decision") or ""),
    }


def _site(name: str, pk: int) -> str:
    return str(getattr(settings, "SITE_URL", "")).rstrip("/") + reverse(name, args=[pk])


def _ask_to_sign(renewal: Renewal, document: DecisionDocument) -> None:
    notices.notice_send_quietly(
        group=renewal.group,
        kind="RENEWAL_SIGNATURE_REQUESTED",
        context={**_context(renewal, document.decision), "url": _site("employers:renewal", renewal.group_id)},
        key=f"decision-sign:{document.pk}",
    )


def _check_signer(renewal: Renewal, signer: signed.Signer) -> None:
    """REN-002's signer: consent, a name, the employer's title; only the writing agent signs as the agent."""
    signed.signer_check(signer, words=WORDS)
    npn = getattr(getattr(signer["user"], "broker", None), "npn", None)
    if signer["role"] == Role.AGENT and npn != renewal.group.agent_npn:
        raise ValidationError(_("Only the group's writing agent can sign as the agent."), code="agent")


def _signed(renewal: Renewal, signature: DecisionSignature) -> None:
    """On the renewal's timeline; the broker is told once the employer has signed."""
    if signature.role != Role.EMPLOYER:
        states.renewal_note(renewal=renewal, reason="The writing agent signed the renewal decision.")
        return
    shown = signature.document.decision
    states.renewal_note(
        renewal=renewal, reason=f"The employer's decision {shown.get('decision')} was signed."
    )
    group = renewal.group
    transaction.on_commit(
        lambda: notices.notice_send_quietly(
            group=group,
            kind="RENEWAL_DECISION_SIGNED",
            context={
                **_context(renewal, shown),
                "signed_by": signature.signed_by,
                "url": _site("renewals:detail", group.pk),
            },
            key=f"decision-signed:{signature.pk}",
        )
    )


def renewal_decision_sign(*, renewal: Renewal, **signer: Unpack[signed.Signer]) -> DecisionSignature:
    """Sign the live decision document, if it is still the one the signer read (``document_sha256``)."""
    _check_signer(renewal, signer)
    renewal_decision_void_if_changed(renewal=renewal)
    return signed.document_sign(
        DecisionSignature,
        signer,
        document=decision_state(renewal=renewal).document,
        words=WORDS,
        npn=renewal.group.agent_npn if signer["role"] == Role.AGENT else "",
        signed_at=signing_moment(),
        then=lambda signature: _signed(renewal, signature),
    )


def decision_body(*, state: DecisionState) -> dict[str, Any] | None:
    """api.md's decision body from the live document and the employer's signature (None before both)."""
    if state.document is None or state.employer is None:
        return None
    return {
        **state.document.decision,
        "documentSha256": state.document.sha256,
        "employerSignature": signed.employer_signature_body(state.employer),
    }


def _problem(code: str, field_name: str, message: str, fix: str) -> Problem:
    """A problem of the decision page: ``field_name`` is where it shows (employer, agent, decision)."""
    return Problem(code=code, message=message, fix=fix, step="decision", field=field_name)


def _fix_ask_to_sign(who: str) -> str:
    return _("Ask %(name)s to sign the current decision on their page; it was e-mailed to them.") % {
        "name": who
    }


def _signature_problems(state: DecisionState, has_employer: bool, who: str) -> list[Problem]:
    """Who has still to sign (or sign again: a signature of a changed decision is void)."""
    problems = []
    if not has_employer:
        problems.append(
            _problem(
                "REN-002",
                "employer",
                _("The employer has no login to sign the decision with."),
                _("Invite the employer (Employer access); they then sign the decision from their own page."),
            )
        )
    elif state.employer is None:
        message = (
            _("The decision changed after %(name)s signed it: their signature is void.") % {"name": who}
            if state.voided_employer is not None
            else _("%(name)s has not signed this decision yet.") % {"name": who}
        )
        problems.append(_problem("REN-002", "employer", message, _fix_ask_to_sign(who)))
    if state.agent is None:
        problems.append(
            _problem(
                "",
                "agent",
                _("The writing agent has not signed this decision."),
                _("The writing agent signs it on this page."),
            )
        )
    return problems


def renewal_decision_problems(*, renewal: Renewal) -> list[Problem]:
    """Why the prepared decision cannot be submitted yet (nothing: it can), once a document that changed is
    voided (``renewal_decision_void_if_changed``: the write paths' check; the read alone is
    ``decision_problems``)."""
    if renewal.decision_draft:
        renewal_decision_void_if_changed(renewal=renewal)
    return decision_problems(renewal=renewal)


def decision_problems(*, renewal: Renewal) -> list[Problem]:
    """Why the prepared decision cannot be submitted yet (nothing: it can); a document whose stored PDF is
    not the one the employer signed counts as voided. Nothing is written."""
    from .forms import portal_facts

    if not renewal.decision_draft:
        return [
            _problem(
                "", "decision", _("No decision is prepared."), _("Prepare the employer's decision first.")
            )
        ]
    state = decision_state(renewal=renewal)
    employer = renewal.group.employer_contacts.select_related("user").order_by("pk").first()
    who = (employer.user.get_full_name() or employer.user.email) if employer is not None else ""
    if (
        state.document is not None
        and state.employer is not None
        and not signed.signature_intact(state.document, state.employer)
    ):
        state = DecisionState(None, None, None, state.document)  # renewal_decision_void_if_changed voids it
    problems = _signature_problems(state, employer is not None, who)
    body = decision_body(state=state)
    for violation in check_decision(body, facts=portal_facts(renewal)) if body is not None else []:
        if violation.severity != "error":
            continue
        if violation.code == "REN-002":
            problems.append(_problem(violation.code, "employer", violation.message, _fix_ask_to_sign(who)))
        else:
            problems.append(_problem(violation.code, "decision", violation.message, violation.fix))
    return problems


class DecisionNotReady(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.code} {p.message}" for p in problems))
        self.problems = problems


def renewal_decision_submit(*, renewal: Renewal, by: User | None) -> Renewal:
    """Send the decision both have signed (the task with its stored key); ``DecisionNotReady`` with the
    problems otherwise (REN-002 when the employer's signature is missing or void)."""
    from .services import renewal_decision_record

    problems = renewal_decision_problems(renewal=renewal)
    if problems:
        raise DecisionNotReady(problems)
    body = decision_body(state=decision_state(renewal=renewal))
    assert body is not None
    log.info("renewal %s decision submitted by %s", renewal.pk, by)
    return renewal_decision_record(renewal=renewal, body=body)
