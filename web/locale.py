"""Choose the language of each request: user preference → cookie → Accept-Language → org."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core import i18n


class LocaleMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]
    should_bypass_for_scope = staticmethod(lambda scope: scope["path"].startswith("/static/"))

    def __init__(self, lang_cookie: str) -> None:
        self.lang_cookie = lang_cookie

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        conn: ASGIConnection = ASGIConnection(scope)
        actor = scope.get("user")
        locale = i18n.choose_locale(
            getattr(actor, "locale", None),
            conn.cookies.get(self.lang_cookie),
            conn.headers.get("accept-language"),
            getattr(actor, "org_locale", None),
        )
        i18n.set_locale(locale, getattr(actor, "time_zone", None))
        scope.setdefault("state", {})["locale"] = locale
        await next_app(scope, receive, send)
