from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import group_list_visible_to


@login_required
def book_of_business(request: HttpRequest) -> HttpResponse:
    groups = group_list_visible_to(user=request.user)
    page = Paginator(groups, 50).get_page(request.GET.get("page"))
    return render(request, "enrollment/book.html", {"page": page})
