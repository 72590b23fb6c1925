"""Friendly error pages in the user's language; JSON errors under /api."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_409_CONFLICT,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from core import i18n
from core.db import is_unavailable
from core.i18n import gettext as _

log = logging.getLogger("houqin.errors")


CSRF_FAILED = "CSRF token verification failed"  # Litestar's CSRF middleware says this


def _api_details() -> dict[str, str]:
    return {
        "invalid_token": _("The API token is invalid or revoked."),
        "api_write_needs_token": _(
            "Write requests to the API need an API token (Authorization: Bearer …)."
        ),
    }


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("That request was not understood"),
            _("Please check what you entered and try again."),
        ),
        401: (_("Please sign in"), _("You need to sign in to see this page.")),
        403: (
            _("Not allowed"),
            _(
                "Your account does not have permission for this. "
                "Ask your administrator if you need it."
            ),
        ),
        404: (_("Not found"), _("This page does not exist, or it is not available to you.")),
        405: (_("Not allowed"), _("This action is not available here.")),
        409: (
            _("Changed in the meantime"),
            _("Someone else changed this just now. Reload the page and try again."),
        ),
        413: (_("Too large"), _("The upload is larger than allowed.")),
        422: (_("Please check the form"), _("Some fields need your attention.")),
        429: (_("Too many attempts"), _("Please wait a moment before trying again.")),
        503: (
            _("Briefly unavailable"),
            _(
                "The service is restarting or busy for a moment. Nothing was saved: "
                "please try again in a few seconds."
            ),
        ),
        500: (
            _("Something went wrong"),
            _("We could not complete this. It has been logged; please try again later."),
        ),
    }


def is_api(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.startswith("/schema")


def ensure_locale(request: Request[Any, Any, Any]) -> None:
    """Errors raised before the locale middleware ran still speak the user's language."""
    if "locale" in request.scope.get("state", {}):
        return
    actor = request.scope.get("user")
    settings = request.app.state.settings
    i18n.set_locale(
        i18n.choose_locale(
            getattr(actor, "locale", None),
            request.cookies.get(settings.lang_cookie),
            request.headers.get("accept-language"),
            getattr(actor, "org_locale", None),
        )
    )


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None = None,
    *,
    user_message: bool = False,
) -> Response[Any]:
    ensure_locale(request)
    messages = _messages()
    title, message = messages.get(status, messages[500 if status >= 500 else 400])
    headers: dict[str, str] = {}
    if is_api(request):
        text = _api_details().get(detail or "", detail) if detail and status < 500 else message
        return Response(
            {"status_code": status, "detail": text}, status_code=status, media_type=MediaType.JSON
        )
    if status == 401:
        target = "/login?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""
        )
        if request.headers.get("hx-request"):
            return Response(b"", status_code=204, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)
    if (status == 429 or user_message) and detail:
        message = detail
    elif status == 403 and detail == CSRF_FAILED:
        title = _("This form has expired")
        message = _("Reload the page and try again. Nothing was saved.")
    return Template(
        template_name="error.html",
        context={
            "actor": request.scope.get("user"),
            "nav": [],
            "tabs": [],
            "more": [],
            "unread": 0,
            "status": status,
            "title": title,
            "message": message,
            "settings": request.app.state.settings,
            "current_path": request.url.path,
        },
        status_code=status,
        headers=headers,
    )


class Refused(ClientException):
    """A 4xx whose detail is a message for the user, already in their language."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(detail=message, status_code=status_code)


def changed_meanwhile() -> Refused:
    """409 for a form whose request changed since it was shown (version check)."""
    return Refused(
        _("This request changed in the meantime. Reload the page and try again."),
        HTTP_409_CONFLICT,
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, Refused):
        response = error_response(request, exc.status_code, exc.detail, user_message=True)
        return response
    if isinstance(exc, ValidationException):
        # Litestar's own check of path, query, header and body values against the
        # handler's types and bounds: say which ones, in the user's language.
        ensure_locale(request)
        names = sorted(
            {str(e["key"]) for e in exc.extra or [] if isinstance(e, dict) and e.get("key")}
        )
        message = (
            _("These values are not valid: %(names)s.") % {"names": ", ".join(names)}
            if names
            else _("Please check what you entered and try again.")
        )
        return error_response(request, exc.status_code, message, user_message=True)
    response = error_response(
        request, exc.status_code, exc.detail if exc.detail != _default_detail(exc) else None
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _default_detail(exc: HTTPException) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(exc.status_code).phrase
    except ValueError:
        return ""


def not_found_handler(request: Request[Any, Any, Any], exc: LookupError) -> Response[Any]:
    """A service form's field found that the page's address names nothing of this
    organisation (``core.lifecycle.forms.NotFound``): the same 404 as any unknown page."""
    return error_response(request, 404)


def not_utf8_handler(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    """A form or JSON body that is not UTF-8: Litestar's parsers raise this wherever they
    read it (the CSRF check, a handler's form, a JSON body). No browser sends such a body;
    a script or a broken client might. 400, nothing was read or saved."""
    ensure_locale(request)
    message = _("The form was not sent as UTF-8 text. Reload the page and try again.")
    return error_response(request, 400, message, user_message=True)


RETRY_AFTER = 5  # seconds: a database restart or failover is over in a few


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable(exc):
        # Not a bug: the database is restarting or out of reach. Nothing was saved (the
        # transaction never committed); the page says so and the client may retry.
        log.warning("Database unavailable on %s %s: %r", request.method, request.url.path, exc)
        response = error_response(request, HTTP_503_SERVICE_UNAVAILABLE)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)
