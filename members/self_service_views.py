"""The employee's self-service pages (no login: the link's token opens exactly one family) and the
broker's invitation actions (send, resend, revoke, extend).

Every object of the employee's pages is reached through the invitation's subscriber; a dependent id
posted in a form that is not one of that family's is a 404 and changes nothing. What the employee types
is saved on the invitation as a draft at every step (bounded: ``self_service.draft_bounded``); the family
itself is written by ``family_save`` only when the employee signs. The wizard's state and the carrier's
member rules on it are ``self_service_answers.Answers``; each problem shows beside its field with the rule
ID and a fix addressed to the employee, or goes to the broker (``self_service_rules``).

A link that no longer opens anything (revoked, replaced by a resend, of a withdrawn employee, or never
issued) answers 404 with one page that says so in the same words whatever the reason, and names whom to
ask (the group's broker) where the portal issued the link.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import AuthenticatedRequest
from enrollment.rules import rule_settings
from enrollment.selectors import group_get_visible
from portal.forms import fields_with_problems

from . import self_service
from . import self_service_forms as ss_forms
from .models import Invitation, Member, mask_ssn
from .selectors import INVITATION_ACTIONS
from .self_service_answers import Answers, drafted, no_problems
from .self_service_forms import FAMILY_PREFIX
from .self_service_plans import coverage_options, plan_table, review_rows

logger = logging.getLogger(__name__)

STEPS = [
    ("details", gettext_lazy("Your details")),
    ("family", gettext_lazy("Your family")),
    ("coverage", gettext_lazy("Coverage")),
    ("review", gettext_lazy("Review and sign")),
]


# ------------------------------------------------------------------------------------ page plumbing


def _link_gone(request: HttpRequest, token: str) -> HttpResponse:
    """The one page of every link that opens nothing: the same words and status whatever the reason."""
    issued = self_service.invitation_for_link(token=token)
    contact = self_service.broker_contact(issued.subscriber.group) if issued is not None else None
    return render(request, "members/self_service/link_gone.html", {"contact": contact}, status=404)


def _closed(request: HttpRequest, invitation: Invitation, state: str) -> HttpResponse:
    group = invitation.subscriber.group
    return render(
        request,
        "members/self_service/closed.html",
        {
            "invitation": invitation,
            "state": state,
            "group": group,
            "contact": self_service.broker_contact(group),
        },
    )


def employee_page(view: Callable) -> Callable:
    """Open the invitation of the URL's token (the link-gone page when it names nothing usable), show the
    closed page when the link expired or the group left open enrollment, the done page once signed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            invitation = self_service.invitation_find(token=token)
        except Http404:
            invitation = None
        state = self_service.invitation_state(invitation) if invitation is not None else "GONE"
        if invitation is None:
            response = _link_gone(request, token)
        elif state in ("EXPIRED", "CLOSED"):
            response = _closed(request, invitation, state)
        elif state == "SIGNED" and view.__name__ != "done":
            response = redirect("self_service:done", token=token)
        elif state == "LIVE" and view.__name__ == "done":
            response = redirect("self_service:start", token=token)
        else:
            if invitation.opened_at is None:
                self_service.invitation_open(token=token)
            self_service.invitation_note_language(invitation=invitation, language=request.LANGUAGE_CODE)
            response = view(request, invitation, token, *args, **kwargs)
        # The token is in the URL: never cached, never sent to another site as a referrer, never indexed.
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _context(invitation: Invitation, token: str, step: str, **extra: Any) -> dict:
    steps = []
    current = [s for s, _label in STEPS].index(step) if step in dict(STEPS) else -1
    for i, (name, label) in enumerate(STEPS):
        steps.append(
            {
                "name": name,
                "label": label,
                "url": reverse(f"self_service:{name}", kwargs={"token": token}),
                "current": name == step,
                "done": i < current,
                "number": i + 1,
            }
        )
    return {
        "invitation": invitation,
        "subscriber": invitation.subscriber,
        "group": invitation.subscriber.group,
        "token": token,
        "steps": steps,
        "step": step,
        "expires_at": invitation.expires_at,
        **extra,
    }


def _posted(request: HttpRequest, invitation: Invitation, step: str) -> dict | None:
    """The step's POST as the draft keeps it (the step's fields only, each value and the family bounded):
    what the page shows again; None for a GET."""
    if request.method != "POST":
        return None
    return self_service.draft_bounded(invitation=invitation, step=step, data=request.POST)


def _joining() -> dict[str, int]:
    """When someone who waives may join later (the carrier's MNT-005 windows), for the waiver's words."""
    settings = rule_settings()
    return {"days": settings.special_enrollment_days, "birth_days": settings.special_enrollment_birth_days}


def _blocking(problems: list, fields) -> bool:
    return any(p.is_error and p.field in set(fields) for p in problems)


def _problems_if_typed(answers: Answers, invitation: Invitation, step: str, posted: bool) -> dict:
    return answers.problems() if posted or drafted(invitation, step) else no_problems()


# ------------------------------------------------------------------------------------ employee pages


@require_http_methods(["GET", "HEAD"])
@employee_page
def start(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    return render(request, "members/self_service/start.html", _context(invitation, token, "start"))


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def details(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    post = _posted(request, invitation, "details")
    answers = Answers(invitation, post=post, step="details")
    if post is not None:
        self_service.draft_save(invitation=invitation, step="details", data=post)
    form = answers.details_form
    problems = _problems_if_typed(answers, invitation, "details", post is not None)
    mine = [p for p in problems["subscriber"] if p.step == "member"]
    if post is not None and form.is_valid() and not _blocking(mine, form.fields):
        return redirect("self_service:family", token=token)
    fields, general = fields_with_problems(form, mine)
    return render(
        request,
        "members/self_service/details.html",
        _context(invitation, token, "details", form=form, fields=fields, general=general),
    )


def _family_with_another(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """'Add another person': one more blank form, up to the family's cap; what was typed is kept."""
    post = self_service.draft_bounded(invitation=invitation, step="family", data=request.POST)
    dependents = self_service.family_dependents(invitation.subscriber)
    ss_forms.FamilyFormSet(post, dependents=dependents, prefix=FAMILY_PREFIX).check_ids()
    total_key = f"{FAMILY_PREFIX}-TOTAL_FORMS"
    try:
        total = max(0, int(post.get(total_key, "0")))
    except ValueError:
        total = 0
    cap = ss_forms.family_cap(dependents)
    post[total_key] = str(min(total + 1, cap))
    self_service.draft_save(invitation=invitation, step="family", data=post)
    anchor = f"#person-{min(total, cap - 1)}"
    return redirect(reverse("self_service:family", kwargs={"token": token}) + anchor)


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def family(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    if request.method == "POST" and "add" in request.POST:
        return _family_with_another(request, invitation, token)
    post = _posted(request, invitation, "family")
    answers = Answers(invitation, post=post, step="family")  # Http404 for another family's member id
    if post is not None:
        self_service.draft_save(invitation=invitation, step="family", data=post)
    formset = answers.formset
    problems = _problems_if_typed(answers, invitation, "family", post is not None)
    if post is not None:
        blocking = any(
            _blocking(problems["dependents"].get(i, []), form.fields) for i, form in enumerate(formset)
        )
        if formset.is_valid() and not blocking and not problems["general"]:
            return redirect("self_service:coverage", token=token)
    people = []
    for i, form in enumerate(formset):
        fields, general = fields_with_problems(form, problems["dependents"].get(i, []))
        people.append(
            {
                "form": form,
                "fields": fields,
                "general": general,
                "index": i,
                "member": form.instance,
                "delete": form["DELETE"] if "DELETE" in form.fields else None,
                "id": form["id"],
            }
        )
    return render(
        request,
        "members/self_service/family.html",
        _context(
            invitation,
            token,
            "family",
            formset=formset,
            people=people,
            general=problems["general"],
            can_add=formset.total_form_count() < ss_forms.family_cap(answers.dependents),
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def coverage(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    post = _posted(request, invitation, "coverage")
    # A choice that goes through never shows the prices: they are worked out only for a page shown.
    answers = Answers(invitation, post=post, step="coverage", priced=post is None)
    if post is not None:
        self_service.draft_save(invitation=invitation, step="coverage", data=post)
    problems = _problems_if_typed(answers, invitation, "coverage", post is not None)
    mine = {
        form.line: [p for p in problems["subscriber"] if p.step == f"election:{form.line}"]
        for form in answers.coverage_forms
    }
    blocking = any(_blocking(mine[form.line], form.fields) for form in answers.coverage_forms)
    if post is not None and all(f.is_valid() for f in answers.coverage_forms) and not blocking:
        return redirect("self_service:review", token=token)
    if post is not None:
        answers = Answers(invitation, post=post, step="coverage")  # the page again, with the prices
    lines = []
    for form in answers.coverage_forms:
        fields, general = fields_with_problems(form, mine[form.line])
        lines.append(
            {
                "form": form,
                "fields": fields,
                "general": general,
                "label": form.line_label,
                "options": coverage_options(answers, form),
            }
        )
    return render(
        request,
        "members/self_service/coverage.html",
        _context(
            invitation,
            token,
            "coverage",
            lines=lines,
            costs_known=any(answers.costs.values()),
            pay_frequency=answers.group.get_pay_frequency_display(),
            joining=_joining(),
        ),
    )


@require_http_methods(["GET", "HEAD"])
@employee_page
def compare(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """The offered plans of each line side by side: costs for this family, deductibles, out-of-pocket
    maximums, plan type, HSA (the coverage step links here; nothing is chosen on it)."""
    answers = Answers(invitation, step="compare")
    return render(
        request,
        "members/self_service/compare.html",
        _context(
            invitation,
            token,
            "coverage",
            tables=[plan_table(answers, line) for line in answers.group.lines],
            costs_known=any(answers.costs.values()),
            pay_frequency=answers.group.get_pay_frequency_display(),
        ),
    )


def _year(born: Any) -> str:
    """A date of birth as the pages outside its own field show it: the year alone (a string: never
    localised as 1,980)."""
    return str(born.year) if hasattr(born, "year") else ""


def _summary(answers: Answers) -> dict:
    """What the review page shows (a date of birth only as its year: the full date is in its field)."""
    s = answers.subscriber
    d = answers.subscriber_data
    me = {name: d.get(name, getattr(s, name)) for name in ss_forms.DETAILS_FIELDS if name != "ssn"}
    me["full_name"] = " ".join(
        p for p in (me.get("first_name"), me.get("middle_name"), me.get("last_name")) if p
    )
    me["masked_ssn"] = mask_ssn(d.get("ssn", s.ssn))
    labels = dict(ss_forms.RELATIONSHIPS)
    if answers.dependents_data is not None:
        family = [
            (
                " ".join(p for p in (e.get("first_name"), e.get("last_name")) if p),
                e.get("relationship"),
                e.get("date_of_birth"),
            )
            for e in answers.dependents_data
            if not e.get("DELETE")
        ]
    else:
        family = [(dep.full_name, dep.relationship, dep.date_of_birth) for dep in answers.dependents]
    people = [
        {"name": name, "relationship": labels.get(str(rel or ""), rel), "born": _year(born)}
        for name, rel, born in family
    ]
    rows, total, per_period = review_rows(answers)
    return {
        "me": me,
        "born": _year(me.get("date_of_birth")),
        "people": people,
        "coverage_rows": rows,
        "total": total,
        "total_per_period": per_period,
        "pay_frequency": answers.group.get_pay_frequency_display(),
    }


def _to_fix(answers: Answers, problems: dict, token: str) -> tuple[list[dict], list[dict]]:
    """(the steps not complete, the rule problems): what the employee corrects before signing."""
    steps = []
    if not answers.details_valid:
        steps.append(("details", _("Your details are not complete.")))
    if not answers.family_valid:
        steps.append(("family", _("Your family is not complete.")))
    if not answers.coverage_answered or not answers.coverage_valid:
        steps.append(("coverage", _("Choose a plan or say why you do not want it, for every coverage.")))
    listed = [
        (p, "coverage" if p.step.startswith("election") or p.step == "elections" else "details")
        for p in problems["subscriber"]
    ]
    for _index, found in sorted(problems["dependents"].items()):
        listed += [(p, "family") for p in found]
    listed += [(p, "family") for p in problems["general"]]

    def url(step: str) -> str:
        return reverse(f"self_service:{step}", kwargs={"token": token})

    return (
        [{"url": url(step), "message": message} for step, message in steps],
        [{"problem": p, "url": url(step)} for p, step in listed],
    )


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def review(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    # A signature that goes through never shows the prices: they are worked out only for a page shown.
    answers = Answers(invitation, step="sign" if request.method == "POST" else None)
    problems = answers.problems()
    sign_form = ss_forms.SignForm(request.POST if request.method == "POST" else None)
    to_fix, listed = _to_fix(answers, problems, token)
    blocking = bool(to_fix) or any(item["problem"].is_error for item in listed)
    if request.method == "POST" and sign_form.is_valid() and not blocking:
        try:
            self_service.invitation_sign(
                invitation=invitation,
                signed_name=sign_form.cleaned_data["signed_name"],
                **answers.family_save_arguments(),
            )
        except ValidationError as exc:
            for message in exc.messages:
                sign_form.add_error(None, message)
        else:
            return redirect("self_service:done", token=token)
    if request.method == "POST":
        answers = Answers(invitation)  # the page again, with the prices
    return render(
        request,
        "members/self_service/review.html",
        _context(
            invitation,
            token,
            "review",
            sign_form=sign_form,
            to_fix=to_fix,
            problems=listed,
            brokers_part=bool(problems["broker"]),
            blocking=blocking,
            joining=_joining(),
            **_summary(answers),
        ),
    )


@require_http_methods(["GET", "HEAD"])
@employee_page
def done(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    return render(request, "members/self_service/done.html", _context(invitation, token, "done"))


# ------------------------------------------------------------------------------------ broker actions


def _broker_invitation(request: HttpRequest, group_pk: int, pk: int) -> tuple[Any, Member]:
    group = group_get_visible(user=request.user, pk=group_pk, write=True, records=INVITATION_ACTIONS)
    try:
        subscriber = Member.objects.select_related("group").get(
            group=group, pk=pk, subscriber__isnull=True, withdrawn_at__isnull=True
        )
    except Member.DoesNotExist as exc:
        raise Http404("No such employee in this group.") from exc
    return group, subscriber


def _latest(subscriber: Member) -> Invitation:
    invitation = subscriber.invitations.filter(revoked_at__isnull=True).order_by("-created_at", "-id").first()
    if invitation is None:
        raise Http404("No invitation to act on.")
    return invitation


def _back(group) -> HttpResponse:
    return redirect("members:member_list", group_pk=group.pk)


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    group, subscriber = _broker_invitation(request, group_pk, pk)
    self_service.invitation_revoke(invitation=_latest(subscriber), by=request.user)
    messages.success(request, _("Invitation revoked: the link no longer works."))
    return _back(group)


@login_required
@require_POST
def invitation_extend(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    group, subscriber = _broker_invitation(request, group_pk, pk)
    try:
        days = int(request.POST.get("days") or 7)
        invitation = self_service.invitation_extend(
            invitation=_latest(subscriber), days=days, by=request.user
        )
    except (ValueError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("The link now works until %(date)s.") % {"date": f"{invitation.expires_at:%Y-%m-%d %H:%M}"},
        )
    return _back(group)
