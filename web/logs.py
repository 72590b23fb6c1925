"""One structured log line per request (structlog, JSON): who, what, status, time."""

from __future__ import annotations

import time

import structlog
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

structlog.configure(
    processors=[
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer(ensure_ascii=False),
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
log = structlog.get_logger("houqin.request")


class RequestLogMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]
    should_bypass_for_scope = staticmethod(
        lambda scope: scope["path"].startswith(("/static/", "/healthz"))
    )

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        except HTTPException as exc:  # answered by Litestar's exception handlers further out
            status = exc.status_code
            raise
        finally:
            actor = scope.get("user")
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                user=getattr(actor, "user_id", None),
                org=getattr(actor, "org_id", None),
            )
