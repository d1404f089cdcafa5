"""The employer's pages (their group only) and the broker's page that invites them."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agencies.access import AuthenticatedRequest
from enrollment import application
from enrollment.selectors import group_get_visible
from enrollment.views_application import application_pdf_response
from enrollment.views_signing import sign_posted
from enrollment.window import oe_window
from members.selectors import group_progress
from reports.tables import employer_employee_choices

from . import selectors, services
from .models import EmployerContact


@login_required
def employer_home(request: AuthenticatedRequest) -> HttpResponse:
    groups = list(selectors.employer_groups(user=request.user))
    if len(groups) == 1:
        return redirect("employers:group", group_pk=groups[0].pk)
    return render(request, "employers/home.html", {"groups": groups})


@login_required
def employer_group(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    group = contact.group
    try:
        document = application.application_document_current(group=group)
    except Exception:  # noqa: BLE001 - the PDF renderer missing: the rest of the page stands
        document = None
    context = {
        "group": group,
        "contact": contact,
        "document": document,
        "state": application.application_state(group=group),
        "employees": employer_employee_choices(group=group),
        "progress": group_progress(group=group),
        "window": oe_window(group=group),
        # What went to the employer and the broker (an employee's own e-mails are theirs).
        "sent": group.notices.exclude(role="EMPLOYEE")[:50],
        "renewal_view": selectors.employer_renewal(group=group),
        "changes": selectors.employer_changes(group=group),
    }
    return render(request, "employers/group.html", context)


@login_required
@require_POST
def employer_sign(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    sign_posted(
        request,
        partial(application.application_sign, group=contact.group),
        role=application.Role.EMPLOYER,
        email=request.user.email,
        done=_("Thank you: the application is signed."),
    )
    return redirect("employers:group", group_pk=group_pk)


@login_required
@require_GET
def employer_application_pdf(request: AuthenticatedRequest, group_pk: int, sha256: str) -> HttpResponse:
    contact = selectors.employer_contact_get(user=request.user, group_pk=group_pk)
    return application_pdf_response(group=contact.group, sha256=sha256)


class InviteForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    title = forms.CharField(label=gettext_lazy("Title at the employer"), max_length=60, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=EmployerContact.Language.choices)


@login_required
def employer_access(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    """The broker's page: who has the employer's access to this group, and inviting them."""
    group = group_get_visible(user=request.user, pk=group_pk, write=request.method == "POST")
    initial = {"first_name": group.contact_first_name, "last_name": group.contact_last_name,
               "email": group.contact_email}  # fmt: skip
    form = InviteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.employer_invite(group=group, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(
                request, _("The employer was invited: the e-mail has a link to set their password.")
            )
            return redirect("employers:access", group_pk=group.pk)
    contacts = EmployerContact.objects.filter(group=group).select_related("user")
    return render(request, "employers/access.html", {"group": group, "form": form, "contacts": contacts})


class EmployerWelcomeView(PasswordResetConfirmView):
    """The invitation's link: set a password, then land on the group (Django's reset-token checks)."""

    template_name = "employers/welcome.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("employers:home")
