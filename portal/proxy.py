"""The proxy in front of the portal, and what is believed of the headers it sets.

Production runs behind ``TRUSTED_PROXY_COUNT`` proxies (nginx in ``docker-compose.yml``, maybe a load
balancer before it), the nearest of which connects from one of ``TRUSTED_PROXY_ADDRESSES`` (addresses or
CIDR networks). Only a request that comes from there may say, in ``X-Forwarded-For`` and
``X-Forwarded-Proto``, who the client is and whether it used HTTPS; from anyone else those headers are
the client's own words and are dropped (``TrustedProxyHeadersMiddleware``, first of all middleware).

Each proxy appends the address it saw to ``X-Forwarded-For``, so the client is the ``TRUSTED_PROXY_COUNT``-th
entry from the right; whatever the client wrote itself is further left and never read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


@lru_cache(maxsize=32)
def _networks(configured: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in configured if entry.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(remote_addr: str | None) -> bool:
    address = _address(remote_addr or "")
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXY_ADDRESSES", ()) or ()))
    return address is not None and any(address in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: from the trusted proxies' ``X-Forwarded-For``, else the connection's.

    django-axes calls it (``AXES_CLIENT_IP_CALLABLE``) for its per-address and per-account counts."""
    remote = request.META.get("REMOTE_ADDR")
    if not is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    count = max(int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)), 1)
    if len(hops) < count:
        return remote  # fewer hops than proxies: the chain is not what the proxies write
    client = _address(hops[-count])
    return str(client) if client is not None else remote


class TrustedProxyHeadersMiddleware:
    """Drops ``X-Forwarded-*`` unless the request comes from a trusted proxy, so that
    ``SECURE_PROXY_SSL_HEADER`` (is this HTTPS?) and the client address believe the proxy only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
