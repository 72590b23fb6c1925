"""Pages and endpoints that work without signing in: login, language, health, PWA files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from core import i18n
from core.db import database_reachable
from core.i18n import gettext as _
from core.identity.service import authenticate, normalise_login
from core.identity.throttle import LoginThrottle
from core.tables import Organisation, User
from web.auth import start_session
from web.forms import Form
from web.templating import render

STATIC = Path(__file__).resolve().parents[2] / "static"
ANON = {"exclude_from_auth": True}
BRAND_RE = re.compile(r"([0-9a-fA-F]{6})\.css")


def safe_next(value: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parsed = urlparse(value)
    return "/" if parsed.scheme or parsed.netloc else value


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@get("/login", opt=ANON, include_in_schema=False)
async def login_page(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Template | Redirect:
    if request.scope.get("user") is not None:
        return Redirect(safe_next(next), status_code=303)
    return await render(request, "login.html", {"form": Form(), "next": safe_next(next)})


@post("/login", opt=ANON, include_in_schema=False)
async def login_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await Form.read(request)
    login, password = form.get("login"), form.data.get("password", "")
    next_url = safe_next(form.get("next"))
    throttle: LoginThrottle = request.app.state.throttle
    ip = client_ip(request)
    if not login:
        form.error("login", _("Enter your account name."))
    if not password:
        form.error("password", _("Enter your password."))
    if form.ok:
        wait = await throttle.attempt(login, ip)
        if wait:
            raise HTTPException(
                status_code=HTTP_429_TOO_MANY_REQUESTS,
                detail=_("Too many failed sign-ins. Try again in %(minutes)d minutes.")
                % {"minutes": max(1, (wait + 59) // 60)},
                headers={"Retry-After": str(wait)},
            )
        row = await authenticate(login, str(password))
        if row is not None:
            await throttle.succeeded(login, ip)
            start_session(request, row)
            return Redirect(next_url, status_code=303)
        form.error("login", _("The account name or password is not correct."))
    form.data = {"login": normalise_login(login)}
    return await render(request, "login.html", {"form": form, "next": next_url}, status_code=422)


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=303)


@post("/lang", opt=ANON, include_in_schema=False)
async def switch_language(request: Request[Any, Any, Any]) -> Redirect:
    form = await Form.read(request)
    locale = i18n.normalise(form.get("lang"))
    back = safe_next(form.get("next"))
    response = Redirect(back, status_code=303)
    if locale is None:
        return response
    actor = request.scope.get("user")
    if actor is not None:
        await User.update({User.locale: locale}).where(
            (User.id == actor.user_id) & (User.org == actor.org_id)
        )
    settings = request.app.state.settings
    response.set_cookie(
        key=settings.lang_cookie,
        value=locale,
        max_age=365 * 24 * 3600,
        secure=settings.https,
        httponly=True,
        samesite="lax",
        path="/",
    )
    return response


@get("/healthz", opt=ANON, include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", opt=ANON, include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    from core.migrations import pending_migrations  # imports Piccolo's migration tooling

    engine = Organisation._meta.db
    reachable = await database_reachable(engine)
    pending = await pending_migrations() if reachable else ["?"]
    ready = reachable and not pending
    body = {
        "status": "ready" if ready else "not ready",
        "database": reachable,
        "pending_migrations": pending,
    }
    return Response(body, status_code=200 if ready else 503)


@get("/manifest.webmanifest", opt=ANON, include_in_schema=False)
async def manifest(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    return Response(
        {
            "name": _("houqin logistics services"),
            "short_name": _("houqin"),
            "description": _(
                "Ask for repairs, supplies, rooms and more, and follow every request."
            ),
            "start_url": "/?source=pwa",
            "scope": "/",
            "id": "/",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#f5f7fb",
            "theme_color": "#1d64d8",
            "lang": i18n.html_lang(),
            "icons": [
                {
                    "src": "/static/icons/icon-192.png",
                    "sizes": "192x192",
                    "type": "image/png",
                    "purpose": "any",
                },
                {
                    "src": "/static/icons/icon-512.png",
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any",
                },
                {
                    "src": "/static/icons/maskable-512.png",
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        },
        media_type="application/manifest+json",
        headers={"cache-control": "no-cache"},
    )


@get("/sw.js", opt=ANON, include_in_schema=False)
async def service_worker() -> File:
    return File(
        STATIC / "sw.js",
        content_disposition_type="inline",
        media_type="text/javascript",
        headers={"cache-control": "no-cache", "service-worker-allowed": "/"},
    )


@get("/brand/{name:str}", opt=ANON, include_in_schema=False)
async def brand_css(name: FromPath[str]) -> Response[str]:
    """The organisation's brand colour as CSS custom properties (no inline styles: CSP)."""
    match = BRAND_RE.fullmatch(name)
    if match is None:
        raise NotFoundException()
    colour = "#" + match.group(1).lower()
    return Response(
        f":root{{--brand:{colour};--brand-strong:color-mix(in srgb,{colour} 82%,#000);"
        f"--brand-soft:color-mix(in srgb,{colour} 12%,transparent)}}\n",
        media_type="text/css",
        headers={"cache-control": "public, max-age=31536000, immutable"},
    )


@get("/offline", opt=ANON, include_in_schema=False)
async def offline(request: Request[Any, Any, Any]) -> Template:
    return await render(request, "offline.html")


PUBLIC_HANDLERS = [
    login_page,
    login_submit,
    logout,
    switch_language,
    healthz,
    readyz,
    manifest,
    service_worker,
    offline,
    brand_css,
]
