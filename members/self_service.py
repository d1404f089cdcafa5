"""Employee self-service: invitations e-mailed to a subscriber and the answers the employee gives.

A link ``{SITE_URL}/enroll/<token>/`` opens exactly one family (the invitation's subscriber). Only the
sha256 of the token is stored (a link a resend replaced: in ``RetiredLink``); the token is looked up by
its hash, so an unknown, revoked or replaced token opens nothing and answers the same 404 page, which
names whom to ask (the broker) where the portal issued the link (``invitation_for_link``). An invitation
expires after ``MEMBERS_INVITATION_DAYS`` (14) but never after the group's open-enrollment window ends
(``enrollment.window``).

What the employee types is kept as a draft on the invitation (``Invitation.draft``, encrypted at rest:
it may hold an SSN; bounded by ``draft_bounded``) so a phone user can leave and come back; nothing
reaches the family until the employee signs, when ``family_save`` stores it and queues carrier validation.

Settings read (with defaults): ``MEMBERS_INVITATION_DAYS`` (14), ``SITE_URL``, ``DEFAULT_FROM_EMAIL``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from enrollment.models import EmployerGroup
from enrollment.window import oe_window

from . import self_service_forms as ss_forms
from . import services
from .models import CHILD_RELATIONSHIPS, SPOUSE_RELATIONSHIPS, Invitation, Member, RetiredLink, coverage_tier

logger = logging.getLogger(__name__)

# The group's states in which employees may still answer (before the carrier's finalize).
OPEN_STATUSES = (
    EmployerGroup.Status.DRAFT,
    EmployerGroup.Status.CREATING,
    EmployerGroup.Status.OPEN_ENROLLMENT,
)
EMAIL_LANGUAGES = ("en", "es")


def invitation_days() -> int:
    return int(getattr(settings, "MEMBERS_INVITATION_DAYS", 14))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_url(token: str) -> str:
    base = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    return f"{base}/enroll/{token}/"


# ------------------------------------------------------------------------------------ open enrollment


def open_enrollment_ends_at(group: EmployerGroup) -> datetime | None:
    """The end of the group's open-enrollment window (``enrollment.window``: the broker's end, else
    ``ENROLLMENT_OE_LEAD_DAYS`` before the effective date). None when the group has no effective date yet."""
    return oe_window(group=group).ends_at


def group_open_for_employees(group: EmployerGroup, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if group.status not in OPEN_STATUSES:
        return False
    ends = open_enrollment_ends_at(group)
    return ends is None or now <= ends


def _expiry(group: EmployerGroup, start: datetime, days: int) -> datetime:
    expires = start + timedelta(days=days)
    ends = open_enrollment_ends_at(group)
    if ends is not None and expires > ends:
        expires = ends
    return expires


def invitation_state(invitation: Invitation, *, now: datetime | None = None) -> str:
    """SIGNED, REVOKED, EXPIRED, CLOSED (the group left open enrollment) or LIVE."""
    now = now or timezone.now()
    if invitation.revoked_at is not None:
        return "REVOKED"
    if invitation.signed_at is not None:
        return "SIGNED"
    if invitation.expires_at <= now:
        return "EXPIRED"
    if not group_open_for_employees(invitation.subscriber.group, now=now):
        return "CLOSED"
    return "LIVE"


def invitation_is_live(invitation: Invitation, *, now: datetime | None = None) -> bool:
    return invitation.revoked_at is None and invitation.expires_at > (now or timezone.now())


# ------------------------------------------------------------------------------------ e-mail


def email_languages(invitation: Invitation) -> tuple[str, ...]:
    """The employee's language when known, else both (Spanish and English in one e-mail)."""
    return (invitation.language,) if invitation.language in EMAIL_LANGUAGES else EMAIL_LANGUAGES


def _send_email(
    *, invitation: Invitation, token: str, reminder: bool = False, days_left: int | None = None
) -> str:
    """Send the invitation (or a reminder) with ``token``'s link; returns the subject."""
    subscriber = invitation.subscriber
    window = oe_window(group=subscriber.group)
    context = {
        "subscriber": subscriber,
        "group": subscriber.group,
        "url": invitation_url(token),
        "expires_at": timezone.localtime(invitation.expires_at),
        "ends_on": window.ends_on,
        "days_left": days_left,
    }
    name = "reminder" if reminder else "invitation"
    parts = []
    subjects = []
    for language in email_languages(invitation) if reminder else EMAIL_LANGUAGES:
        with translation.override(language):
            subjects.append(render_to_string(f"emails/{name}_subject.txt", context).strip())
            parts.append(render_to_string(f"emails/{name}.txt", context).strip())
    send_mail(
        subject=" / ".join(subjects),
        message="\n\n----------------------------------------\n\n".join(parts) + "\n",
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        recipient_list=[subscriber.email],
    )
    return " / ".join(subjects)


# ------------------------------------------------------------------------------------ invitations


def _check_can_invite(subscriber: Member) -> None:
    if subscriber.subscriber_id is not None:
        raise ValidationError("Only an employee (a subscriber) can be invited.")
    if subscriber.withdrawn_at is not None:
        raise ValidationError("This employee was withdrawn.")
    if not subscriber.email:
        raise ValidationError("Add the employee's e-mail address first: the invitation is sent there.")
    if not group_open_for_employees(subscriber.group):
        raise ValidationError("The group is not in open enrollment: employees can no longer answer.")


def _new_token() -> tuple[str, str, str]:
    """A new link: (token, its sha256, the salt it is derived from)."""
    salt = secrets.token_urlsafe(32)
    token = link_token(salt)
    return token, token_hash(token), salt


def link_token(salt: str) -> str:
    """The link's token: an HMAC of the invitation's random salt under the server's secret key. The
    database holds the salt and the token's hash only, so neither a copy of it nor of a log opens a
    family; the portal can still e-mail the *same* link again (a reminder, a resend)."""
    digest = salted_hmac("members.invitation.link", salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_token(invitation: Invitation) -> str | None:
    """The invitation's current link token, when the portal can make it again (None for a link made before
    links were derived, or under an earlier secret key)."""
    if not invitation.link_salt:
        return None
    token = link_token(invitation.link_salt)
    return token if hmac.compare_digest(token_hash(token), invitation.token_hash) else None


def invitation_send(*, subscriber: Member, by: User | None) -> Invitation:
    """A new invitation for ``subscriber``, e-mailed to them; earlier live invitations are revoked.
    The plain token is on the returned object (``invitation.token``), never stored."""
    _check_can_invite(subscriber)
    now = timezone.now()
    token, digest, salt = _new_token()
    with transaction.atomic():
        Invitation.objects.filter(
            subscriber=subscriber, revoked_at__isnull=True, signed_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            subscriber=subscriber,
            token_hash=digest,
            link_salt=salt,
            language=_language_of(subscriber),
            expires_at=_expiry(subscriber.group, now, invitation_days()),
            sent_at=now,
            sent_count=1,
        )
        _send_email(invitation=invitation, token=token)
    logger.info("invitation %s sent to member %s by %s", invitation.pk, subscriber.pk, by)
    invitation.token = token
    return invitation


def invitation_resend(*, invitation: Invitation, by: User | None) -> Invitation:
    """Send the invitation again with the SAME link (an earlier e-mail's link keeps working) and a fresh
    expiry, never earlier than the current one (a broker who extended the link keeps the extension). The
    employee's draft is kept. Only a link the portal cannot make again (one from before links were
    derived) is replaced, the old one kept in ``RetiredLink``."""
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation was revoked: send a new one.")
    if invitation.signed_at is not None:
        raise ValidationError("The employee has already signed.")
    subscriber = invitation.subscriber
    _check_can_invite(subscriber)
    now = timezone.now()
    token = invitation_token(invitation)
    fields = ["expires_at", "sent_at", "sent_count"]
    with transaction.atomic():
        if token is None:
            token, digest, salt = _new_token()
            RetiredLink.objects.create(
                invitation=invitation, token_hash=invitation.token_hash, retired_at=now
            )
            invitation.token_hash, invitation.link_salt = digest, salt
            fields += ["token_hash", "link_salt"]
        invitation.expires_at = max(invitation.expires_at, _expiry(subscriber.group, now, invitation_days()))
        invitation.sent_at = now
        invitation.sent_count = (invitation.sent_count or 0) + 1
        invitation.save(update_fields=fields)
        _send_email(invitation=invitation, token=token)
    logger.info("invitation %s re-sent by %s", invitation.pk, by)
    invitation.token = token
    return invitation


def invitation_remind(*, invitation: Invitation, days_left: int | None) -> str:
    """E-mail a reminder with the invitation's own link (unchanged, its expiry renewed as a resend does, up
    to the window's end), in the employee's language; the
    caller records it (``members.invitations``). Returns the subject. ValidationError when the link
    cannot be sent again."""
    if invitation_state(invitation) not in ("LIVE", "EXPIRED"):
        raise ValidationError("Only an invitation that is not signed, in open enrollment, gets a reminder.")
    token = invitation_token(invitation)
    if token is None:
        raise ValidationError("This link was made before reminders existed: send the invitation again.")
    # As "Resend": the link works again for the usual days, never past the window, never shorter.
    group = invitation.subscriber.group
    invitation.expires_at = max(invitation.expires_at, _expiry(group, timezone.now(), invitation_days()))
    invitation.save(update_fields=["expires_at"])
    invitation.token = token
    return _send_email(invitation=invitation, token=token, reminder=True, days_left=days_left)


def invitation_note_language(*, invitation: Invitation, language: str) -> None:
    """Remember the language the employee reads their pages in: their reminders go in it."""
    language = (language or "")[:2]
    if language in EMAIL_LANGUAGES and invitation.language != language:
        Invitation.objects.filter(pk=invitation.pk).update(language=language)
        invitation.language = language


def _language_of(subscriber: Member) -> str:
    """The language the employee last read their pages in, from their earlier invitation ("": unknown)."""
    earlier = subscriber.invitations.exclude(language="").order_by("-created_at").first()
    return earlier.language if earlier else ""


def invitation_revoke(*, invitation: Invitation, by: User | None = None) -> Invitation:
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        logger.info("invitation %s revoked by %s", invitation.pk, by)
    return invitation


def invitation_extend(*, invitation: Invitation, days: int, by: User | None = None) -> Invitation:
    """The broker gives the employee ``days`` more (from now if the link already expired), never past
    the end of the group's open enrollment."""
    days = int(days)
    if days < 1 or days > 90:
        raise ValidationError("Extend by 1 to 90 days.")
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation was revoked: send a new one.")
    if invitation.signed_at is not None:
        raise ValidationError("The employee has already signed.")
    group = invitation.subscriber.group
    if not group_open_for_employees(group):
        raise ValidationError("The group is not in open enrollment: employees can no longer answer.")
    start = max(invitation.expires_at, timezone.now())
    invitation.expires_at = _expiry(group, start, days)
    invitation.save(update_fields=["expires_at"])
    return invitation


def invitation_find(*, token: str) -> Invitation:
    """The invitation of a token that is not revoked (expired or closed ones too: the page says so).
    Http404 otherwise, the same for every reason."""
    if not token or len(token) > 128:
        raise Http404("No such invitation.")
    digest = token_hash(token)
    invitation = (
        Invitation.objects.select_related("subscriber", "subscriber__group").filter(token_hash=digest).first()
    )
    if (
        invitation is None
        or not hmac.compare_digest(invitation.token_hash, digest)
        or invitation.revoked_at is not None
        or invitation.subscriber.withdrawn_at is not None
    ):
        raise Http404("No such invitation.")
    return invitation


def invitation_for_link(*, token: str) -> Invitation | None:
    """The invitation a link was issued for, whatever became of it (live, expired, revoked, of a withdrawn
    employee, or replaced by a resend); None for a token the portal never issued."""
    if not token or len(token) > 128:
        return None
    digest = token_hash(token)
    found = Invitation.objects.select_related("subscriber__group__broker__user", "subscriber__group__agency")
    invitation = found.filter(token_hash=digest).first()
    if invitation is None:
        retired = (
            RetiredLink.objects.filter(token_hash=digest).values_list("invitation_id", flat=True).first()
        )
        invitation = found.filter(pk=retired).first() if retired else None
    return invitation


def broker_contact(group: EmployerGroup) -> dict[str, str]:
    """Whom an employee asks about their link: the group's broker, their phone (else the agency's) as
    (502) 555-0100 and as the digits a ``tel:`` link dials."""
    broker = group.broker
    digits = "".join(c for c in broker.phone or broker.agency.phone or "" if c.isdigit())
    return {
        "name": broker.full_name,
        "agency": broker.agency.name,
        "phone": f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits,
        "tel": digits if len(digits) == 10 else "",
    }


def invitation_open(*, token: str) -> Invitation:
    """The live invitation of a token; Http404 for an unknown, revoked or expired one (the same 404).
    Notes the first opening."""
    invitation = invitation_find(token=token)
    now = timezone.now()
    if invitation.expires_at <= now:
        raise Http404("No such invitation.")
    if invitation.opened_at is None:
        invitation.opened_at = now
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
    return invitation


def invitations_by_subscriber(subscriber_ids) -> dict[int, Invitation]:
    """The latest invitation of each subscriber (for the broker's member list)."""
    latest: dict[int, Invitation] = {}
    for invitation in Invitation.objects.filter(subscriber_id__in=list(subscriber_ids)).order_by(
        "-created_at", "-id"
    ):
        latest.setdefault(invitation.subscriber_id, invitation)
    return latest


# ------------------------------------------------------------------------------------ the draft

DRAFT_STEPS = ("details", "family", "coverage")


def draft_get(invitation: Invitation, step: str) -> dict | None:
    draft = invitation.draft or {}
    value = draft.get(step)
    return value if isinstance(value, dict) else None


def draft_bounded(*, invitation: Invitation, step: str, data: Mapping[str, Any]) -> dict[str, str]:
    """What the draft keeps of a step's POST (``self_service_forms.step_keys``): the step's own fields
    only, each value cut to ``DRAFT_VALUE_MAX`` characters, the family to its cap of people. A draft is
    then a few dozen KiB at most, whatever is posted; an overlong value is refused beside its field."""
    people = ss_forms.family_cap(family_dependents(invitation.subscriber)) if step == "family" else 0
    keys = ss_forms.step_keys(step, people=people)
    return {k: str(data.get(k, ""))[: ss_forms.DRAFT_VALUE_MAX] for k in keys if k in data}


def draft_save(*, invitation: Invitation, step: str, data: Mapping[str, Any]) -> None:
    """Keep what the employee typed on a step (form data as typed, so it is shown again). The pages pass
    what ``draft_bounded`` kept of their POST; every value is cut to ``DRAFT_VALUE_MAX`` here too."""
    if step not in DRAFT_STEPS:
        raise ValueError(step)
    draft = dict(invitation.draft or {})
    draft[step] = {
        k: str(v)[: ss_forms.DRAFT_VALUE_MAX] for k, v in data.items() if k != "csrfmiddlewaretoken"
    }
    invitation.draft = draft
    invitation.save(update_fields=["draft"])


def family_dependents(subscriber: Member) -> list[Member]:
    return [d for d in subscriber.dependents.all() if d.withdrawn_at is None]


def dependent_of_family(subscriber: Member, dependent_id: Any) -> Member:
    """The family's own dependent of that id; Http404 for any other (another family's member too)."""
    try:
        pk = int(dependent_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No such family member.") from exc
    for dependent in family_dependents(subscriber):
        if dependent.pk == pk:
            return dependent
    raise Http404("No such family member.")


def invitation_sign(
    *,
    invitation: Invitation,
    signed_name: str,
    subscriber_data: Mapping[str, Any],
    dependents_data: list[Mapping[str, Any]],
    elections: Mapping[str, Mapping[str, Any]],
) -> Member:
    """Store the family through ``family_save`` (which queues carrier validation) and the signature."""
    signed_name = " ".join((signed_name or "").split())
    if not signed_name:
        raise ValidationError({"signed_name": gettext("Type your full name to sign.")})
    if invitation_state(invitation) != "LIVE":
        raise ValidationError(gettext("This link is closed"))
    subscriber = invitation.subscriber
    own = {d.pk for d in family_dependents(subscriber)}
    for data in dependents_data:
        if data.get("id") and int(data["id"]) not in own:
            raise Http404("No such family member.")
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.signed_at is not None or locked.revoked_at is not None:
            raise ValidationError(gettext("This link is closed"))
        saved = services.family_save(
            group=subscriber.group,
            subscriber=subscriber,
            subscriber_data=subscriber_data,
            dependents_data=[dict(d) for d in dependents_data],
            elections=elections,
            by=None,
        )
        locked.signed_name = signed_name[:120]
        locked.signed_at = timezone.now()
        locked.draft = {}
        locked.save(update_fields=["signed_name", "signed_at", "draft"])
        from .reminders import employee_signed_notice_on_commit

        employee_signed_notice_on_commit(locked)
    invitation.signed_name = locked.signed_name
    invitation.signed_at = locked.signed_at
    invitation.draft = {}
    return saved


# ------------------------------------------------------------------------------------ the employee's cost


def _tier_of(relationships) -> str:
    return coverage_tier(relationships)


def employee_costs(
    *,
    group: EmployerGroup,
    subscriber: Mapping[str, Any],
    dependents: list[Mapping[str, Any]],
    line: str,
) -> dict[str, dict[str, Any]]:
    """{plan_id: {"tier", "name", "total", "employer", "employee"}} for the group's offered plans on
    ``line``, priced for this family (the subscriber and the dependents covered on the line) under the
    employer's contribution. Empty when the catalogue cannot price it (missing birth dates, rates or place).

    ``subscriber``/``dependents`` are dicts with ``date_of_birth`` (date), ``tobacco_use``,
    ``relationship`` (dependents) and ``covered_lines`` (dependents)."""
    covered = [d for d in dependents if line in (d.get("covered_lines") or [])]
    return employee_costs_by_line(group=group, subscriber=subscriber, dependents=covered, lines=[line]).get(
        line, {}
    )


def _cost_census(subscriber: Mapping[str, Any], covered: list[Mapping[str, Any]], tier: str) -> list[Any]:
    """The family as a one-family census for the catalogue's quote (the employee first, with the tier)."""
    from catalogue.quoting import CensusRow

    census = [
        CensusRow(
            "SELF", "SELF", "SUBSCRIBER", subscriber["date_of_birth"], subscriber.get("tobacco_use"), tier
        )
    ]
    for n, d in enumerate(covered, start=1):
        census.append(
            CensusRow(
                f"DEP-{n}", "SELF", d.get("relationship") or "", d["date_of_birth"], d.get("tobacco_use")
            )
        )
    return census


def _line_contributions(group: EmployerGroup, lines: list[str]) -> dict[str, Any]:
    """The employer's contribution of each line that has one (KeyError/ValueError: a malformed one)."""
    from groupsales.codes import ContributionBasis
    from groupsales.rating import Contribution

    contributions = {}
    for line in lines:
        raw = group.offering(line).get("contribution") or {}
        if raw:
            contributions[line] = Contribution(
                ContributionBasis(raw["basis"]),
                Decimal(str(raw["employee"])),
                Decimal(str(raw["dependents"])),
            )
    return contributions


def employee_costs_by_line(
    *,
    group: EmployerGroup,
    subscriber: Mapping[str, Any],
    dependents: list[Mapping[str, Any]],
    lines: list[str],
) -> dict[str, dict[str, dict[str, Any]]]:
    """:func:`employee_costs` of several lines for a family covered alike on each (every dependent on
    every line), from ONE quote: the catalogue's rates are read once, not once per line."""
    from catalogue.quoting import QuoteError, quote_census

    offered = {line: [str(p) for p in (group.offering(line).get("planIds") or [])] for line in lines}
    lines = [line for line in lines if offered[line]]
    if not lines or not group.requested_effective_date or not group.zip5 or not group.county_fips:
        return {}
    if not isinstance(subscriber.get("date_of_birth"), date):
        return {}
    covered = [d for d in dependents if isinstance(d.get("date_of_birth"), date)]
    tier = _tier_of(d.get("relationship") for d in covered)
    census = _cost_census(subscriber, covered, tier)
    try:
        contributions = _line_contributions(group, lines)
        result = quote_census(
            zip5=group.zip5[:5],
            county_fips=group.county_fips,
            effective_date=group.requested_effective_date,
            census=census,
            composite="MEDICAL" in lines and group.offering("MEDICAL").get("ratingOption") == "COMPOSITE",
            contributions=contributions,
            line=lines[0] if len(lines) == 1 else None,
        )
    except (QuoteError, ValueError, KeyError, TypeError) as exc:
        logger.info("no employee cost for group %s lines %s: %s", group.pk, lines, exc)
        return {}
    except Exception:  # the catalogue may be empty here: the page still works without the cost
        logger.exception("employee cost for group %s lines %s", group.pk, lines)
        return {}
    out: dict[str, dict[str, dict[str, Any]]] = {line: {} for line in lines}
    for quote in result.plans:
        line = quote.offer.line
        if line not in out or quote.offer.plan_id not in offered[line]:
            continue
        out[line][quote.offer.plan_id] = {
            "offer": quote.offer,  # the plan year's facts: type, metal, deductibles, HSA
            "tier": tier,
            "name": getattr(quote.offer, "marketing_name", "") or quote.offer.plan_id,
            "total": quote.price.total_monthly_premium,
            "employer": quote.employer_cost,
            "employee": quote.employee_cost,
        }
    return out


def relationship_kind(relationship: str) -> str:
    if relationship in SPOUSE_RELATIONSHIPS:
        return "spouse"
    if relationship in CHILD_RELATIONSHIPS:
        return "child"
    return "other"
