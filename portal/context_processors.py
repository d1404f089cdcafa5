from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The main navigation; an entry appears once its page exists.
NAVIGATION = [("book", _("Book of business")), ("quote_list", _("Quotes")), ("group_list", _("Groups"))]


def portal(request: HttpRequest) -> dict:
    broker = getattr(request.user, "broker", None) if request.user.is_authenticated else None
    nav = []
    for url_name, label in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        nav.append({"url": url, "label": label, "active": request.path == url})
    return {
        "current_broker": broker,
        "navigation": nav,
        "sandbox_enabled": settings.SANDBOX_ENABLED,
        "environment": settings.DJANGO_ENV,
    }
