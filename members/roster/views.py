"""The broker's roster pages: upload, the preview of what each value became, import, the template."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from agencies.access import AuthenticatedRequest
from enrollment.models import EmployerGroup
from enrollment.selectors import group_get_visible

from .. import selectors
from ..models import LINES, RosterImport, mask_ssn
from . import services
from .parse import TEMPLATE_HEADERS, RosterFamily, RosterPerson

ACCEPTED = (
    (
        _lazy("Relationship"),
        _lazy("Employee, Spouse, Domestic partner, Child, Stepchild, Foster child, Ward (or EE, SP, CH)"),
    ),
    (_lazy("Dates"), _lazy("mm/dd/yyyy, m/d/yy, yyyy-mm-dd, or a date cell")),
    (
        _lazy("Tiers"),
        _lazy(
            "EE, ES, EC, EF or EMP, ESP, ECH, FAM; Employee Only, Employee/Spouse, "
            "Employee/Child(ren), Family, Employee/Spouse/Child; Waive"
        ),
    ),
    (_lazy("Yes/no"), _lazy("Y, N, yes, no, true, false, 1, 0")),
    (_lazy("Gender"), _lazy("M, F, U (or Male, Female, Unknown)")),
    (_lazy("Employment status"), _lazy("FT, PT (or Full time, Part time)")),
)


def _group(request: HttpRequest, group_pk: int, *, write: bool) -> EmployerGroup:
    from ..services import CLOSED_TO_NEW_MEMBERS

    group = group_get_visible(user=request.user, pk=group_pk, write=write, records=selectors.MEMBER_PAGES)
    if group.status in CLOSED_TO_NEW_MEMBERS:
        raise Http404("The group is finalized: new employees are changes to Humana, not a roster import.")
    return group


def _preview(group: EmployerGroup, pk: int) -> RosterImport:
    try:
        return RosterImport.objects.get(group=group, pk=pk)
    except RosterImport.DoesNotExist as exc:
        raise Http404("No such roster for this group.") from exc


@login_required
def roster_upload(request: AuthenticatedRequest, group_pk: int) -> HttpResponse:
    group = _group(request, group_pk, write=request.method == "POST")
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("roster")
        if upload is None:
            error = _("PTL-004: Choose the roster file (CSV or XLSX) to upload.")
        else:
            preview = services.roster_preview_create(
                group=group, name=upload.name or "", content=upload, by=request.user
            )
            return redirect("members:roster_preview", group_pk=group.pk, pk=preview.pk)
    return render(
        request, "members/roster_upload.html", {"group": group, "error": error, "accepted": ACCEPTED}
    )


def _rows(preview: RosterImport, families: list[RosterFamily]) -> list[dict]:
    """The preview's people in file order, each with what its values became (SSN masked) and its errors."""
    by_line: dict[int, list[dict]] = {}
    for error in preview.errors:
        by_line.setdefault(error["line"], []).append(error)
    rows = [
        _person_row(person, family, by_line.pop(person.line, []))
        for family in families
        for person in (family.employee, *family.dependents)
    ]
    return rows + [
        {"line": line, "errors": errors, "unplaced": True} for line, errors in sorted(by_line.items())
    ]


def _person_row(person: RosterPerson, family: RosterFamily, errors: list[dict]) -> dict:
    data = person.data
    is_employee = person is family.employee
    return {
        "line": person.line,
        "is_employee": is_employee,
        "member_ref": data.get("member_ref", ""),
        "relationship": data.get("relationship", ""),
        "name": _joined(" ", data, ("first_name", "middle_name", "last_name", "suffix")),
        "ssn": mask_ssn(data.get("ssn")),
        "date_of_birth": data.get("date_of_birth"),
        "gender": data.get("gender", ""),
        "tobacco_use": data.get("tobacco_use"),
        "hire_date": data.get("hire_date"),
        "hours": data.get("hours_per_week"),
        "status": data.get("employment_status", ""),
        "address": ", ".join(
            filter(
                None,
                (
                    data.get("address_line1"),
                    data.get("address_line2"),
                    data.get("city"),
                    data.get("state"),
                    _joined("-", data, ("zip5", "zip4")),
                    data.get("county_fips"),
                ),
            )
        ),
        "email": data.get("email", ""),
        "phone": data.get("phone", ""),
        "coverage": [
            (line, family.tiers.get(line, ""), family.plans.get(line, ""))
            for line in LINES
            if family.tiers.get(line) or family.plans.get(line)
        ]
        if is_employee
        else [],
        "errors": errors,
    }


def _joined(separator: str, data: dict, names: tuple[str, ...]) -> str:
    """The values of ``names`` that are there, joined."""
    return separator.join(filter(None, (data.get(name) for name in names)))


@login_required
def roster_preview(request: AuthenticatedRequest, group_pk: int, pk: int) -> HttpResponse:
    group = _group(request, group_pk, write=request.method == "POST")
    preview = _preview(group, pk)
    if request.method == "POST":
        outcome = services.roster_import(
            roster_import_id=preview.pk,
            by=request.user,
            good_only=request.POST.get("rows") == "good",
            invite=request.POST.get("invite") == "on",
        )
        if outcome.already:
            messages.info(request, _("This roster was already imported or discarded."))
            return redirect("members:member_list", group_pk=group.pk)
        if outcome.errors:
            messages.error(
                request, _("Nothing was imported: correct the rows listed, then upload the file again.")
            )
            return redirect("members:roster_preview", group_pk=group.pk, pk=preview.pk)
        count = sum(1 + s.dependents.count() for s in outcome.imported)
        messages.success(
            request,
            _("%(families)s families (%(people)s people) imported.")
            % {"families": len(outcome.imported), "people": count},
        )
        if outcome.skipped_lines:
            messages.warning(
                request,
                _("Skipped, with the errors shown: lines %(lines)s.")
                % {"lines": ", ".join(map(str, outcome.skipped_lines))},
            )
        if outcome.invited:
            messages.success(request, _("%(n)s employees invited.") % {"n": outcome.invited})
        for refused in outcome.not_invited:
            messages.warning(request, _("Not invited: %(why)s") % {"why": refused})
        return redirect("members:member_list", group_pk=group.pk)
    families = (
        services.roster_families(roster_import=preview)
        if preview.status == RosterImport.Status.PREVIEW
        else []
    )
    rows = _rows(preview, families)
    bad_lines = {e["line"] for e in preview.errors}
    context = {
        "group": group,
        "preview": preview,
        "rows": rows,
        "errors": preview.errors,
        "good_families": sum(1 for f in families if not bad_lines.intersection(f.lines)),
        "with_email": sum(1 for f in families if f.employee.data.get("email")),
    }
    return render(request, "members/roster_preview.html", context)


@login_required
@require_POST
def roster_discard(request: HttpRequest, group_pk: int, pk: int) -> HttpResponse:
    group = _group(request, group_pk, write=True)
    services.roster_discard(roster_import=_preview(group, pk))
    messages.info(request, _("The roster was discarded; nothing was imported."))
    return redirect("members:member_list", group_pk=group.pk)


@login_required
@require_GET
def roster_template(request: HttpRequest, group_pk: int, fmt: str) -> HttpResponse:
    group = group_get_visible(user=request.user, pk=group_pk, records=selectors.MEMBER_PAGES)
    name = f"roster-template-{group.pk}"
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerow(TEMPLATE_HEADERS)
        response = HttpResponse("\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None  # a new workbook has its one sheet
        sheet.title = "Roster"
        sheet.append(list(TEMPLATE_HEADERS))
        help_sheet = book.create_sheet("How to fill in")
        help_sheet.append(["Column", "Accepted values"])
        help_sheet.append(["Rows", "One row per person: each employee, then their spouse and children"])
        for label, values in ACCEPTED:
            help_sheet.append([str(label), str(values)])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
