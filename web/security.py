"""Security headers on every response, including errors raised before routing."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# htmx runs with allowEval=false and no inline styles/scripts, so no 'unsafe-*' is needed.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(self), geolocation=(), microphone=()",
    "cross-origin-opener-policy": "same-origin",
}


def security_headers(https: bool):
    extra = {"strict-transport-security": "max-age=31536000; includeSubDomains"} if https else {}

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in {**HEADERS, **extra}.items():
            if name not in headers:
                headers[name] = value
        path = scope.get("path", "")
        if not path.startswith("/static/") and "cache-control" not in headers:
            headers["cache-control"] = "no-store"

    return before_send
