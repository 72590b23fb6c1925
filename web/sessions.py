"""Server-side sessions on a Litestar store, with the id rotated at login.

Litestar's server-side backend keeps the id from the cookie for the life of the
session; login must issue a new id (session fixation), anonymous visitors must not
leave empty sessions in the store, and an unchanged session need not be written back
on every request (measured by `make bench`: a file write and rename per page). This
backend adds all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession

from web.auth import ROTATE

_OVERRIDE = "houqin.session_id"
_LOADED = "houqin.session_loaded"


class RotatingSessionBackend(ServerSideSessionBackend):
    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        if data:
            connection.scope[_LOADED] = self.serialize_data(data, connection.scope)  # type: ignore[typeddict-unknown-key]
        return data

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        had_cookie = bool(connection.cookies.get(self.config.key))
        if scope_session is not Empty and not scope_session:
            if not had_cookie:
                return  # anonymous and nothing to keep: no store entry, no cookie
            scope_session = Empty
        if (
            isinstance(scope_session, dict)
            and ROTATE not in scope_session
            and had_cookie
            and connection.scope.get(_LOADED)
            == self.serialize_data(scope_session, connection.scope)
        ):
            return  # unchanged: no store write on every request (the cookie stays as it is)
        if isinstance(scope_session, dict) and scope_session.pop(ROTATE, False):
            if had_cookie:
                store = self.config.get_store_from_app(connection.scope["app"])
                await self.delete(connection.cookies[self.config.key], store=store)
            connection.scope[_OVERRIDE] = self.generate_session_id()  # type: ignore[typeddict-unknown-key]
        await super().store_in_message(scope_session, message, connection)

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        return connection.scope.get(_OVERRIDE) or super().get_session_id(connection)  # type: ignore[return-value]


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]
