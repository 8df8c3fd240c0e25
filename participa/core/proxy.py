"""The client's address, taken from a reverse proxy only when the request comes from one.

Behind the TLS proxy every request arrives from the proxy's address and the client's is in
X-Forwarded-For; a request that reaches gunicorn directly could write any X-Forwarded-For it
likes and pass for someone else (and dodge the per-client login throttle). So the forwarded
headers are believed only from the addresses in ``TRUSTED_PROXIES`` and dropped otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)


def networks(trusted: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in trusted if entry and entry != "none"]


class TrustedProxies:
    """WSGI middleware: ProxyFix (one proxy hop) for requests from a trusted proxy; for any other
    request, the forwarded headers are removed before the application sees them."""

    def __init__(self, app: Callable[..., Any], trusted: Iterable[str]) -> None:
        self.app = app
        self.networks = networks(trusted)
        self.behind_proxy = ProxyFix(app, x_for=1, x_proto=1, x_host=1)

    def trusts(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.behind_proxy(environ, start_response)
        for header in FORWARDED:
            environ.pop(header, None)
        return self.app(environ, start_response)
