"""The broker's member pages of a group: the list, a family's page, census import, 'validate now'."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agencies.access import AuthenticatedRequest
from catalogue import selectors as catalogue_selectors
from enrollment import rules
from enrollment.models import EmployerGroup
from enrollment.payload import group_build_create_payload
from enrollment.rules import Problem
from enrollment.selectors import group_get_visible
from portal.forms import fields_with_problems

from . import forms, selectors, self_service, services
from .models import Member

logger = logging.getLogger(__name__)


def _problems(member: Member, *, payload: dict | None, ctx: Any) -> list[Problem]:
    problems: list[Problem] = []
    if payload is not None:
        try:
            problems = services.member_local_problems(member=member, group_payload=payload, ctx=ctx)
        except Exception:  # the catalogue may lack the group's facts: show the carrier's answer at least
            logger.exception("local rules of member %s", member.pk)
    codes = {(p.code, p.pointer) for p in problems}
    problems += [
        p for p in services.member_carrier_problems(member=member) if (p.code, p.pointer) not in codes
    ]
    return problems


def _rule_inputs(group: EmployerGroup) -> tuple[dict | None, Any]:
    try:
        return group_build_create_payload(group=group), rules.group_rule_context()
    except Exception:
        logger.exception("rule context of group %s", group.pk)
        return None, None


def _field_labels(group: EmployerGroup) -> dict[tuple[str, str | None], str]:
    """(step, field) -> the label the family page shows for it (the forms' own labels)."""
    labels: dict[tuple[str, str | None], str] = {}
    for form in (forms.SubscriberForm(), forms.DependentForm(lines=group.lines)):
        for name, field in form.fields.items():
            labels.setdefault(("member", name), str(field.label or name))
    for line in group.lines:
        for name, field in forms.ElectionForm(line=line, plan_ids=[]).fields.items():
            labels[(f"election:{line}", name)] = str(field.label or name)
    return labels


@login_required
def member_list(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = group_get_visible(
        user=request.user, pk=group_pk, write=request.method == "POST", records=selectors.MEMBER_PAGES
    )
    subscribers = list(selectors.member_list_for_group(group=group))
    blockers = {sub.pk: selectors.family_blockers(subscriber=sub) for sub in subscribers}
    labels = _field_labels(group) if any(blockers.values()) else {}
    for sub in subscribers:
        # What the page shows under the family's row (the template reads ``sub.blockers``).
        sub.blockers = [(b, labels.get((b.step, b.field), "")) for b in blockers[sub.pk]]  # type: ignore[attr-defined]
    progress = selectors.group_progress(group=group)
    return render(
        request,
        "members/member_list.html",
        {
            "group": group,
            "subscribers": subscribers,
            "progress": progress,
            "can_validate": services.group_accepts_validation(group=group),
            "has_census": group.census.exists(),
            # After finalize the carrier takes no new members through the portal (api.md).
            "can_add": group.status not in services.CLOSED_TO_NEW_MEMBERS,
            "can_remind": self_service.group_open_for_employees(group),
        },
    )


def _plan_ids(group: EmployerGroup, line: str) -> list[str]:
    return [str(p) for p in group.offering(line).get("planIds") or []]


def _counties(group: EmployerGroup, zip5: str) -> list:
    """The counties of the ZIP in the carrier's rate file on the group's effective date (the picker's)."""
    if not (len(zip5) == 5 and zip5.isascii() and zip5.isdigit()):
        return []
    return list(catalogue_selectors.counties_for_zip(zip5=zip5, on=group.requested_effective_date))


def _forms(group: EmployerGroup, subscriber: Member | None, data=None):
    lines = group.lines
    dependents = list(subscriber.dependents.all()) if subscriber is not None else []
    elections = {e.line: e for e in subscriber.elections.all()} if subscriber is not None else {}
    zip5 = (
        str(data.get("subscriber-zip5", "")) if data is not None else (subscriber.zip5 if subscriber else "")
    )
    subscriber_form = forms.SubscriberForm(
        data, instance=subscriber, prefix="subscriber", counties=_counties(group, zip5.strip())
    )
    formset = forms.DependentFormSet(data, dependents=dependents, lines=lines, prefix="dependents")
    election_forms = [
        forms.ElectionForm(data, line=line, plan_ids=_plan_ids(group, line), election=elections.get(line))
        for line in lines
    ]
    return subscriber_form, formset, election_forms


def _render_family(request, group, subscriber, subscriber_form, formset, election_forms) -> HttpResponse:
    payload, ctx = _rule_inputs(group) if subscriber is not None else (None, None)
    sub_problems = _problems(subscriber, payload=payload, ctx=ctx) if subscriber is not None else []
    member_problems = [p for p in sub_problems if p.step == "member"]
    subscriber_fields, general = fields_with_problems(subscriber_form, member_problems)
    elections = []
    for form in election_forms:
        mine = [p for p in sub_problems if p.step == f"election:{form.line}"]
        fields, extra = fields_with_problems(form, mine)
        elections.append({"form": form, "fields": fields, "general": extra})
    general += [p for p in sub_problems if p.step == "elections"]
    dependents = []
    for form in formset:
        problems = []
        if form.instance is not None:
            form.instance.subscriber = subscriber
            problems = _problems(form.instance, payload=payload, ctx=ctx)
        fields, extra = fields_with_problems(form, problems)
        dependents.append({"form": form, "fields": fields, "general": extra, "member": form.instance})
    return render(
        request,
        "members/family_form.html",
        {
            "group": group,
            "subscriber": subscriber,
            "subscriber_form": subscriber_form,
            "subscriber_fields": subscriber_fields,
            "general": general,
            "formset": formset,
            "dependents": dependents,
            "new_dependent_fields": fields_with_problems(formset.empty_form, [])[0],
            "can_add_dependent": formset.total_form_count() < formset.max_num,
            "elections": elections,
        },
    )


ADD_DEPENDENT = "add_dependent"


def _with_another_dependent(data, prefix: str = "dependents"):
    """The posted family with one more blank dependent form (nothing is saved)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key) or 0)
    except ValueError:
        total = 0  # the formset itself reports the tampered management form
    data[key] = str(min(max(total, 0) + 1, forms.max_dependents()))
    return data


@login_required
def family_edit(request: AuthenticatedRequest, group_pk: int, pk: int | None = None) -> HttpResponse:
    """Add (pk None) or edit a family. Saving stores what is typed and queues validation; the page then
    shows every rule the carrier would apply, beside its field."""
    group = group_get_visible(
        user=request.user, pk=group_pk, write=request.method == "POST", records=selectors.MEMBER_PAGES
    )
    subscriber = None
    if pk is not None:
        try:
            subscriber = selectors.member_get_for_group(group=group, pk=pk)
        except Member.DoesNotExist as exc:
            raise Http404("No such employee in this group.") from exc
    if request.method == "POST" and ADD_DEPENDENT in request.POST:
        # Without the page's script: the same page with what was typed and one more blank dependent.
        subscriber_form, formset, election_forms = _forms(
            group, subscriber, _with_another_dependent(request.POST)
        )
        return _render_family(request, group, subscriber, subscriber_form, formset, election_forms)
    if request.method == "POST":
        subscriber_form, formset, election_forms = _forms(group, subscriber, request.POST)
        valid = subscriber_form.is_valid() & formset.is_valid() & all([f.is_valid() for f in election_forms])
        if valid:
            dependents_data = [
                f.member_data() for f in formset if f.has_changed() or f.cleaned_data.get("id")
            ]
            try:
                saved = services.family_save(
                    group=group,
                    subscriber=subscriber,
                    subscriber_data=subscriber_form.member_data(),
                    dependents_data=[d for d in dependents_data if d.get("id") or not d.get("DELETE")],
                    elections={f.line: f.election_data() for f in election_forms},
                    by=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else []:
                    target = field if field in subscriber_form.fields else None
                    for error in errors:
                        subscriber_form.add_error(target, error)
                if not hasattr(exc, "error_dict"):
                    for error in exc.messages:
                        subscriber_form.add_error(None, error)
            else:
                messages.success(
                    request, _("Saved. The family is checked with the carrier in the background.")
                )
                return redirect("members:family_edit", group_pk=group.pk, pk=saved.pk)
        return _render_family(request, group, subscriber, subscriber_form, formset, election_forms)
    subscriber_form, formset, election_forms = _forms(group, subscriber)
    return _render_family(request, group, subscriber, subscriber_form, formset, election_forms)


@login_required
@require_POST
def census_import(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=group_pk, write=True, records=selectors.MEMBER_PAGES)
    created = services.census_import_members(group=group)
    messages.success(request, _("%(n)s member(s) added from the census.") % {"n": created})
    return redirect("members:member_list", group_pk=group.pk)


@login_required
@require_POST
def validate_now(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=group_pk, write=True, records=selectors.MEMBER_PAGES)
    if services.members_request_validation(group=group):
        messages.success(request, _("Validation with the carrier has started."))
    else:
        messages.error(request, _("The carrier does not have this group yet: members cannot be validated."))
    return redirect("members:member_list", group_pk=group.pk)


@login_required
@require_POST
def member_withdraw(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=group_pk, write=True, records=selectors.MEMBER_PAGES)
    try:
        member = Member.objects.get(group=group, pk=pk, withdrawn_at__isnull=True)
    except Member.DoesNotExist as exc:
        raise Http404("No such member in this group.") from exc
    try:
        services.member_withdraw(member=member, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(ref)s was withdrawn.") % {"ref": member.member_ref})
    return redirect("members:member_list", group_pk=group.pk)


# ------------------------------------------------------------------------------------ invitations


def _invitable(request: HttpRequest, group_pk: int, pk: int) -> tuple[EmployerGroup, Member]:
    group = group_get_visible(user=request.user, pk=group_pk, write=True)
    try:
        subscriber = Member.objects.select_related("group").get(
            group=group, pk=pk, subscriber__isnull=True, withdrawn_at__isnull=True
        )
    except Member.DoesNotExist as exc:
        raise Http404("No such employee in this group.") from exc
    return group, subscriber


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:  # BadHeaderError: a header INV-001 did not foresee; the e-mail was not sent
        logger.warning("invitation e-mail refused: %s", type(exc).__name__)
        messages.error(
            request,
            _("INV-001: The e-mail could not be written from these names. Correct them, then invite again."),
        )


@login_required
@require_POST
def invitation_send(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    """Invite the employee (a new link; an earlier live one stops working), INV-001 and INV-002 first."""
    from django.core.mail import BadHeaderError

    from .invitations import invitation_email_send

    group, subscriber = _invitable(request, group_pk, pk)
    try:
        invitation_email_send(subscriber=subscriber, by=request.user)
    except (ValidationError, BadHeaderError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": subscriber.email})
    return redirect("members:member_list", group_pk=group.pk)


@login_required
@require_POST
def invitation_resend(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    """Send the employee's live invitation again (the same link), INV-001 and INV-002 first."""
    from django.core.mail import BadHeaderError

    from .invitations import invitation_email_resend

    group, subscriber = _invitable(request, group_pk, pk)
    invitation = subscriber.invitations.filter(revoked_at__isnull=True).order_by("-created_at", "-id").first()
    if invitation is None:
        raise Http404("No invitation to act on.")
    try:
        invitation_email_resend(invitation=invitation, by=request.user)
    except (ValidationError, BadHeaderError) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Invitation sent again to %(email)s, with the same link.") % {"email": subscriber.email},
        )
    return redirect("members:member_list", group_pk=group.pk)


@login_required
@require_POST
def remind_not_started(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    """ "Remind all not started": the same link again to each invited employee who never opened it."""
    from carrier.rules import carrier_today

    from .reminders import reminders_send_not_started

    group = group_get_visible(user=request.user, pk=group_pk, write=True, records=selectors.MEMBER_PAGES)
    if not self_service.group_open_for_employees(group):
        messages.info(request, _("Open enrollment has ended for this group: no reminder was sent."))
        return redirect("members:member_list", group_pk=group.pk)
    sent = reminders_send_not_started(group=group, by=request.user, today=carrier_today())
    messages.success(
        request,
        ngettext("%(n)s reminder sent.", "%(n)s reminders sent.", sent) % {"n": sent}
        if sent
        else _("No reminder to send: everyone invited has opened their link, or was reminded today."),
    )
    return redirect("members:member_list", group_pk=group.pk)
