"""The employee's self-service pages (no login: the link's token opens exactly one family) and the
broker's invitation actions (send, resend, revoke, extend).

Every object of the employee's pages is reached through the invitation's subscriber; a dependent id
posted in a form that is not one of that family's is a 404 and changes nothing. What the employee types
is saved on the invitation as a draft at every step; the family itself is written by ``family_save``
only when the employee signs. The carrier's member rules run on the draft (the family as the signature
would store it, built in memory) so each failure shows beside its field with the rule ID and the fix.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from decimal import Decimal
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

from enrollment.rules import Problem
from enrollment.selectors import group_get_visible
from portal.forms import fields_with_problems

from . import self_service, services
from . import self_service_forms as ss_forms
from .models import Invitation, Member
from .selectors import INVITATION_ACTIONS
from .views import _rule_inputs

logger = logging.getLogger(__name__)

STEPS = [
    ("details", gettext_lazy("Your details")),
    ("family", gettext_lazy("Your family")),
    ("coverage", gettext_lazy("Coverage")),
    ("review", gettext_lazy("Review and sign")),
]
DETAILS_PREFIX = "me"
FAMILY_PREFIX = "family"


# ------------------------------------------------------------------------------------ the employee's answers


class Answers:
    """The employee's answers: the draft where there is one, else what the family has stored."""

    def __init__(self, invitation: Invitation, *, post: dict | None = None, step: str | None = None):
        self.invitation = invitation
        self.subscriber: Member = invitation.subscriber
        self.group = self.subscriber.group
        self.dependents = self_service.family_dependents(self.subscriber)
        self.elections = {e.line: e for e in self.subscriber.elections.all()}

        def data_for(name: str) -> dict | None:
            if post is not None and step == name:
                return post
            return self_service.draft_get(invitation, name)

        self.details_form = ss_forms.DetailsForm(
            data_for("details"), instance=self.subscriber, prefix=DETAILS_PREFIX
        )
        self.formset = ss_forms.FamilyFormSet(
            data_for("family"), dependents=self.dependents, prefix=FAMILY_PREFIX
        )
        try:
            self.formset.check_ids()
        except Http404:
            if post is not None and step == "family":
                raise  # a posted id that is not this family's
            # A stored draft naming a dependent the broker has since withdrawn: start from the family.
            self.formset = ss_forms.FamilyFormSet(None, dependents=self.dependents, prefix=FAMILY_PREFIX)
        details_ok = self.details_form.is_bound and self.details_form.is_valid()
        family_ok = self.formset.is_bound and self.formset.is_valid()
        self.subscriber_data = self.details_form.member_data() if details_ok else {}
        self.dependents_data = self._dependents_data() if family_ok else None
        self.details_valid = details_ok or not self.details_form.is_bound
        self.family_valid = family_ok or not self.formset.is_bound

        people_sub = {
            "date_of_birth": self.subscriber_data.get("date_of_birth", self.subscriber.date_of_birth),
            "tobacco_use": self.subscriber_data.get("tobacco_use", self.subscriber.tobacco_use),
        }
        if self.dependents_data is not None:
            people = [
                {
                    "relationship": d.get("relationship"),
                    "date_of_birth": d.get("date_of_birth")
                    if "date_of_birth" in d
                    else getattr(self._stored(d.get("id")), "date_of_birth", None),
                    "tobacco_use": d.get("tobacco_use"),
                }
                for d in self.dependents_data
                if not d.get("DELETE")
            ]
        else:
            people = [
                {
                    "relationship": d.relationship,
                    "date_of_birth": d.date_of_birth,
                    "tobacco_use": d.tobacco_use,
                }
                for d in self.dependents
            ]
        self.people = people
        plan_ids_all: list[str] = []
        for line in self.group.lines:
            plan_ids_all += self._plan_ids(line)
        names = plan_names(plan_ids_all)
        coverage_data = data_for("coverage")
        self.coverage_forms = []
        self.costs: dict[str, dict] = {}
        # Prices are shown on the coverage and review pages only; pricing every line is most of a
        # page's work, so the details and family steps (and a signature that goes through) skip it.
        priced = step in (None, "coverage")
        all_costs = (
            self_service.employee_costs_by_line(
                group=self.group, subscriber=people_sub, dependents=people, lines=list(self.group.lines)
            )
            if priced
            else {}
        )
        for line in self.group.lines:
            costs = all_costs.get(line, {})
            self.costs[line] = costs
            self.coverage_forms.append(
                ss_forms.CoverageForm(
                    coverage_data,
                    line=line,
                    plan_ids=self._plan_ids(line),
                    costs=costs,
                    names=names,
                    election=self.elections.get(line),
                )
            )
        self.names = names
        coverage_ok = bool(self.coverage_forms) and all(
            f.is_bound and f.is_valid() for f in self.coverage_forms
        )
        if coverage_ok:
            self.election_data = {f.line: f.election_data() for f in self.coverage_forms}
        else:
            self.election_data = {}
        self.coverage_answered = coverage_ok or (
            not any(f.is_bound for f in self.coverage_forms)
            and all(line in self.elections for line in self.group.lines)
        )
        self.coverage_valid = coverage_ok or not any(f.is_bound for f in self.coverage_forms)

    def _stored(self, pk: Any) -> Member | None:
        for d in self.dependents:
            if pk and d.pk == int(pk):
                return d
        return None

    def _plan_ids(self, line: str) -> list[str]:
        return [str(p) for p in self.group.offering(line).get("planIds") or []]

    def _dependents_data(self) -> list[dict]:
        out = []
        for form in self.formset:
            if not (form.has_changed() or form.cleaned_data.get("id")):
                continue
            data = form.member_data()
            if data.get("id") or not data.get("DELETE"):
                out.append(data)
        return out

    @property
    def elected_lines(self) -> list[str]:
        if self.election_data:
            return [
                line for line, e in self.election_data.items() if not e.get("waived") and e.get("plan_id")
            ]
        return [line for line, e in self.elections.items() if not e.waived and e.plan_id]

    def family_save_arguments(self) -> dict:
        """What ``family_save`` takes: every dependent kept is covered on every line the employee elects."""
        elected = self.elected_lines
        if self.dependents_data is not None:
            dependents = [dict(d) for d in self.dependents_data]
        else:
            dependents = [{"id": d.pk} for d in self.dependents]
        for d in dependents:
            if not d.get("DELETE"):
                d["covered_lines"] = list(elected)
        return {
            "subscriber_data": self.subscriber_data,
            "dependents_data": dependents,
            "elections": self.election_data,
        }

    # ---------------------------------------------------------------------------- the carrier's rules

    def problems(self) -> dict:
        """The carrier's member rules on the answers: {"subscriber": [...], "dependents": {form index:
        [...]}, "general": [...]}, worked out on the family as the signature would store it, in memory."""
        result: dict[str, Any] = _no_problems()
        payload, ctx = _rule_inputs(self.group)
        if payload is None:
            return result
        arguments = self.family_save_arguments()
        # form index of each dependents_data entry
        index_of: list[int | None] = []
        if self.dependents_data is not None:
            for i, form in enumerate(self.formset):
                if not (form.has_changed() or form.cleaned_data.get("id")):
                    continue
                data = form.cleaned_data
                if data.get("id") or not data.get("DELETE"):
                    index_of.append(i)
        else:
            index_of = list(range(len(self.dependents)))
        try:
            found = services.family_draft_problems(
                group=self.group,
                subscriber=self.subscriber,
                dependents=self.dependents,
                stored_elections=list(self.elections.values()),
                group_payload=payload,
                ctx=ctx,
                **arguments,
            )
        except Exception:
            logger.exception("self-service rules of invitation %s", self.invitation.pk)
            return result
        result["subscriber"] = found.subscriber
        for position, problems in enumerate(found.dependents):
            if problems is not None:
                index = index_of[position] if position < len(index_of) else None
                result["dependents"][index] = problems
        result["general"] = [
            Problem(code="", message=m, fix="", step="member", field=None) for m in found.general
        ]
        return result


def _no_problems() -> dict[str, Any]:
    return {"subscriber": [], "dependents": {}, "general": []}


def _drafted(invitation: Invitation, step: str) -> bool:
    """Whether the employee typed on this step before: only then does opening it check the rules again
    (the review step always checks everything before signing)."""
    return bool(invitation.draft) and step in invitation.draft


def plan_names(plan_ids: list[str]) -> dict[str, str]:
    if not plan_ids:
        return {}
    try:
        from catalogue.models import Plan

        rows = Plan.objects.filter(plan_id__in=plan_ids).values_list("plan_id", "marketing_name")
        return {plan_id: name for plan_id, name in rows if name}
    except Exception:  # no catalogue: the plan ID stands in
        logger.exception("plan names")
        return {}


def _blocking(problems: list[Problem], fields: set[str]) -> bool:
    return any(p.is_error and p.field in fields for p in problems)


# ------------------------------------------------------------------------------------ page plumbing


def _closed(request: HttpRequest, invitation: Invitation, state: str) -> HttpResponse:
    return render(
        request,
        "members/self_service/closed.html",
        {"invitation": invitation, "state": state, "group": invitation.subscriber.group},
    )


def employee_page(view: Callable) -> Callable:
    """Open the invitation of the URL's token (404 when it names nothing usable), show the closed page
    when the link expired or the group left open enrollment, the done page once signed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        invitation = self_service.invitation_find(token=token)
        state = self_service.invitation_state(invitation)
        if state in ("EXPIRED", "CLOSED"):
            response = _closed(request, invitation, state)
        elif state == "SIGNED" and view.__name__ != "done":
            response = redirect("self_service:done", token=token)
        elif state == "LIVE" and view.__name__ == "done":
            response = redirect("self_service:start", token=token)
        else:
            if invitation.opened_at is None:
                self_service.invitation_open(token=token)
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


def _post_dict(request: HttpRequest) -> dict:
    return {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


# ------------------------------------------------------------------------------------ employee pages


@require_http_methods(["GET", "HEAD"])
@employee_page
def start(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    return render(request, "members/self_service/start.html", _context(invitation, token, "start"))


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def details(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    post = _post_dict(request) if request.method == "POST" else None
    answers = Answers(invitation, post=post, step="details")
    form = answers.details_form
    problems = answers.problems() if post is not None or _drafted(invitation, "details") else _no_problems()
    if post is not None:
        self_service.draft_save(invitation=invitation, step="details", data=post)
        if form.is_valid() and not _blocking(problems["subscriber"], set(form.fields)):
            return redirect("self_service:family", token=token)
    fields, general = fields_with_problems(form, [p for p in problems["subscriber"] if p.step == "member"])
    return render(
        request,
        "members/self_service/details.html",
        _context(invitation, token, "details", form=form, fields=fields, general=general),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def family(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    post = _post_dict(request) if request.method == "POST" else None
    if post is not None and "add" in post:
        # One more blank form for another person; what was typed is kept.
        total_key = f"{FAMILY_PREFIX}-TOTAL_FORMS"
        try:
            total = int(post.get(total_key, "0"))
        except ValueError:
            total = 0
        ss_forms.FamilyFormSet(
            post, dependents=self_service.family_dependents(invitation.subscriber), prefix=FAMILY_PREFIX
        ).check_ids()
        post = dict(post, **{total_key: str(min(total + 1, 20))})
        post.pop("add", None)
        self_service.draft_save(invitation=invitation, step="family", data=post)
        return redirect(reverse("self_service:family", kwargs={"token": token}) + f"#person-{total}")
    answers = Answers(invitation, post=post, step="family")  # Http404 for another family's member id
    formset = answers.formset
    problems = answers.problems() if post is not None or _drafted(invitation, "family") else _no_problems()
    if post is not None:
        self_service.draft_save(invitation=invitation, step="family", data=post)
        blocking = any(
            _blocking(problems["dependents"].get(i, []), set(form.fields)) for i, form in enumerate(formset)
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
        _context(invitation, token, "family", formset=formset, people=people, general=problems["general"]),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def coverage(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    post = _post_dict(request) if request.method == "POST" else None
    answers = Answers(invitation, post=post, step="coverage")
    problems = answers.problems() if post is not None or _drafted(invitation, "coverage") else _no_problems()
    if post is not None:
        self_service.draft_save(invitation=invitation, step="coverage", data=post)
        valid = all(f.is_valid() for f in answers.coverage_forms)
        blocking = any(
            _blocking([p for p in problems["subscriber"] if p.step == f"election:{f.line}"], set(f.fields))
            for f in answers.coverage_forms
        )
        if valid and not blocking:
            return redirect("self_service:review", token=token)
    lines = []
    for form in answers.coverage_forms:
        mine = [p for p in problems["subscriber"] if p.step == f"election:{form.line}"]
        fields, general = fields_with_problems(form, mine)
        lines.append({"form": form, "fields": fields, "general": general, "label": form.line_label})
    return render(
        request,
        "members/self_service/coverage.html",
        _context(
            invitation,
            token,
            "coverage",
            lines=lines,
            costs_known=any(answers.costs.values()),
        ),
    )


def _summary(answers: Answers) -> dict:
    """What the review page shows."""
    s = answers.subscriber
    d = answers.subscriber_data
    me = {name: d.get(name, getattr(s, name)) for name in ss_forms.DETAILS_FIELDS if name != "ssn"}
    me["full_name"] = " ".join(
        p for p in (me.get("first_name"), me.get("middle_name"), me.get("last_name")) if p
    )
    ssn = d.get("ssn", s.ssn)
    from .models import mask_ssn

    me["masked_ssn"] = mask_ssn(ssn)
    people = []
    labels = dict(ss_forms.RELATIONSHIPS)
    if answers.dependents_data is not None:
        for entry in answers.dependents_data:
            if entry.get("DELETE"):
                continue
            people.append(
                {
                    "name": " ".join(p for p in (entry.get("first_name"), entry.get("last_name")) if p),
                    "relationship": labels.get(entry.get("relationship"), entry.get("relationship")),
                    "date_of_birth": entry.get("date_of_birth"),
                }
            )
    else:
        for dep in answers.dependents:
            people.append(
                {
                    "name": dep.full_name,
                    "relationship": labels.get(dep.relationship, dep.relationship),
                    "date_of_birth": dep.date_of_birth,
                }
            )
    coverage_rows = []
    total = Decimal("0")
    total_known = True
    reasons = dict(ss_forms.WAIVER_REASONS)
    elections = answers.election_data or {
        line: {"plan_id": e.plan_id, "waived": e.waived, "waiver_reason": e.waiver_reason}
        for line, e in answers.elections.items()
    }
    for line in answers.group.lines:
        e = elections.get(line)
        row: dict[str, Any] = {"line": ss_forms.LINE_LABELS.get(line, line), "code": line}
        if e is None:
            row["missing"] = True
        elif e.get("waived"):
            row["waived"] = True
            row["reason"] = reasons.get(e.get("waiver_reason"), e.get("waiver_reason"))
        else:
            cost = answers.costs.get(line, {}).get(e.get("plan_id"))
            row["plan"] = (cost or {}).get("name") or answers.names.get(e.get("plan_id")) or e.get("plan_id")
            row["employee"] = ss_forms.money(cost.get("employee")) if cost else ""
            if cost and cost.get("employee") is not None:
                total += cost["employee"]
            else:
                total_known = False
        coverage_rows.append(row)
    return {
        "me": me,
        "people": people,
        "coverage_rows": coverage_rows,
        "total": ss_forms.money(total) if total_known else "",
    }


@require_http_methods(["GET", "HEAD", "POST"])
@employee_page
def review(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    # A signature that goes through never shows the prices: they are worked out only for a page shown.
    answers = Answers(invitation, step="sign" if request.method == "POST" else None)
    problems = answers.problems()
    sign_form = ss_forms.SignForm(request.POST if request.method == "POST" else None)
    to_fix = []
    detail_fields = set(answers.details_form.fields)
    if not answers.details_valid:
        to_fix.append(("details", _("Your details are not complete.")))
    if not answers.family_valid:
        to_fix.append(("family", _("Your family is not complete.")))
    if not answers.coverage_answered or not answers.coverage_valid:
        to_fix.append(("coverage", _("Choose a plan or say why you do not want it, for every coverage.")))
    listed = []
    for p in problems["subscriber"]:
        step = "coverage" if p.step.startswith("election") else "details"
        fixable = p.field in detail_fields or p.step.startswith("election")
        listed.append({"problem": p, "step": step, "fixable": fixable})
    for _index, plist in sorted(problems["dependents"].items(), key=lambda kv: kv[0] or 0):
        for p in plist:
            listed.append({"problem": p, "step": "family", "fixable": p.field not in (None, "covered_lines")})
    for p in problems["general"]:
        listed.append({"problem": p, "step": "family", "fixable": True})
    blocking = [item for item in listed if item["fixable"] and item["problem"].is_error]
    if request.method == "POST" and sign_form.is_valid() and not to_fix and not blocking:
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
    for item in listed:
        item["url"] = reverse(f"self_service:{item['step']}", kwargs={"token": token})
    return render(
        request,
        "members/self_service/review.html",
        _context(
            invitation,
            token,
            "review",
            sign_form=sign_form,
            to_fix=[
                {"url": reverse(f"self_service:{s}", kwargs={"token": token}), "message": m}
                for s, m in to_fix
            ],
            problems=listed,
            blocking=bool(blocking or to_fix),
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
def invitation_send(request: HttpRequest, group_pk: int, pk: int) -> HttpResponse:
    group, subscriber = _broker_invitation(request, group_pk, pk)
    try:
        self_service.invitation_send(subscriber=subscriber, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": subscriber.email})
    return _back(group)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, group_pk: int, pk: int) -> HttpResponse:
    group, subscriber = _broker_invitation(request, group_pk, pk)
    try:
        self_service.invitation_resend(invitation=_latest(subscriber), by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Invitation sent again to %(email)s; the earlier link no longer works.")
            % {"email": subscriber.email},
        )
    return _back(group)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, group_pk: int, pk: int) -> HttpResponse:
    group, subscriber = _broker_invitation(request, group_pk, pk)
    self_service.invitation_revoke(invitation=_latest(subscriber), by=request.user)
    messages.success(request, _("Invitation revoked: the link no longer works."))
    return _back(group)


@login_required
@require_POST
def invitation_extend(request: HttpRequest, group_pk: int, pk: int) -> HttpResponse:
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
