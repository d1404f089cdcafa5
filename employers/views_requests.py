"""The employer's renewal decision (read and sign it from their own login, REN-002) and "Request a change"
(the employer asks, the broker marks it done)."""

from __future__ import annotations

import logging
from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.access import AuthenticatedRequest
from enrollment.selectors import group_get_visible
from enrollment.views_signing import sign_posted
from renewals import signing
from renewals.models import Renewal
from renewals.selectors import renewal_current
from renewals.views import decision_pdf_response

from . import selectors, services
from .models import EmployerContact, EmployerRequest

log = logging.getLogger(__name__)


def _renewal(request: AuthenticatedRequest, group_pk: int) -> tuple[EmployerContact, Renewal | None]:
    """The logged-in employer's contact of the group (404 for any other group) and its current renewal."""
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    return contact, renewal_current(group=contact.group)


@login_required
@require_GET
def employer_renewal(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    """The renewal decision the broker prepared, as a document to read and sign."""
    contact, renewal = _renewal(request, group_pk)
    context: dict = {"group": contact.group, "contact": contact, "renewal": renewal}
    if renewal is not None and renewal.decision_draft:
        signing.renewal_decision_void_if_changed(renewal=renewal)
        state = signing.decision_state(renewal=renewal)
        if state.document is None:  # voided since the broker prepared it: the document of the draft as it is
            try:
                signing.decision_document_current(renewal=renewal)
            except Exception:  # noqa: BLE001 - the PDF renderer missing: the page says what is signed
                log.exception("renewal %s: the decision document could not be made", renewal.pk)
            state = signing.decision_state(renewal=renewal)
        context |= {
            "signing": state,
            "view": signing.decision_view(renewal=renewal, decision=state.document.decision)
            if state.document
            else None,
        }
    return render(request, "employers/renewal.html", context)


@login_required
@require_POST
def employer_renewal_sign(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    _contact, renewal = _renewal(request, group_pk)
    if renewal is None:
        return redirect("employers:renewal", group_pk=group_pk)
    sign_posted(
        request,
        partial(signing.renewal_decision_sign, renewal=renewal),
        role=signing.Role.EMPLOYER,
        email=request.user.email,
        done=_("Thank you: the renewal decision is signed. Your broker sends it to Humana."),
    )
    return redirect("employers:renewal", group_pk=group_pk)


@login_required
@require_GET
def employer_renewal_pdf(request: AuthenticatedRequest, group_pk: int, sha256: str) -> HttpResponse:
    _contact, renewal = _renewal(request, group_pk)
    if renewal is None:
        raise Http404("No renewal.")
    return decision_pdf_response(renewal=renewal, sha256=sha256)


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What kind of change"),
        choices=EmployerRequest.Kind.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("What should change"),
        help_text=gettext_lazy(
            "Who, what and from when (for a new hire: their name, start date and the coverage they want). "
            "Do not write Social Security numbers: your broker asks for them safely."
        ),
        max_length=services.REQUEST_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def employer_requests(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    """The employer's "Request a change": the form and what they asked before."""
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.employer_request_create(contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            messages.success(request, _("Your request was sent to your broker."))
            return redirect("employers:requests", group_pk=group_pk)
    return render(
        request,
        "employers/requests.html",
        {"group": contact.group, "form": form, "requests": selectors.employer_requests(group=contact.group)},
    )


@login_required
@require_POST
def employer_request_done(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    """The broker marks an employer's request done (from the group page)."""
    group = group_get_visible(user=request.user, pk=group_pk, write=True)
    services.employer_request_done(
        request=selectors.employer_request_get(group=group, pk=pk), by=request.user
    )
    messages.success(request, _("The employer's request is marked done; they were told."))
    return redirect("enrollment:group_detail", pk=group.pk)
