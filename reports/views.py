"""Downloads: the book of business (with the page's filters) and a group's reports, as CSV or XLSX.

Each goes through the same visibility selector as its page (another agency's group is a 404; a staff user
needs the view permissions the page needs)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from enrollment import selectors
from enrollment.views import book_filters

from .tables import GROUP_EXPORTS, book_table
from .tabular import WRITERS, Table


def _download(table: Table, *, name: str, fmt: str) -> HttpResponse:
    if fmt not in WRITERS:
        raise Http404("No such format.")
    write, content_type = WRITERS[fmt]
    response = HttpResponse(write(table), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def book_export(request: HttpRequest, fmt: str) -> HttpResponse:
    groups = selectors.book_list(user=request.user, filters=book_filters(request))
    return _download(
        book_table(groups=groups), name=f"book-of-business-{timezone.localdate():%Y-%m-%d}", fmt=fmt
    )


@login_required
@require_GET
def group_export(request: HttpRequest, pk: int, report: str, fmt: str) -> HttpResponse:
    build = GROUP_EXPORTS.get(report)
    if build is None:
        raise Http404("No such report.")
    group = selectors.group_get_visible(user=request.user, pk=pk, records=("members.member",))
    label = group.humana_group_id or f"draft-{group.pk}"
    return _download(build(group=group), name=f"group-{label}-{report}", fmt=fmt)
