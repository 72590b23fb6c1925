"""Who is acting: session, personal API token or an SSO plugin; and the guards.

The middleware resolves the actor once per request (a fixed number of queries) and
puts it in ``scope["user"]`` (None when anonymous). Guards then decide.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.identity.actor import Actor
from core.identity.service import load_actor, user_for_token
from core.lifecycle import inbox

if TYPE_CHECKING:
    from litestar.handlers import BaseRouteHandler

SESSION_USER = "uid"
SESSION_ORG = "oid"
SESSION_EPOCH = "ep"
API_PREFIX = "/api/"
ROTATE = "_rotate"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ActorMiddleware(ASGIMiddleware):
    """Resolve ``scope["user"]`` from the session, a bearer token or the SSO hook."""

    scopes = ("http", "websocket")
    should_bypass_for_scope = staticmethod(lambda scope: scope["path"].startswith("/static/"))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = await resolve_actor(scope)
        await next_app(scope, receive, send)


async def resolve_actor(scope: Scope) -> Actor | None:
    app_state = scope["litestar_app"].state
    registry, permissions = app_state.plugins, app_state.permissions
    conn: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    header = conn.headers.get("authorization", "")
    # Personal tokens are for the JSON API only: a page needs a session, so a leaked
    # token cannot open /admin, read its CSRF token and mint more tokens.
    if header[:7].lower() == "bearer " and scope["path"].startswith(API_PREFIX):
        user_id = await user_for_token(header[7:].strip())
        if user_id is None:
            raise NotAuthorizedException(detail="invalid_token")
        return await load_actor(user_id, registry, permissions, via_token=True)
    session = scope.get("session") or {}
    if isinstance(session, dict) and session.get(SESSION_USER):
        actor = await load_actor(int(session[SESSION_USER]), registry, permissions)
        if (
            actor is not None
            and actor.org_id == session.get(SESSION_ORG)
            and actor.session_epoch == session.get(SESSION_EPOCH, 0)
        ):
            return actor
        return None
    found = registry.pm.hook.actor_from_request(connection=conn)
    if inspect.isawaitable(found):
        found = await found
    if isinstance(found, int):
        return await load_actor(found, registry, permissions)
    return None


def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The signed-in person of this request (401 when there is none)."""
    actor = connection.scope.get("user")
    if actor is None:
        raise NotAuthorizedException()
    return actor


# Guards are coroutine functions: Litestar runs a plain-function guard in a worker
# thread, and that hand-off cost ~4 % of a page's CPU (py-spy under `make bench`).


async def visible_or_404(actor: Actor, number: str) -> dict[str, Any]:
    """The request ``number`` if the actor may see it (``visible_to``), else 404 (never
    403: a request that is not yours does not exist for you)."""
    row = await inbox.visible_request(actor, number)
    if row is None:
        raise NotFoundException()
    return row


async def login_required(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    current_actor(connection)


def permission_required(code: str):
    """Guard: the actor holds ``code``; otherwise 403."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not current_actor(connection).can(code):
            raise PermissionDeniedException()

    return guard


def plugin_enabled(slug: str):
    """Guard: the actor's organisation has switched the plugin on; otherwise 404."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if slug not in current_actor(connection).enabled_plugins:
            raise NotFoundException()

    return guard


async def org_enables(
    connection: ASGIConnection[Any, Any, Any, Any], org_id: int, slug: str
) -> bool:
    """Whether organisation ``org_id`` has switched plugin ``slug`` on (public pages,
    which have no actor to ask; the signed-in visitor's own organisation is not it)."""
    from core.identity.service import enabled_plugins

    return slug in await enabled_plugins(org_id, connection.app.state.plugins)


PUBLIC_FOUND = "houqin.public_found"
RESOLVE_ORG = "resolve_org"  # the opt key of a public route's resolver


def public_org_enabled(slug: str):
    """Guard of every ``/p/<slug>/`` route: the handler's resolver (``opt["resolve_org"]``,
    an async function of the connection) finds what the URL names — a mapping with its
    ``"org"`` — or None; core answers 404 unless it found something of an organisation
    that has plugin ``slug`` on, and hands the find to the handler (:func:`public_found`).
    No handler can forget the switch."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: Any) -> None:
        found = await handler.opt[RESOLVE_ORG](connection)
        if found is None or not await org_enables(connection, found["org"], slug):
            raise NotFoundException()
        connection.scope[PUBLIC_FOUND] = found  # type: ignore[typeddict-unknown-key]

    return guard


async def public_core(connection: ASGIConnection[Any, Any, Any, Any], handler: Any) -> None:
    """Guard of core's own public pages (``/p/place/<token>``): as
    :func:`public_org_enabled` without a plugin to switch on: 404 unless the handler's
    resolver found something of an organisation."""
    found = await handler.opt[RESOLVE_ORG](connection)
    if found is None or found.get("org") is None:
        raise NotFoundException()
    connection.scope[PUBLIC_FOUND] = found  # type: ignore[typeddict-unknown-key]


def public_found(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    """What the public route's resolver found (checked by :func:`public_org_enabled`)."""
    return connection.scope[PUBLIC_FOUND]  # type: ignore[typeddict-item]


async def api_write_needs_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The JSON API takes unsafe methods only with a bearer token (no ambient cookie, no CSRF)."""
    actor = current_actor(connection)
    if connection.scope.get("method") in UNSAFE and not actor.via_token:
        raise PermissionDeniedException(detail="api_write_needs_token")


def start_session(
    connection: ASGIConnection[Any, Any, Any, Any], actor_row: dict[str, Any]
) -> None:
    """Log in: fresh session data and a new session id (the old one is destroyed)."""
    connection.clear_session()
    connection.set_session(
        {
            SESSION_USER: actor_row["id"],
            SESSION_ORG: actor_row["org"],
            SESSION_EPOCH: actor_row.get("session_epoch", 0),
            ROTATE: True,
        }
    )


def keep_session(connection: ASGIConnection[Any, Any, Any, Any], epoch: int) -> None:
    """This session goes on in the user's new epoch (after :func:`end_sessions` ended
    all the others), under a new id."""
    data = dict(connection.session)
    connection.set_session({**data, SESSION_EPOCH: epoch, ROTATE: True})
