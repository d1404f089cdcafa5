"""The broker's change pages of an ENROLLED group: the changes and their carrier dates, the forms (a new
hire, a move, the end of employment), sending a change file, reading the carrier's roster."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carrier.errors import CarrierTransientError
from carrier.rules import carrier_today
from enrollment.selectors import group_get_visible
from groupsales.change_events import twenty_sixth_birthday
from members.models import Member
from members.services.bodies import member_build_validation_body

from . import forms, life_events, selectors, services
from .models import ChangeRequest


def _enrolled(request: HttpRequest, group_pk: int, *, write: bool = False):
    return group_get_visible(user=request.user, pk=group_pk, write=write)


@login_required
@require_GET
def group_changes(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk)
    check = getattr(group, "roster_check", None)
    return render(
        request,
        "maintenance/group_changes.html",
        {
            "group": group,
            "enrolled": group.status == "ENROLLED",
            "changes": selectors.change_list(group=group),
            "files": group.change_files.all()[:10],
            "check": check,
            "expiring": services.expiring(group=group),
            "waiting_period": group.waiting_period,
            "book": selectors.book_differences(user=request.user),
            "life_events": life_events.LIFE_EVENTS,
            "aging_out": life_events.children_aging_out(group=group, today=carrier_today()),
        },
    )


def _saved(request: HttpRequest, group, body: dict, *, member=None, before=None) -> HttpResponse:
    change = services.change_request_create(
        group=group, body=body, member=member, by=request.user, before=before
    )
    try:
        change = services.change_request_validate(request_id=change.pk)
    except CarrierTransientError:
        validate_later(change.pk)
        messages.warning(
            request, _("The carrier did not answer; the change is saved and will be validated again.")
        )
        return redirect("maintenance:group_changes", group.pk)
    return _announce(request, group, change)


def validate_later(request_id: int) -> None:
    """The carrier did not answer: the task validates the saved change (with the members' retry policy)."""
    from .tasks import validate_change

    transaction.on_commit(lambda: validate_change.delay(request_id))


def _announce(request: HttpRequest, group, change) -> HttpResponse:
    if change.state == change.State.VALIDATED:
        assert change.change is not None  # a validated request holds the carrier's change block
        messages.success(
            request,
            _("The carrier takes this change from %(date)s; send it by %(send_by)s.")
            % {"date": change.change["effectiveDate"], "send_by": change.change["sendBy"]},
        )
    elif change.state == change.State.HELD:
        messages.warning(
            request,
            _("This change takes effect on or after the renewal date: it is held until the renewal is "
              "accepted (MNT-011), then sent in the next change file."),
        )  # fmt: skip
    else:
        messages.error(request, _("The carrier refused this change; see why below."))
    return redirect("maintenance:group_changes", group.pk)


def _form_page(request, group, form, title: str) -> HttpResponse:
    return render(
        request,
        "maintenance/change_form.html",
        {"group": group, "form": form, "title": title, "waiting_period": group.waiting_period},
    )


@login_required
def change_new_hire(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=request.method == "POST")
    if group.status != "ENROLLED":
        return redirect("maintenance:group_changes", group.pk)
    form = forms.NewHireForm(request.POST or None, offerings=group.offerings)
    if request.method == "POST" and form.is_valid():
        return _saved(request, group, form.body())
    return _form_page(request, group, form, _("A new employee"))


def _member(group, ref: str) -> Member:
    return Member.objects.get(group=group, member_ref=ref)


def _lines(body: dict) -> list[dict]:
    return [
        {"line": c["line"], "planId": c["planId"], "coverageTier": c.get("coverageTier")}
        for c in body.get("coverage") or []
        if c.get("planId") and not c.get("waived")
    ]


@login_required
def change_termination(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=request.method == "POST")
    form = forms.TerminationForm(request.POST or None, subscribers=selectors.subscriber_choices(group=group))
    if group.status == "ENROLLED" and request.method == "POST" and form.is_valid():
        member = _member(group, form.cleaned_data["member"])
        body = member_build_validation_body(member=member)
        body["event"] = {
            "type": form.cleaned_data["reason"],
            "action": "TERMINATE",
            "date": form.cleaned_data["event_date"].isoformat(),
        }
        return _saved(request, group, body, member=member)
    return _form_page(request, group, form, _("Someone's coverage ends"))


@login_required
def change_move(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=request.method == "POST")
    form = forms.MoveForm(request.POST or None, subscribers=selectors.subscriber_choices(group=group))
    if group.status == "ENROLLED" and request.method == "POST" and form.is_valid():
        member = _member(group, form.cleaned_data["member"])
        body = member_build_validation_body(member=member)
        body["address"] = forms.address(form.cleaned_data)
        body["event"] = {
            "type": "DEMOGRAPHIC",
            "action": "CHANGE",
            "date": form.cleaned_data["event_date"].isoformat(),
        }
        return _saved(
            request, group, body, member=member, before=_lines(member_build_validation_body(member=member))
        )
    return _form_page(request, group, form, _("A new address"))


@login_required
@require_POST
def change_file_send(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=True)
    try:
        file = services.change_file_send(group_id=group.pk, by=request.user)
    except CarrierTransientError:
        file = None
        messages.warning(request, _("The carrier did not answer; try again in a few minutes."))
    if file is not None and file.file_id:
        messages.success(request, _("The change file %(ref)s was sent.") % {"ref": file.reference})
    elif file is not None:
        messages.error(
            request, _("The change file %(ref)s was not sent; see why below.") % {"ref": file.reference}
        )
    return redirect("maintenance:group_changes", group.pk)


@login_required
@require_POST
def change_file_poll(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=True)  # polling records the carrier's answer
    for file in group.change_files.filter(status="SENT"):
        services.change_file_poll(change_file_id=file.pk)
    return redirect("maintenance:group_changes", group.pk)


@login_required
@require_POST
def roster_reconcile(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _enrolled(request, group_pk, write=True)  # reconciling stores the roster check
    try:
        services.roster_reconcile(group_id=group.pk)
    except CarrierTransientError:
        messages.warning(request, _("The carrier did not answer; try again in a few minutes."))
    return redirect("maintenance:group_changes", group.pk)


@login_required
@require_POST
def change_check_again(request: HttpRequest, group_pk: int, change_pk: int) -> HttpResponse:
    """A refused or rejected change, corrected where the carrier said, validated again (new dates)."""
    group = _enrolled(request, group_pk, write=True)
    change = get_object_or_404(group.change_requests, pk=change_pk)
    if change.state not in (change.State.REFUSED, change.State.REJECTED):
        return redirect("maintenance:group_changes", group.pk)
    event = [change]
    if change.event_key:  # the event's other requests are checked again with it (one request date)
        event = list(group.change_requests.filter(event_key=change.event_key).order_by("pk"))
    for each in event:
        services.change_request_correct(request=each, body=each.body, by=request.user)
    try:
        for each in event:
            change = services.change_request_validate(request_id=each.pk)
    except CarrierTransientError:
        for each in event:
            validate_later(each.pk)  # the task leaves a request no longer DRAFT as it is
        messages.warning(
            request, _("The carrier did not answer; the change is saved and will be validated again.")
        )
        return redirect("maintenance:group_changes", group.pk)
    return _announce(request, group, change)


# --------------------------------------------------------------------------- life events (one view)


def life_event_people(group, life, family: Member | None = None) -> list[tuple[str, str]]:
    """The members ``life`` may concern (its table's relationships; covered, or ended to reinstate)."""
    rows = Member.objects.filter(group=group, withdrawn_at__isnull=True).select_related("coverage_span")
    if family is not None:
        rows = rows.filter(Q(pk=family.pk) | Q(subscriber=family))
    allowed = set(life.spec.actions[life.action])
    if life.person is life_events.Person.DEPENDENT:
        allowed.discard("SUBSCRIBER")
    out = []
    for m in rows.order_by("member_ref"):
        ended = not life_events.covered(m)
        if m.relationship in allowed and ended == (life.person is life_events.Person.ENDED):
            out.append((m.member_ref, f"{m.full_name} ({m.member_ref})"))
    return out


def waived_lines(group, subscriber: Member | None) -> dict[str, list[str]]:
    """The lines the employee waived, with the plans the group offers on each."""
    offered = {o["line"]: o.get("planIds") or [] for o in group.offerings or []}
    if subscriber is None:
        return offered
    waived = {e.line for e in subscriber.elections.all() if e.waived}
    return {line: plans for line, plans in offered.items() if line in waived}


def life_event_save(request: HttpRequest, group, life, form, *, family: Member | None, by) -> list:
    """The event's bodies saved as change requests sharing one event key, each validated as saved."""
    import uuid

    data = dict(form.cleaned_data)
    if "member" in data:
        data["member_obj"] = Member.objects.get(group=group, member_ref=data["member"])
        family = data["member_obj"].subscriber or data["member_obj"]
    elif "family" in data:
        family = Member.objects.get(group=group, member_ref=data["family"], subscriber__isnull=True)
    assert family is not None
    if not data.get("event_date"):  # a child's 26th birthday, from its date of birth
        data["event_date"] = twenty_sixth_birthday(data["member_obj"].date_of_birth)
    key = uuid.uuid4().hex
    saved = []
    for planned in life_events.plan_event(life, subscriber=family, data=data):
        change = services.change_request_create(
            group=group, body=planned.body, member=planned.member, by=by, before=planned.before
        )
        ChangeRequest.objects.filter(pk=change.pk).update(event_key=key)
        saved.append(change)
    out = []
    for change in saved:
        try:
            out.append(services.change_request_validate(request_id=change.pk))
        except CarrierTransientError:
            validate_later(change.pk)
            out.append(change)
    return out


@login_required
def life_event(request: HttpRequest, group_pk: int, slug: str) -> HttpResponse:
    """Every life event through one form: the row of ``LIFE_EVENTS`` names what it asks."""
    group = _enrolled(request, group_pk, write=request.method == "POST")
    life = life_events.BY_SLUG.get(slug)
    if life is None:
        raise Http404
    if group.status != "ENROLLED":
        return redirect("maintenance:group_changes", group.pk)
    initial = {k: request.GET[k] for k in ("member", "family") if request.GET.get(k)}
    ref = request.POST.get("family") or request.GET.get("family")
    family = (
        Member.objects.filter(group=group, member_ref=ref, subscriber__isnull=True).first() if ref else None
    )
    form = forms.LifeEventForm(
        request.POST or None, initial=initial, life=life,
        families=selectors.subscriber_choices(group=group), people=life_event_people(group, life),
        waived=waived_lines(group, family),  # the chosen family's waived lines (?family=…), else every line
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        changes = life_event_save(request, group, life, form, family=None, by=request.user)
        return render(
            request, "maintenance/life_event_saved.html", {"group": group, "life": life, "changes": changes}
        )
    return render(
        request,
        "maintenance/change_form.html",
        {"group": group, "form": form, "title": life.title, "help": life.help, "life": life},
    )


@login_required
@require_GET
def group_people(request: HttpRequest, group_pk: int) -> HttpResponse:
    """The group's members with current and ended coverage and their dates, and the group's history."""
    group = _enrolled(request, group_pk)
    return render(
        request,
        "maintenance/people.html",
        {
            "group": group,
            "people": selectors.people(group=group),
            "timeline": selectors.timeline(group=group),
        },
    )


@login_required
@require_GET
def member_timeline(request: HttpRequest, group_pk: int, member_pk: int) -> HttpResponse:
    """One member's history after enrollment: every change, who made it, when, which file carried it."""
    group = _enrolled(request, group_pk)
    member = get_object_or_404(Member, group=group, pk=member_pk)
    row = (
        next(p for p in selectors.people(group=group) if p.member.pk == member.pk)
        if not member.withdrawn_at
        else None
    )
    return render(
        request,
        "maintenance/member_timeline.html",
        {"group": group, "member": member, "row": row,
         "timeline": selectors.timeline(group=group, member_ref=member.member_ref)},
    )  # fmt: skip


@login_required
@require_POST
def life_event_link(request: HttpRequest, group_pk: int, member_pk: int) -> HttpResponse:
    """E-mail an enrolled employee their own life-event link (the earlier one stops working)."""
    from .self_service import life_event_link_send

    group = _enrolled(request, group_pk, write=True)
    subscriber = get_object_or_404(Member, group=group, pk=member_pk, subscriber__isnull=True)
    if group.status != "ENROLLED" or not subscriber.email:
        messages.error(request, _("The link goes to an enrolled employee with an e-mail address."))
    else:
        life_event_link_send(subscriber=subscriber, by=request.user)
        messages.success(
            request, _("The life-event link was e-mailed to %(email)s.") % {"email": subscriber.email}
        )
    return redirect("maintenance:member_timeline", group.pk, subscriber.pk)
